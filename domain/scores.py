"""Customer scores: the at-risk score (docs/rules.md §4.1) and the health score (§4.2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import DomainError, ErrorCode

SCORE_CAP = 100

# §4.1 reasons, one pair per factor: the higher tier first, then the lower tier.
REASON_INACTIVE_AR = "العميل غير نشط منذ {d} يوم."
REASON_LOW_ACTIVITY_AR = "انخفاض النشاط منذ {d} يوم."
REASON_PENDING_AR = "{n} مسودة معلقة بدون اعتماد."
REASON_PENDING_BUILDUP_AR = "تراكم {n} مسودة بدون اعتماد."
REASON_PROOF_PACK_AR = "آخر Proof Pack قبل {d} يوم — يتجاوز SLA."


# Defined early: the RiskSignal constants below validate when the module loads.
def _require_range(field: str, value: float, low: float, high: float | None) -> None:
    # `not low <= value` also refuses NaN.
    if not low <= value or (high is not None and not value <= high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise DomainError(field, ErrorCode.OUT_OF_RANGE, f"{field} must be {bound}, got {value}")


class Severity(StrEnum):
    """§4.1 at-risk severity, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}

RECOMMENDED_ACTION_AR = {
    Severity.HIGH: "أرسل إيميل personal من المؤسس + احجز QBR هذا الأسبوع.",
    Severity.MEDIUM: "أرسل Proof Pack ملخص + اقترح ديمو لخدمة جديدة.",
    Severity.LOW: "متابعة weekly check-in عادية.",
}


@dataclass(frozen=True, slots=True)
class RiskSignal:
    """A cross-cutting at-risk reason the product adds beyond the three §4.1 factors."""

    reason_ar: str
    points: int

    def __post_init__(self) -> None:
        _require_range("points", self.points, 0, SCORE_CAP)


# The product's two extra signals, +20 each (a proposal on top of §4.1).
SEV1_INCIDENT_OPEN = RiskSignal(reason_ar="حادثة SEV1 مفتوحة تؤثر على العميل.", points=20)
P0_SLA_BREACHED_14_DAYS = RiskSignal(reason_ar="تجاوز SLA لتذكرة P0 خلال آخر 14 يوم.", points=20)


@dataclass(frozen=True, slots=True)
class AtRisk:
    """An at-risk verdict: capped score, severity, reasons in factor order, recommended action."""

    score: int
    severity: Severity
    reasons: tuple[str, ...]
    recommended_action: str


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
    reasons: list[str] = []
    if days_inactive >= 14:
        score += 40
        reasons.append(REASON_INACTIVE_AR.format(d=days_inactive))
    elif days_inactive >= 7:
        score += 20
        reasons.append(REASON_LOW_ACTIVITY_AR.format(d=days_inactive))
    if pending_drafts >= 10:
        score += 25
        reasons.append(REASON_PENDING_AR.format(n=pending_drafts))
    elif pending_drafts >= 5:
        score += 10
        reasons.append(REASON_PENDING_BUILDUP_AR.format(n=pending_drafts))
    if proof_pack_age_days >= 14:
        score += 30
        reasons.append(REASON_PROOF_PACK_AR.format(d=proof_pack_age_days))
    for signal in extra:
        score += signal.points
        reasons.append(signal.reason_ar)
    capped = min(score, SCORE_CAP)
    severity = risk_severity(capped)
    return AtRisk(capped, severity, tuple(reasons), RECOMMENDED_ACTION_AR[severity])


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
    """A §4.2 health score: clamped value, band, each term in formula order, explanations."""

    value: float
    band: HealthBand
    contributions: tuple[Contribution, ...]
    explanation: tuple[str, ...]


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
        explanation += (f"Total {raw:.1f} clamped to {value:.1f}.",)
    contributions = tuple(
        Contribution(term.factor, float(term.input), round(term.points, 2)) for term in terms
    )
    return Health(value, health_band(value), contributions, explanation)


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
) -> tuple[str, ...]:
    csat, pipeline, meetings, rate, inactive, pending = terms
    if csat_avg is None:
        csat_line = "No ticket rating in the period: CSAT counts 0 (+0.0)."
    else:
        csat_line = f"CSAT average {csat_avg:.1f}/5 → {csat.input:.1f}/10 × 5 = {csat.points:+.1f}"
    if decided:
        rate_line = (
            f"Approval rate {approved}/{decided} = {rate.input:.2f} × 50 = {rate.points:+.1f}"
        )
    else:
        rate_line = "No drafts decided in the period: approval rate counts 0 (+0.0)."
    return (
        csat_line,
        f"Pipeline {pipeline.input:,.0f} SAR / 1000 = {pipeline.points:+.1f}",
        f"{meetings.input:.0f} meeting(s) × 8 = {meetings.points:+.1f}",
        rate_line,
        f"{inactive.input:.0f} day(s) inactive × 2 = {inactive.points:+.1f}",
        f"{pending.input:.0f} draft(s) pending = {pending.points:+.1f}",
    )
