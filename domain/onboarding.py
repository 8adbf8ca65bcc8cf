"""The onboarding checklist: eight steps in order, progress and stalling (docs/rules.md §4.4)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg


class Step(StrEnum):
    """The onboarding steps, in the order a customer takes them."""

    SELECT_GOAL = "select_goal"
    SELECT_BUNDLE = "select_bundle"
    COMPANY_INTAKE = "company_intake"
    CONNECT_CHANNELS = "connect_channels"
    UPLOAD_OR_SOURCE = "upload_or_source"
    RISK_REVIEW = "risk_review"
    FIRST_SERVICE_RUN = "first_service_run"
    FIRST_PROOF_PACK = "first_proof_pack"


@dataclass(frozen=True, slots=True)
class StepSpec:
    """A checklist line; `minutes` is None for a step that happens asynchronously."""

    step: Step
    label_ar: str
    minutes: int | None
    needs_approval: bool


@dataclass(frozen=True, slots=True)
class Onboarding:
    """Where a customer is in the checklist."""

    completed: tuple[Step, ...]
    progress: float
    current_step: Step | None
    done: bool


STEPS: tuple[StepSpec, ...] = (
    StepSpec(Step.SELECT_GOAL, "اختيار الهدف الأساسي", 2, False),
    StepSpec(Step.SELECT_BUNDLE, "اختيار الباقة المناسبة", 3, True),
    StepSpec(Step.COMPANY_INTAKE, "بيانات الشركة", 5, False),
    StepSpec(Step.CONNECT_CHANNELS, "ربط القنوات (Gmail/Calendar/Sheets — drafts فقط)", 8, True),
    StepSpec(Step.UPLOAD_OR_SOURCE, "رفع قائمة أو ربط مصدر leads", 5, True),
    StepSpec(Step.RISK_REVIEW, "مراجعة المخاطر (PDPL + سمعة القناة)", 4, True),
    StepSpec(Step.FIRST_SERVICE_RUN, "تشغيل أول خدمة", None, True),
    StepSpec(Step.FIRST_PROOF_PACK, "استلام أول Proof Pack", None, False),
)
TOTAL_MINUTES: int = sum(spec.minutes for spec in STEPS if spec.minutes is not None)
STALL_AFTER = timedelta(days=3)


def progress(done: Collection[Step]) -> Onboarding:
    """§4.4: progress = round(100 × done / 8, 1), current step = first not done, done flag."""
    completed = tuple(spec.step for spec in STEPS if spec.step in done)
    current = next((spec.step for spec in STEPS if spec.step not in done), None)
    return Onboarding(
        completed=completed,
        progress=round(100 * len(completed) / len(STEPS), 1),
        current_step=current,
        done=current is None,
    )


def stalled(subscription_start: datetime, now: datetime, complete: bool) -> bool:
    """§4.4: onboarding not complete once 3 days have passed since the subscription start."""
    return not complete and now >= subscription_start + STALL_AFTER


def complete_step(done: Collection[Step], step: Step) -> Onboarding:
    """§4.4: mark `step` done; refuses a step that is already done."""
    if step in done:
        raise DomainError("step", ErrorCode.INVALID_TRANSITION, Msg.STEP_ALREADY_DONE, step=step)
    return progress({*done, step})


def reopen_step(done: Collection[Step], step: Step) -> Onboarding:
    """§4.4: mark `step` not done again; refuses a step that is not done."""
    if step not in done:
        raise DomainError("step", ErrorCode.INVALID_TRANSITION, Msg.STEP_NOT_DONE, step=step)
    return progress({s for s in done if s != step})
