"""SLA health (docs/rules.md §2.7): the report, and the owner's lift of the freeze it triggers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import sla
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action
from resolvers.common import known_customer, refusals_as_data, refusals_as_errors
from resolvers.store import freezes, ledger
from resolvers.store import sla as store
from resolvers.store import tickets as ticket_store
from schema.context import Context
from schema.types import sla as types

CtxInfo = Info[Context, None]


@refusals_as_errors
async def sla_health(
    info: CtxInfo,
    period_start: Annotated[
        datetime,
        strawberry.argument(description="Tickets opened at or after this time count (inclusive)."),
    ],
    period_end: Annotated[
        datetime,
        strawberry.argument(description="…and before this time (exclusive); after periodStart."),
    ],
    customer: Annotated[
        strawberry.ID | None,
        strawberry.argument(
            description="A customer's global id: only its tickets. Left out: the organisation."
        ),
    ] = None,
) -> types.SlaHealthReport:
    """Tickets opened in [periodStart, periodEnd), judged at the request's time."""
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="slaHealth")
    if period_end <= period_start:
        raise DomainError("periodEnd", ErrorCode.INVALID, Msg.PERIOD_END_AFTER_START)
    customer_id = (
        None if customer is None else await known_customer(ctx, customer, field="customer")
    )
    async with ctx.db() as conn:
        lifecycles = await ticket_store.lifecycles(
            conn,
            org_id=principal.org_id,
            customer_id=customer_id,
            start=period_start,
            end=period_end,
            now=ctx.now,
        )
        frozen = await store.is_frozen(conn, org_id=principal.org_id)
    report = sla.health_report(
        [
            sla.ticket_sla(
                life.priority,
                life.opened_at,
                life.first_response_at,
                life.resolved_at,
                ctx.now,
                clocks_breached=breached,
            )
            for life, breached in lifecycles
        ]
    )
    return types.SlaHealthReport.from_domain(
        report, start=period_start, end=period_end, customer_id=customer, frozen=frozen
    )


@refusals_as_data
async def lift_freeze(info: CtxInfo) -> Any:
    """§2.7: only an owner lifts the organisation-wide freeze; the lift is in the ledger."""
    ctx = info.context
    principal = ctx.authorize(Action.LIFT_FREEZE, field="liftFreeze")
    async with ctx.transaction() as session:
        reason = await freezes.lift_organisation(session, org_id=principal.org_id)
        if reason is None:
            raise DomainError("liftFreeze", ErrorCode.PRECONDITION_FAILED, Msg.NOT_FROZEN)
        await ledger.record(
            session,
            principal=principal,
            action="liftFreeze",
            entity="Organisation",
            entity_id=principal.org_id,
            before={"frozenReason": reason},
            after={"frozenReason": None},
            now=ctx.now,
        )
    return types.LiftFreezePayload(lifted_reason=reason, live_actions_frozen=False)
