"""docs/rules.md §4.4: the onboarding checklist."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import onboarding
from domain.errors import DomainError, ErrorCode
from domain.onboarding import Step

ORDER = list(Step)
START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_eight_steps_in_order() -> None:
    assert [s.value for s in Step] == [
        "select_goal",
        "select_bundle",
        "company_intake",
        "connect_channels",
        "upload_or_source",
        "risk_review",
        "first_service_run",
        "first_proof_pack",
    ]
    assert [spec.step for spec in onboarding.STEPS] == ORDER


@pytest.mark.parametrize(
    ("index", "step", "label", "minutes", "approval"),
    [
        (0, Step.SELECT_GOAL, "اختيار الهدف الأساسي", 2, False),
        (1, Step.SELECT_BUNDLE, "اختيار الباقة المناسبة", 3, True),
        (2, Step.COMPANY_INTAKE, "بيانات الشركة", 5, False),
        (
            3,
            Step.CONNECT_CHANNELS,
            "ربط القنوات (Gmail/Calendar/Sheets — drafts فقط)",
            8,
            True,
        ),
        (4, Step.UPLOAD_OR_SOURCE, "رفع قائمة أو ربط مصدر leads", 5, True),
        (5, Step.RISK_REVIEW, "مراجعة المخاطر (PDPL + سمعة القناة)", 4, True),
        (6, Step.FIRST_SERVICE_RUN, "تشغيل أول خدمة", None, True),
        (7, Step.FIRST_PROOF_PACK, "استلام أول Proof Pack", None, False),
    ],
)
def test_step_spec(index: int, step: Step, label: str, minutes: int | None, approval: bool) -> None:
    spec = onboarding.STEPS[index]
    assert (spec.step, spec.label_ar, spec.minutes, spec.needs_approval) == (
        step,
        label,
        minutes,
        approval,
    )


def test_total_minutes_is_27() -> None:
    assert onboarding.TOTAL_MINUTES == 27


@pytest.mark.parametrize(
    ("done_count", "pct"),
    [
        (0, 0.0),
        (1, 12.5),
        (2, 25.0),
        (3, 37.5),
        (4, 50.0),
        (5, 62.5),
        (6, 75.0),
        (7, 87.5),
        (8, 100.0),
    ],
)
def test_progress_is_12_5_per_step(done_count: int, pct: float) -> None:
    state = onboarding.progress(ORDER[:done_count])
    assert state.progress == pct
    assert state.completed == tuple(ORDER[:done_count])
    assert state.current_step == (ORDER[done_count] if done_count < 8 else None)
    assert state.done is (done_count == 8)


@pytest.mark.parametrize(
    ("done", "current", "pct"),
    [
        ({Step.SELECT_BUNDLE, Step.COMPANY_INTAKE}, Step.SELECT_GOAL, 25.0),
        ({Step.SELECT_GOAL, Step.COMPANY_INTAKE}, Step.SELECT_BUNDLE, 25.0),
        (set(ORDER[:7]), Step.FIRST_PROOF_PACK, 87.5),
        (set(ORDER) - {Step.RISK_REVIEW}, Step.RISK_REVIEW, 87.5),
    ],
)
def test_current_step_is_first_not_done(done: set[Step], current: Step, pct: float) -> None:
    state = onboarding.progress(done)
    assert (state.current_step, state.progress, state.done) == (current, pct, False)


def test_completed_steps_are_listed_in_checklist_order() -> None:
    state = onboarding.progress([Step.RISK_REVIEW, Step.SELECT_GOAL, Step.COMPANY_INTAKE])
    assert state.completed == (Step.SELECT_GOAL, Step.COMPANY_INTAKE, Step.RISK_REVIEW)


@pytest.mark.parametrize(
    ("now", "complete", "expected"),
    [
        (datetime(2025, 3, 1, 9, 0, tzinfo=UTC), False, False),
        (datetime(2025, 3, 4, 8, 59, tzinfo=UTC), False, False),
        (datetime(2025, 3, 4, 9, 0, tzinfo=UTC), False, True),
        (datetime(2025, 3, 10, 0, 0, tzinfo=UTC), False, True),
        (datetime(2025, 3, 4, 9, 0, tzinfo=UTC), True, False),
        (datetime(2025, 3, 10, 0, 0, tzinfo=UTC), True, False),
    ],
)
def test_stalled_when_not_complete_3_days_after_start(
    now: datetime, complete: bool, expected: bool
) -> None:
    assert onboarding.stalled(START, now, complete) is expected


def test_complete_step_advances() -> None:
    state = onboarding.complete_step({Step.SELECT_GOAL, Step.SELECT_BUNDLE}, Step.COMPANY_INTAKE)
    assert (state.progress, state.current_step) == (37.5, Step.CONNECT_CHANNELS)


def test_complete_last_step_finishes() -> None:
    state = onboarding.complete_step(ORDER[:7], Step.FIRST_PROOF_PACK)
    assert (state.progress, state.current_step, state.done) == (100.0, None, True)


def test_reopen_step_goes_back() -> None:
    state = onboarding.reopen_step(ORDER, Step.SELECT_BUNDLE)
    assert (state.progress, state.current_step, state.done) == (87.5, Step.SELECT_BUNDLE, False)


@pytest.mark.parametrize("step", ORDER)
def test_refuses_completing_a_done_step(step: Step) -> None:
    with pytest.raises(DomainError) as err:
        onboarding.complete_step({step}, step)
    assert (err.value.field, err.value.code) == ("step", ErrorCode.INVALID_TRANSITION)


@pytest.mark.parametrize("step", ORDER)
def test_refuses_reopening_a_step_not_done(step: Step) -> None:
    with pytest.raises(DomainError) as err:
        onboarding.reopen_step(set(ORDER) - {step}, step)
    assert (err.value.field, err.value.code) == ("step", ErrorCode.INVALID_TRANSITION)
