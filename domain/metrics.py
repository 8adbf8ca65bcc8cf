"""Support metrics over a period (docs/rules.md §4.6)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

RATING_MIN, RATING_MAX = 1, 5
NPS_MIN, NPS_MAX = 0, 10
SATISFIED_FROM = 4  # a rating of 4 or 5 out of 5 counts as satisfied
PROMOTER_FROM = 9  # NPS 9–10
DETRACTOR_UP_TO = 6  # NPS 0–6


@dataclass(frozen=True, slots=True)
class SupportMetrics:
    """§4.6 metrics of one period; None where there was nothing to average."""

    avg_first_response_minutes: float | None
    avg_resolution_hours: float | None
    csat_pct: float | None
    nps: float | None
    churn_rate: float
    support_load: float


def validate_rating(value: int) -> int:
    """§4.6: a ticket rating is 1..5; returns it or raises DomainError OUT_OF_RANGE."""
    return _in_range("rating", value, RATING_MIN, RATING_MAX)


def validate_nps(value: int) -> int:
    """§4.6: an NPS answer is 0..10; returns it or raises DomainError OUT_OF_RANGE."""
    return _in_range("nps", value, NPS_MIN, NPS_MAX)


def support_metrics(
    first_response_minutes: Sequence[float],
    resolution_hours: Sequence[float],
    ratings: Sequence[int],
    nps: Sequence[int],
    customers_at_start: int,
    churned: int,
    tickets: int,
    active_customers: int,
) -> SupportMetrics:
    """§4.6: average response and resolution, CSAT %, NPS, churn rate and support load."""
    for rating in ratings:
        validate_rating(rating)
    for answer in nps:
        validate_nps(answer)
    counts = {
        "customers_at_start": customers_at_start,
        "churned": churned,
        "tickets": tickets,
        "active_customers": active_customers,
    }
    for field, count in counts.items():
        if count < 0:
            raise DomainError(field, ErrorCode.OUT_OF_RANGE, Msg.FIELD_AT_LEAST_ZERO, field=field)
    return SupportMetrics(
        avg_first_response_minutes=_average(first_response_minutes, 1),
        avg_resolution_hours=_average(resolution_hours, 2),
        csat_pct=csat_pct(ratings),
        nps=net_promoter_score(nps),
        churn_rate=round(churned / customers_at_start, 3) if customers_at_start else 0.0,
        support_load=round(tickets / active_customers, 2) if active_customers else 0.0,
    )


def csat_pct(ratings: Sequence[int]) -> float | None:
    """§4.6: share of 1–5 ratings that are 4 or 5, as a %, 1 decimal; None with no rating."""
    if not ratings:
        return None
    satisfied = sum(1 for r in ratings if r >= SATISFIED_FROM)
    return round(100 * satisfied / len(ratings), 1)


def net_promoter_score(answers: Sequence[int]) -> float | None:
    """§4.6: % promoters (9–10) minus % detractors (0–6), 1 decimal; None with no answer."""
    if not answers:
        return None
    promoters = sum(1 for a in answers if a >= PROMOTER_FROM)
    detractors = sum(1 for a in answers if a <= DETRACTOR_UP_TO)
    return round(100 * (promoters - detractors) / len(answers), 1)


def _average(values: Sequence[float], digits: int) -> float | None:
    return round(sum(values) / len(values), digits) if values else None


def _in_range(field: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise DomainError(
            field,
            ErrorCode.OUT_OF_RANGE,
            Msg.FIELD_BETWEEN,
            field=field,
            low=low,
            high=high,
            value=value,
        )
    return value
