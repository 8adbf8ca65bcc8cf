"""Ticket use-cases (docs/rules.md §2): validate → load → domain → save with history and ledger."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from domain import drafts, sla, support_modes, tickets
from domain import text as text_rules
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action, Principal
from domain.tickets import HistoryEvent, Ticket
from resolvers import loaders, pages, playbooks
from resolvers.common import known_customer, refusals_as_data, refusals_as_errors
from resolvers.store import alerts, idempotency, ledger
from resolvers.store import calendars as calendar_store
from resolvers.store import customers as customer_store
from resolvers.store import drafts as draft_store
from resolvers.store import tickets as store
from schema.context import Context
from schema.types import relay
from schema.types import tickets as types
from schema.types.drafts import Draft
from schema.types.relay import Connection, pk_of
from schema.types.sla import SupportPriority

CtxInfo = Info[Context, None]

# What a step does to a ticket: the changed ticket, and the history line it writes (if any).
Change = Callable[[Ticket], tuple[Ticket, HistoryEvent | None, dict[str, Any]]]


@refusals_as_errors
async def list_tickets(
    info: CtxInfo,
    first: Annotated[int | None, strawberry.argument(description=relay.FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=relay.AFTER)] = None,
    filter: Annotated[
        types.TicketFilter | None,
        strawberry.argument(
            description="Narrow the list by status, priority or customer; left out: every ticket."
        ),
    ] = None,
    last: Annotated[int | None, strawberry.argument(description=relay.LAST)] = None,
    before: Annotated[str | None, strawberry.argument(description=relay.BEFORE)] = None,
    order_by: Annotated[
        types.TicketOrder | None,
        strawberry.argument(description="The order; by default newest first (by id)."),
    ] = None,
) -> Connection[types.Ticket]:
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="tickets")
    window = relay.window(
        first=first,
        last=last,
        after=after,
        before=before,
        order="" if order_by is None else f"{order_by.field}_{order_by.direction}",
        parse_key=str if order_by is None else datetime.fromisoformat,
    )
    # By default newest first: descending by id, as before orderings existed.
    descending = order_by is None or order_by.direction is relay.Direction.DESC
    wanted = filter or types.TicketFilter()
    customer_id = (
        None
        if wanted.customer is None
        else await known_customer(ctx, wanted.customer, field="filter.customer")
    )
    where = store.Filter(
        status=wanted.status,
        priority=wanted.priority,
        customer_id=customer_id,
        breached=wanted.breached,
        sla_state=wanted.sla_state,
    )
    async with ctx.db() as conn:
        rows = await store.page(
            conn,
            org_id=principal.org_id,
            filter=where,
            keyset=pages.keyset(window, descending=descending),
            now=ctx.now,
            order=None if order_by is None else order_by.field.value,
        )
        total = (
            await store.count(conn, org_id=principal.org_id, filter=where, now=ctx.now)
            if relay.wants_total(info)
            else None
        )
    return relay.window_connection(
        rows,
        window=window,
        cursor_of=lambda row: pages.cursor_of(window, _pk(row[1]), row[0]),
        build=lambda row: types.Ticket.from_domain(row[1], now=ctx.now),
        total=total,
    )


def _pk(ticket: Ticket) -> int:
    assert ticket.id is not None
    return ticket.id


@refusals_as_errors
async def get_ticket(
    info: CtxInfo,
    id: Annotated[strawberry.ID, strawberry.argument(description="The ticket's global id.")],
) -> types.Ticket:
    ctx = info.context
    ctx.authorize(Action.READ, field="ticket")
    found = await loaders.tickets(ctx).load(pk_of(id, "Ticket"))
    if found is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_TICKET_IN_ORG)
    return types.Ticket.from_domain(found, now=ctx.now)


@refusals_as_errors
async def support_priorities(info: CtxInfo) -> list[SupportPriority]:
    """§2.1: the four tiers, P0 first (like every operation, for a caller with a token)."""
    info.context.authorize(Action.READ, field="supportPriorities")
    return [SupportPriority.from_domain(tier) for tier in tickets.TIERS.values()]


@refusals_as_data
async def open_ticket(
    info: CtxInfo,
    input: Annotated[
        types.OpenTicketInput,
        strawberry.argument(description="The customer, the text and the channel."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WORK_TICKETS, field="openTicket")
    customer_id = pk_of(input.customer, "Customer", field="customer")
    tickets.validate_text(input.subject, input.body)
    classification = tickets.classify(input.subject, input.body)
    async with ctx.transaction() as session:
        once = await idempotency.once(
            session,
            org_id=principal.org_id,
            key=input.idempotency_key,
            operation="openTicket",
            request=input,
            now=ctx.now,
        )
        if once.previous is not None:
            return await _opened(session, principal.org_id, once.previous, ctx.now)
        customer = await customer_store.get_for_update(
            session, org_id=principal.org_id, customer_id=customer_id
        )
        if customer is None:
            raise DomainError("customer", ErrorCode.NOT_FOUND, Msg.NO_SUCH_CUSTOMER)
        calendar = await calendar_store.for_priority(
            session, org_id=principal.org_id, priority=classification.priority
        )
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
                calendar=calendar,
                support_mode=support_modes.detect(input.subject, input.body),
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
        await once.made(ticket.id)
        await _ledger(session, principal, "openTicket", None, ticket, ctx.now)
        await playbooks.flag_text(
            session,
            org_id=principal.org_id,
            customer_id=customer_id,
            ticket_id=ticket.id,
            parts=(input.subject, input.body),
            now=ctx.now,
        )
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
async def raise_ticket_priority(
    info: CtxInfo,
    input: Annotated[
        types.RaiseTicketPriorityInput,
        strawberry.argument(
            description="The ticket, the version you read and the higher priority."
        ),
    ],
) -> Any:
    change = _escalate(input.priority)
    return await _step(info, input.id, input.version, "raiseTicketPriority", change, redraft=True)


@refusals_as_data
async def escalate_ticket(
    info: CtxInfo,
    input: Annotated[
        types.EscalateTicketInput,
        strawberry.argument(
            description="The ticket, the version you read, and optionally the priority and a note."
        ),
    ],
) -> Any:
    change = _escalate(input.priority, input.note)
    return await _step(info, input.id, input.version, "escalateTicket", change, redraft=True)


def _escalate(requested: tickets.Priority | None, note: str | None = None) -> Change:
    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        tickets.validate_note(note)
        wanted = requested or tickets.one_tier_up(ticket.priority)
        raised = replace(ticket, lifecycle=tickets.escalate(ticket.lifecycle, wanted))
        detail = {"from": ticket.priority.value, "to": raised.priority.value, "note": note}
        return raised, HistoryEvent.ESCALATED, detail

    return change


@refusals_as_data
async def edit_ticket(
    info: CtxInfo,
    input: Annotated[
        types.EditTicketInput,
        strawberry.argument(description="The ticket, the version you read and the new text."),
    ],
) -> Any:
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
            support_mode=ticket.support_mode
            if ticket.support_mode is not None
            and ticket.support_mode.set_by is support_modes.SetBy.OPERATOR
            else support_modes.detect(subject, body),
        )
        detail = {"from": ticket.priority.value, **_opened_detail(edited)}
        detail["classifiedPriority"] = classification.priority.value
        return edited, HistoryEvent.EDITED, detail

    return await _step(
        info, input.id, input.version, "editTicket", change, redraft=True, red_flags=True
    )


@refusals_as_data
async def set_ticket_support_mode(
    info: CtxInfo,
    input: Annotated[
        types.SetTicketSupportModeInput,
        strawberry.argument(description="The ticket, the version you read, and the mode."),
    ],
) -> Any:
    """§7: an operator sets (or clears) the ticket's support mode; its first-response due time
    becomes the earlier of the tier's and the mode's."""

    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        chosen = None if input.mode is None else support_modes.chosen(input.mode)
        was = None if ticket.support_mode is None else ticket.support_mode.mode.value
        detail = {"from": was, "to": None if chosen is None else chosen.mode.value}
        return replace(ticket, support_mode=chosen), HistoryEvent.SUPPORT_MODE_SET, detail

    return await _step(info, input.id, input.version, "setTicketSupportMode", change)


@refusals_as_data
async def log_reply(
    info: CtxInfo,
    input: Annotated[
        types.TicketStepInput,
        strawberry.argument(
            description="The ticket, the version you read, `at` if backdated, and the text."
        ),
    ],
) -> Any:
    """§2.5 a reply sent; with its text, kept in the history and read for §8.2's text flags (a
    later reply, which changes no clock, is then a `replied` history line)."""
    reply = _reply_text(input)
    first = answer(input.at or info.context.now, _with_text({"via": "reply"}, reply))

    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        changed, event, detail = first(ticket)
        if event is None and reply is not None:
            return ticket, HistoryEvent.REPLIED, {"text": reply}
        return changed, event, detail

    return await _step(
        info, input.id, input.version, "logReply", change, at=input.at, reply_text=reply
    )


def _reply_text(input: types.TicketStepInput) -> str | None:
    """A logged reply's text: bounded like a body; a blank one is no text."""
    tickets.validate_reply_text(input.text)
    return None if input.text is None or text_rules.blank(input.text) else input.text


def _with_text(detail: dict[str, Any], reply: str | None) -> dict[str, Any]:
    return detail if reply is None else {**detail, "text": reply}


def _no_text(input: types.TicketStepInput) -> None:
    if input.text is not None:
        raise DomainError("text", ErrorCode.INVALID, Msg.TEXT_ONLY_FOR_REPLIES)


def answer(at: datetime, detail: dict[str, Any]) -> Change:
    """§2.5 `first_response` at `at`: a reply logged, or a first-response draft marked sent."""

    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        answered = replace(ticket, lifecycle=tickets.record_first_response(ticket.lifecycle, at))
        if answered.lifecycle == ticket.lifecycle:
            return ticket, None, {}  # later replies change nothing (§2.5)
        return answered, HistoryEvent.FIRST_RESPONSE, detail

    return change


@refusals_as_data
async def resolve_ticket(
    info: CtxInfo,
    input: Annotated[
        types.TicketStepInput,
        strawberry.argument(description="The ticket, the version you read, and `at` if backdated."),
    ],
) -> Any:
    now = input.at or info.context.now

    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        resolved = replace(ticket, lifecycle=tickets.resolve(ticket.lifecycle, now))
        return resolved, HistoryEvent.RESOLVED, {}

    _no_text(input)
    return await _step(info, input.id, input.version, "resolveTicket", change, at=input.at)


@refusals_as_data
async def await_customer(
    info: CtxInfo,
    input: Annotated[
        types.TicketStepInput,
        strawberry.argument(description="The ticket and the version you read."),
    ],
) -> Any:
    """§7 pause: the ticket waits on the customer; its resolution clock stops."""
    now = info.context.now

    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        waiting = replace(ticket, lifecycle=tickets.await_customer(ticket.lifecycle, now))
        return waiting, HistoryEvent.AWAITING_CUSTOMER, {}

    _no_backdating(input)
    _no_text(input)
    return await _step(info, input.id, input.version, "awaitCustomer", change)


@refusals_as_data
async def log_customer_reply(
    info: CtxInfo,
    input: Annotated[
        types.TicketStepInput,
        strawberry.argument(description="The ticket, the version you read, and the reply's text."),
    ],
) -> Any:
    """§7 resume: the customer's reply restarts the resolution clock; the history line says
    how much working time the pause held (the due time moved by it) and keeps the reply's text,
    read for §8.2's text flags."""
    now = info.context.now
    reply = _reply_text(input)

    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        life = tickets.customer_replied(ticket.lifecycle, now)
        pause = life.pauses[-1]
        assert pause.end is not None
        held = sla.worked(pause.start, pause.end, ticket.calendar or sla.TWENTY_FOUR_SEVEN)
        detail = {"pausedFrom": pause.start.isoformat(), "pausedMinutes": held.total_seconds() / 60}
        detail = _with_text(detail, reply)
        return replace(ticket, lifecycle=life), HistoryEvent.CUSTOMER_REPLIED, detail

    _no_backdating(input)
    return await _step(info, input.id, input.version, "logCustomerReply", change, reply_text=reply)


@refusals_as_data
async def confirm_ticket_closed(
    info: CtxInfo,
    input: Annotated[
        types.ConfirmTicketClosedInput,
        strawberry.argument(description="The ticket, the version you read and who confirmed."),
    ],
) -> Any:
    now = info.context.now

    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        life = tickets.confirm_closed(ticket.lifecycle, input.confirmed_by, now)
        closed = replace(ticket, lifecycle=life)
        return closed, HistoryEvent.CLOSED, {"confirmedBy": life.closed_confirmed_by}

    return await _step(info, input.id, input.version, "confirmTicketClosed", change)


@refusals_as_data
async def reopen_ticket(
    info: CtxInfo,
    input: Annotated[
        types.TicketStepInput,
        strawberry.argument(description="The ticket and the version you read."),
    ],
) -> Any:
    def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        reopened = replace(ticket, lifecycle=tickets.reopen(ticket.lifecycle))
        return reopened, HistoryEvent.REOPENED, {"from": ticket.lifecycle.status.value}

    _no_backdating(input)
    _no_text(input)
    return await _step(info, input.id, input.version, "reopenTicket", change)


@refusals_as_data
async def record_ticket_event(
    info: CtxInfo,
    input: Annotated[
        types.RecordTicketEventInput,
        strawberry.argument(description="The ticket, the version you read and the event's name."),
    ],
) -> Any:
    """§2.5 by name: only the SLA events; `opened` happens once, through openTicket."""
    known = {event.value for event in tickets.TicketEvent}
    if input.event not in known:
        raise DomainError(
            "event", ErrorCode.INVALID, Msg.UNKNOWN_SLA_EVENT, known=", ".join(sorted(known))
        )
    now = input.at or info.context.now
    event = tickets.TicketEvent(input.event)
    if event is tickets.TicketEvent.OPENED:
        raise DomainError("event", ErrorCode.INVALID_TRANSITION, Msg.OPENED_ONCE)
    redraft = event is tickets.TicketEvent.ESCALATED
    if redraft and input.at is not None:
        raise DomainError("at", ErrorCode.INVALID, Msg.AT_ONLY_FOR_STEPS)
    if redraft:
        change = _escalate(input.priority)
    elif event is tickets.TicketEvent.FIRST_RESPONSE:
        change = answer(now, {"via": "reply"})
    else:

        def change(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
            resolved = replace(ticket, lifecycle=tickets.resolve(ticket.lifecycle, now))
            return resolved, HistoryEvent.RESOLVED, {}

    return await _step(
        info, input.id, input.version, "recordTicketEvent", change, redraft=redraft, at=input.at
    )


async def _step(
    info: CtxInfo,
    id: strawberry.ID,
    version: int,
    action: str,
    change: Change,
    *,
    redraft: bool = False,
    at: datetime | None = None,
    red_flags: bool = False,
    reply_text: str | None = None,
) -> types.TicketPayload:
    """One lifecycle step in one transaction: lock, check version, change, flag, save, log.

    With `at` (history import), the step happened then: owners and managers only, not in the
    future, not before the ticket's last recorded event; its history line is dated `at` and
    its ledger row says it was backdated.

    With `redraft` (the steps that can change the priority), a first-response draft still
    awaiting approval is rewritten for the new priority (§2.4) in the same transaction. With
    `red_flags` (an edit), the new text is matched for §8.2's text flags; so is `reply_text`
    (a logged reply's)."""
    ctx = info.context
    principal = ctx.authorize(Action.WORK_TICKETS, field=action)
    if at is not None:
        ctx.authorize(Action.BACKDATE_EVENTS, field="at")
    ticket_id = pk_of(id, "Ticket")
    async with ctx.transaction() as session:
        # The draft is locked before the ticket, in the order markDraftSent locks them.
        pending = await _pending_first_response(session, principal.org_id, ticket_id, redraft)
        current = await locked(session, principal.org_id, ticket_id)
        if current.version != version:
            raise DomainError(
                "version", ErrorCode.CONFLICT, Msg.TICKET_CHANGED, current=current.version
            )
        if at is not None:
            last = await store.last_event_at(session, org_id=principal.org_id, ticket_id=ticket_id)
            tickets.backdated(at, ctx.now, last)
        if pending is not None:
            change = _noting_rewrite(change, pending.id)
        changed = await apply(session, principal, current, change, ctx.now, event_at=at)
        if pending is not None and changed.priority is not current.priority:
            rewritten = await _rewrite_first_response(session, principal.org_id, pending, changed)
            # Still one ledger row for the mutation: the ticket, with the draft it rewrote.
            await _ledger(
                session,
                principal,
                action,
                {**_snapshot(current), "firstResponseDraft": ledger.snapshot(pending)},
                {**_snapshot(changed), "firstResponseDraft": ledger.snapshot(rewritten)},
                ctx.now,
                ticket_id=ticket_id,
            )
        elif at is not None:
            after = {**_snapshot(changed), "backdatedTo": at.isoformat()}
            await _ledger(session, principal, action, current, after, ctx.now, ticket_id=ticket_id)
        else:
            await _ledger(session, principal, action, current, changed, ctx.now)
        parts = (changed.subject, changed.body) if red_flags else ()
        if reply_text is not None:
            parts = (*parts, reply_text)
        if parts:
            await playbooks.flag_text(
                session,
                org_id=principal.org_id,
                customer_id=changed.customer_id,
                ticket_id=ticket_id,
                parts=parts,
                now=ctx.now,
            )
    return types.TicketPayload(ticket=types.Ticket.from_domain(changed, now=ctx.now))


def _noting_rewrite(change: Change, draft_id: int) -> Change:
    """`change`, whose history line also names the pending draft when the priority moves."""

    def noted(ticket: Ticket) -> tuple[Ticket, HistoryEvent | None, dict[str, Any]]:
        changed, event, detail = change(ticket)
        if event is not None and changed.priority is not ticket.priority:
            detail = {**detail, "firstResponseDraftRewritten": draft_id}
        return changed, event, detail

    return noted


async def _pending_first_response(
    session: AsyncSession, org_id: int, ticket_id: int, wanted: bool
) -> drafts.Draft | None:
    """The ticket's first-response draft, locked, if it still awaits approval."""
    if not wanted:
        return None
    latest = await draft_store.latest_for_subject(
        session,
        org_id=org_id,
        kind=drafts.DraftKind.FIRST_RESPONSE,
        subject_type="ticket",
        subject_id=ticket_id,
    )
    if latest is None or latest.status is not drafts.DraftStatus.DRAFT:
        return None
    found = await draft_store.get_for_update(session, org_id=org_id, draft_id=latest.id)
    # Re-read under the lock: a concurrent approval may have decided it meanwhile.
    return found if found is not None and found.status is drafts.DraftStatus.DRAFT else None


async def _rewrite_first_response(
    session: AsyncSession, org_id: int, draft: drafts.Draft, ticket: Ticket
) -> drafts.Draft:
    """§2.4: an unapproved first response promises the current priority's times, in the locale
    it was written in; the draft's version moves so an approval of the old text conflicts."""
    body = tickets.first_response_draft(ticket.priority, draft.locale)
    rewritten = replace(draft, body=body, version=draft.version + 1)
    await draft_store.save(session, org_id=org_id, draft=rewritten)
    return rewritten


def _no_backdating(input: types.TicketStepInput) -> None:
    if input.at is not None:
        raise DomainError("at", ErrorCode.INVALID, Msg.AT_ONLY_FOR_REPLY_RESOLVE)


def _snapshot(ticket: Ticket) -> dict[str, Any]:
    """The ticket for the ledger; its calendar by name (24/7 when it has none)."""
    found = ledger.snapshot(replace(ticket, calendar=None))
    assert found is not None
    found["calendar"] = "24/7" if ticket.calendar is None else ticket.calendar.name
    return found


async def locked(session: AsyncSession, org_id: int, ticket_id: int) -> Ticket:
    current = await store.get_for_update(session, org_id=org_id, ticket_id=ticket_id)
    if current is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_TICKET_IN_ORG)
    return current


async def apply(
    session: AsyncSession,
    principal: Principal,
    current: Ticket,
    change: Change,
    now: datetime,
    *,
    event_at: datetime | None = None,
) -> Ticket:
    """Run `change` on a locked ticket and save it with its history line (no-op if unchanged)."""
    changed, event, detail = change(current)
    if event is None:
        return current
    if changed.priority is not current.priority:
        # §7: the clocks count in the calendar of the raised priority.
        calendar = await calendar_store.for_priority(
            session, org_id=principal.org_id, priority=changed.priority
        )
        changed = replace(changed, calendar=calendar)
    changed = replace(changed, version=current.version + 1)
    changed = await _flag_breaches(session, principal.org_id, changed, now)
    await store.save(session, org_id=principal.org_id, ticket=changed, now=now)
    if event_at is not None:
        detail = {**detail, "backdated": True, "recordedAt": now.isoformat()}
    await _history(session, principal, changed, event, detail, event_at or now)
    return changed


async def _flag_breaches(
    session: AsyncSession, org_id: int, ticket: Ticket, now: datetime
) -> Ticket:
    """§2.6 after a change: alert each clock that is breached now and was not flagged; clear a
    flag whose clock is no longer breached (its due time moved later)."""
    assert ticket.id is not None
    life = ticket.lifecycle
    clocks = sla.ticket_clocks(
        ticket.priority,
        life.opened_at,
        life.first_response_at,
        life.resolved_at,
        now,
        ticket.calendar or sla.TWENTY_FOUR_SEVEN,
        life.pauses,
        sla.ticket_first_response_minutes(ticket),
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
                payload=store.breach_payload(ticket.priority),
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
    before: Ticket | dict[str, Any] | None,
    after: Ticket | dict[str, Any],
    now: datetime,
    *,
    ticket_id: int | None = None,
) -> None:
    """The mutation's one ledger row about the ticket (`ticket_id` when `after` is a dict)."""
    entity_id = after.id if isinstance(after, Ticket) else ticket_id
    assert entity_id is not None
    before = _snapshot(before) if isinstance(before, Ticket) else before
    after = _snapshot(after) if isinstance(after, Ticket) else after
    await ledger.record(
        session,
        principal=principal,
        action=action,
        entity="Ticket",
        entity_id=entity_id,
        before=before,
        after=after,
        now=now,
    )
