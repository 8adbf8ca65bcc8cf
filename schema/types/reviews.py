"""The weekly CS review and objections (docs/rules.md §8.4)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from domain import reviews
from schema.types import errors
from schema.types.relay import to_global_id

ObjectionCategory = strawberry.enum(
    reviews.ObjectionCategory, description="An objection's category (docs/rules.md §8.4)."
)


def _gid(kind: str, value: Any) -> strawberry.ID | None:
    return None if value is None else to_global_id(kind, int(value))


@strawberry.type(description="The week's top at-risk customer and its outreach draft.")
class ReviewAtRisk:
    customer_id: strawberry.ID = strawberry.field(description="Global id of the customer.")
    risk_score: int = strawberry.field(description="Its at-risk score (docs/rules.md §4.1).")
    health: float = strawberry.field(description="Its health (docs/rules.md §4.2).")
    draft_id: strawberry.ID = strawberry.field(description="The outreach draft to approve.")
    due_at: datetime = strawberry.field(description="Due before Monday: Monday 00:00 local.")


@strawberry.type(description="The week's top delighted customer and its ask drafts.")
class ReviewDelighted:
    customer_id: strawberry.ID = strawberry.field(description="Global id of the customer.")
    health: float = strawberry.field(description="Its health (docs/rules.md §4.2).")
    testimonial_draft_id: strawberry.ID = strawberry.field(description="The testimonial ask.")
    referral_draft_id: strawberry.ID = strawberry.field(description="The referral ask.")


@strawberry.type(description="A recurring objection of the week.")
class ReviewObjection:
    category: reviews.ObjectionCategory = strawberry.field(description="The category.")
    count: int = strawberry.field(description="How often it was logged in the week.")
    latest: str = strawberry.field(description="The latest text logged in it.")


@strawberry.type(description="A ticket rated 5 in the week.")
class ReviewThread:
    ticket_id: strawberry.ID = strawberry.field(description="Global id of the ticket.")
    customer_id: strawberry.ID = strawberry.field(description="Global id of its customer.")
    subject: str = strawberry.field(description="The ticket's subject.")


@strawberry.type(
    description="The weekly CS review, stored Friday 17:00 local (docs/rules.md §8.4)."
)
class CsReview:
    week_of: date = strawberry.field(description="The Friday of the review.")
    window_start: datetime = strawberry.field(description="The week covered starts (incl.).")
    window_end: datetime = strawberry.field(description="…and ends: Friday 17:00 local (excl.).")
    created_at: datetime = strawberry.field(description="When the scan stored it.")
    active_customers: int = strawberry.field(description="Customers neither archived nor churned.")
    at_risk: ReviewAtRisk | None = strawberry.field(description="Top 1 at-risk; null if none.")
    delighted: ReviewDelighted | None = strawberry.field(description="Top 1 delighted, if any.")
    objections: list[ReviewObjection] = strawberry.field(description="Top 3, most frequent first.")
    positive_threads: list[ReviewThread] = strawberry.field(description="Top 3 rated-5 tickets.")

    @classmethod
    def build(cls, week_of: date, body: dict[str, Any], created_at: datetime) -> CsReview:
        risk, happy = body.get("atRisk"), body.get("delighted")
        return cls(
            week_of=week_of,
            window_start=datetime.fromisoformat(body["windowStart"]),
            window_end=datetime.fromisoformat(body["windowEnd"]),
            created_at=created_at,
            active_customers=body["activeCustomers"],
            at_risk=None
            if not risk
            else ReviewAtRisk(
                customer_id=to_global_id("Customer", risk["customerId"]),
                risk_score=risk["riskScore"],
                health=risk["health"],
                draft_id=to_global_id("Draft", risk["draftId"]),
                due_at=datetime.fromisoformat(risk["dueAt"]),
            ),
            delighted=None
            if not happy
            else ReviewDelighted(
                customer_id=to_global_id("Customer", happy["customerId"]),
                health=happy["health"],
                testimonial_draft_id=to_global_id("Draft", happy["testimonialDraftId"]),
                referral_draft_id=to_global_id("Draft", happy["referralDraftId"]),
            ),
            objections=[
                ReviewObjection(
                    category=reviews.ObjectionCategory(o["category"]),
                    count=o["count"],
                    latest=o["latest"],
                )
                for o in body["objections"]
            ],
            positive_threads=[
                ReviewThread(
                    ticket_id=to_global_id("Ticket", t["ticketId"]),
                    customer_id=to_global_id("Customer", t["customerId"]),
                    subject=t["subject"],
                )
                for t in body["positiveThreads"]
            ],
        )


@strawberry.input(description="An objection a customer raised (docs/rules.md §8.4).")
class LogObjectionInput:
    category: reviews.ObjectionCategory = strawberry.field(description="Its category.")
    text: str = strawberry.field(description="What the customer said; at most 1,000 chars.")
    customer: strawberry.ID | None = strawberry.field(
        default=None, description="The customer's global id (or give the ticket)."
    )
    ticket: strawberry.ID | None = strawberry.field(
        default=None, description="The ticket it came up in; its customer is the customer."
    )


@strawberry.type(description="The objection was logged.")
class ObjectionPayload:
    id: strawberry.ID = strawberry.field(description="Global id of the objection.")
    category: reviews.ObjectionCategory = strawberry.field(description="Its category.")
    text: str = strawberry.field(description="Its text, trimmed.")
    customer_id: strawberry.ID = strawberry.field(description="Global id of the customer.")
    ticket_id: strawberry.ID | None = strawberry.field(description="The ticket, if given.")


LogObjectionResult = Annotated[
    ObjectionPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("LogObjectionResult", description="The objection, or why it was refused."),
]
