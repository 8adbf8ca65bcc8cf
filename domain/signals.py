"""The customer-success signals the scores read (docs/rules.md §4.1–§4.3, §4.6), as values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from domain import text
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.scores import AtRisk, Health, HealthBand, Severity

TITLE_LIMIT = 120
COUNT_MAX = 1_000_000  # a week's drafts, replies, meetings or blocked risks
PIPELINE_SAR_LIMIT = 10**12  # exclusive: the stored pipeline has 12 integer digits
HISTORY_MAX_DAYS = 366
INACTIVE_AFTER = timedelta(days=7)  # §4.6: no activity for 7 days raises an alert


@dataclass(frozen=True, slots=True)
class CheckIn:
    """§4.3: one weekly check-in's metrics, recorded by an operator."""

    customer_id: int
    week_of: date
    drafts_approved: int
    replies: int
    meetings: int
    risks_blocked: int
    pipeline_sar: float
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ProofPack:
    """§4.1/§4.3: a Proof Pack delivered to a customer."""

    customer_id: int
    title: str
    delivered_at: datetime
    id: int | None = None


@dataclass(frozen=True, slots=True)
class CsatRating:
    """§4.2/§4.6: a closed ticket's 1–5 rating."""

    ticket_id: int
    customer_id: int
    rating: int
    rated_at: datetime


@dataclass(frozen=True, slots=True)
class NpsResponse:
    """§4.6: one 0–10 answer."""

    customer_id: int
    score: int
    responded_at: datetime
    id: int | None = None


@dataclass(frozen=True, slots=True)
class CustomerScores:
    """§4.1 and §4.2 for one customer at one instant."""

    health: Health
    at_risk: AtRisk


@dataclass(frozen=True, slots=True)
class HealthPoint:
    """§4.2: one day of a customer's health history."""

    day: date
    value: float
    band: HealthBand
    risk_score: int
    severity: Severity


def validate_check_in(check_in: CheckIn) -> CheckIn:
    """§4.3: the week's counts are 0..COUNT_MAX; the pipeline is 0 up to (not including)
    PIPELINE_SAR_LIMIT once rounded to the halala, as it is stored."""
    counts = {
        "draftsApproved": check_in.drafts_approved,
        "replies": check_in.replies,
        "meetings": check_in.meetings,
        "risksBlocked": check_in.risks_blocked,
    }
    for field, count in counts.items():
        if not 0 <= count <= COUNT_MAX:
            raise DomainError(
                field, ErrorCode.OUT_OF_RANGE, Msg.FIELD_COUNT_RANGE, field=field, limit=COUNT_MAX
            )
    sar = check_in.pipeline_sar
    # The chained comparison also refuses NaN and infinities, and keeps 1e26 and up away from
    # the rounding (Decimal's 28 digits cannot quantize them); the rounding is the stored
    # value's (half away from zero).
    if not 0 <= sar < PIPELINE_SAR_LIMIT or _halalas(sar) >= PIPELINE_SAR_LIMIT:
        raise DomainError(
            "pipelineSar",
            ErrorCode.OUT_OF_RANGE,
            Msg.PIPELINE_RANGE,
            limit=PIPELINE_SAR_LIMIT,
        )
    return check_in


def _halalas(sar: float) -> Decimal:
    return Decimal(str(sar)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def validate_title(title: str) -> str:
    """A Proof Pack's title: required, at most 120 characters; returned trimmed."""
    trimmed = title.strip()
    if text.blank(trimmed):
        raise DomainError("title", ErrorCode.REQUIRED, Msg.PROOF_PACK_NEEDS_TITLE)
    if len(trimmed) > TITLE_LIMIT:
        raise DomainError("title", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=TITLE_LIMIT)
    return trimmed


def not_in_future(field: str, at: datetime, now: datetime) -> datetime:
    """A recorded event cannot have happened after now."""
    if at > now:
        raise DomainError(field, ErrorCode.OUT_OF_RANGE, Msg.FIELD_IN_FUTURE, field=field)
    return at


def history_days(days: int) -> int:
    """How many days of health history may be asked for at once: 1..366."""
    if not 1 <= days <= HISTORY_MAX_DAYS:
        raise DomainError("days", ErrorCode.OUT_OF_RANGE, Msg.DAYS_RANGE, limit=HISTORY_MAX_DAYS)
    return days
