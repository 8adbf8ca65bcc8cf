"""What a client sees of incidents (docs/rules.md §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from domain import drafts, incidents
from domain.errors import DomainError
from domain.roles import Action
from domain.tickets import Channel
from schema.types import errors, relations
from schema.types.customers import Customer
from schema.types.ledger import LedgerEntry
from schema.types.relay import (
    Connection,
    Node,
    PageAfter,
    PageArgs,
    PageFirst,
    connection,
    page_args,
    to_global_id,
)
from schema.types.tickets import Ticket

Severity = strawberry.enum(incidents.Severity, description="Incident severity (docs/rules.md §3).")
IncidentStatus = strawberry.enum(
    incidents.IncidentStatus, description="open → mitigated → resolved → closed (docs/rules.md §3)."
)

# Relation names the resolvers layer provides loaders for (schema.types.relations).
STEPS = "incident.steps"
AFFECTED_CUSTOMER_IDS = "incident.affectedCustomerIds"
TIMELINE = "incident.timeline"
TICKET_IDS = "incident.ticketIds"
CUSTOMER_INCIDENTS = "customer.incidents"
CUSTOMERS = "customers"
TICKETS = "tickets"


@strawberry.type(description="One response-plan step, ticked off with who and when.")
class ResponseStep:
    position: int = strawberry.field(description="1-based place in the plan.")
    text_ar: str = strawberry.field(description="The step, in Arabic (docs/rules.md §3).")
    done: bool = strawberry.field(description="The step is ticked.")
    done_at: datetime | None = strawberry.field(description="When it was ticked; null while not.")
    done_by: strawberry.ID | None = strawberry.field(description="The operator who ticked it.")

    @classmethod
    def from_store(cls, step: Any) -> ResponseStep:
        return cls(
            position=step.position,
            text_ar=step.text_ar,
            done=step.done_at is not None,
            done_at=step.done_at,
            done_by=None if step.done_by is None else to_global_id("Operator", step.done_by),
        )


@strawberry.type(description="The post-mortem, its eight fields in the order of docs/rules.md §3.")
class PostMortem:
    summary: str = strawberry.field(description="What happened, in short.")
    timeline: str = strawberry.field(description="What happened when.")
    root_cause: str = strawberry.field(description="Why it happened.")
    what_went_right: str = strawberry.field(description="What worked in the response.")
    what_went_wrong: str = strawberry.field(description="What did not.")
    preventive_actions: list[str] = strawberry.field(
        description="What will stop it happening again, one item each."
    )
    action_owners: list[str] = strawberry.field(
        description="The owner of each preventive action, in the same order."
    )
    deadline: datetime = strawberry.field(description="When the preventive actions are due.")

    @classmethod
    def from_domain(cls, value: incidents.PostMortem) -> PostMortem:
        return cls(
            summary=value.summary,
            timeline=value.timeline,
            root_cause=value.root_cause,
            what_went_right=value.what_went_right,
            what_went_wrong=value.what_went_wrong,
            preventive_actions=list(value.preventive_actions),
            action_owners=list(value.action_owners),
            deadline=value.deadline,
        )


def _page(first: int | None, after: str | None) -> PageArgs:
    try:
        return page_args(first, after)
    except DomainError as error:
        raise errors.as_graphql_error(error) from None


async def _response_plan(root: Incident, info: strawberry.Info) -> list[ResponseStep]:
    steps = await relations.loader(info.context, STEPS).load(root.pk)
    return [ResponseStep.from_store(step) for step in steps]


async def _affected_customers(
    root: Incident,
    info: strawberry.Info,
    first: PageFirst = None,
    after: PageAfter = None,
) -> Connection[Customer]:
    page = _page(first, after)
    ids = await relations.loader(info.context, AFFECTED_CUSTOMER_IDS).load(
        (root.pk, page.after, page.first)
    )
    found = await relations.loader(info.context, CUSTOMERS).load_many(ids)
    pairs = [(pk, c) for pk, c in zip(ids, found, strict=True) if c is not None]
    return connection(
        pairs,
        first=page.first,
        after=page.after,
        total=await relations.total(info, AFFECTED_CUSTOMER_IDS, root.pk),
        key=lambda p: p[0],
        build=lambda p: Customer.from_domain(p[1]),
    )


async def _timeline(
    root: Incident,
    info: strawberry.Info,
    first: PageFirst = None,
    after: PageAfter = None,
) -> Connection[LedgerEntry]:
    try:
        # The timeline is the ledger's view of one incident: the ledger's readers only.
        info.context.authorize(Action.READ_LEDGER, field="timeline")
    except DomainError as error:
        raise errors.as_graphql_error(error) from None
    page = _page(first, after)
    entries = await relations.loader(info.context, TIMELINE).load((root.pk, page.after, page.first))
    return connection(
        entries,
        first=page.first,
        after=page.after,
        total=await relations.total(info, TIMELINE, root.pk),
        key=lambda e: e.id,
        build=LedgerEntry.from_store,
    )


async def _tickets(root: Incident, info: strawberry.Info) -> list[Ticket]:
    ids = await relations.loader(info.context, TICKET_IDS).load(root.pk)
    found = await relations.loader(info.context, TICKETS).load_many(ids)
    now = info.context.now
    return [Ticket.from_domain(ticket, now=now) for ticket in found if ticket is not None]


@strawberry.type(
    description="Something that went wrong for one or more customers (docs/rules.md §3)."
)
class Incident(Node):
    pk: strawberry.Private[int]
    version: int = strawberry.field(description="Pass it back on update; it moves on every change.")
    title: str = strawberry.field(description="At most 120 characters.")
    description: str = strawberry.field(description="At most 500 characters.")
    severity: incidents.Severity = strawberry.field(
        description="The current severity, never below triage (docs/rules.md §3)."
    )
    severity_label_ar: str = strawberry.field(description="The severity's Arabic label.")
    triage_severity: incidents.Severity = strawberry.field(
        description="What triage gave: the severity can never go below it."
    )
    reason_ar: str = strawberry.field(description="Why triage gave that severity, in Arabic.")
    has_data_leak: bool = strawberry.field(description="Data leaked: SEV1 and a PDPL deadline.")
    has_unauthorized_send: bool = strawberry.field(
        description="Something was sent without approval: SEV1."
    )
    status: incidents.IncidentStatus = strawberry.field(
        description="open → mitigated → resolved → closed."
    )
    detected_at: datetime = strawberry.field(
        description="When it was detected; the deadlines count from here."
    )
    first_action_due_at: datetime = strawberry.field(
        description="Detection + the severity's first-action minutes (15 / 30 / 120)."
    )
    first_action_at: datetime | None = strawberry.field(
        description="When the first response step was ticked."
    )
    first_action_overdue: bool = strawberry.field(
        description="No step ticked by the first-action due time (or ticked after it)."
    )
    next_update_due_at: datetime | None = strawberry.field(
        description="The last update (or detection) + the cadence (30 / 60 / 240 min); "
        "null once resolved."
    )
    last_update_at: datetime | None = strawberry.field(
        description=(
            "When the last customer update was posted; null before the "
            "first (the cadence then counts from detection)."
        )
    )
    update_overdue: bool = strawberry.field(description="The next customer update is past due.")
    pdpl_notify_by: datetime | None = strawberry.field(
        description="A data leak's PDPL deadline (detection + 72 h); null once notified."
    )
    pdpl_notified_at: datetime | None = strawberry.field(
        description="When the affected customers were notified of the leak; null until then."
    )
    resolved_at: datetime | None = strawberry.field(
        description="When it was resolved; null before."
    )
    closed_at: datetime | None = strawberry.field(description="When it was closed; null before.")
    post_mortem: PostMortem | None = strawberry.field(
        description="The post-mortem, once submitted."
    )
    post_mortem_required: bool = strawberry.field(description="SEV1 and SEV2 need one to close.")
    post_mortem_due_at: datetime | None = strawberry.field(
        description="Resolution + 24 h (SEV1) or 48 h (SEV2)."
    )
    live_actions_frozen: bool = strawberry.field(
        description="A SEV1 not yet resolved freezes approvals for its affected customers, "
        "all but incident updates."
    )
    affected_customer_count: int = strawberry.field(
        description="How many customers it affects; triage reads it."
    )

    @classmethod
    def from_domain(cls, value: incidents.Incident, *, now: datetime) -> Incident:
        assert value.id is not None
        return cls(
            id=to_global_id("Incident", value.id),
            pk=value.id,
            version=value.version,
            title=value.title,
            description=value.description,
            severity=value.severity,
            severity_label_ar=incidents.POLICIES[value.severity].label_ar,
            triage_severity=value.triage_severity,
            reason_ar=value.reason_ar,
            has_data_leak=value.has_data_leak,
            has_unauthorized_send=value.has_unauthorized_send,
            status=value.status,
            detected_at=value.detected_at,
            first_action_due_at=value.first_action_due_at,
            first_action_at=value.first_action_at,
            first_action_overdue=incidents.first_action_overdue(value, now=now),
            next_update_due_at=value.next_update_due_at,
            last_update_at=value.last_update_at,
            update_overdue=incidents.update_overdue_now(value, now=now),
            pdpl_notify_by=value.pdpl_notify_by,
            pdpl_notified_at=value.pdpl_notified_at,
            resolved_at=value.resolved_at,
            closed_at=value.closed_at,
            post_mortem=None
            if value.post_mortem is None
            else PostMortem.from_domain(value.post_mortem),
            post_mortem_required=incidents.POLICIES[value.severity].post_mortem_required,
            post_mortem_due_at=value.post_mortem_due_at,
            live_actions_frozen=value.freezes_live_actions,
            affected_customer_count=value.affected_count,
        )

    response_plan = strawberry.field(
        resolver=_response_plan,
        description="The response plan: the five common steps, then the severity's extras. "
        "A tick is never lost: extras ticked under an earlier severity stay, done, before them.",
    )
    affected_customers = strawberry.field(
        resolver=_affected_customers, description="The customers this incident hurts, by id."
    )
    timeline = strawberry.field(
        resolver=_timeline, description="Every change to this incident, oldest first (the ledger)."
    )
    tickets = strawberry.field(
        resolver=_tickets,
        description="The support tickets attached to this incident, oldest first.",
    )


async def of_customer(
    info: strawberry.Info, customer_pk: int, *, first: int | None, after: str | None
) -> Connection[Incident]:
    """`Customer.incidents`: the incidents that affect one customer, newest first."""
    page = _page(first, after)
    key = (customer_pk, page.after, page.first)
    found = await relations.loader(info.context, CUSTOMER_INCIDENTS).load(key)
    now = info.context.now
    return connection(
        found,
        first=page.first,
        after=page.after,
        total=await relations.total(info, CUSTOMER_INCIDENTS, customer_pk),
        key=lambda i: i.id,
        build=lambda i: Incident.from_domain(i, now=now),
    )


@strawberry.input(description="Filters for the incidents list; all are optional and combine.")
class IncidentFilter:
    status: incidents.IncidentStatus | None = strawberry.field(
        default=None, description="Only incidents in this status."
    )
    severity: incidents.Severity | None = strawberry.field(
        default=None, description="Only incidents of this severity."
    )
    customer: strawberry.ID | None = strawberry.field(
        default=None, description="Only incidents that affect this customer."
    )


@strawberry.input(description="A new incident; triage sets its severity (docs/rules.md §3).")
class DeclareIncidentInput:
    title: str = strawberry.field(description="At most 120 characters.")
    description: str = strawberry.field(default="", description="At most 500 characters.")
    affected_customer_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Customers' global ids; 5 or more make it SEV2 (docs/rules.md §3).",
    )
    has_data_leak: bool = strawberry.field(
        default=False, description="Data leaked: SEV1, with a PDPL deadline 72 h after detection."
    )
    has_unauthorized_send: bool = strawberry.field(
        default=False, description="Something was sent without approval: SEV1."
    )
    detected_at: datetime | None = strawberry.field(
        default=None, description="When it was detected; now when left out, never in the future."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeat with the same key returns the first result."
    )


@strawberry.input(description="Set the severity: at or above what triage gave, never below.")
class RaiseIncidentSeverityInput:
    id: strawberry.ID = strawberry.field(description="The incident's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    severity: incidents.Severity = strawberry.field(
        description="The new severity, at or above triage's."
    )


@strawberry.input(description="More customers are affected; the incident is re-triaged.")
class AddAffectedCustomersInput:
    id: strawberry.ID = strawberry.field(description="The incident's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    customer_ids: list[strawberry.ID] = strawberry.field(
        description=(
            "At least one customer's global id; the incident is re-triaged with the new count."
        )
    )


@strawberry.input(description="Move one step along open → mitigated → resolved → closed.")
class ChangeIncidentStatusInput:
    id: strawberry.ID = strawberry.field(description="The incident's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    status: incidents.IncidentStatus = strawberry.field(
        description="The next status; SEV1 and SEV2 close only with a post-mortem."
    )


@strawberry.input(description="Tick one response-plan step as done, now, by you.")
class TickResponseStepInput:
    incident_id: strawberry.ID = strawberry.field(description="The incident's global id.")
    position: int = strawberry.field(description="The step's 1-based place in the response plan.")
    channel: Channel | None = strawberry.field(
        default=None,
        description="Step 1 only: the channel whose live actions to freeze now "
        "(docs/rules.md §8.5); an owner lifts it.",
    )


@strawberry.input(description="An update for the affected customers: one draft each.")
class PostIncidentUpdateInput:
    id: strawberry.ID = strawberry.field(description="The incident's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    body: str | None = strawberry.field(
        default=None,
        description="The update (Arabic customers get this text). Left out: the matching "
        "template of docs/rules.md §8.5 (SEV1 first hour, SEV1 data leak, SEV2 hourly), filled "
        "from the fields below; an incident no template matches needs a body.",
    )
    body_en: str | None = strawberry.field(
        default=None, description="The English text for English customers; `body` otherwise."
    )
    incident_kind: str | None = strawberry.field(
        default=None, description="Template: what the incident is about (default: its title)."
    )
    data_type: str | None = strawberry.field(
        default=None, description="Template: the data that leaked (default: the title)."
    )
    service: str | None = strawberry.field(
        default=None, description="Template: the service that is down (default: the title)."
    )
    expected_time: str | None = strawberry.field(
        default=None, description="Template: when service should be back (SEV2; required)."
    )


@strawberry.input(description="The affected customers were notified of the data leak (PDPL).")
class RecordPdplNotificationInput:
    id: strawberry.ID = strawberry.field(description="The incident's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )


@strawberry.input(description="The post-mortem's eight fields, in the order of docs/rules.md §3.")
class SubmitPostMortemInput:
    id: strawberry.ID = strawberry.field(description="The resolved incident's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    summary: str = strawberry.field(
        description="What happened, in short (at most 10,000 characters)."
    )
    timeline: str = strawberry.field(description="What happened when (at most 10,000 characters).")
    root_cause: str = strawberry.field(description="Why it happened (at most 10,000 characters).")
    what_went_right: str = strawberry.field(
        description="What worked in the response (at most 10,000 characters)."
    )
    what_went_wrong: str = strawberry.field(description="What did not (at most 10,000 characters).")
    preventive_actions: list[str] = strawberry.field(
        description="At least one preventive action, none blank, each at most 10,000 characters."
    )
    action_owners: list[str] = strawberry.field(description="One owner per preventive action.")
    deadline: datetime = strawberry.field(description="When the preventive actions are due.")


@strawberry.input(description="Attach a support ticket to an incident.")
class AttachTicketToIncidentInput:
    incident_id: strawberry.ID = strawberry.field(description="The incident's global id.")
    ticket_id: strawberry.ID = strawberry.field(
        description="The ticket's global id; a ticket belongs to one incident at most."
    )


@strawberry.type(description="The incident as it is after the mutation.")
class IncidentPayload:
    incident: Incident = strawberry.field(description="The incident as it is now.")


@strawberry.type(description="The ticked step and its incident.")
class TickResponseStepPayload:
    incident: Incident = strawberry.field(description="The incident after the tick.")
    step: ResponseStep = strawberry.field(description="The ticked step.")


@strawberry.type(description="The drafts awaiting approval, one per affected customer (§1).")
class PostIncidentUpdatePayload:
    incident: Incident = strawberry.field(
        description="The incident, with its next update due time."
    )
    draft_ids: list[strawberry.ID] = strawberry.field(
        description="The drafts' global ids, one per affected customer."
    )
    approval_required: bool = strawberry.field(description="Always true: nothing is sent by Wafi.")
    live_send_allowed: bool = strawberry.field(description="Always false: Wafi has no live send.")

    @classmethod
    def build(cls, incident: Incident, draft_ids: list[int]) -> PostIncidentUpdatePayload:
        return cls(
            incident=incident,
            draft_ids=[to_global_id("Draft", pk) for pk in draft_ids],
            approval_required=drafts.APPROVAL_REQUIRED,
            live_send_allowed=drafts.LIVE_SEND_ALLOWED,
        )


@strawberry.type(description="The ticket now attached, and its incident.")
class AttachTicketToIncidentPayload:
    incident: Incident = strawberry.field(description="The incident, with its tickets.")
    ticket_id: strawberry.ID = strawberry.field(description="The attached ticket's global id.")


IncidentResult = Annotated[
    IncidentPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("IncidentResult", description="The incident, or why it was refused."),
]
TickResponseStepResult = Annotated[
    TickResponseStepPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("TickResponseStepResult", description="The step, or why it was refused."),
]
PostIncidentUpdateResult = Annotated[
    PostIncidentUpdatePayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("PostIncidentUpdateResult", description="The drafts, or why not."),
]
AttachTicketToIncidentResult = Annotated[
    AttachTicketToIncidentPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("AttachTicketToIncidentResult", description="Attached, or why not."),
]
