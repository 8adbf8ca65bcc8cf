"""What a client sends and sees of customer-success signals, the weekly check-in (§4.3) and the
support and success metrics (§4.6)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from domain import customers, metrics, signals, success_plans
from schema import cost
from schema.types import customers as _customer_types  # noqa: F401  (declares the enums)
from schema.types import errors
from schema.types import sequences as sequence_types
from schema.types.relay import to_global_id


@strawberry.type(description="§4.3: one week's recorded check-in metrics.")
class CheckIn:
    id: strawberry.ID = strawberry.field(description="The check-in's global id.")
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    week_of: date = strawberry.field(
        description="The first day of the week the metrics cover (seven days from it)."
    )
    drafts_approved: int = strawberry.field(description="Drafts the customer approved that week.")
    replies: int = strawberry.field(description="Replies the customer received that week.")
    meetings: int = strawberry.field(
        description="Meetings booked that week; summed into the health score (docs/rules.md §4.2)."
    )
    risks_blocked: int = strawberry.field(description="Risks blocked automatically that week.")
    pipeline_sar: float = strawberry.field(
        description=(
            "Pipeline affected, in SAR; the latest one feeds the health score (docs/rules.md §4.2)."
        )
    )

    @classmethod
    def from_domain(cls, value: signals.CheckIn) -> CheckIn:
        assert value.id is not None
        return cls(
            id=to_global_id("CheckIn", value.id),
            customer_id=to_global_id("Customer", value.customer_id),
            week_of=value.week_of,
            drafts_approved=value.drafts_approved,
            replies=value.replies,
            meetings=value.meetings,
            risks_blocked=value.risks_blocked,
            pipeline_sar=value.pipeline_sar,
        )


@strawberry.input(description="The week's metrics; at most one check-in per customer per 7 days.")
class RecordCheckInMetricsInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    week_of: date = strawberry.field(
        description=(
            "The week's first day; at most one check-in per customer in "
            "any 7 days (docs/rules.md §4.3)."
        )
    )
    drafts_approved: int = strawberry.field(description="Drafts approved that week, 0..1,000,000.")
    replies: int = strawberry.field(description="Replies received that week, 0..1,000,000.")
    meetings: int = strawberry.field(description="Meetings booked that week, 0..1,000,000.")
    risks_blocked: int = strawberry.field(description="Risks blocked that week, 0..1,000,000.")
    pipeline_sar: float = strawberry.field(description="Pipeline affected, in SAR.")


@strawberry.type(description="The recorded check-in.")
class CheckInPayload:
    check_in: CheckIn = strawberry.field(description="The check-in as stored.")


@strawberry.type(description="One 5-minute slot of the weekly check-in.")
class AgendaItem:
    title: str = strawberry.field(
        description="What the slot is about, in Arabic (docs/rules.md §4.3)."
    )
    minutes: int = strawberry.field(description="The slot's length: 5 minutes.")


@strawberry.type(description="§4.3: the weekly check-in's agenda and talking points (Arabic).")
class WeeklyCheckIn:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    week_of: date = strawberry.field(description="The week's first day.")
    agenda: list[AgendaItem] = strawberry.field(
        description="The five 5-minute agenda items, in order (docs/rules.md §4.3)."
    )
    talking_points: list[str] = strawberry.field(
        description="Arabic sentences filled from the week's metrics (docs/rules.md §4.3)."
    )
    total_minutes: int = strawberry.field(description="The agenda's length: 25 minutes.")

    @classmethod
    def build(
        cls, customer_pk: int, check_in: signals.CheckIn, value: success_plans.CheckInAgenda
    ) -> WeeklyCheckIn:
        return cls(
            customer_id=to_global_id("Customer", customer_pk),
            week_of=check_in.week_of,
            agenda=[AgendaItem(title=a.title, minutes=a.minutes) for a in value.agenda],
            talking_points=list(value.talking_points),
            total_minutes=value.total_minutes,
        )


@strawberry.input(
    description="§4.3: draft the week's check-in (agenda and talking points) as a note to the "
    "customer, in its locale; the week's metrics must be recorded first."
)
class DraftCheckInNoteInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    week_of: date = strawberry.field(description="The week, as for `weeklyCheckIn`.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Repeat the call with the same key to get the same draft."
    )


@strawberry.input(description="A closed ticket's 1–5 satisfaction rating; a new one replaces it.")
class RateTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="The closed ticket's global id.")
    rating: int = strawberry.field(
        description="1..5 (CSAT counts 4 and 5 as satisfied, docs/rules.md §4.6)."
    )


@strawberry.type(description="The ticket's rating as stored.")
class CsatRatingPayload:
    ticket_id: strawberry.ID = strawberry.field(description="The rated ticket's global id.")
    customer_id: strawberry.ID = strawberry.field(description="The ticket's customer.")
    rating: int = strawberry.field(
        description="1..5; averaged ×2 into the health score's csat (docs/rules.md §4.2)."
    )
    rated_at: datetime = strawberry.field(description="When it was rated.")


@strawberry.input(description="A 0–10 answer to 'would you recommend us'.")
class RecordNpsInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    score: int = strawberry.field(description="0..10.")
    responded_at: datetime | None = strawberry.field(default=None, description="Default: now.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeat with the same key returns the first result."
    )


@strawberry.type(description="The NPS answer as stored.")
class NpsPayload:
    id: strawberry.ID = strawberry.field(description="The answer's global id.")
    customer_id: strawberry.ID = strawberry.field(description="The customer who answered.")
    score: int = strawberry.field(
        description="0..10: 9–10 promoter, 0–6 detractor (docs/rules.md §4.6)."
    )
    responded_at: datetime = strawberry.field(description="When the customer answered.")

    @classmethod
    def from_domain(cls, value: signals.NpsResponse) -> NpsPayload:
        assert value.id is not None
        return cls(
            id=to_global_id("NpsResponse", value.id),
            customer_id=to_global_id("Customer", value.customer_id),
            score=value.score,
            responded_at=value.responded_at,
        )


@strawberry.input(description="A Proof Pack delivered to a customer.")
class DeliverProofPackInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    title: str = strawberry.field(description="1..120 characters.")
    delivered_at: datetime | None = strawberry.field(default=None, description="Default: now.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeat with the same key returns the first result."
    )


@strawberry.type(description="The Proof Pack as stored.")
class ProofPackPayload:
    id: strawberry.ID = strawberry.field(description="The Proof Pack's global id.")
    customer_id: strawberry.ID = strawberry.field(description="The customer it was delivered to.")
    title: str = strawberry.field(description="Its title.")
    delivered_at: datetime = strawberry.field(
        description="When it was delivered; its age feeds the at-risk score (docs/rules.md §4.1)."
    )

    @classmethod
    def from_domain(cls, value: signals.ProofPack) -> ProofPackPayload:
        assert value.id is not None
        return cls(
            id=to_global_id("ProofPack", value.id),
            customer_id=to_global_id("Customer", value.customer_id),
            title=value.title,
            delivered_at=value.delivered_at,
        )


@strawberry.input(description="The customer did something: moves `lastActivityAt` forward.")
class RecordCustomerActivityInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    at: datetime | None = strawberry.field(default=None, description="Default: now.")


@strawberry.input(description="§4.6: move a customer along its lifecycle (pass its version).")
class ChangeCustomerStageInput:
    id: strawberry.ID = strawberry.field(description="The customer's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    stage: customers.Stage = strawberry.field(
        description=(
            "The stage to move to; only the lifecycle's moves are allowed (docs/rules.md §4.6)."
        )
    )


# Query cost (schema/cost.py): both aggregate a period's tickets, ratings and check-ins.
cost.weigh("WeeklyCheckIn", 20)
cost.weigh("SupportMetrics", 50)


@strawberry.type(description="§4.6 support and success metrics over [from, to).")
class SupportMetrics:
    avg_first_response_minutes: float | None = strawberry.field(
        description="Tickets opened in the period that got a first response; 1 dp."
    )
    avg_resolution_hours: float | None = strawberry.field(description="Resolved ones; 2 dp.")
    csat_pct: float | None = strawberry.field(description="% of ratings that are 4 or 5; 1 dp.")
    nps: float | None = strawberry.field(description="% promoters (9–10) − % detractors (0–6).")
    churn_rate: float = strawberry.field(description="Churned in the period / live at its start.")
    support_load: float = strawberry.field(description="Tickets opened per active customer.")
    churn_reasons: list[sequence_types.ChurnReasonCount] = strawberry.field(
        default_factory=list,
        description="Exit surveys per primary reason for churns in the period, every reason "
        "in order (docs/rules.md §8.3).",
    )

    @classmethod
    def from_domain(cls, value: metrics.SupportMetrics) -> SupportMetrics:
        return cls(
            avg_first_response_minutes=value.avg_first_response_minutes,
            avg_resolution_hours=value.avg_resolution_hours,
            csat_pct=value.csat_pct,
            nps=value.nps,
            churn_rate=value.churn_rate,
            support_load=value.support_load,
        )


RecordCheckInMetricsResult = Annotated[
    CheckInPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union(
        "RecordCheckInMetricsResult", description="The recorded check-in, or why it was refused."
    ),
]
RateTicketResult = Annotated[
    CsatRatingPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("RateTicketResult", description="The rating, or why it was refused."),
]
RecordNpsResult = Annotated[
    NpsPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("RecordNpsResult", description="The NPS answer, or why it was refused."),
]
DeliverProofPackResult = Annotated[
    ProofPackPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union(
        "DeliverProofPackResult", description="The Proof Pack, or why it was refused."
    ),
]
