"""Live alerts (docs/architecture.md#alerts, step 4): replay what the client missed, then follow
the hub.

Every subscription is authorised when it starts (the connection's token is resolved again, so a
revoked token opens nothing new) and listens only to its own organisation's channel. It holds no
database connection while it waits: one is borrowed for each replay page and given back.

Delivery, in order:
1. read the ids the subscriber already has: the newest ids up to `after`, or up to now;
2. subscribe to the organisation's channel on the process's hub and wait until Redis confirms;
3. replay the stored alerts after `after` (or after step 1's newest), oldest first: whatever
   was published before the channel was live is found here;
4. follow the live feed, dropping every id already sent or known (replay and live overlap; the
   relay is at least once). When Redis drops, the hub marks a gap: wait for the channel to be
   live again and replay from the database, a little behind the newest ids sent, so an alert
   whose transaction committed late is still found.
A subscriber that falls `FEED_LIMIT` events behind is ended with the error code
`SUBSCRIBER_TOO_SLOW` and `resumeAfter`: subscribing again with `after: resumeAfter` loses
nothing, because alerts are stored before they are pushed.

A live event is converted once for the process (`_live`) and handed to every subscriber as
that one object, so the subscribers that select alike render it once; once rendered, it is sent
to the others of the render group as that JSON text (schema/fanout.py).
"""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Collection
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from domain import alerts
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action, Principal
from resolvers.store import alerts as store
from resolvers.store import engine, ledger, orgs, pubsub
from schema import fanout, language
from schema.context import Context
from schema.types import alerts as types
from schema.types import errors
from schema.types.relay import pk_of, to_global_id

CtxInfo = Info[Context, None]

KNOWN_IDS = 1_000  # ids a resuming subscriber is taken to have, against late re-publication
SENT_IDS = 10_000  # ids remembered per subscription to drop repeats
GAP_WINDOW = 64  # how far behind the newest ids sent a replay after a gap starts
REPLAY_PAGE = 500
TOKEN_RECHECK_S = 60.0  # a subscription re-checks its token this often (revoked: it ends)

AfterArg = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="The last alert id you have: stored alerts after it are replayed first."
    ),
]


async def alerts_feed(
    info: CtxInfo,
    kinds: Annotated[
        list[alerts.AlertKind] | None, strawberry.argument(description="Only these kinds.")
    ] = None,
    after: AfterArg = None,
) -> AsyncGenerator[types.Alert, None]:
    """Every alert of your organisation as it is raised."""
    wanted = None if kinds is None else frozenset(kinds)
    async for alert in _follow(info.context, field="alerts", kinds=wanted, after=after):
        yield alert


async def sla_breached(info: CtxInfo, after: AfterArg = None) -> AsyncGenerator[types.Alert, None]:
    """First-response and resolution breaches (docs/rules.md §2.6)."""
    async for alert in _follow(
        info.context, field="slaBreached", kinds=alerts.SLA_BREACH_KINDS, after=after
    ):
        yield alert


async def customer_at_risk(
    info: CtxInfo,
    after: AfterArg = None,
    customer_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only this customer.")
    ] = None,
) -> AsyncGenerator[types.Alert, None]:
    """A customer's at-risk severity rose (docs/rules.md §4.1)."""
    only = _pk_or_none(customer_id, "Customer", "customerId")
    async for alert in _follow(
        info.context,
        field="customerAtRisk",
        kinds=alerts.AT_RISK_KINDS,
        after=after,
        accept=lambda a: only is None or a.customer_id == only,
        only=None if only is None else _Only("Customer", only, "customerId", Msg.NO_SUCH_CUSTOMER),
    ):
        yield alert


async def incident_updated(
    info: CtxInfo,
    after: AfterArg = None,
    incident_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only this incident.")
    ] = None,
) -> AsyncGenerator[types.Alert, None]:
    """An incident's update is overdue or its PDPL deadline is near (docs/rules.md §3)."""
    only = _pk_or_none(incident_id, "Incident", "incidentId")
    async for alert in _follow(
        info.context,
        field="incidentUpdated",
        kinds=alerts.INCIDENT_KINDS,
        after=after,
        accept=lambda a: only is None or a.subject_id == only,
        only=None if only is None else _Only("Incident", only, "incidentId", Msg.NO_SUCH_INCIDENT),
    ):
        yield alert


def _pk_or_none(value: str | None, type_name: str, field: str) -> int | None:
    if value is None:
        return None
    try:
        return pk_of(value, type_name, field=field)
    except DomainError as error:
        raise errors.as_graphql_error(error) from None


class _Sent:
    """Ids already sent (or known to the client), bounded; and the newest ones, for gaps."""

    def __init__(self, known: Collection[int]) -> None:
        self._ids = set(known)
        self._order: deque[int] = deque(sorted(known))
        self._recent: deque[int] = deque(maxlen=GAP_WINDOW)

    def __contains__(self, alert_id: int) -> bool:
        return alert_id in self._ids

    def add(self, alert_id: int) -> None:
        self._ids.add(alert_id)
        self._order.append(alert_id)
        self._recent.append(alert_id)
        if len(self._order) > SENT_IDS:
            self._ids.discard(self._order.popleft())

    def newest(self, default: int | None) -> int | None:
        return max(self._recent, default=default)

    def replay_floor(self, default: int) -> int:
        return min(self._recent, default=default)


class _LiveAlerts:
    """Each live event as its alert and the Alert object every subscriber that wants it is
    handed, each built once for the process: the hub gives every feed of a channel the same
    event object."""

    def __init__(self) -> None:
        # id(event) -> [event, alert, object or None]: the event is held so its id is not reused.
        self._kept: OrderedDict[int, list[Any]] = OrderedDict()

    def alert(self, event: dict[str, Any]) -> alerts.Alert:
        kept = self._kept.get(id(event))
        if kept is not None and kept[0] is event:
            alert: alerts.Alert = kept[1]
            return alert
        alert = store.from_event(event)
        self._kept[id(event)] = [event, alert, None]
        if len(self._kept) > fanout.LIVE_EVENTS:
            self._kept.popitem(last=False)
        return alert

    def handed(self, event: dict[str, Any], alert: alerts.Alert) -> types.Alert:
        kept = self._kept.get(id(event))
        if kept is None or kept[0] is not event:  # pushed out meanwhile: this one alone
            return types.Alert.from_domain(alert)
        if kept[2] is None:
            kept[2] = types.Alert.from_domain(alert)
            fanout.share(kept[2])
        handed: types.Alert = kept[2]
        return handed


_live = _LiveAlerts()


async def _follow(
    ctx: Context,
    *,
    field: str,
    kinds: frozenset[alerts.AlertKind] | None,
    after: str | None,
    accept: Callable[[alerts.Alert], bool] = lambda alert: True,
    only: _Only | None = None,
) -> AsyncIterator[types.Alert]:
    try:
        start = None if after is None else pk_of(after, "Alert", field="after")
        principal, known = await _begin(ctx, field, start, only)
    except DomainError as error:
        raise errors.as_graphql_error(error) from None
    hub = ctx.resources.hub
    assert hub is not None, "the app's lifespan starts the hub"
    org_id = principal.org_id
    # `known` was read before subscribing: anything committed since is not in it, and reaches
    # this subscriber by the replay below (published before the channel was live) or live.
    sent = _Sent(known)
    cursor = start if start is not None else (known[0] if known else 0)

    def wanted(alert: alerts.Alert) -> bool:
        return (kinds is None or alert.kind in kinds) and accept(alert)

    loop = asyncio.get_running_loop()
    try:
        async with hub.subscribe(pubsub.alerts_channel(org_id)) as feed:
            # The first re-check at a random point of the period: subscribers that started
            # together (a deploy, a reconnect storm) do not all ask the database at once.
            feed.alarm_at(loop.time() + TOKEN_RECHECK_S * random.uniform(0.5, 1.0))
            await feed.ready()
            replay_from: int | None = cursor
            while True:
                if replay_from is not None:
                    async for alert in _replay(ctx, org_id, after_id=replay_from, kinds=kinds):
                        if alert.id not in sent and wanted(alert):
                            sent.add(alert.id)
                            yield types.Alert.from_domain(alert)
                    replay_from = None
                item = await feed.next()
                if isinstance(item, pubsub.Alarm):  # nothing lost: the feed keeps what arrives
                    await _still_authorised(ctx, field)
                    feed.alarm_at(loop.time() + TOKEN_RECHECK_S)
                    continue
                if isinstance(item, pubsub.Gap):
                    await feed.ready()
                    replay_from = sent.replay_floor(default=cursor)
                    continue
                alert = _live.alert(item)
                if alert.id not in sent and wanted(alert):
                    sent.add(alert.id)
                    handed = _live.handed(item, alert)
                    if not await fanout.deliver(handed):  # sent as its render group has it
                        yield handed
    except pubsub.FeedOverflowError:
        raise _resume_error(
            "SUBSCRIBER_TOO_SLOW",
            Msg.SUBSCRIBER_TOO_SLOW,
            sent.newest(default=cursor),
        ) from None
    except pubsub.HubClosedError:
        raise _resume_error(
            "SERVER_GOING_AWAY",
            Msg.SERVER_GOING_AWAY,
            sent.newest(default=cursor),
        ) from None


async def _still_authorised(ctx: Context, field: str) -> None:
    """A long-running subscription's token is still live (not revoked), or it ends here."""
    token = ctx.token
    async with ctx.resources.pool.acquire() as conn:
        principal = (
            None
            if token is None
            else await orgs.authenticate(conn, token=token, now=ctx.resources.clock())
        )
    if principal is None:
        raise errors.as_graphql_error(
            DomainError(field, ErrorCode.UNAUTHENTICATED, Msg.TOKEN_NO_LONGER_VALID)
        )


@dataclass(frozen=True, slots=True)
class _Only:
    """A narrow subscription's subject: it must be one of the subscriber's organisation."""

    entity: str
    pk: int
    field: str
    missing: Msg


async def _begin(
    ctx: Context, field: str, start: int | None, only: _Only | None
) -> tuple[Principal, list[int]]:
    """Authorise, check the subject, and read the ids the subscriber already has, on one
    borrowed connection.

    A WebSocket was authenticated at connection_init; a subscription starts on the token's
    rights now, not when the socket opened (a revoked token opens nothing new).
    """
    if ctx.websocket:
        # `authenticate` leaves the connection in the app role, scoped to the token's org.
        async with ctx.resources.pool.acquire() as conn:
            token = ctx.token
            ctx.principal = (
                None
                if token is None
                else await orgs.authenticate(conn, token=token, now=ctx.resources.clock())
            )
            principal = ctx.authorize(Action.READ, field=field)
            return principal, await _known(conn, principal, start, only)
    principal = ctx.authorize(Action.READ, field=field)
    async with engine.scoped(ctx.resources.pool, principal.org_id) as conn:
        return principal, await _known(conn, principal, start, only)


async def _known(
    conn: asyncpg.Connection, principal: Principal, start: int | None, only: _Only | None
) -> list[int]:
    org_id = principal.org_id
    if only is not None and not await ledger.entity_exists(
        conn, org_id=org_id, entity=only.entity, entity_id=only.pk
    ):
        # Another organisation's id is refused, not followed in silence.
        raise DomainError(only.field, ErrorCode.NOT_FOUND, only.missing)
    return await store.latest_ids(conn, org_id=org_id, up_to=start, limit=KNOWN_IDS)


async def _replay(
    ctx: Context, org_id: int, *, after_id: int, kinds: frozenset[alerts.AlertKind] | None
) -> AsyncIterator[alerts.Alert]:
    """Stored alerts after `after_id`, a page at a time, each page on a borrowed connection."""
    while True:
        async with engine.scoped(ctx.resources.pool, org_id) as conn:
            page = await store.since(
                conn, org_id=org_id, after_id=after_id, kinds=kinds, limit=REPLAY_PAGE
            )
        for alert in page:
            yield alert
        if len(page) < REPLAY_PAGE:
            return
        after_id = page[-1].id


def _resume_error(code: str, message: Msg, newest: int | None) -> GraphQLError:
    return GraphQLError(
        language.text(message),
        extensions={
            "code": code,
            "resumeAfter": None if newest is None else to_global_id("Alert", newest),
        },
    )
