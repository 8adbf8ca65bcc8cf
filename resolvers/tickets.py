"""Ticket use-cases (DOMAIN.md §2): validate → load → domain → save with history and ledger."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from domain import drafts, sla, tickets
from domain.errors import DomainError, ErrorCode
from domain.roles import Action, Principal
from domain.tickets import HistoryEvent, Ticket
from resolvers import loaders
from resolvers.common import known_customer, refusals_as_data, refusals_as_errors
from resolvers.store import alerts, idempotency, ledger
from resolvers.store import customers as customer_store
from resolvers.store import drafts as draft_store
from resolvers.store import tickets as store
from schema.context import Context
from schema.types import tickets as types
from schema.types.drafts import Draft
from schema.types.relay import Connection, connection, page_args, pk_of
from schema.types.sla import SupportPriority

CtxInfo = Info[Context, None]

# What a step does to a ticket: the changed ticket, and the history line it writes (if any).
Change = Callable[[Ticket], tuple[Ticket, HistoryEvent | None, dict[str, Any]]]


@refusals_as_errors
async def list_tickets(
    info: CtxInfo,
    first: int | None = None,
    after: str | None = None,
    filter: types.TicketFilter | None = None,
) -> Connection[types.Ticket]:
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="tickets")
    page = page_args(first, after)
    wanted = filter or types.TicketFilter()
    customer_id = (
        None
        if wanted.customer is None
        else await known_customer(ctx, wanted.customer, field="filter.customer")
    )
    async with ctx.db() as conn:
        rows = await store.page(
            conn,
            org_id=principal.org_id,
            filter=store.Filter(
                status=wanted.status,
                priority=wanted.priority,
                customer_id=customer_id,
                breached=wanted.breached,
                sla_state=wanted.sla_state,
            ),
            after_id=page.after,
            first=page.first,
            now=ctx.now,
        )
    return connection(
        rows, first=page.first, key=_pk, build=lambda t: types.Ticket.from_domain(t, now=ctx.now)
    )


def _pk(ticket: Ticket) -> int:
    assert ticket.id is not None
    return ticket.id


@refusals_as_errors
async def get_ticket(info: CtxInfo, id: strawberry.ID) -> types.Ticket:
    ctx = info.context
    ctx.authorize(Action.READ, field="ticket")
    found = await loaders.tickets(ctx).load(pk_of(id, "Ticket"))
    if found is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, "no such ticket in your organisation")
    return types.Ticket.from_domain(found, now=ctx.now)


def support_priorities() -> list[SupportPriority]:
    """§2.1: the four tiers, P0 first."""
    return [SupportPriority.from_domain(tier) for tier in tickets.TIERS.values()]


@refusals_as_data
async def open_ticket(info: CtxInfo, input: types.OpenTicketInput) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WORK_TICKETS, field="openTicket")
    customer_id = pk_of(input.customer, "Customer", field="customer")
    tickets.validate_text(input.subject, input.body)
    classification = tickets.classify(input.subject, input.body)
    async with ctx.transaction() as session:
        key = input.idempotency_key
        if key is not None:
            previous = await idempotency.claim(
                session, org_id=principal.org_id, key=key, operation="openTicket"
            )
            if previous is not None:
                return await _opened(session, principal.org_id, previous, ctx.now)
        customer = await customer_store.get_for_update(
            session, org_id=principal.org_id, customer_id=customer_id
        )
        if customer is None:
            raise DomainError("customer", ErrorCode.NOT_FOUND, "no such customer")
        ticket = await store.insert(
            session,
            org_id=principal.org_id,
            ticket=Ticket(
                customer_id=customer_id,
                subject=input.subject,
                body=input.body,
                channel=input.channel,
                classification=classification,
                lifecycle=tickets.open_ticket(classification.priority, ctx.now),
            ),
            now=ctx.now,
        )
        assert ticket.id is not None
        await draft_store.create(
            session,
            org_id=principal.org_id,
            customer_id=customer_id,
            kind=drafts.DraftKind.FIRST_RESPONSE.value,
            subject_type="ticket",
            subject_id=ticket.id,
            locale=customer.locale.value,
            body=tickets.first_response_draft(ticket.priority, customer.locale.value),
            now=ctx.now,
        )
        await _history(
            session, principal, ticket, HistoryEvent.OPENED, _opened_detail(ticket), ctx.now
        )
        if key is not None:
            await idempotency.remember(
                session,
                org_id=principal.org_id,
                key=key,
                operation="openTicket",
                entity_id=ticket.id,
                now=ctx.now,
            )
        await _ledger(session, principal, "openTicket", None, ticket, ctx.now)
        return await _opened(session, principal.org_id, ticket.id, ctx.now)


async def _opened(session: AsyncSession, org_id: int, ticket_id: int, now: datetime) -> Any:
    ticket = await store.get_for_update(session, org_id=org_id, ticket_id=ticket_id)
    draft = await draft_store.latest_for_subject(
        session,
        org_id=org_id,
        kind=drafts.DraftKind.FIRST_RESPONSE,
        subject_type="ticket",
        subject_id=ticket_id,
    )
    assert ticket is not None
    assert draft is not None
    return types.OpenTicketPayload(
        ticket=types.Ticket.from_domain(ticket, now=now), draft=Draft.from_domain(draft)
    )


def _opened_detail(ticket: Ticket) -> dict[str, Any]:
    return {
        "priority": ticket.priority.value,
        "matchedKeyword": ticket.classification.matched_keyword,
        "reasonAr": ticket.classification.reason_ar,
    }


@refusals_as_data
async def raise_ticket_priority(info: CtxInfo, input: types.RaiseTicketPriorityInput) -> Any:
    return await _step(
        info, input.id, input.version, "raiseTicketPriority", _escalate(input.priority)
    )


@refusals_as_data
async def escalate_ticket(info: CtxInfo, input: types.EscalateTicketInput) -> Any:
    return await _step(
        info, input.id, input.version, "escalateTicket", _escalate(input.priority, input.note)
    )


def _escalate(requested: tickets.Priority | None, note: str | None = None) -> Change:
    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        tickets.validate_note(note)
        wanted = requested or tickets.one_tier_up(ticket.priority)
        raised = replace(ticket, lifecycle=tickets.escalate(ticket.lifecycle, wanted))
        detail = {"from": ticket.priority.value, "to": raised.priority.value, "note": note}
        return raised, HistoryEvent.ESCALATED, detail

    return change


@refusals_as_data
async def edit_ticket(info: CtxInfo, input: types.EditTicketInput) -> Any:
    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        subject = ticket.subject if input.subject is None else input.subject
        body = ticket.body if input.body is None else input.body
        tickets.validate_text(subject, body)
        classification = tickets.classify(subject, body)
        edited = replace(
            ticket,
            subject=subject,
            body=body,
            classification=classification,
            lifecycle=tickets.reclassify(ticket.lifecycle, classification.priority),
        )
        detail = {"from": ticket.priority.value, **_opened_detail(edited)}
        detail["classifiedPriority"] = classification.priority.value
        return edited, HistoryEvent.EDITED, detail

    return await _step(info, input.id, input.version, "editTicket", change)


@refusals_as_data
async def log_reply(info: CtxInfo, input: types.TicketStepInput) -> Any:
    change = answer(info.context.now, {"via": "reply"})
    return await _step(info, input.id, input.version, "logReply", change)


def answer(at: datetime, detail: dict[str, Any]) -> Change:
    """§2.5 `first_response` at `at`: a reply logged, or a first-response draft marked sent."""

    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        answered = replace(ticket, lifecycle=tickets.record_first_response(ticket.lifecycle, at))
        if answered.lifecycle == ticket.lifecycle:
            return ticket, None, {}  # later replies change nothing (§2.5)
        return answered, HistoryEvent.FIRST_RESPONSE, detail

    return change


@refusals_as_data
async def resolve_ticket(info: CtxInfo, input: types.TicketStepInput) -> Any:
    now = info.context.now

    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        resolved = replace(ticket, lifecycle=tickets.resolve(ticket.lifecycle, now))
        return resolved, HistoryEvent.RESOLVED, {}

    return await _step(info, input.id, input.version, "resolveTicket", change)


@refusals_as_data
async def confirm_ticket_closed(info: CtxInfo, input: types.ConfirmTicketClosedInput) -> Any:
    now = info.context.now

    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        life = tickets.confirm_closed(ticket.lifecycle, input.confirmed_by, now)
        closed = replace(ticket, lifecycle=life)
        return closed, HistoryEvent.CLOSED, {"confirmedBy": life.closed_confirmed_by}

    return await _step(info, input.id, input.version, "confirmTicketClosed", change)


@refusals_as_data
async def reopen_ticket(info: CtxInfo, input: types.TicketStepInput) -> Any:
    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        reopened = replace(ticket, lifecycle=tickets.reopen(ticket.lifecycle))
        return reopened, HistoryEvent.REOPENED, {"from": ticket.lifecycle.status.value}

    return await _step(info, input.id, input.version, "reopenTicket", change)


@refusals_as_data
async def record_ticket_event(info: CtxInfo, input: types.RecordTicketEventInput) -> Any:
    """§2.5 by name: only the SLA events; `opened` happens once, through openTicket."""
    known = {event.value for event in tickets.TicketEvent}
    if input.event not in known:
        raise DomainError(
            "event", ErrorCode.INVALID, f"unknown SLA event; one of {', '.join(sorted(known))}"
        )
    now = info.context.now
    event = tickets.TicketEvent(input.event)
    if event is tickets.TicketEvent.OPENED:
        raise DomainError(
            "event", ErrorCode.INVALID_TRANSITION, "a ticket is opened once, by openTicket"
        )
    if event is tickets.TicketEvent.ESCALATED:
        change = _escalate(input.priority)
    elif event is tickets.TicketEvent.FIRST_RESPONSE:
        change = answer(now, {"via": "reply"})
    else:

        def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
            resolved = replace(ticket, lifecycle=tickets.resolve(ticket.lifecycle, now))
            return resolved, HistoryEvent.RESOLVED, {}

    return await _step(info, input.id, input.version, "recordTicketEvent", change)


async def _step(
    info: CtxInfo, id: strawberry.ID, version: int, action: str, change: Change
) -> types.TicketPayload:
    """One lifecycle step in one transaction: lock, check version, change, flag, save, log."""
    ctx = info.context
    principal = ctx.authorize(Action.WORK_TICKETS, field=action)
    ticket_id = pk_of(id, "Ticket")
    async with ctx.transaction() as session:
        current = await locked(session, principal.org_id, ticket_id)
        if current.version != version:
            raise DomainError(
                "version", ErrorCode.CONFLICT, f"ticket changed: version is {current.version}"
            )
        changed = await apply(session, principal, current, change, ctx.now)
        await _ledger(session, principal, action, current, changed, ctx.now)
    return types.TicketPayload(ticket=types.Ticket.from_domain(changed, now=ctx.now))


async def locked(session: AsyncSession, org_id: int, ticket_id: int) -> Ticket:
    current = await store.get_for_update(session, org_id=org_id, ticket_id=ticket_id)
    if current is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, "no such ticket in your organisation")
    return current


async def apply(
    session: AsyncSession, principal: Principal, current: Ticket, change: Change, now: datetime
) -> Ticket:
    """Run `change` on a locked ticket and save it with its history line (no-op if unchanged)."""
    changed, event, detail = change(current)
    if event is None:
        return current
    changed = replace(changed, version=current.version + 1)
    changed = await _flag_breaches(session, principal.org_id, changed, now)
    await store.save(session, org_id=principal.org_id, ticket=changed, now=now)
    await _history(session, principal, changed, event, detail, now)
    return changed


async def _flag_breaches(
    session: AsyncSession, org_id: int, ticket: Ticket, now: datetime
) -> Ticket:
    """§2.6 after a change: alert each clock that is breached now and was not flagged; clear a
    flag whose clock is no longer breached (its due time moved later)."""
    assert ticket.id is not None
    life = ticket.lifecycle
    clocks = sla.ticket_clocks(
        ticket.priority, life.opened_at, life.first_response_at, life.resolved_at, now
    )
    flags = {}
    for name, clock, flagged in (
        ("first_response", clocks.first_response, ticket.first_response_breached),
        ("resolution", clocks.resolution, ticket.resolution_breached),
    ):
        flags[name] = clock.breached
        if clock.breached and not flagged:
            await alerts.raise_alert(
                session,
                org_id=org_id,
                kind=store.BREACH_KINDS[name],
                subject="Ticket",
                subject_id=ticket.id,
                occurrence=store.occurrence(clock.due_at),
                customer_id=ticket.customer_id,
                for_role=store.alert_role(ticket.priority),
                payload=store.breach_payload(ticket.id, name, ticket.priority, clock.due_at),
                now=now,
            )
    return replace(
        ticket,
        first_response_breached=flags["first_response"],
        resolution_breached=flags["resolution"],
    )


async def _history(
    session: AsyncSession,
    principal: Principal,
    ticket: Ticket,
    event: HistoryEvent,
    detail: dict[str, Any],
    at: datetime,
) -> None:
    assert ticket.id is not None
    await store.add_event(
        session,
        org_id=principal.org_id,
        ticket_id=ticket.id,
        event=event,
        detail=detail,
        operator_id=principal.operator_id,
        at=at,
    )


async def _ledger(
    session: AsyncSession,
    principal: Principal,
    action: str,
    before: Ticket | None,
    after: Ticket,
    now: datetime,
) -> None:
    assert after.id is not None
    await ledger.record(
        session,
        principal=principal,
        action=action,
        entity="Ticket",
        entity_id=after.id,
        before=before,
        after=after,
        now=now,
    )
