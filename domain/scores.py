"""Customer scores: the at-risk score (docs/rules.md §4.1) and the health score (§4.2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain import messages
from domain.errors import DomainError, ErrorCode
from domain.messages import Language, Msg

SCORE_CAP = 100

# §4.1 reasons, one pair per factor: the higher tier first, then the lower tier.
# Their texts, in Arabic and English, are the message catalogue's (domain/messages.py).
REASON_INACTIVE_AR = Msg.RISK_INACTIVE.value.ar
REASON_LOW_ACTIVITY_AR = Msg.RISK_LOW_ACTIVITY.value.ar
REASON_PENDING_AR = Msg.RISK_PENDING.value.ar
REASON_PENDING_BUILDUP_AR = Msg.RISK_PENDING_BUILDUP.value.ar
REASON_PROOF_PACK_AR = Msg.RISK_PROOF_PACK.value.ar


# Defined early: the RiskSignal constants below validate when the module loads.
def _require_range(field: str, value: float, low: float, high: float | None) -> None:
    # `not low <= value` also refuses NaN.
    if high is not None and not low <= value <= high:
        raise DomainError(
            field,
            ErrorCode.OUT_OF_RANGE,
            Msg.FIELD_BETWEEN,
            field=field,
            low=f"{low:g}",
            high=f"{high:g}",
            value=value,
        )
    if not low <= value:
        raise DomainError(
            field,
            ErrorCode.OUT_OF_RANGE,
            Msg.FIELD_AT_LEAST,
            field=field,
            low=f"{low:g}",
            value=value,
        )


class Severity(StrEnum):
    """§4.1 at-risk severity, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}

RECOMMENDED_ACTION = {
    Severity.HIGH: Msg.ACTION_HIGH,
    Severity.MEDIUM: Msg.ACTION_MEDIUM,
    Severity.LOW: Msg.ACTION_LOW,
}
RECOMMENDED_ACTION_AR = {severity: msg.value.ar for severity, msg in RECOMMENDED_ACTION.items()}


@dataclass(frozen=True, slots=True)
class RiskSignal:
    """A cross-cutting at-risk reason the product adds beyond the three §4.1 factors."""

    reason_ar: str
    points: int
    reason_en: str

    def __post_init__(self) -> None:
        _require_range("points", self.points, 0, SCORE_CAP)


# The product's two extra signals, +20 each (a proposal on top of §4.1).
SEV1_INCIDENT_OPEN = RiskSignal(
    reason_ar=Msg.RISK_SEV1_OPEN.value.ar, points=20, reason_en=Msg.RISK_SEV1_OPEN.value.en
)
P0_SLA_BREACHED_14_DAYS = RiskSignal(
    reason_ar=Msg.RISK_P0_BREACHED.value.ar, points=20, reason_en=Msg.RISK_P0_BREACHED.value.en
)
# §8.2: a red flag raised in the last 14 days weighs like an open SEV1 (+20): both say the
# customer may be lost this month, and 20 lifts a medium customer (40–69) near the high line.
RED_FLAG_14_DAYS = RiskSignal(
    reason_ar=Msg.RISK_RED_FLAG.value.ar, points=20, reason_en=Msg.RISK_RED_FLAG.value.en
)


@dataclass(frozen=True, slots=True)
class AtRisk:
    """An at-risk verdict: capped score, severity, reasons in factor order, recommended action;
    reasons and action in Arabic, and the same in English (`…_en`)."""

    score: int
    severity: Severity
    reasons: tuple[str, ...]
    recommended_action: str
    reasons_en: tuple[str, ...]
    recommended_action_en: str


def at_risk(
    days_inactive: int,
    pending_drafts: int,
    proof_pack_age_days: int,
    *,
    extra: Sequence[RiskSignal] = (),
) -> AtRisk:
    """§4.1: score inactivity, pending approvals and proof-pack age, plus `extra` signals.

    Tiers are exclusive within a factor. Each `extra` signal adds its points and its reason
    after the three factors' reasons; the total is still capped at 100. The product's signals
    are `SEV1_INCIDENT_OPEN` (an open SEV1 affecting the customer) and `P0_SLA_BREACHED_14_DAYS`
    (a breached P0 ticket in the last 14 days), +20 each. With no extras this is §4.1 exactly.
    """
    _require_range("days_inactive", days_inactive, 0, None)
    _require_range("pending_drafts", pending_drafts, 0, None)
    _require_range("proof_pack_age_days", proof_pack_age_days, 0, None)
    score = 0
    reasons: list[messages.Text] = []
    if days_inactive >= 14:
        score += 40
        reasons.append(messages.text(Msg.RISK_INACTIVE, d=days_inactive))
    elif days_inactive >= 7:
        score += 20
        reasons.append(messages.text(Msg.RISK_LOW_ACTIVITY, d=days_inactive))
    if pending_drafts >= 10:
        score += 25
        reasons.append(messages.text(Msg.RISK_PENDING, n=pending_drafts))
    elif pending_drafts >= 5:
        score += 10
        reasons.append(messages.text(Msg.RISK_PENDING_BUILDUP, n=pending_drafts))
    if proof_pack_age_days >= 14:
        score += 30
        reasons.append(messages.text(Msg.RISK_PROOF_PACK, d=proof_pack_age_days))
    capped = min(score + sum(signal.points for signal in extra), SCORE_CAP)
    severity = risk_severity(capped)
    action = RECOMMENDED_ACTION[severity].value
    return AtRisk(
        score=capped,
        severity=severity,
        reasons=(*_in(reasons, Language.AR), *(signal.reason_ar for signal in extra)),
        recommended_action=action.ar,
        reasons_en=(*_in(reasons, Language.EN), *(signal.reason_en for signal in extra)),
        recommended_action_en=action.en,
    )


def _in(texts: Sequence[messages.Text], language: Language) -> tuple[str, ...]:
    return tuple(text.render(language) for text in texts)


def risk_severity(score: int) -> Severity:
    """§4.1: ≥ 60 high, ≥ 30 medium, else low."""
    if score >= 60:
        return Severity.HIGH
    if score >= 30:
        return Severity.MEDIUM
    return Severity.LOW


def severity_rose(previous: Severity | None, current: Severity) -> bool:
    """§5: true when the at-risk severity went up; a first score counts as rising from low."""
    return _RANK[current] > _RANK[previous or Severity.LOW]


class HealthBand(StrEnum):
    """§4.2 health band."""

    HEALTHY = "healthy"
    WATCH = "watch"
    AT_RISK = "at_risk"


@dataclass(frozen=True, slots=True)
class Contribution:
    """One §4.2 term: the formula's input value and the points it adds (negative subtracts)."""

    factor: str
    input: float
    points: float


@dataclass(frozen=True, slots=True)
class Health:
    """A §4.2 health score: clamped value, band, each term in formula order, and one line per
    term explaining it, in English (`explanation`) and in Arabic (`explanation_ar`)."""

    value: float
    band: HealthBand
    contributions: tuple[Contribution, ...]
    explanation: tuple[str, ...]
    explanation_ar: tuple[str, ...]


def health(
    csat_avg: float | None,
    pipeline_sar: float,
    meetings: int,
    approved: int,
    rejected: int,
    days_inactive: int,
    drafts_pending: int,
) -> Health:
    """§4.2: weigh CSAT, pipeline, meetings, approvals, inactivity and backlog into 0..100.

    `csat_avg` is the period's average 1–5 rating (None with no rating); the csat term's input
    is that average × 2 (0..10). Points are shown to 2 decimals; the value sums the exact terms.
    """
    _check_health_inputs(
        csat_avg, pipeline_sar, meetings, approved, rejected, days_inactive, drafts_pending
    )
    csat = 0.0 if csat_avg is None else csat_avg * 2
    decided = approved + rejected
    rate = approved / decided if decided else 0.0
    terms = (
        Contribution("csat", csat, csat * 5),
        Contribution("pipeline_sar", pipeline_sar, pipeline_sar / 1000),
        Contribution("meetings", meetings, meetings * 8.0),
        Contribution("approval_rate", rate, rate * 50),
        Contribution("days_inactive", days_inactive, 0.0 - days_inactive * 2),
        Contribution("drafts_pending", drafts_pending, 0.0 - drafts_pending),
    )
    raw = sum(term.points for term in terms)
    value = round(min(max(raw, 0.0), 100.0), 1)
    explanation = _explain(csat_avg, approved, decided, terms)
    if value != round(raw, 1):
        explanation.append(messages.text(Msg.HEALTH_CLAMPED, raw=raw, value=value))
    contributions = tuple(
        Contribution(term.factor, float(term.input), round(term.points, 2)) for term in terms
    )
    return Health(
        value,
        health_band(value),
        contributions,
        explanation=_in(explanation, Language.EN),
        explanation_ar=_in(explanation, Language.AR),
    )


def health_band(value: float) -> HealthBand:
    """§4.2: ≥ 75 healthy, 50–74.9 watch, < 50 at_risk (on the rounded value)."""
    if value >= 75:
        return HealthBand.HEALTHY
    if value >= 50:
        return HealthBand.WATCH
    return HealthBand.AT_RISK


def days_between(earlier: datetime, later: datetime) -> int:
    """§4.2: whole days from `earlier` to `later`, never negative (clock skew counts as 0)."""
    return max((later - earlier) // timedelta(days=1), 0)


def _check_health_inputs(
    csat_avg: float | None,
    pipeline_sar: float,
    meetings: int,
    approved: int,
    rejected: int,
    days_inactive: int,
    drafts_pending: int,
) -> None:
    if csat_avg is not None:
        _require_range("csat_avg", csat_avg, 1, 5)
    _require_range("pipeline_sar", pipeline_sar, 0, None)
    counts = {
        "meetings": meetings,
        "approved": approved,
        "rejected": rejected,
        "days_inactive": days_inactive,
        "drafts_pending": drafts_pending,
    }
    for field, count in counts.items():
        _require_range(field, count, 0, None)


def _explain(
    csat_avg: float | None, approved: int, decided: int, terms: tuple[Contribution, ...]
) -> list[messages.Text]:
    csat, pipeline, meetings, rate, inactive, pending = terms
    text = messages.text
    csat_line = (
        text(Msg.HEALTH_NO_CSAT)
        if csat_avg is None
        else text(Msg.HEALTH_CSAT, avg=csat_avg, input=csat.input, points=csat.points)
    )
    rate_line = (
        text(
            Msg.HEALTH_APPROVAL,
            approved=approved,
            decided=decided,
            input=rate.input,
            points=rate.points,
        )
        if decided
        else text(Msg.HEALTH_NO_DECISIONS)
    )
    return [
        csat_line,
        text(Msg.HEALTH_PIPELINE, input=pipeline.input, points=pipeline.points),
        text(Msg.HEALTH_MEETINGS, input=meetings.input, points=meetings.points),
        rate_line,
        text(Msg.HEALTH_INACTIVE, input=inactive.input, points=inactive.points),
        text(Msg.HEALTH_PENDING, input=pending.input, points=pending.points),
    ]
