"""What a client sees of a customer's onboarding checklist (docs/rules.md §4.4)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from domain import onboarding
from schema.types import errors, relations

# Relation name the resolvers layer provides a loader for (schema.types.relations).
ONBOARDING = "customer_onboarding"

OnboardingStep = strawberry.enum(onboarding.Step, name="OnboardingStep", description="§4.4 step.")


@strawberry.type(description="One line of the checklist, in order, and whether it is done.")
class OnboardingStepStatus:
    step: onboarding.Step = strawberry.field(description="The step's key.")
    label_ar: str = strawberry.field(description="The step's Arabic label (docs/rules.md §4.4).")
    minutes: int | None = strawberry.field(description="None for a step that happens async.")
    needs_approval: bool = strawberry.field(description="The step needs the customer's approval.")
    done: bool = strawberry.field(description="The step is done.")
    done_at: datetime | None = strawberry.field(
        description="When it was done; null while not done."
    )


@strawberry.type(description="§4.4: the eight steps, progress (12.5 a step) and where it stands.")
class Onboarding:
    steps: list[OnboardingStepStatus] = strawberry.field(
        description="The eight steps, in order (docs/rules.md §4.4)."
    )
    progress: float = strawberry.field(description="round(100 × done / 8, 1).")
    current_step: onboarding.Step | None = strawberry.field(description="First step not done.")
    done: bool = strawberry.field(description="Every step is done.")
    total_minutes: int = strawberry.field(description="27: the sum of the timed steps.")

    @classmethod
    def build(cls, done_at: dict[onboarding.Step, datetime]) -> Onboarding:
        state = onboarding.progress(done_at.keys())
        return cls(
            steps=[
                OnboardingStepStatus(
                    step=spec.step,
                    label_ar=spec.label_ar,
                    minutes=spec.minutes,
                    needs_approval=spec.needs_approval,
                    done=spec.step in done_at,
                    done_at=done_at.get(spec.step),
                )
                for spec in onboarding.STEPS
            ],
            progress=state.progress,
            current_step=state.current_step,
            done=state.done,
            total_minutes=onboarding.TOTAL_MINUTES,
        )


async def resolve_onboarding(root: Any, info: strawberry.Info) -> Onboarding:
    """`Customer.onboarding`, batched over a page."""
    done_at: dict[onboarding.Step, datetime] = await relations.loader(
        info.context, ONBOARDING
    ).load(root.pk)
    return Onboarding.build(done_at)


@strawberry.input(description="Mark one checklist step done, or not done again.")
class OnboardingStepInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    step: onboarding.Step = strawberry.field(description="Which of the eight steps.")


@strawberry.type(description="The customer's checklist after the change.")
class OnboardingPayload:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    onboarding: Onboarding = strawberry.field(description="The checklist after the change.")


OnboardingResult = Annotated[
    OnboardingPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("OnboardingResult", description="The checklist, or why it was refused."),
]
