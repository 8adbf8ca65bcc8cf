"""Customer-success signals, lifecycle stages, the weekly check-in and the metrics (§4.1–§4.3,
§4.6): authorize → validate → transaction{lock, domain, save, ledger} → map."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from domain import customers, lifecycle, metrics, sequences, signals, success_plans
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action, Principal
from domain.tickets import TicketStatus
from resolvers.common import refusals_as_data, refusals_as_errors
from resolvers.store import customers as customer_store
from resolvers.store import idempotency, ledger, tickets
from resolvers.store import metrics as metric_store
from resolvers.store import sequences as sequence_store
from resolvers.store import signals as store
from schema.context import Context
from schema.types import success as types
from schema.types.customers import Customer, CustomerPayload
from schema.types.relay import pk_of, to_global_id
from schema.types.sequences import ChurnReasonCount

CtxInfo = Info[Context, None]
RECORD_NPS = "recordNps"
DELIVER_PROOF_PACK = "deliverProofPack"


async def locked_customer(
    session: AsyncSession, org_id: int, customer_id: int, *, field: str = "customerId"
) -> customers.Customer:
    """The customer, row-locked for the transaction; refuses another org's id and archived ones."""
    current = await customer_store.get_for_update(session, org_id=org_id, customer_id=customer_id)
    if current is None:
        raise DomainError(field, ErrorCode.NOT_FOUND, Msg.NO_SUCH_CUSTOMER_IN_ORG)
    if current.archived_at is not None:
        raise DomainError(field, ErrorCode.INVALID_TRANSITION, Msg.CUSTOMER_ARCHIVED)
    return current


def ledger_view(value: Any) -> dict[str, Any] | None:
    """A ledger before/after for values holding dates, which the ledger's snapshot keeps as
    objects: every leaf JSON-ready (dates and enums as their text)."""
    plain = ledger.snapshot(value)
    return None if plain is None else dict(json.loads(json.dumps(plain, default=str)))


async def record(
    session: AsyncSession,
    ctx: Context,
    principal: Principal,
    action: str,
    entity: str,
    entity_id: int,
    before: Any,
    after: Any,
) -> None:
    """The mutation's ledger row (§6), in its transaction."""
    await ledger.record(
        session,
        principal=principal,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=ledger_view(before),
        after=ledger_view(after),
        now=ctx.now,
    )


@refusals_as_data
async def record_check_in_metrics(
    info: CtxInfo,
    input: Annotated[
        types.RecordCheckInMetricsInput,
        strawberry.argument(description="The customer, the week and its counts."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="recordCheckInMetrics")
    check_in = signals.validate_check_in(
        signals.CheckIn(
            customer_id=pk_of(input.customer_id, "Customer", field="customerId"),
            week_of=input.week_of,
            drafts_approved=input.drafts_approved,
            replies=input.replies,
            meetings=input.meetings,
            risks_blocked=input.risks_blocked,
            pipeline_sar=input.pipeline_sar,
        )
    )
    async with ctx.transaction() as session:
        await locked_customer(session, principal.org_id, check_in.customer_id)
        nearest = await store.nearest_check_in(
            session, org_id=principal.org_id, customer_id=check_in.customer_id, on=input.week_of
        )
        success_plans.check_check_in_allowed(nearest, input.week_of)
        saved = await store.add_check_in(
            session, org_id=principal.org_id, check_in=check_in, now=ctx.now
        )
        assert saved.id is not None
        await record(
            session, ctx, principal, "recordCheckInMetrics", "CheckIn", saved.id, None, saved
        )
    return types.CheckInPayload(check_in=types.CheckIn.from_domain(saved))


@refusals_as_errors
async def weekly_check_in(
    info: CtxInfo,
    customer_id: Annotated[
        strawberry.ID, strawberry.argument(description="The customer's global id.")
    ],
    week_of: Annotated[
        date,
        strawberry.argument(
            description="The first day of the week, as recorded with recordCheckInMetrics."
        ),
    ],
) -> types.WeeklyCheckIn:
    """§4.3: the agenda and talking points from the check-in recorded for that week."""
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="weeklyCheckIn")
    pk = pk_of(customer_id, "Customer", field="customerId")
    async with ctx.db() as conn:
        if not await customer_store.by_ids(conn, org_id=principal.org_id, ids=[pk]):
            raise DomainError("customerId", ErrorCode.NOT_FOUND, Msg.NO_SUCH_CUSTOMER_IN_ORG)
        found = await store.check_in_for_week(
            conn, org_id=principal.org_id, customer_id=pk, week_of=week_of
        )
    if found is None:
        raise DomainError("weekOf", ErrorCode.NOT_FOUND, Msg.NO_CHECK_IN_FOR_WEEK)
    agenda = success_plans.weekly_check_in(
        found.drafts_approved,
        found.replies,
        found.meetings,
        found.risks_blocked,
        found.pipeline_sar,
    )
    return types.WeeklyCheckIn.build(pk, found, agenda)


@refusals_as_data
async def rate_ticket(
    info: CtxInfo,
    input: Annotated[
        types.RateTicketInput,
        strawberry.argument(description="The closed ticket and its 1..5 rating."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="rateTicket")
    ticket_id = pk_of(input.ticket_id, "Ticket", field="ticketId")
    value = metrics.validate_rating(input.rating)
    async with ctx.transaction() as session:
        ticket = await tickets.get_for_update(session, org_id=principal.org_id, ticket_id=ticket_id)
        if ticket is None:
            raise DomainError("ticketId", ErrorCode.NOT_FOUND, Msg.NO_SUCH_TICKET_IN_ORG)
        if ticket.lifecycle.status is not TicketStatus.CLOSED:
            raise DomainError("ticketId", ErrorCode.PRECONDITION_FAILED, Msg.ONLY_CLOSED_RATED)
        before = await store.rating_of(session, org_id=principal.org_id, ticket_id=ticket_id)
        rating = signals.CsatRating(ticket_id, ticket.customer_id, value, ctx.now)
        await store.put_rating(session, org_id=principal.org_id, rating=rating)
        await record(session, ctx, principal, "rateTicket", "Ticket", ticket_id, before, rating)
    return types.CsatRatingPayload(
        ticket_id=to_global_id("Ticket", ticket_id),
        customer_id=to_global_id("Customer", rating.customer_id),
        rating=rating.rating,
        rated_at=rating.rated_at,
    )


@refusals_as_data
async def record_nps(
    info: CtxInfo,
    input: Annotated[
        types.RecordNpsInput, strawberry.argument(description="The customer and its 0..10 answer.")
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field=RECORD_NPS)
    customer_id = pk_of(input.customer_id, "Customer", field="customerId")
    org_id = principal.org_id
    response = signals.NpsResponse(
        customer_id=customer_id,
        score=metrics.validate_nps(input.score),
        responded_at=_when("respondedAt", input.responded_at, ctx.now),
    )
    async with ctx.transaction() as session:
        once = await idempotency.once(
            session,
            org_id=org_id,
            key=input.idempotency_key,
            operation=RECORD_NPS,
            request=input,
            now=ctx.now,
        )
        if once.previous is not None:
            first = await store.nps_by_id(session, org_id=org_id, nps_id=once.previous)
            assert first is not None
            return types.NpsPayload.from_domain(first)
        await locked_customer(session, org_id, customer_id)
        saved = await store.add_nps(session, org_id=org_id, response=response)
        assert saved.id is not None
        await once.made(saved.id)
        await record(session, ctx, principal, RECORD_NPS, "NpsResponse", saved.id, None, saved)
    return types.NpsPayload.from_domain(saved)


@refusals_as_data
async def deliver_proof_pack(
    info: CtxInfo,
    input: Annotated[
        types.DeliverProofPackInput,
        strawberry.argument(
            description="The customer, the Proof Pack's title and when it was delivered."
        ),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field=DELIVER_PROOF_PACK)
    customer_id = pk_of(input.customer_id, "Customer", field="customerId")
    org_id = principal.org_id
    pack = signals.ProofPack(
        customer_id=customer_id,
        title=signals.validate_title(input.title),
        delivered_at=_when("deliveredAt", input.delivered_at, ctx.now),
    )
    async with ctx.transaction() as session:
        once = await idempotency.once(
            session,
            org_id=org_id,
            key=input.idempotency_key,
            operation=DELIVER_PROOF_PACK,
            request=input,
            now=ctx.now,
        )
        if once.previous is not None:
            first = await store.proof_pack_by_id(session, org_id=org_id, pack_id=once.previous)
            assert first is not None
            return types.ProofPackPayload.from_domain(first)
        await locked_customer(session, org_id, customer_id)
        saved = await store.add_proof_pack(session, org_id=org_id, pack=pack)
        assert saved.id is not None
        await once.made(saved.id)
        await record(
            session, ctx, principal, DELIVER_PROOF_PACK, "ProofPack", saved.id, None, saved
        )
    return types.ProofPackPayload.from_domain(saved)


@refusals_as_data
async def record_customer_activity(
    info: CtxInfo,
    input: Annotated[
        types.RecordCustomerActivityInput,
        strawberry.argument(description="The customer and when it was active."),
    ],
) -> Any:
    """§4.2: `lastActivityAt` only moves forward (an older event changes nothing but is logged)."""
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="recordCustomerActivity")
    customer_id = pk_of(input.customer_id, "Customer", field="customerId")
    at = _when("at", input.at, ctx.now)
    async with ctx.transaction() as session:
        current = await locked_customer(session, principal.org_id, customer_id)
        changed = current
        if current.last_activity_at is None or at > current.last_activity_at:
            changed = dataclasses.replace(current, last_activity_at=at, version=current.version + 1)
            await customer_store.save(
                session, org_id=principal.org_id, customer=changed, now=ctx.now
            )
        await record(
            session,
            ctx,
            principal,
            "recordCustomerActivity",
            "Customer",
            customer_id,
            {"last_activity_at": current.last_activity_at},
            {"last_activity_at": at},
        )
    return CustomerPayload(customer=Customer.from_domain(changed))


@refusals_as_data
async def change_customer_stage(
    info: CtxInfo,
    input: Annotated[
        types.ChangeCustomerStageInput,
        strawberry.argument(description="The customer, the version you read and the new stage."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="changeCustomerStage")
    customer_id = pk_of(input.id, "Customer")
    async with ctx.transaction() as session:
        current = await locked_customer(session, principal.org_id, customer_id, field="id")
        customers.check_version(current.version, input.version)
        stage = lifecycle.change_stage(current.stage, input.stage)
        changed = dataclasses.replace(current, stage=stage, version=current.version + 1)
        await customer_store.save(session, org_id=principal.org_id, customer=changed, now=ctx.now)
        await store.add_stage_change(
            session,
            org_id=principal.org_id,
            customer_id=customer_id,
            before=current.stage,
            after=stage,
            now=ctx.now,
        )
        await record(
            session,
            ctx,
            principal,
            "changeCustomerStage",
            "Customer",
            customer_id,
            {"stage": current.stage.value},
            {"stage": stage.value},
        )
    return CustomerPayload(customer=Customer.from_domain(changed))


@refusals_as_errors
async def support_metrics(
    info: CtxInfo,
    from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
    to: Annotated[datetime, strawberry.argument(description="Exclusive.")],
) -> types.SupportMetrics:
    """§4.6 over [from, to) for the caller's organisation."""
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="supportMetrics")
    if not from_ < to:
        raise DomainError("to", ErrorCode.INVALID, Msg.TO_AFTER_FROM)
    async with ctx.db() as conn:
        found = await metric_store.inputs(conn, org_id=principal.org_id, start=from_, end=to)
    value = metrics.support_metrics(
        found.first_response_minutes,
        found.resolution_hours,
        found.ratings,
        found.nps,
        found.customers_at_start,
        found.churned,
        found.tickets,
        found.active_customers,
    )
    result = types.SupportMetrics.from_domain(value)
    async with ctx.db() as conn:
        reasons = await sequence_store.reason_counts(
            conn, org_id=principal.org_id, start=from_, end=to
        )
    result.churn_reasons = [
        ChurnReasonCount(reason=reason, count=count)
        for reason, count in sequences.reason_counts(reasons)
    ]
    return result


def _when(field: str, at: datetime | None, now: datetime) -> datetime:
    return now if at is None else signals.not_in_future(field, at, now)
