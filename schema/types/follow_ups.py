"""What a client sees of escalation follow-ups (docs/rules.md §7)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import follow_ups
from schema.types import errors
from schema.types.relay import to_global_id

FollowUpKind = strawberry.enum(
    follow_ups.FollowUpKind,
    description="complaint_or_churn: a call within 1 working day; technical_failure: recovery "
    "and root cause within 48 h; legal_question: within 3 working days.",
)


@strawberry.type(description="An escalation follow-up on a ticket (§7).")
class TicketFollowUp:
    id: strawberry.ID = strawberry.field(description="The follow-up's global id.")
    ticket_id: strawberry.ID = strawberry.field(description="The ticket's global id.")
    kind: follow_ups.FollowUpKind = strawberry.field(
        description="Which escalation path (§7) and so its deadline."
    )
    note: str | None = strawberry.field(description="What the operator noted, if anything.")
    due_at: datetime = strawberry.field(description="In the ticket's business calendar.")
    done_at: datetime | None = strawberry.field(description="When it was done; null while open.")
    overdue: bool = strawberry.field(description="Past its due time and not done (or done late).")

    @classmethod
    def build(cls, value: follow_ups.FollowUp, now: datetime) -> TicketFollowUp:
        return cls(
            id=to_global_id("TicketFollowUp", value.id),
            ticket_id=to_global_id("Ticket", value.ticket_id),
            kind=value.kind,
            note=value.note,
            due_at=value.due_at,
            done_at=value.done_at,
            overdue=follow_ups.overdue(value.due_at, value.done_at, now),
        )


@strawberry.input(description="Promise an escalation follow-up on a ticket (§7).")
class AddTicketFollowUpInput:
    ticket: strawberry.ID = strawberry.field(description="The ticket's global id.")
    kind: follow_ups.FollowUpKind = strawberry.field(description="Which escalation path (§7).")
    note: str | None = strawberry.field(default=None, description="At most 2,000 characters.")


@strawberry.type(description="The follow-up after the mutation.")
class TicketFollowUpPayload:
    follow_up: TicketFollowUp = strawberry.field(description="The follow-up as it is now.")


TicketFollowUpResult = Annotated[
    TicketFollowUpPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("TicketFollowUpResult", description="The follow-up, or why it was refused."),
]
