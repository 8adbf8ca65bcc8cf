"""What a client sees of drafts: approval first, never a live send (docs/rules.md §1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import drafts
from schema.types import errors, relations
from schema.types.customers import Customer
from schema.types.relay import Node, to_global_id

DraftStatus = strawberry.enum(
    drafts.DraftStatus, description="draft → approved → sent, or draft → rejected (§1)."
)
DraftKind = strawberry.enum(drafts.DraftKind, description="What the draft is for.")

# Relation names the resolvers layer provides loaders for (schema.types.relations).
CUSTOMERS = "customers"

# Subjects are spelt by their GraphQL type name, so `subjectId` is that type's global id.
_SUBJECT_TYPES = {
    "ticket": "Ticket",
    "incident": "Incident",
    "customer": "Customer",
    "check_in": "CheckIn",
    "alert": "Alert",
    "success_plan_item": "SuccessPlanItem",
    "sequence_step": "SequenceStep",
}


async def _customer(root: Draft, info: strawberry.Info) -> Customer | None:
    found = await relations.loader(info.context, CUSTOMERS).load(root.customer_pk)
    return None if found is None else Customer.from_domain(found)


@strawberry.type(description="An outbound text an operator approves, then sends themselves.")
class Draft(Node):
    pk: strawberry.Private[int]
    customer_pk: strawberry.Private[int]
    version: int = strawberry.field(description="Pass it back on a decision; it moves on each.")
    kind: drafts.DraftKind = strawberry.field(
        description=(
            "What it is for: a first response, a check-in note, an at-"
            "risk email, an incident update, a renewal offer or a sequence step (§8.3)."
        )
    )
    subject_type: str = strawberry.field(description="What it is about: ticket, incident, ...")
    subject_id: strawberry.ID = strawberry.field(description="The global id of what it is about.")
    locale: str = strawberry.field(
        description="ar or en: the customer's language when it was written."
    )
    body: str = strawberry.field(description="The text to send, exactly as approved.")
    status: drafts.DraftStatus = strawberry.field(
        description="draft → approved → sent, or draft → rejected (docs/rules.md §1)."
    )
    created_at: datetime = strawberry.field(description="When Wafi wrote it.")
    decided_at: datetime | None = strawberry.field(
        description="When it was approved or rejected; null while awaiting a decision."
    )
    sent_at: datetime | None = strawberry.field(
        description="When an operator recorded sending it; Wafi itself never sends."
    )
    approval_required: bool = strawberry.field(
        description="Always true: an operator approves every outbound text (§1)."
    )
    live_send_allowed: bool = strawberry.field(
        description="Always false: Wafi never sends; the operator records sending (§1)."
    )

    @classmethod
    def from_domain(cls, value: drafts.Draft) -> Draft:
        subject_type = _SUBJECT_TYPES.get(value.subject_type, value.subject_type.capitalize())
        return cls(
            id=to_global_id("Draft", value.id),
            pk=value.id,
            customer_pk=value.customer_id,
            version=value.version,
            kind=value.kind,
            subject_type=value.subject_type,
            subject_id=to_global_id(subject_type, value.subject_id),
            locale=value.locale,
            body=value.body,
            status=value.status,
            created_at=value.created_at,
            decided_at=value.decided_at,
            sent_at=value.sent_at,
            approval_required=drafts.APPROVAL_REQUIRED,
            live_send_allowed=drafts.LIVE_SEND_ALLOWED,
        )

    customer: Customer | None = strawberry.field(
        resolver=_customer, description="The customer the text is for."
    )


@strawberry.input(description="Approve a draft (not by a viewer, not while frozen).")
class ApproveDraftInput:
    id: strawberry.ID = strawberry.field(description="The draft's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )


@strawberry.input(description="Reject a draft; nothing goes out.")
class RejectDraftInput:
    id: strawberry.ID = strawberry.field(description="The draft's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )


@strawberry.input(description="Record that you sent an approved draft through your own channel.")
class MarkDraftSentInput:
    id: strawberry.ID = strawberry.field(description="The draft's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )


@strawberry.type(description="The draft as it is after the decision.")
class DraftPayload:
    draft: Draft = strawberry.field(description="The draft as it is now.")


DraftResult = Annotated[
    DraftPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("DraftResult", description="The draft, or why the step was refused."),
]
