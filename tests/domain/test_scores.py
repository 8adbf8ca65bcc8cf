"""docs/rules.md §4.1 at-risk score and §4.2 health score, every number pinned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain import scores
from domain.errors import DomainError, ErrorCode
from domain.scores import Contribution, HealthBand, RiskSignal, Severity

HIGH_ACTION = "أرسل إيميل personal من المؤسس + احجز QBR هذا الأسبوع."
MEDIUM_ACTION = "أرسل Proof Pack ملخص + اقترح ديمو لخدمة جديدة."
LOW_ACTION = "متابعة weekly check-in عادية."
SEV1 = RiskSignal(
    reason_ar="حادثة SEV1 مفتوحة تؤثر على العميل.",
    points=20,
    reason_en="An open SEV1 incident affects the customer.",
)
P0_BREACH = RiskSignal(
    reason_ar="تجاوز SLA لتذكرة P0 خلال آخر 14 يوم.",
    points=20,
    reason_en="A P0 ticket breached its SLA in the last 14 days.",
)


# --- §4.1 at-risk ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inactive", "pending", "proof_age", "score", "severity"),
    [
        (20, 15, 21, 95, Severity.HIGH),
        (2, 1, 3, 0, Severity.LOW),
        (7, 0, 0, 20, Severity.LOW),
        (14, 0, 0, 40, Severity.MEDIUM),
        (0, 5, 0, 10, Severity.LOW),
        (0, 10, 0, 25, Severity.LOW),
        (0, 0, 14, 30, Severity.MEDIUM),
        (0, 0, 13, 0, Severity.LOW),
        (7, 5, 0, 30, Severity.MEDIUM),
        (7, 10, 0, 45, Severity.MEDIUM),
        (14, 10, 0, 65, Severity.HIGH),
        (14, 0, 14, 70, Severity.HIGH),
        (6, 4, 13, 0, Severity.LOW),
    ],
)
def test_at_risk_grid(
    inactive: int, pending: int, proof_age: int, score: int, severity: Severity
) -> None:
    result = scores.at_risk(inactive, pending, proof_age)
    assert (result.score, result.severity) == (score, severity)


@pytest.mark.parametrize(
    ("inactive", "pending", "proof_age", "score"),
    [
        (6, 0, 0, 0),
        (7, 0, 0, 20),
        (13, 0, 0, 20),
        (14, 0, 0, 40),
        (0, 4, 0, 0),
        (0, 5, 0, 10),
        (0, 9, 0, 10),
        (0, 10, 0, 25),
        (0, 0, 13, 0),
        (0, 0, 14, 30),
    ],
)
def test_at_risk_tier_boundaries_are_exclusive_within_a_factor(
    inactive: int, pending: int, proof_age: int, score: int
) -> None:
    assert scores.at_risk(inactive, pending, proof_age).score == score


@pytest.mark.parametrize(
    ("inactive", "pending", "proof_age", "reasons"),
    [
        (14, 0, 0, ("العميل غير نشط منذ 14 يوم.",)),
        (7, 0, 0, ("انخفاض النشاط منذ 7 يوم.",)),
        (13, 0, 0, ("انخفاض النشاط منذ 13 يوم.",)),
        (0, 10, 0, ("10 مسودة معلقة بدون اعتماد.",)),
        (0, 5, 0, ("تراكم 5 مسودة بدون اعتماد.",)),
        (0, 9, 0, ("تراكم 9 مسودة بدون اعتماد.",)),
        (0, 0, 14, ("آخر Proof Pack قبل 14 يوم — يتجاوز SLA.",)),
        (6, 4, 13, ()),
        (
            20,
            15,
            21,
            (
                "العميل غير نشط منذ 20 يوم.",
                "15 مسودة معلقة بدون اعتماد.",
                "آخر Proof Pack قبل 21 يوم — يتجاوز SLA.",
            ),
        ),
        (
            7,
            5,
            30,
            (
                "انخفاض النشاط منذ 7 يوم.",
                "تراكم 5 مسودة بدون اعتماد.",
                "آخر Proof Pack قبل 30 يوم — يتجاوز SLA.",
            ),
        ),
    ],
)
def test_at_risk_reasons_in_factor_order(
    inactive: int, pending: int, proof_age: int, reasons: tuple[str, ...]
) -> None:
    assert scores.at_risk(inactive, pending, proof_age).reasons == reasons


@pytest.mark.parametrize(
    ("inactive", "pending", "proof_age", "action"),
    [
        (14, 10, 0, HIGH_ACTION),
        (14, 0, 0, MEDIUM_ACTION),
        (0, 0, 0, LOW_ACTION),
    ],
)
def test_at_risk_recommended_action(
    inactive: int, pending: int, proof_age: int, action: str
) -> None:
    assert scores.at_risk(inactive, pending, proof_age).recommended_action == action


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        (0, Severity.LOW),
        (29, Severity.LOW),
        (30, Severity.MEDIUM),
        (59, Severity.MEDIUM),
        (60, Severity.HIGH),
        (100, Severity.HIGH),
    ],
)
def test_risk_severity_thresholds(score: int, severity: Severity) -> None:
    assert scores.risk_severity(score) == severity


def test_at_risk_caps_at_100() -> None:
    result = scores.at_risk(20, 15, 21, extra=(SEV1, P0_BREACH))
    assert result.score == 100
    assert result.severity == Severity.HIGH
    assert result.reasons[3:] == (SEV1.reason_ar, P0_BREACH.reason_ar)


@pytest.mark.parametrize(
    ("inactive", "pending", "proof_age", "extra", "score", "severity"),
    [
        (0, 0, 0, (SEV1,), 20, Severity.LOW),
        (0, 0, 0, (SEV1, P0_BREACH), 40, Severity.MEDIUM),
        (14, 0, 0, (P0_BREACH,), 60, Severity.HIGH),
        (7, 5, 0, (SEV1,), 50, Severity.MEDIUM),
    ],
)
def test_at_risk_extra_signals_add_points_and_reasons_last(
    inactive: int,
    pending: int,
    proof_age: int,
    extra: tuple[RiskSignal, ...],
    score: int,
    severity: Severity,
) -> None:
    result = scores.at_risk(inactive, pending, proof_age, extra=extra)
    assert (result.score, result.severity) == (score, severity)
    assert result.reasons[-len(extra) :] == tuple(s.reason_ar for s in extra)


def test_product_signals_are_the_proposed_ones() -> None:
    assert scores.SEV1_INCIDENT_OPEN == SEV1
    assert scores.P0_SLA_BREACHED_14_DAYS == P0_BREACH


@pytest.mark.parametrize("points", [-1, 101])
def test_risk_signal_refuses_points_out_of_range(points: int) -> None:
    with pytest.raises(DomainError) as caught:
        RiskSignal(reason_ar="x", points=points, reason_en="x")
    assert (caught.value.field, caught.value.code) == ("points", ErrorCode.OUT_OF_RANGE)


@pytest.mark.parametrize(
    ("inactive", "pending", "proof_age", "field"),
    [(-1, 0, 0, "days_inactive"), (0, -1, 0, "pending_drafts"), (0, 0, -1, "proof_pack_age_days")],
)
def test_at_risk_refuses_negative_inputs(
    inactive: int, pending: int, proof_age: int, field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        scores.at_risk(inactive, pending, proof_age)
    assert (caught.value.field, caught.value.code) == (field, ErrorCode.OUT_OF_RANGE)


@pytest.mark.parametrize(
    ("previous", "current", "rose"),
    [
        (None, Severity.LOW, False),
        (None, Severity.MEDIUM, True),
        (None, Severity.HIGH, True),
        (Severity.LOW, Severity.LOW, False),
        (Severity.LOW, Severity.MEDIUM, True),
        (Severity.MEDIUM, Severity.HIGH, True),
        (Severity.LOW, Severity.HIGH, True),
        (Severity.HIGH, Severity.HIGH, False),
        (Severity.HIGH, Severity.MEDIUM, False),
        (Severity.MEDIUM, Severity.LOW, False),
    ],
)
def test_severity_rose(previous: Severity | None, current: Severity, rose: bool) -> None:
    assert scores.severity_rose(previous, current) is rose


# --- §4.2 health ----------------------------------------------------------------------------


def test_health_domain_example() -> None:
    result = scores.health(4.0, 18000, 1, 1, 1, 3, 2)
    assert result.value == 83.0
    assert result.band == HealthBand.HEALTHY
    assert result.contributions == (
        Contribution("csat", 8.0, 40.0),
        Contribution("pipeline_sar", 18000.0, 18.0),
        Contribution("meetings", 1.0, 8.0),
        Contribution("approval_rate", 0.5, 25.0),
        Contribution("days_inactive", 3.0, -6.0),
        Contribution("drafts_pending", 2.0, -2.0),
    )
    assert len(result.explanation) == 6


@pytest.mark.parametrize(
    ("pipeline_sar", "value", "band"),
    [
        (75000, 75.0, HealthBand.HEALTHY),
        (74900, 74.9, HealthBand.WATCH),
        (50000, 50.0, HealthBand.WATCH),
        (49900, 49.9, HealthBand.AT_RISK),
        (74950, 75.0, HealthBand.HEALTHY),
    ],
)
def test_health_band_boundaries(pipeline_sar: float, value: float, band: HealthBand) -> None:
    result = scores.health(None, pipeline_sar, 0, 0, 0, 0, 0)
    assert (result.value, result.band) == (value, band)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (100.0, HealthBand.HEALTHY),
        (75.0, HealthBand.HEALTHY),
        (74.9, HealthBand.WATCH),
        (50.0, HealthBand.WATCH),
        (49.9, HealthBand.AT_RISK),
        (0.0, HealthBand.AT_RISK),
    ],
)
def test_health_band(value: float, band: HealthBand) -> None:
    assert scores.health_band(value) == band


@pytest.mark.parametrize(
    ("args", "value", "clamp_line"),
    [
        ((5.0, 200000, 3, 4, 0, 0, 0), 100.0, "Total 324.0 clamped to 100.0."),
        ((None, 0, 0, 0, 0, 30, 5), 0.0, "Total -65.0 clamped to 0.0."),
    ],
)
def test_health_clamps_to_0_100(
    args: tuple[float | None, float, int, int, int, int, int], value: float, clamp_line: str
) -> None:
    result = scores.health(*args)
    assert result.value == value
    assert result.explanation[-1] == clamp_line


def test_health_without_rating_counts_csat_zero_and_says_so() -> None:
    result = scores.health(None, 18000, 1, 1, 1, 3, 2)
    assert result.value == 43.0
    assert result.band == HealthBand.AT_RISK
    assert result.contributions[0] == Contribution("csat", 0.0, 0.0)
    assert result.explanation[0] == "No ticket rating in the period: CSAT counts 0 (+0.0)."


def test_health_without_decided_drafts_counts_approval_zero() -> None:
    result = scores.health(4.0, 18000, 1, 0, 0, 3, 2)
    assert result.value == 58.0
    assert result.contributions[3] == Contribution("approval_rate", 0.0, 0.0)
    assert (
        result.explanation[3] == "No drafts decided in the period: approval rate counts 0 (+0.0)."
    )


def test_health_explains_each_term() -> None:
    assert scores.health(4.0, 18000, 1, 1, 1, 3, 2).explanation == (
        "CSAT average 4.0/5 → 8.0/10 × 5 = +40.0",
        "Pipeline 18,000 SAR / 1000 = +18.0",
        "1 meeting(s) × 8 = +8.0",
        "Approval rate 1/2 = 0.50 × 50 = +25.0",
        "3 day(s) inactive × 2 = -6.0",
        "2 draft(s) pending = -2.0",
    )


@pytest.mark.parametrize(
    ("approved", "rejected", "rate", "points", "value"),
    [(1, 2, 0.3333333333333333, 16.67, 16.7), (3, 0, 1.0, 50.0, 50.0), (0, 4, 0.0, 0.0, 0.0)],
)
def test_health_approval_rate(
    approved: int, rejected: int, rate: float, points: float, value: float
) -> None:
    result = scores.health(None, 0, 0, approved, rejected, 0, 0)
    assert result.contributions[3] == Contribution("approval_rate", rate, points)
    assert result.value == value


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((0.5, 0, 0, 0, 0, 0, 0), "csat_avg"),
        ((5.1, 0, 0, 0, 0, 0, 0), "csat_avg"),
        ((float("nan"), 0, 0, 0, 0, 0, 0), "csat_avg"),
        ((None, -1, 0, 0, 0, 0, 0), "pipeline_sar"),
        ((None, 0, -1, 0, 0, 0, 0), "meetings"),
        ((None, 0, 0, -1, 0, 0, 0), "approved"),
        ((None, 0, 0, 0, -1, 0, 0), "rejected"),
        ((None, 0, 0, 0, 0, -1, 0), "days_inactive"),
        ((None, 0, 0, 0, 0, 0, -1), "drafts_pending"),
    ],
)
def test_health_refuses_out_of_range_inputs(
    args: tuple[float | None, float, int, int, int, int, int], field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        scores.health(*args)
    assert (caught.value.field, caught.value.code) == (field, ErrorCode.OUT_OF_RANGE)


T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("later", "days"),
    [
        (T0, 0),
        (T0 + timedelta(hours=23, minutes=59), 0),
        (T0 + timedelta(days=1), 1),
        (T0 + timedelta(days=3, hours=23), 3),
        (T0 + timedelta(days=14), 14),
        (T0 - timedelta(days=2), 0),
    ],
)
def test_days_between_counts_whole_days(later: datetime, days: int) -> None:
    assert scores.days_between(T0, later) == days


def test_health_explains_each_term_in_english_and_arabic_line_for_line() -> None:
    result = scores.health(4.0, 18000, 1, 1, 1, 3, 2)
    assert result.explanation_ar == (
        "متوسط CSAT 4.0/5، أي 8.0/10 × 5 = +40.0",
        "الـ pipeline 18,000 ريال / 1000 = +18.0",
        "1 اجتماع × 8 = +8.0",
        "نسبة الاعتماد 1/2 = 0.50 × 50 = +25.0",
        "3 يوم بلا نشاط × 2 = -6.0",
        "2 مسودة معلقة = -2.0",
    )
    assert len(result.explanation) == len(result.explanation_ar)


def test_at_risk_gives_reasons_and_action_in_english_in_the_same_order() -> None:
    result = scores.at_risk(20, 15, 21, extra=(SEV1,))
    assert result.reasons_en == (
        "Customer inactive for 20 days.",
        "15 drafts pending without approval.",
        "Last Proof Pack 21 days ago — past the SLA.",
        "An open SEV1 incident affects the customer.",
    )
    assert result.recommended_action_en == (
        "Send a personal email from the founder + book a QBR this week."
    )
