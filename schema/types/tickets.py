"""What a client sees of support tickets (docs/rules.md §2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import strawberry

from domain import sla, support_modes, tickets
from domain.errors import DomainError
from schema.types import compiling, errors, on_read, relations
from schema.types.customers import Customer
from schema.types.drafts import Draft
from schema.types.on_read import PENDING
from schema.types.relay import (
    Connection,
    Direction,
    Node,
    PageArgs,
    connection,
    page_args,
    to_global_id,
)
from schema.types.sla import TicketSla

TicketStatus = strawberry.enum(
    tickets.TicketStatus,
    description="open → resolved → closed; waiting_on_customer pauses the resolution clock (§7).",
)
Channel = strawberry.enum(tickets.Channel, name="TicketChannel", description="Where it came from.")
HistoryEvent = strawberry.enum(
    tickets.HistoryEvent, name="TicketHistoryEvent", description="What a history line records."
)

SupportMode = strawberry.enum(
    support_modes.SupportMode,
    description="A ticket's support mode (§7): a first-response target on top of the tier's.",
)
SupportModeSetBy = strawberry.enum(
    support_modes.SetBy, description="Whether the text or an operator chose the support mode."
)


@strawberry.type(description="A ticket's support mode and why (§7).")
class TicketSupportMode:
    mode: support_modes.SupportMode = strawberry.field(description="The support mode (§7).")
    reason: str = strawberry.field(description="The matched keyword, or that an operator chose.")
    set_by: support_modes.SetBy = strawberry.field(
        description="DETECTED from the text, or chosen by an OPERATOR."
    )
    target_minutes: int | None = strawberry.field(
        description="The mode's first-response target; null: by the end of the same working day."
    )

    @classmethod
    def from_domain(cls, value: support_modes.Detected) -> TicketSupportMode:
        return cls(
            mode=value.mode,
            reason=value.reason,
            set_by=value.set_by,
            target_minutes=support_modes.TARGET_MINUTES[value.mode],
        )


# Relation names the resolvers layer provides loaders for (schema.types.relations).
CUSTOMERS = "customers"
FIRST_RESPONSE_DRAFT = "ticket.firstResponseDraft"
HISTORY = "ticket.history"
CUSTOMER_TICKETS = "customer.tickets"


@strawberry.type(description="One line of a ticket's history (§2.3, §2.5).")
class TicketHistoryEntry:
    event: tickets.HistoryEvent = strawberry.field(description="What happened.")
    sla_event: bool = strawberry.field(
        description="True for the four SLA events: opened, first_response, resolved, escalated."
    )
    detail: str = strawberry.field(description="What changed, as a JSON object.")
    operator_id: strawberry.ID | None = strawberry.field(
        description="The operator who did it; null for the system."
    )
    at: datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_domain(cls, entry: tickets.HistoryEntry) -> TicketHistoryEntry:
        return cls(
            event=entry.event,
            sla_event=entry.event.is_sla_event,
            detail=json.dumps(dict(entry.detail), ensure_ascii=False, sort_keys=True),
            operator_id=None
            if entry.operator_id is None
            else to_global_id("Operator", entry.operator_id),
            at=entry.at,
        )


async def _customer(root: Ticket, info: strawberry.Info) -> Customer | None:
    found = await relations.loader(info.context, CUSTOMERS).load(root.customer_pk)
    return None if found is None else Customer.from_domain(found)


async def _first_response_draft(root: Ticket, info: strawberry.Info) -> Draft | None:
    found = await relations.loader(info.context, FIRST_RESPONSE_DRAFT).load(root.pk)
    return None if found is None else Draft.from_domain(found)


async def _history(root: Ticket, info: strawberry.Info) -> list[TicketHistoryEntry]:
    entries = await relations.loader(info.context, HISTORY).load(root.pk)
    return [TicketHistoryEntry.from_domain(entry) for entry in entries]


@strawberry.type(description="A customer's support request, classified from its text (§2).")
class Ticket(Node):
    pk: strawberry.Private[int]
    customer_pk: strawberry.Private[int]
    version: int = strawberry.field(description="Pass it back on update; it moves on every change.")
    subject: str = strawberry.field(description="At most 120 characters.")
    body: str = strawberry.field(description="At most 10,000 characters.")
    channel: tickets.Channel = strawberry.field(description="Where the request came in.")
    priority: tickets.Priority = strawberry.field(
        description="The current priority: the higher of classification and any raise (§2.3)."
    )
    classified_priority: tickets.Priority = strawberry.field(
        description="What the text gave (§2.2): the floor."
    )
    manual_priority: tickets.Priority | None = strawberry.field(
        description=(
            "An operator's raise above the classification; null if none (docs/rules.md §2.3)."
        )
    )
    matched_keyword: str | None = strawberry.field(
        description="The keyword that set the priority; null for P3 (docs/rules.md §2.2)."
    )
    reason_ar: str = strawberry.field(
        description="Why it got its classified priority, in Arabic (docs/rules.md §2.2)."
    )
    status: tickets.TicketStatus = strawberry.field(
        description="open → resolved → closed; a reopened ticket is open again."
    )
    opened_at: datetime = strawberry.field(
        description="When it was opened; both clocks count from here."
    )
    first_response_at: datetime | None = strawberry.field(
        description="When the first reply went out; null before (docs/rules.md §2.5)."
    )
    resolved_at: datetime | None = strawberry.field(
        description="When it was last resolved; null while open."
    )
    closed_at: datetime | None = strawberry.field(
        description="When the customer's confirmation closed it; null before."
    )
    closed_confirmed_by: str | None = strawberry.field(
        description="Who at the customer confirmed the ticket is solved."
    )
    # Computed on first read (see below): most reads select no clock.
    first_response_due_at: datetime = strawberry.field(
        description="The first-response deadline in the priority's working time (§7).",
        default=PENDING,
    )
    resolution_due_at: datetime = strawberry.field(
        description="The resolution deadline, moved later by pauses; while the customer is "
        "awaited, the deadline if they replied now (§7).",
        default=PENDING,
    )
    sla: TicketSla = strawberry.field(
        description="Both clocks, at the request's time.", default=PENDING
    )
    support_mode: TicketSupportMode | None = strawberry.field(
        description="Detected from the text or set by an operator; the earlier of the tier's "
        "and the mode's first-response due times counts (§7)."
    )

    source: strawberry.Private[tickets.Ticket]
    now: strawberry.Private[datetime]

    @classmethod
    def from_domain(cls, value: tickets.Ticket, *, now: datetime) -> Ticket:
        """The ticket at `now`; its clocks are worked out only if a query reads them."""
        assert value.id is not None
        life = value.lifecycle
        return cls(
            source=value,
            now=now,
            id=to_global_id("Ticket", value.id),
            pk=value.id,
            customer_pk=value.customer_id,
            version=value.version,
            subject=value.subject,
            body=value.body,
            channel=value.channel,
            priority=value.priority,
            classified_priority=value.classification.priority,
            manual_priority=life.manual_raise,
            matched_keyword=value.classification.matched_keyword,
            reason_ar=value.classification.reason_ar,
            status=life.status,
            opened_at=life.opened_at,
            first_response_at=life.first_response_at,
            resolved_at=life.resolved_at,
            closed_at=life.closed_at,
            closed_confirmed_by=life.closed_confirmed_by,
            support_mode=None
            if value.support_mode is None
            else TicketSupportMode.from_domain(value.support_mode),
        )

    customer: Customer | None = strawberry.field(resolver=_customer, description="Who wrote in.")
    first_response_draft: Draft | None = strawberry.field(
        resolver=_first_response_draft,
        description="The first-response draft made when the ticket opened (§2.4).",
    )
    history: list[TicketHistoryEntry] = strawberry.field(
        resolver=_history, description="Every lifecycle step and priority change, oldest first."
    )


def _calendar(ticket: tickets.Ticket) -> sla.Counting:
    return ticket.calendar or sla.TWENTY_FOUR_SEVEN


def _clocks(root: Ticket) -> TicketSla:
    value = root.source
    return TicketSla.build(
        value.priority,
        value.lifecycle,
        root.now,
        _calendar(value),
        sla.ticket_first_response_minutes(value),
    )


def _first_response_due_at(root: Ticket) -> datetime:
    # The first-response clock's due time without its clock (it never pauses, so it does not
    # depend on the request's time): the same `due_at` the clock takes, in UTC as it gives it.
    value = root.source
    calendar = _calendar(value)
    minutes = sla.ticket_first_response_minutes(value)
    return sla.due_at(value.lifecycle.opened_at, minutes, calendar).astimezone(UTC)


# A dashboard of 250 tickets selecting neither clock built 500 clocks for nothing.
on_read.computed_on_read(
    Ticket,
    sla=_clocks,
    first_response_due_at=_first_response_due_at,
    resolution_due_at=lambda root: root.sla.resolution.due_at,
)


def _page(first: int | None, after: str | None) -> PageArgs:
    try:
        return page_args(first, after)
    except DomainError as error:
        raise errors.as_graphql_error(error) from None


async def of_customer(
    info: strawberry.Info, customer_pk: int, *, first: int | None, after: str | None
) -> Connection[Ticket]:
    """`Customer.tickets`: one customer's tickets, newest first, batched over a page."""
    page = _page(first, after)
    found = await relations.loader(info.context, CUSTOMER_TICKETS).load(
        (customer_pk, page.after, page.first)
    )
    now = info.context.now
    return connection(
        found,
        first=page.first,
        after=page.after,
        total=await relations.total(info, CUSTOMER_TICKETS, customer_pk),
        key=_pk,
        build=lambda t: Ticket.from_domain(t, now=now),
    )


def _pk(ticket: tickets.Ticket) -> int:
    assert ticket.id is not None
    return ticket.id


# The compiled read path (schema/types/compiling.py): the stored fields, and the list. The
# due times are stored with the priority they follow; the clocks (`sla`, and the resolution due
# time a pause moves) are computed from what `from_domain` builds them from (resolvers/compiled.py).
_DATETIME = compiling.Kind.DATETIME
_CLOCK_INPUTS = (
    compiling.column("status"),
    compiling.column("classified_priority"),
    compiling.column("manual_priority"),
    compiling.column("opened_at", _DATETIME),
    compiling.column("first_response_at", _DATETIME),
    compiling.column("resolved_at", _DATETIME),
    compiling.column("pauses"),
    compiling.column("support_mode"),
    compiling.column("support_mode_reason"),
    compiling.column("support_mode_set_by"),
    compiling.column("calendar", compiling.Kind.CALENDAR),
)
compiling.register(
    "Ticket",
    {
        "id": compiling.GlobalId("Ticket"),
        "version": compiling.column("version"),
        "subject": compiling.column("subject"),
        "body": compiling.column("body"),
        "channel": compiling.enum("channel", tickets.Channel),
        "priority": compiling.enum("priority", tickets.Priority),
        "classifiedPriority": compiling.enum("classified_priority", tickets.Priority),
        "manualPriority": compiling.enum("manual_priority", tickets.Priority),
        "matchedKeyword": compiling.column("matched_keyword"),
        "reasonAr": compiling.column("reason_ar"),
        "status": compiling.enum("status", tickets.TicketStatus),
        "openedAt": compiling.column("opened_at", _DATETIME),
        "firstResponseAt": compiling.column("first_response_at", _DATETIME),
        "resolvedAt": compiling.column("resolved_at", _DATETIME),
        "closedAt": compiling.column("closed_at", _DATETIME),
        "closedConfirmedBy": compiling.column("closed_confirmed_by"),
        "firstResponseDueAt": compiling.column("first_response_due_at", _DATETIME),
        # Computed, not stored: while a ticket waits on the customer its stored due time is
        # empty and the API shows the due time as if they replied now (§7).
        "resolutionDueAt": compiling.Computed("Ticket.resolutionDueAt", _CLOCK_INPUTS),
        "sla": compiling.Computed("Ticket.sla", _CLOCK_INPUTS),
    },
    table="tickets",
)
compiling.register_root("tickets", compiling.Source("tickets", "Ticket", descending=True))


class TicketOrderField(StrEnum):
    """What the tickets list can be ordered by."""

    FIRST_RESPONSE_DUE_AT = "FIRST_RESPONSE_DUE_AT"
    RESOLUTION_DUE_AT = "RESOLUTION_DUE_AT"
    OPENED_AT = "OPENED_AT"


strawberry.enum(
    TicketOrderField,
    description="A ticket's due times (§2.1: first response, resolution) or when it opened.",
)


@strawberry.input(description="An order for the tickets list; ties are broken by id.")
class TicketOrder:
    field: TicketOrderField = strawberry.field(description="The sort key.")
    direction: Direction = strawberry.field(
        default=Direction.ASC, description="ASC: earliest first (default); DESC: latest first."
    )


@strawberry.input(description="Filters for the tickets list; all are optional and combine.")
class TicketFilter:
    status: tickets.TicketStatus | None = strawberry.field(
        default=None, description="Only tickets in this status."
    )
    priority: tickets.Priority | None = strawberry.field(
        default=None, description="Only tickets of this (current) priority."
    )
    customer: strawberry.ID | None = strawberry.field(
        default=None, description="Only this customer's tickets (a global id)."
    )
    breached: bool | None = strawberry.field(
        default=None, description="Any clock breached at the request's time."
    )
    sla_state: sla.ClockState | None = strawberry.field(
        default=None, description="The ticket's worst clock: BREACHED > AT_RISK > ON_TRACK > MET."
    )


@strawberry.input(description="A new ticket; its priority comes from its text (§2.2).")
class OpenTicketInput:
    customer: strawberry.ID = strawberry.field(description="The customer's global id.")
    subject: str = strawberry.field(
        description="At most 120 characters; read by the classifier (docs/rules.md §2.2)."
    )
    body: str = strawberry.field(description="At most 10,000 characters; read by the classifier.")
    channel: tickets.Channel = strawberry.field(
        default=tickets.Channel.EMAIL, description="Where the request came in."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeat with the same key returns the first result."
    )


@strawberry.input(description="Raise a ticket's priority; never below what it is (§2.3).")
class RaiseTicketPriorityInput:
    id: strawberry.ID = strawberry.field(description="The ticket's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    priority: tickets.Priority = strawberry.field(
        description="The new priority, at or above the current one (docs/rules.md §2.3)."
    )


@strawberry.input(description="Change a ticket's text; it is classified again (§2.3).")
class EditTicketInput:
    id: strawberry.ID = strawberry.field(description="The ticket's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    subject: str | None = strawberry.field(
        default=None, description="New subject, at most 120 characters."
    )
    body: str | None = strawberry.field(
        default=None, description="New body, at most 10,000 characters."
    )


@strawberry.input(description="A ticket and the version you read.")
class TicketStepInput:
    id: strawberry.ID = strawberry.field(description="The ticket's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    at: datetime | None = strawberry.field(
        default=None,
        description="logReply and resolveTicket only, for importing history: when it really "
        "happened (owners and managers; not in the future, not before the ticket's last "
        "recorded event). Recorded as backdated.",
    )
    text: str | None = strawberry.field(
        default=None,
        description="logReply and logCustomerReply only: the reply's text, at most 10,000 "
        "characters; kept in the ticket's history and read for red flags (docs/rules.md §8.2).",
    )


@strawberry.input(description="Close a resolved ticket with the customer's confirmation (§2.5).")
class ConfirmTicketClosedInput:
    id: strawberry.ID = strawberry.field(description="The resolved ticket's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    confirmed_by: str = strawberry.field(description="Who at the customer confirmed it.")


@strawberry.input(description="Escalate an open ticket (§2.5); by default one tier up.")
class EscalateTicketInput:
    id: strawberry.ID = strawberry.field(description="The open ticket's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    priority: tickets.Priority | None = strawberry.field(
        default=None, description="The priority to raise to; left out: one tier up."
    )
    note: str | None = strawberry.field(
        default=None, description="Why, kept in the ticket's history (at most 10,000 characters)."
    )


@strawberry.input(
    description="Record an SLA event by name (§2.5): first_response, resolved, escalated."
)
class RecordTicketEventInput:
    id: strawberry.ID = strawberry.field(description="The ticket's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    event: str = strawberry.field(
        description="first_response, resolved or escalated (docs/rules.md §2.5)."
    )
    priority: tickets.Priority | None = strawberry.field(
        default=None, description="For `escalated`: the priority to raise to."
    )
    at: datetime | None = strawberry.field(
        default=None,
        description="For `first_response` and `resolved`, when importing history: when it "
        "really happened (owners and managers; not in the future, not before the ticket's "
        "last recorded event). Recorded as backdated.",
    )


@strawberry.input(description="Set a ticket's support mode, or clear it (§7).")
class SetTicketSupportModeInput:
    id: strawberry.ID = strawberry.field(description="The ticket's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    mode: support_modes.SupportMode | None = strawberry.field(
        default=None, description="null clears it; editing the text detects it again."
    )


@strawberry.type(description="The ticket as it is after the mutation.")
class TicketPayload:
    ticket: Ticket = strawberry.field(description="The ticket as it is now.")


@strawberry.type(description="The new ticket and its first-response draft awaiting approval.")
class OpenTicketPayload:
    ticket: Ticket = strawberry.field(description="The new ticket, classified.")
    draft: Draft = strawberry.field(
        description="Its first-response draft, awaiting approval (docs/rules.md §2.4)."
    )


TicketResult = Annotated[
    TicketPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("TicketResult", description="The ticket, or why the step was refused."),
]

OpenTicketResult = Annotated[
    OpenTicketPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("OpenTicketResult", description="The new ticket, or why it was refused."),
]
