"""Alert use-cases: the stored alerts list, and acknowledging one (docs/rules.md §5, §4.1)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import alerts
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action
from resolvers import pages
from resolvers.common import known_customer, refusals_as_data, refusals_as_errors
from resolvers.store import alerts as store
from resolvers.store import ledger
from schema.context import Context
from schema.types import alerts as types
from schema.types import relay
from schema.types.relay import Connection, pk_of

CtxInfo = Info[Context, None]


@refusals_as_errors
async def list_alerts(
    info: CtxInfo,
    first: Annotated[int | None, strawberry.argument(description=relay.FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=relay.AFTER)] = None,
    filter: Annotated[
        types.AlertFilter | None,
        strawberry.argument(
            description="Narrow the list by kinds, acknowledged or customer; left out: every alert."
        ),
    ] = None,
    last: Annotated[int | None, strawberry.argument(description=relay.LAST)] = None,
    before: Annotated[str | None, strawberry.argument(description=relay.BEFORE)] = None,
) -> Connection[types.Alert]:
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="alerts")
    window = relay.window(first=first, last=last, after=after, before=before)
    wanted = filter or types.AlertFilter()
    customer_id = (
        None
        if wanted.customer is None
        else await known_customer(ctx, wanted.customer, field="filter.customer")
    )
    kinds = None if wanted.kinds is None else frozenset(wanted.kinds)
    where = store.Filter(kinds=kinds, acknowledged=wanted.acknowledged, customer_id=customer_id)
    async with ctx.db() as conn:
        rows = await store.page(
            conn,
            org_id=principal.org_id,
            filter=where,
            keyset=pages.keyset(window, descending=True),
        )
        total = (
            await store.count(conn, org_id=principal.org_id, filter=where)
            if relay.wants_total(info)
            else None
        )
    return relay.window_connection(
        rows,
        window=window,
        cursor_of=lambda a: relay.cursor(a.id),
        build=types.Alert.from_domain,
        total=total,
    )


def _pk(alert: alerts.Alert) -> int:
    return alert.id


@refusals_as_data
async def acknowledge_alert(
    info: CtxInfo,
    id: Annotated[strawberry.ID, strawberry.argument(description="The alert's global id.")],
    action: Annotated[
        str | None,
        strawberry.argument(
            description="What was done; required for a high at-risk alert (docs/rules.md §4.1)."
        ),
    ] = None,
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.ACKNOWLEDGE_ALERTS, field="acknowledgeAlert")
    alert_id = pk_of(id, "Alert")
    async with ctx.transaction() as session:
        current = await store.get_for_update(session, org_id=principal.org_id, alert_id=alert_id)
        if current is None:
            raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_ALERT_IN_ORG)
        done = alerts.acknowledge(current, action=action, by=principal.operator_id, now=ctx.now)
        await store.save_acknowledgement(session, org_id=principal.org_id, alert=done)
        await ledger.record(
            session,
            principal=principal,
            action="acknowledgeAlert",
            entity="Alert",
            entity_id=alert_id,
            before=_snapshot(current),
            after=_snapshot(done),
            now=ctx.now,
        )
    return types.AlertPayload(alert=types.Alert.from_domain(done))


def _snapshot(alert: alerts.Alert) -> dict[str, Any]:
    # The payload is the rule's business, not the acknowledgement's: keep the ledger row small.
    return {
        "kind": alert.kind.value,
        "acknowledgedAt": alert.acknowledged_at,
        "acknowledgedBy": alert.acknowledged_by,
        "actionTaken": alert.action_taken,
    }
