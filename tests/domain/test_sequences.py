"""§8.3 sequences as pure rules: which step a day drafts, each step's state, the texts."""

from __future__ import annotations

import pytest

from domain import sequences
from domain.errors import DomainError
from domain.sequences import ExitReason, SequenceKind, StepKind, StepState, WouldReturn

ONBOARDING, WIN_BACK = SequenceKind.ONBOARDING, SequenceKind.WIN_BACK


def test_the_playbooks_days() -> None:
    assert [(d, s.value) for d, s in sequences.STEPS[ONBOARDING]] == [
        (0, "welcome"),
        (1, "quick_win"),
        (3, "tips"),
        (7, "check_in"),
        (14, "success_story"),
        (21, "upgrade"),
    ]
    assert [(d, s.value) for d, s in sequences.STEPS[WIN_BACK]] == [
        (1, "we_miss_you"),
        (7, "whats_missing"),
        (14, "founder_message"),
        (30, "offer"),
        (60, "exit_survey"),
    ]
    assert (sequences.last_day(ONBOARDING), sequences.last_day(WIN_BACK)) == (21, 60)


@pytest.mark.parametrize(
    ("kind", "day", "proof", "expected"),
    [
        (ONBOARDING, 0, False, (0, StepKind.WELCOME)),
        (ONBOARDING, 2, False, (1, StepKind.QUICK_WIN)),
        (ONBOARDING, 13, False, (7, StepKind.CHECK_IN)),
        (ONBOARDING, 20, False, (14, StepKind.SUCCESS_STORY)),
        (ONBOARDING, 21, False, None),
        (ONBOARDING, 40, False, None),
        (ONBOARDING, 21, True, (21, StepKind.UPGRADE)),
        (WIN_BACK, 0, False, None),
        (WIN_BACK, 1, False, (1, StepKind.WE_MISS_YOU)),
        (WIN_BACK, 29, False, (14, StepKind.FOUNDER_MESSAGE)),
        (WIN_BACK, 30, False, (30, StepKind.OFFER)),
        (WIN_BACK, 60, False, (60, StepKind.EXIT_SURVEY)),
    ],
)
def test_the_step_a_day_drafts(
    kind: SequenceKind, day: int, proof: bool, expected: tuple[int, StepKind] | None
) -> None:
    assert sequences.to_draft(kind, day, proof) == expected


def test_step_states() -> None:
    views = sequences.steps_view(
        ONBOARDING, 21, stopped=False, proof_pack_delivered=False, drafted={0: 5, 14: 9}
    )
    assert [(v.day, v.state, v.draft_id) for v in views] == [
        (0, StepState.DRAFTED, 5),
        (1, StepState.MISSED, None),
        (3, StepState.MISSED, None),
        (7, StepState.MISSED, None),
        (14, StepState.DRAFTED, 9),
        (21, StepState.HELD, None),
    ]
    stopped = sequences.steps_view(
        WIN_BACK, 8, stopped=True, proof_pack_delivered=False, drafted={1: 3}
    )
    assert [v.state for v in stopped] == [StepState.DRAFTED] + [StepState.STOPPED] * 4
    running = sequences.steps_view(
        WIN_BACK, 8, stopped=False, proof_pack_delivered=False, drafted={1: 3}
    )
    assert [v.state for v in running][:3] == [
        StepState.DRAFTED,
        StepState.DUE,
        StepState.SCHEDULED,
    ]


@pytest.mark.parametrize("step", list(StepKind))
def test_every_step_has_a_short_text_in_both_languages_without_promises(step: StepKind) -> None:
    arabic, english = sequences.body(step, "ar", "نورة"), sequences.body(step, "en", "Nora")
    assert "نورة" in arabic
    assert "Nora" in english
    assert len(arabic) <= 200
    assert len(english) <= 200
    for promise in ("guarantee", "ضمان", "نضمن", "مضمون", "100%"):
        assert promise not in arabic.lower()
        assert promise not in english.lower()


def test_other_needs_its_text_and_only_churned_customers_answer() -> None:
    survey = sequences.exit_survey(
        customer_id=1,
        churned=True,
        primary_reason=ExitReason.OTHER,
        reason_text=" x ",
        could_do_better="",
        would_return=WouldReturn.NO,
    )
    assert (survey.reason_text, survey.could_do_better) == ("x", None)
    with pytest.raises(DomainError) as refused:
        sequences.exit_survey(
            customer_id=1,
            churned=False,
            primary_reason=ExitReason.TOO_EXPENSIVE,
            reason_text=None,
            could_do_better=None,
            would_return=WouldReturn.NO,
        )
    assert (refused.value.field, refused.value.code) == ("customerId", "PRECONDITION_FAILED")


def test_reason_counts_list_every_reason_in_order() -> None:
    assert sequences.reason_counts({"other": 2}) == [
        (ExitReason.FOUND_ALTERNATIVE, 0),
        (ExitReason.NO_LONGER_NEEDED, 0),
        (ExitReason.TOO_EXPENSIVE, 0),
        (ExitReason.MISSING_FEATURES, 0),
        (ExitReason.POOR_EXPERIENCE, 0),
        (ExitReason.OTHER, 2),
    ]
