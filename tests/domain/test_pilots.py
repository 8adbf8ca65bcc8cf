"""The pilot and red-flag rules (docs/rules.md §8.1, §8.2), no fixtures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain import pilots, red_flags
from domain.drafts import DraftKind
from domain.pilots import CheckIn, PilotStatus, Totals
from domain.red_flags import RedFlagCategory

RUNNING = PilotStatus.RUNNING


@pytest.mark.parametrize(
    ("day", "status", "kinds"),
    [
        (0, RUNNING, []),
        (1, RUNNING, []),
        (2, RUNNING, [DraftKind.PILOT_CHECK_IN]),
        (4, RUNNING, [DraftKind.PILOT_CHECK_IN]),
        (5, RUNNING, [DraftKind.PILOT_CHECK_IN, DraftKind.PILOT_SOFT_ASK]),
        (6, RUNNING, [DraftKind.PILOT_CHECK_IN]),
        (
            7,
            RUNNING,
            [DraftKind.PILOT_FIRM_ASK, DraftKind.TESTIMONIAL_ASK, DraftKind.REFERRAL_ASK],
        ),
        (5, PilotStatus.CONVERTED, []),
        (7, PilotStatus.DECLINED, [DraftKind.TESTIMONIAL_ASK, DraftKind.REFERRAL_ASK]),
    ],
)
def test_due_steps(day: int, status: PilotStatus, kinds: list[DraftKind]) -> None:
    assert [step.kind for step in pilots.due_steps(day, status)] == kinds


def test_the_exact_texts() -> None:
    figures = Totals(leads=35, demos=6, response_seconds=35)
    [firm] = [s for s in pilots.due_steps(7, RUNNING) if s.kind is DraftKind.PILOT_FIRM_ASK]
    assert pilots.body(firm, figures) == (
        "الـ pilot انتهى اليوم. النتائج كانت [35 leads, 6 demos, 35 ثانية متوسط الرد]."
        " تبغى تكمل Starter (999 ريال/شهر) من الاثنين؟"
    )
    [check_in] = pilots.due_steps(2, RUNNING)
    assert pilots.body(check_in, figures) == "اليوم: رددنا على 35 leads، حجزنا 6 demos"
    assert pilots.SOFT_ASK == (
        "أيام قليلة باقية في pilot. بناءً على النتائج حتى الآن، هل تتوقع الاستمرار؟"
    )
    assert pilots.DECLINE_QUESTION == "ما اللي منع الاستمرار؟"
    assert (pilots.PLAN_NAME, pilots.PLAN_PRICE_SAR, pilots.LENGTH_DAYS) == ("Starter", 999, 7)


def test_an_english_customers_drafts_are_in_english_with_the_same_figures() -> None:
    figures = Totals(leads=35, demos=6, response_seconds=35)
    steps = {s.kind: s for day in (2, 5, 7) for s in pilots.due_steps(day, RUNNING)}
    assert {kind: pilots.body(step, figures, "en") for kind, step in steps.items()} == {
        DraftKind.PILOT_CHECK_IN: "Today: we replied to 35 leads and booked 6 demos",
        DraftKind.PILOT_SOFT_ASK: "A few days are left in your pilot. Based on the results so "
        "far, do you expect to continue?",
        DraftKind.PILOT_FIRM_ASK: "Your pilot ended today. The results were [35 leads, 6 demos, "
        "35 seconds average response]. Would you like to continue on Starter (999 SAR/month) "
        "from Monday?",
        DraftKind.TESTIMONIAL_ASK: "Thank you for trying Wafi. May we share a few words about "
        "your experience with others?",
        DraftKind.REFERRAL_ASK: "Do you know another team that would benefit from a pilot like "
        "yours? We would be glad to be introduced.",
    }
    # Any other locale reads the playbook's Arabic.
    assert pilots.body(steps[DraftKind.PILOT_SOFT_ASK], figures, "ar") == pilots.SOFT_ASK


@pytest.mark.parametrize(
    ("total", "n", "expected"), [(0, 0, 0), (105, 3, 35), (7, 2, 4), (5, 2, 3), (4, 3, 1)]
)
def test_average_rounds_half_up(total: int, n: int, expected: int) -> None:
    assert pilots.average(total, n) == expected


@pytest.mark.parametrize(
    ("today", "monday"),
    [
        (date(2026, 11, 9), date(2026, 11, 16)),  # a Monday: the next one
        (date(2026, 11, 8), date(2026, 11, 9)),  # a Sunday
        (date(2026, 11, 13), date(2026, 11, 16)),  # a Friday
    ],
)
def test_next_monday(today: date, monday: date) -> None:
    assert pilots.next_monday(today) == monday


def test_day_of() -> None:
    assert pilots.day_of(date(2026, 11, 2), date(2026, 11, 9)) == 7


@pytest.mark.parametrize(
    ("missed", "day", "flagged"),
    [((2, 3, 4), 4, True), ((2, 4, 5), 5, False), ((4, 5), 5, False), ((3, 4, 5, 6), 6, True)],
)
def test_three_missed_in_a_row(missed: tuple[int, ...], day: int, flagged: bool) -> None:
    check_ins = [CheckIn(d, d not in missed, 0, 0, 0) for d in range(2, day + 1)]
    assert pilots.missed_in_a_row(check_ins, day) is flagged


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("سَأُلْغِي", RedFlagCategory.CHURN),
        ("إلغاء الاشتراك", RedFlagCategory.CHURN),
        ("CHURNING", RedFlagCategory.CHURN),
        ("api_churn", RedFlagCategory.CHURN),
        ("churnx", None),
        ("العربي غلط", RedFlagCategory.ARABIC_QUALITY),
        ("Arabic  is   wrong", RedFlagCategory.ARABIC_QUALITY),
        ("مو اللي توقعته", RedFlagCategory.EXPECTATION),
        ("not what I expected", RedFlagCategory.EXPECTATION),
        ("شكراً", None),
    ],
)
def test_text_flags(text: str, category: RedFlagCategory | None) -> None:
    found = red_flags.match("subject", text)
    assert (None if found is None else found.category) is category


def test_escalated_within_one_hour() -> None:
    at = datetime(2026, 11, 1, 23, 30, tzinfo=UTC)
    assert red_flags.due_at(at) == datetime(2026, 11, 2, 0, 30, tzinfo=UTC)
