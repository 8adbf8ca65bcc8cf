"""docs/rules.md §4.6 support metrics, every number pinned."""

from __future__ import annotations

import pytest

from domain import metrics
from domain.errors import DomainError, ErrorCode
from domain.messages import Language
from domain.metrics import SupportMetrics


def test_support_metrics_over_a_period() -> None:
    result = metrics.support_metrics(
        first_response_minutes=[10, 20, 25],
        resolution_hours=[1, 2, 4],
        ratings=[5, 4, 3, 1],
        nps=[10, 9, 8, 7, 6, 0],
        customers_at_start=50,
        churned=3,
        tickets=120,
        active_customers=40,
    )
    assert result == SupportMetrics(
        avg_first_response_minutes=18.3,
        avg_resolution_hours=2.33,
        csat_pct=50.0,
        nps=0.0,
        churn_rate=0.06,
        support_load=3.0,
    )


def test_support_metrics_of_an_empty_period() -> None:
    assert metrics.support_metrics([], [], [], [], 0, 0, 0, 0) == SupportMetrics(
        avg_first_response_minutes=None,
        avg_resolution_hours=None,
        csat_pct=None,
        nps=None,
        churn_rate=0.0,
        support_load=0.0,
    )


@pytest.mark.parametrize(
    ("minutes", "average"),
    [([30], 30.0), ([12, 90, 1500], 534.0), ([10, 11, 11], 10.7), ([0.25, 0.5], 0.4)],
)
def test_average_first_response_minutes_one_decimal(minutes: list[float], average: float) -> None:
    result = metrics.support_metrics(minutes, [], [], [], 0, 0, 0, 0)
    assert result.avg_first_response_minutes == average


@pytest.mark.parametrize(
    ("hours", "average"),
    [([4], 4.0), ([2, 18, 200], 73.33), ([2.5, 18, 70, 100], 47.62), ([1, 1, 2], 1.33)],
)
def test_average_resolution_hours_two_decimals(hours: list[float], average: float) -> None:
    assert metrics.support_metrics([], hours, [], [], 0, 0, 0, 0).avg_resolution_hours == average


@pytest.mark.parametrize(
    ("ratings", "pct"),
    [
        ([], None),
        ([5], 100.0),
        ([4], 100.0),
        ([3], 0.0),
        ([1, 2, 3], 0.0),
        ([5, 4, 3, 1], 50.0),
        ([5, 4, 3], 66.7),
        ([4, 4, 4, 4, 4, 2], 83.3),
    ],
)
def test_csat_is_share_of_ratings_4_or_5(ratings: list[int], pct: float | None) -> None:
    assert metrics.csat_pct(ratings) == pct
    assert metrics.support_metrics([], [], ratings, [], 0, 0, 0, 0).csat_pct == pct


@pytest.mark.parametrize(
    ("answers", "score"),
    [
        ([], None),
        ([10, 9], 100.0),
        ([0, 6], -100.0),
        ([7, 8], 0.0),
        ([10, 9, 8, 7, 6, 0], 0.0),
        ([10, 10, 10, 8, 3], 40.0),
        ([9, 8, 6], 0.0),
        ([10, 9, 5], 33.3),
        ([6, 6, 9], -33.3),
    ],
)
def test_nps_is_promoters_minus_detractors(answers: list[int], score: float | None) -> None:
    assert metrics.net_promoter_score(answers) == score
    assert metrics.support_metrics([], [], [], answers, 0, 0, 0, 0).nps == score


@pytest.mark.parametrize(
    ("at_start", "churned", "rate"),
    [(0, 0, 0.0), (0, 2, 0.0), (50, 3, 0.06), (3, 1, 0.333), (7, 2, 0.286), (4, 4, 1.0)],
)
def test_churn_rate_three_decimals(at_start: int, churned: int, rate: float) -> None:
    assert metrics.support_metrics([], [], [], [], at_start, churned, 0, 0).churn_rate == rate


@pytest.mark.parametrize(
    ("tickets", "active", "load"),
    [(0, 0, 0.0), (5, 0, 0.0), (0, 10, 0.0), (120, 40, 3.0), (10, 3, 3.33), (2, 3, 0.67)],
)
def test_support_load_is_tickets_per_active_customer(
    tickets: int, active: int, load: float
) -> None:
    assert metrics.support_metrics([], [], [], [], 0, 0, tickets, active).support_load == load


@pytest.mark.parametrize("value", [1, 2, 3, 4, 5])
def test_validate_rating_accepts_1_to_5(value: int) -> None:
    assert metrics.validate_rating(value) == value


@pytest.mark.parametrize("value", [0, 6, -1])
def test_validate_rating_refuses_out_of_range(value: int) -> None:
    with pytest.raises(DomainError) as caught:
        metrics.validate_rating(value)
    assert (caught.value.field, caught.value.code) == ("rating", ErrorCode.OUT_OF_RANGE)
    assert caught.value.message(Language.EN) == f"rating must be between 1 and 5, got {value}"


@pytest.mark.parametrize("value", [0, 6, 10])
def test_validate_nps_accepts_0_to_10(value: int) -> None:
    assert metrics.validate_nps(value) == value


@pytest.mark.parametrize("value", [-1, 11])
def test_validate_nps_refuses_out_of_range(value: int) -> None:
    with pytest.raises(DomainError) as caught:
        metrics.validate_nps(value)
    assert (caught.value.field, caught.value.code) == ("nps", ErrorCode.OUT_OF_RANGE)
    assert caught.value.message(Language.EN) == f"nps must be between 0 and 10, got {value}"


@pytest.mark.parametrize(
    ("ratings", "nps", "field"),
    [([5, 0], [], "rating"), ([6], [], "rating"), ([], [11], "nps"), ([], [-1], "nps")],
)
def test_support_metrics_refuses_invalid_answers(
    ratings: list[int], nps: list[int], field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        metrics.support_metrics([], [], ratings, nps, 0, 0, 0, 0)
    assert (caught.value.field, caught.value.code) == (field, ErrorCode.OUT_OF_RANGE)


@pytest.mark.parametrize(
    ("counts", "field"),
    [
        ((-1, 0, 0, 0), "customers_at_start"),
        ((0, -1, 0, 0), "churned"),
        ((0, 0, -1, 0), "tickets"),
        ((0, 0, 0, -1), "active_customers"),
    ],
)
def test_support_metrics_refuses_negative_counts(
    counts: tuple[int, int, int, int], field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        metrics.support_metrics([], [], [], [], *counts)
    assert (caught.value.field, caught.value.code) == (field, ErrorCode.OUT_OF_RANGE)
