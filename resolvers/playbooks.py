"""Playbook use-cases (docs/rules.md §8.1, §8.2): the pilot's start, check-ins and outcome, and
red flags recorded by operators or raised from a ticket's text, a pilot or a connector."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from domain import pilots, red_flags
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.pilots import Pilot, PilotStatus, PilotView
from domain.red_flags import RedFlagCategory, RedFlagSource
from domain.roles import Action
from resolvers.common import refusals_as_data
from resolvers.store import drafts as draft_store
from resolvers.store import ledger
from resolvers.store import pilots as store
from resolvers.store import red_flags as flag_store
from resolvers.success import locked_customer
from schema.context import Context
from schema.types import playbooks as types
from schema.types.relay import pk_of

CtxInfo = Info[Context, None]


async def _locked_pilot(session: AsyncSession, org_id: int, value: str) -> Pilot:
    pilot_id = pk_of(value, "Pilot", field="pilotId")
    pilot = await store.get_for_update(session, org_id=org_id, pilot_id=pilot_id)
    if pilot is None:
        raise DomainError("pilotId", ErrorCode.NOT_FOUND, Msg.NO_SUCH_PILOT_IN_ORG)
    return pilot


async def _view(session: AsyncSession, org_id: int, pilot: Pilot, now: datetime) -> Any:
    today = await store.local_today(session, org_id=org_id, now=now)
    check_ins = await store.check_ins_in(session, org_id=org_id, pilot_id=pilot.id)
    steps = await draft_store.all_for_subject(
        session, org_id=org_id, subject_type="pilot", subject_id=pilot.id
    )
    view = PilotView(pilot, tuple(check_ins), pilots.day_of(pilot.start_day, today), tuple(steps))
    return types.PilotPayload(pilot=types.Pilot.build(view))


async def _ledger(
    session: AsyncSession, ctx: Context, principal: Any, action: str, before: Any, after: Pilot
) -> None:
    await ledger.record(
        session,
        principal=principal,
        action=action,
        entity="Pilot",
        entity_id=after.id,
        before=before,
        after=after,
        now=ctx.now,
    )


@refusals_as_data
async def start_pilot(
    info: CtxInfo,
    input: Annotated[types.StartPilotInput, strawberry.argument(description="The customer.")],
) -> Any:
    """§8.1: a 7-day pilot; day 0 is the start's local date. One pilot per customer."""
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="startPilot")
    customer_id = pk_of(input.customer_id, "Customer", field="customerId")
    org_id = principal.org_id
    async with ctx.transaction() as session:
        await locked_customer(session, org_id, customer_id)
        today = await store.local_today(session, org_id=org_id, now=ctx.now)
        pilot = await store.insert(
            session, org_id=org_id, customer_id=customer_id, now=ctx.now, start_day=today
        )
        if pilot is None:
            raise DomainError("customerId", ErrorCode.CONFLICT, Msg.PILOT_EXISTS)
        await _ledger(session, ctx, principal, "startPilot", None, pilot)
        return await _view(session, org_id, pilot, ctx.now)


@refusals_as_data
async def record_daily_check_in(
    info: CtxInfo,
    input: Annotated[
        types.RecordDailyCheckInInput,
        strawberry.argument(description="The pilot, the day, attendance and the day's figures."),
    ],
) -> Any:
    """§8.1 a day's check-in; §8.2 the third missed one in a row raises a red flag."""
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="recordDailyCheckIn")
    org_id = principal.org_id
    async with ctx.transaction() as session:
        pilot = await _locked_pilot(session, org_id, input.pilot_id)
        pilots.require_running(pilot.status)
        today = await store.local_today(session, org_id=org_id, now=ctx.now)
        figures = {
            "leads": input.leads,
            "demos": input.demos,
            "responseSeconds": input.response_seconds,
        }
        check_in = pilots.check_in(
            input.day, pilots.day_of(pilot.start_day, today), input.attended, figures
        )
        await store.record_check_in(
            session, org_id=org_id, pilot_id=pilot.id, check_in=check_in, now=ctx.now
        )
        recorded = await store.check_ins_in(session, org_id=org_id, pilot_id=pilot.id)
        if pilots.missed_in_a_row(recorded, check_in.day):
            await flag_store.raise_flag(
                session,
                org_id=org_id,
                customer_id=pilot.customer_id,
                category=RedFlagCategory.MISSED_CHECK_INS,
                source=RedFlagSource.PILOT,
                detail=str(check_in.day),
                origin=f"pilot:{pilot.id}:missed:{check_in.day}",
                now=ctx.now,
            )
        await ledger.record(
            session,
            principal=principal,
            action="recordDailyCheckIn",
            entity="Pilot",
            entity_id=pilot.id,
            before=None,
            after=check_in,
            now=ctx.now,
        )
        return await _view(session, org_id, pilot, ctx.now)


@refusals_as_data
async def convert_pilot(
    info: CtxInfo,
    input: Annotated[types.ConvertPilotInput, strawberry.argument(description="The pilot.")],
) -> Any:
    """§8.1: converted to Starter (999 SAR a month) from the next Monday, local."""
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="convertPilot")
    org_id = principal.org_id
    async with ctx.transaction() as session:
        pilot = await _locked_pilot(session, org_id, input.pilot_id)
        pilots.require_running(pilot.status)
        today = await store.local_today(session, org_id=org_id, now=ctx.now)
        decided = await store.decide(
            session,
            org_id=org_id,
            pilot_id=pilot.id,
            status=PilotStatus.CONVERTED,
            now=ctx.now,
            plan_starts_on=pilots.next_monday(today),
        )
        await _ledger(session, ctx, principal, "convertPilot", pilot, decided)
        return await _view(session, org_id, decided, ctx.now)


@refusals_as_data
async def decline_pilot(
    info: CtxInfo,
    input: Annotated[
        types.DeclinePilotInput, strawberry.argument(description="The pilot and the answer.")
    ],
) -> Any:
    """§8.1: declined, with the answer to `ما اللي منع الاستمرار؟` recorded."""
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="declinePilot")
    org_id = principal.org_id
    reason = pilots.decline_reason(input.reason)
    async with ctx.transaction() as session:
        pilot = await _locked_pilot(session, org_id, input.pilot_id)
        pilots.require_running(pilot.status)
        decided = await store.decide(
            session,
            org_id=org_id,
            pilot_id=pilot.id,
            status=PilotStatus.DECLINED,
            now=ctx.now,
            reason=reason,
        )
        await _ledger(session, ctx, principal, "declinePilot", pilot, decided)
        return await _view(session, org_id, decided, ctx.now)


@refusals_as_data
async def record_red_flag(
    info: CtxInfo,
    input: Annotated[
        types.RecordRedFlagInput,
        strawberry.argument(description="The customer, the category and what was seen."),
    ],
) -> Any:
    """§8.2: an operator-recorded red flag; its RED_FLAG alert is due an hour later."""
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="recordRedFlag")
    customer_id = pk_of(input.customer_id, "Customer", field="customerId")
    org_id = principal.org_id
    detail = red_flags.operator_detail(input.detail)
    async with ctx.transaction() as session:
        await locked_customer(session, org_id, customer_id)
        flag_id = await flag_store.raise_flag(
            session,
            org_id=org_id,
            customer_id=customer_id,
            category=input.category,
            source=RedFlagSource.OPERATOR,
            detail=detail,
            origin=None,
            now=ctx.now,
        )
        assert flag_id is not None
        flag = red_flags.RedFlag(
            id=flag_id,
            customer_id=customer_id,
            category=input.category,
            source=RedFlagSource.OPERATOR,
            detail=detail,
            raised_at=ctx.now,
            due_at=red_flags.due_at(ctx.now),
        )
        await ledger.record(
            session,
            principal=principal,
            action="recordRedFlag",
            entity="Customer",
            entity_id=customer_id,
            before=None,
            after=flag,
            now=ctx.now,
        )
    return types.RedFlagPayload(red_flag=types.RedFlag.from_domain(flag))


async def flag_text(
    session: AsyncSession,
    *,
    org_id: int,
    customer_id: int,
    ticket_id: int,
    parts: tuple[str, ...],
    now: datetime,
) -> None:
    """§8.2: a text flag in a ticket's text raises a red flag, once per ticket and category."""
    found = red_flags.match(*parts)
    if found is None:
        return
    await flag_store.raise_flag(
        session,
        org_id=org_id,
        customer_id=customer_id,
        category=found.category,
        source=RedFlagSource.TICKET,
        detail=found.keyword,
        origin=f"ticket:{ticket_id}:{found.category.value}",
        now=now,
    )


async def flag_connector(
    session: AsyncSession, *, org_id: int, customer_id: int, key: Any, now: datetime
) -> None:
    """§8.2: a connector moving to `failed` (an integration break) raises a red flag."""
    await flag_store.raise_flag(
        session,
        org_id=org_id,
        customer_id=customer_id,
        category=RedFlagCategory.INTEGRATION_BREAK,
        source=RedFlagSource.CONNECTOR,
        detail=str(key.value),
        origin=None,
        now=now,
    )
