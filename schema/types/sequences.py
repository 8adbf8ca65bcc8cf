"""What a client sees of onboarding and win-back sequences and exit surveys (docs/rules.md §8.3)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain import drafts, sequences
from schema.types import errors, relations
from schema.types.relay import to_global_id

if TYPE_CHECKING:
    from schema.types.drafts import Draft

SEQUENCES = "customer.sequences"

SequenceKind = strawberry.enum(
    sequences.SequenceKind, description="Onboarding or win-back (docs/rules.md §8.3)."
)
SequenceStepKind = strawberry.enum(
    sequences.StepKind, description="What one step of a sequence says (docs/rules.md §8.3)."
)
SequenceStepState = strawberry.enum(
    sequences.StepState,
    description=(
        "scheduled: its day is ahead; due: the next scan drafts it; held: the upgrade step waits "
        "for the first Proof Pack; drafted; missed: a later step fell due first; stopped: the "
        "sequence stopped before it."
    ),
)
SequenceStopReason = strawberry.enum(
    sequences.StopReason, description="Why a sequence stopped (docs/rules.md §8.3)."
)
ExitReason = strawberry.enum(
    sequences.ExitReason, description="Why a customer left (docs/rules.md §8.3)."
)
WouldReturn = strawberry.enum(
    sequences.WouldReturn, description="Whether a churned customer would come back."
)


def _draft(root: SequenceStep) -> Annotated[Draft, strawberry.lazy("schema.types.drafts")] | None:
    from schema.types.drafts import Draft

    return None if root.stored_draft is None else Draft.from_domain(root.stored_draft)


@strawberry.type(description="One step of a sequence, on its local day, with its state.")
class SequenceStep:
    stored_draft: strawberry.Private[drafts.Draft | None]
    day: int = strawberry.field(description="Days after the sequence's start (local days).")
    kind: sequences.StepKind = strawberry.field(description="What the step says.")
    state: sequences.StepState = strawberry.field(description="Where the step is.")
    draft: Annotated[Draft, strawberry.lazy("schema.types.drafts")] | None = strawberry.field(
        resolver=_draft, description="The step's draft (approval first), once drafted."
    )


@strawberry.type(description="One run of an onboarding or win-back sequence (docs/rules.md §8.3).")
class CustomerSequence:
    kind: sequences.SequenceKind = strawberry.field(description="Onboarding or win-back.")
    started_at: datetime = strawberry.field(
        description="The subscription start (onboarding), or when the customer turned inactive "
        "or churned (win-back)."
    )
    started_on: date = strawberry.field(description="Day 0: the start's local date.")
    day: int = strawberry.field(description="Today's day number, in the organisation's zone.")
    stopped_at: datetime | None = strawberry.field(description="When it stopped; null if running.")
    stop_reason: sequences.StopReason | None = strawberry.field(description="Why it stopped.")
    steps: list[SequenceStep] = strawberry.field(description="Every step, in day order.")


async def resolve_sequences(root: Any, info: strawberry.Info) -> list[CustomerSequence]:
    """`Customer.sequences`, batched over a page."""
    runs = await relations.loader(info.context, SEQUENCES).load(root.pk)
    return [
        CustomerSequence(
            kind=run.kind,
            started_at=run.started_at,
            started_on=run.started_on,
            day=run.day,
            stopped_at=run.stopped_at,
            stop_reason=run.stop_reason,
            steps=[
                SequenceStep(
                    stored_draft=run.drafts.get(view.day),
                    day=view.day,
                    kind=view.kind,
                    state=view.state,
                )
                for view in sequences.steps_view(
                    run.kind,
                    run.day,
                    stopped=run.stopped_at is not None,
                    proof_pack_delivered=run.proof_pack,
                    drafted={day: d.id for day, d in run.drafts.items()},
                )
            ],
        )
        for run in runs
    ]


@strawberry.input(description="A churned customer's exit survey (docs/rules.md §8.3).")
class RecordExitSurveyInput:
    customer_id: strawberry.ID = strawberry.field(
        description="The customer's global id; it must be churned."
    )
    primary_reason: sequences.ExitReason = strawberry.field(description="Why they left.")
    reason_text: str | None = strawberry.field(
        default=None, description="In their words; required when the reason is other (≤ 2000)."
    )
    could_do_better: str | None = strawberry.field(
        default=None, description="What we could have done better (≤ 2000 characters)."
    )
    would_return: sequences.WouldReturn = strawberry.field(
        description="Whether they would come back."
    )


@strawberry.type(description="The exit survey as stored, one per churn.")
class ExitSurveyPayload:
    id: strawberry.ID = strawberry.field(description="The survey's global id.")
    customer_id: strawberry.ID = strawberry.field(description="The churned customer.")
    primary_reason: sequences.ExitReason = strawberry.field(description="Why they left.")
    reason_text: str | None = strawberry.field(description="In their words, trimmed.")
    could_do_better: str | None = strawberry.field(description="What we could have done better.")
    would_return: sequences.WouldReturn = strawberry.field(description="Would they come back.")

    @classmethod
    def from_domain(cls, value: sequences.ExitSurvey) -> ExitSurveyPayload:
        assert value.id is not None
        return cls(
            id=to_global_id("ExitSurvey", value.id),
            customer_id=to_global_id("Customer", value.customer_id),
            primary_reason=value.primary_reason,
            reason_text=value.reason_text,
            could_do_better=value.could_do_better,
            would_return=value.would_return,
        )


@strawberry.type(description="How many churns of a period gave one primary reason.")
class ChurnReasonCount:
    reason: sequences.ExitReason = strawberry.field(description="The primary reason.")
    count: int = strawberry.field(description="Exit surveys giving it, for churns in the period.")


RecordExitSurveyResult = Annotated[
    ExitSurveyPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("RecordExitSurveyResult", description="The survey, or why it was refused."),
]
