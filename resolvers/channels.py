"""Channel health use-cases (docs/rules.md §8.5): record counts, freeze, lift, read."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from domain import channels
from domain.alerts import AlertKind
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action
from domain.tickets import Channel
from resolvers.common import refusals_as_data, refusals_as_errors
from resolvers.store import alerts, ledger
from resolvers.store import channels as store
from schema.context import Context
from schema.types import channels as types

CtxInfo = Info[Context, None]


@refusals_as_errors
async def channel_health(info: CtxInfo) -> list[types.ChannelHealth]:
    """Every channel with recorded counts or a freeze, judged over today's trailing window."""
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="channelHealth")
    async with ctx.transaction() as session:
        return [
            await _health(session, principal.org_id, channel, ctx.now)
            for channel in await store.recorded_channels(session, org_id=principal.org_id)
        ]


@refusals_as_data
async def record_channel_stats(
    info: CtxInfo,
    input: Annotated[
        types.RecordChannelStatsInput,
        strawberry.argument(description="The channel, the local day and its counts."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WORK_TICKETS, field="recordChannelStats")
    async with ctx.transaction() as session:
        today = await store.local_today(session, org_id=principal.org_id, now=ctx.now)
        stats = channels.validate(
            channels.DayStats(input.day, input.sent, input.bounced, input.complaints, input.blocks),
            today=today,
        )
        before = await store.record(
            session, org_id=principal.org_id, channel=input.channel, stats=stats, now=ctx.now
        )
        first, last = channels.window(today)
        days = await store.days(
            session, org_id=principal.org_id, channel=input.channel, first=first, last=last
        )
        cause = channels.freeze_cause(input.channel, channels.totals(days, today=today))
        froze = False
        if cause is not None:
            froze = await freeze(session, principal.org_id, input.channel, cause, ctx.now)
        await ledger.record(
            session,
            principal=principal,
            action="recordChannelStats",
            entity="Organisation",
            entity_id=principal.org_id,
            before=None if before is None else {"channel": input.channel.value} | asdict(before),
            after={"channel": input.channel.value, "froze": froze} | asdict(stats),
            now=ctx.now,
        )
        health = await _health(session, principal.org_id, input.channel, ctx.now)
    return types.RecordChannelStatsPayload(health=health, froze=froze)


async def freeze(
    session: AsyncSession,
    org_id: int,
    channel: Channel,
    cause: channels.FreezeCause,
    now: datetime,
    *,
    incident_id: int | None = None,
) -> bool:
    """Freeze `channel` and raise its CHANNEL_FROZEN alert, unless a freeze already holds it."""
    made = await store.freeze(session, org_id=org_id, channel=channel, cause=cause, now=now)
    if made is None:
        return False
    today = await store.local_today(session, org_id=org_id, now=now)
    first, last = channels.window(today)
    t = channels.totals(
        await store.days(session, org_id=org_id, channel=channel, first=first, last=last),
        today=today,
    )
    payload: dict[str, Any] = {
        "channel": channel.value,
        "cause": cause.value,
        "sent": t.sent,
        "bounceRate": t.rate(t.bounced),
        "complaintRate": t.rate(t.complaints),
        "blockRate": t.rate(t.blocks),
        "incidentId": incident_id,
    }
    await alerts.raise_alert(
        session,
        org_id=org_id,
        kind=AlertKind.CHANNEL_FROZEN,
        subject="ChannelFreeze",
        subject_id=made.id,
        occurrence=str(made.id),
        customer_id=None,
        for_role="owner",
        payload=payload,
        now=now,
    )
    return True


@refusals_as_data
async def lift_channel_freeze(
    info: CtxInfo,
    input: Annotated[
        types.LiftChannelFreezeInput, strawberry.argument(description="The frozen channel.")
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.LIFT_FREEZE, field="liftChannelFreeze")
    async with ctx.transaction() as session:
        held = await store.active(session, org_id=principal.org_id, channel=input.channel)
        if held is None:
            raise DomainError(
                "channel",
                ErrorCode.PRECONDITION_FAILED,
                Msg.CHANNEL_NOT_FROZEN,
                channel=input.channel.value,
            )
        await store.lift(
            session,
            org_id=principal.org_id,
            freeze_id=held.id,
            by=principal.operator_id,
            now=ctx.now,
        )
        await ledger.record(
            session,
            principal=principal,
            action="liftChannelFreeze",
            entity="ChannelFreeze",
            entity_id=held.id,
            before=held,
            after={"liftedAt": ctx.now, "liftedBy": principal.operator_id},
            now=ctx.now,
        )
        health = await _health(session, principal.org_id, input.channel, ctx.now)
    return types.LiftChannelFreezePayload(health=health, lifted_cause=held.cause)


async def frozen_channel(
    session: AsyncSession, org_id: int, kind: Any, ticket_id: int | None
) -> str | None:
    """§8.5: the frozen channel a draft of `kind` would go out on, or None."""
    frozen = await store.frozen_for_draft(session, org_id=org_id, ticket_id=ticket_id)
    if not frozen:
        return None
    goes_on = channels.draft_channel(kind, frozen[0][1])
    return goes_on.value if goes_on in {channel for channel, _ in frozen} else None


async def _health(
    session: AsyncSession, org_id: int, channel: Channel, now: datetime
) -> types.ChannelHealth:
    today = await store.local_today(session, org_id=org_id, now=now)
    first, last = channels.window(today)
    days = await store.days(session, org_id=org_id, channel=channel, first=first, last=last)
    held = await store.active(session, org_id=org_id, channel=channel)
    return types.ChannelHealth.build(
        channel,
        today,
        channels.totals(days, today=today),
        None if held is None else (held.id, held.cause, held.frozen_at),
    )
