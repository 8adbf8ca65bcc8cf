"""docs/rules.md §8.4: the CS plan report's traffic lights, every boundary, and its exports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import cs_plan
from domain.cs_plan import Issue, Light, Line, Metric, Period
from domain.messages import Language

G, Y, R, N = Light.GREEN, Light.YELLOW, Light.RED, Light.GREY


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        (Metric.FIRST_RESPONSE, None, N),
        (Metric.FIRST_RESPONSE, 3.99, G),
        (Metric.FIRST_RESPONSE, 4, Y),
        (Metric.FIRST_RESPONSE, 4.8, Y),
        (Metric.FIRST_RESPONSE, 4.81, R),
        (Metric.RESOLUTION, 23.99, G),
        (Metric.RESOLUTION, 24, Y),
        (Metric.RESOLUTION, 28.8, Y),
        (Metric.RESOLUTION, 28.81, R),
        (Metric.CHURN, 0, G),
        (Metric.CHURN, 4.99, G),
        (Metric.CHURN, 5, Y),
        (Metric.CHURN, 6, Y),
        (Metric.CHURN, 6.01, R),
        (Metric.SUPPORT_LOAD, 9.99, G),
        (Metric.SUPPORT_LOAD, 10, Y),
        (Metric.SUPPORT_LOAD, 12, Y),
        (Metric.SUPPORT_LOAD, 12.01, R),
        (Metric.CSAT, 90.1, G),
        (Metric.CSAT, 90, Y),
        (Metric.CSAT, 72, Y),
        (Metric.CSAT, 71.9, R),
        (Metric.CSAT, None, N),
        (Metric.NPS, 40.1, G),
        (Metric.NPS, 40, Y),
        (Metric.NPS, 32, Y),
        (Metric.NPS, 31.9, R),
        (Metric.NPS, -100, R),
    ],
)
def test_light(metric: Metric, value: float | None, expected: Light) -> None:
    assert cs_plan.light(metric, value) is expected


def test_lines_scale_churn_to_a_month_and_load_to_a_hundred_customers() -> None:
    period = Period(
        first_response_minutes=[240, 336],  # 4.8 h on average
        resolution_hours=[],
        csat_pct=72.0,
        nps=None,
        customers_at_start=20,
        churned=1,  # 5% in 15 days → 10% a month
        tickets=3,
        active_customers=25,  # 12%
        days=15,
    )
    assert cs_plan.lines(period) == [
        Line(Metric.FIRST_RESPONSE, 4.8, Y),
        Line(Metric.RESOLUTION, None, N),
        Line(Metric.CHURN, 10.0, R),
        Line(Metric.SUPPORT_LOAD, 12.0, Y),
        Line(Metric.CSAT, 72.0, Y),
        Line(Metric.NPS, None, N),
    ]


LINES = [
    Line(Metric.FIRST_RESPONSE, 4.8, Y),
    Line(Metric.RESOLUTION, None, N),
    Line(Metric.CHURN, 0.0, G),
    Line(Metric.SUPPORT_LOAD, 12.5, R),
    Line(Metric.CSAT, 95.0, G),
    Line(Metric.NPS, -20.0, R),
]
ISSUES = [Issue("outage", 3), Issue("عطل", 1)]
START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


def test_markdown_in_english_and_arabic() -> None:
    assert cs_plan.markdown(LINES, ISSUES, start=START, end=END, language=Language.EN) == (
        "# CS plan report\n\n"
        "From: 2026-11-01T00:00:00+00:00 · To: 2026-12-01T00:00:00+00:00\n\n"
        "| Metric | Value | Target | Light |\n"
        "|---|---|---|---|\n"
        "| Average first response | 4.8 h | < 4 h | yellow |\n"
        "| Average resolution | — | < 24 h | grey |\n"
        "| Churn (a month) | 0% | < 5% | green |\n"
        "| Support load | 12.5% | < 10% | red |\n"
        "| CSAT | 95% | > 90% | green |\n"
        "| NPS | -20 | > 40 | red |\n\n"
        "## Top issues\n\n"
        "1. outage (3)\n"
        "2. عطل (1)\n"
    )
    arabic = cs_plan.markdown(LINES, [], start=START, end=END, language=Language.AR)
    assert arabic.splitlines()[0] == "# تقرير خطة نجاح العملاء"
    assert "| متوسط أول رد | 4.8 h | < 4 h | أصفر |" in arabic
    assert arabic.endswith("## أبرز المشكلات\n\nلا توجد مشكلات\n")


def test_csv_in_english_and_arabic() -> None:
    assert cs_plan.csv_text(LINES, ISSUES, language=Language.EN) == (
        "Metric,Value,Target,Light\n"
        "Average first response,4.8 h,< 4 h,yellow\n"
        "Average resolution,—,< 24 h,grey\n"
        "Churn (a month),0%,< 5%,green\n"
        "Support load,12.5%,< 10%,red\n"
        "CSAT,95%,> 90%,green\n"
        "NPS,-20,> 40,red\n"
        "Top issues,outage,Count,3\n"
        "Top issues,عطل,Count,1\n"
    )
    arabic = cs_plan.csv_text(LINES, [], language=Language.AR).splitlines()
    assert arabic[0] == "المؤشر,القيمة,الهدف,الحالة"
    assert arabic[5] == "رضا العملاء CSAT,95%,> 90%,أخضر"
