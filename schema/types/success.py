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
from schema.types.relay import to_global_id


@strawberry.type(description="§4.3: one week's recorded check-in metrics.")
class CheckIn:
    id: strawberry.ID
    customer_id: strawberry.ID
    week_of: date
    drafts_approved: int
    replies: int
    meetings: int
    risks_blocked: int
    pipeline_sar: float

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
    customer_id: strawberry.ID
    week_of: date
    drafts_approved: int
    replies: int
    meetings: int
    risks_blocked: int
    pipeline_sar: float = strawberry.field(description="Pipeline affected, in SAR.")


@strawberry.type(description="The recorded check-in.")
class CheckInPayload:
    check_in: CheckIn


@strawberry.type(description="One 5-minute slot of the weekly check-in.")
class AgendaItem:
    title: str
    minutes: int


@strawberry.type(description="§4.3: the weekly check-in's agenda and talking points (Arabic).")
class WeeklyCheckIn:
    customer_id: strawberry.ID
    week_of: date
    agenda: list[AgendaItem]
    talking_points: list[str]
    total_minutes: int

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
    customer_id: strawberry.ID
    week_of: date = strawberry.field(description="The week, as for `weeklyCheckIn`.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Repeat the call with the same key to get the same draft."
    )


@strawberry.input(description="A closed ticket's 1–5 satisfaction rating; a new one replaces it.")
class RateTicketInput:
    ticket_id: strawberry.ID
    rating: int


@strawberry.type(description="The ticket's rating as stored.")
class CsatRatingPayload:
    ticket_id: strawberry.ID
    customer_id: strawberry.ID
    rating: int
    rated_at: datetime


@strawberry.input(description="A 0–10 answer to 'would you recommend us'.")
class RecordNpsInput:
    customer_id: strawberry.ID
    score: int
    responded_at: datetime | None = strawberry.field(default=None, description="Default: now.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeat with the same key returns the first result."
    )


@strawberry.type(description="The NPS answer as stored.")
class NpsPayload:
    id: strawberry.ID
    customer_id: strawberry.ID
    score: int
    responded_at: datetime

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
    customer_id: strawberry.ID
    title: str
    delivered_at: datetime | None = strawberry.field(default=None, description="Default: now.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeat with the same key returns the first result."
    )


@strawberry.type(description="The Proof Pack as stored.")
class ProofPackPayload:
    id: strawberry.ID
    customer_id: strawberry.ID
    title: str
    delivered_at: datetime

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
    customer_id: strawberry.ID
    at: datetime | None = strawberry.field(default=None, description="Default: now.")


@strawberry.input(description="§4.6: move a customer along its lifecycle (pass its version).")
class ChangeCustomerStageInput:
    id: strawberry.ID
    version: int
    stage: customers.Stage


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
