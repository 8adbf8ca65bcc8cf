"""docs/rules.md §8.4: when the weekly CS review is due, whom it picks, the objections it counts."""
# ruff: noqa: DTZ001  (the review runs on the organisation's wall clock: naive local times)

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain import reviews
from domain.errors import DomainError, ErrorCode
from domain.reviews import Candidate, ObjectionCategory, ObjectionCount

FRIDAY = date(2026, 11, 6)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 11, 6, 16, 59, 59), None),
        (datetime(2026, 11, 6, 17, 0), FRIDAY),
        (datetime(2026, 11, 7, 12, 0), FRIDAY),
        (datetime(2026, 11, 8, 23, 59, 59), FRIDAY),
        (datetime(2026, 11, 9, 0, 0), None),  # Monday
        (datetime(2026, 11, 5, 17, 0), None),  # Thursday
    ],
)
def test_week_of(local: datetime, expected: date | None) -> None:
    assert reviews.week_of(local) == expected


def test_the_window_and_the_outreach_due_time() -> None:
    assert reviews.window(FRIDAY) == (datetime(2026, 10, 30, 17, 0), datetime(2026, 11, 6, 17, 0))
    assert reviews.outreach_due(FRIDAY) == datetime(2026, 11, 9, 0, 0)


def c(pk: int, health: float, risk: int, delighted: bool = False) -> Candidate:
    return Candidate(pk, f"c{pk}", "ar", health, risk, delighted)


def test_top_at_risk_is_the_highest_score_then_the_lowest_health() -> None:
    assert reviews.top_at_risk([c(1, 40, 65), c(2, 30, 65), c(3, 10, 40)]) == c(2, 30, 65)
    assert reviews.top_at_risk([c(1, 40, 65), c(2, 40, 65)]) == c(1, 40, 65)
    assert reviews.top_at_risk([c(1, 40, 0)]) is None


def test_top_delighted_is_the_healthiest_of_those_rated_5_or_nps_9() -> None:
    found = reviews.top_delighted([c(1, 99, 0), c(2, 80, 0, True), c(3, 85, 10, True)])
    assert found == c(3, 85, 10, True)
    assert reviews.top_delighted([c(1, 99, 0)]) is None


def test_top_objections_most_frequent_first_ties_in_category_order() -> None:
    p, v, a, t = (
        ObjectionCategory.PRICE,
        ObjectionCategory.PRIVACY,
        ObjectionCategory.ARABIC_QUALITY,
        ObjectionCategory.TIMING,
    )
    logged = [(t, "later"), (a, "ar"), (p, "expensive"), (v, "pdpl"), (p, "too much")]
    assert reviews.top_objections(logged) == [
        ObjectionCount(p, 2, "too much"),
        ObjectionCount(v, 1, "pdpl"),
        ObjectionCount(a, 1, "ar"),
    ]


@pytest.mark.parametrize(
    ("body", "code"), [("  ", ErrorCode.REQUIRED), ("x" * 1001, ErrorCode.TOO_LONG)]
)
def test_an_objection_needs_a_text(body: str, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as refused:
        reviews.check_objection(body)
    assert (refused.value.field, refused.value.code) == ("text", code)
