"""The CS plan report: each metric against its target with a traffic light, and the period's top
issues, as Markdown or CSV in Arabic or English (docs/rules.md §8.4)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from domain.messages import Language

YELLOW_BAND: Final = (1, 5)  # a miss of at most 20% of the target is yellow
MONTH_DAYS: Final = 30
TOP_ISSUES: Final = 5


class Light(StrEnum):
    """§8.4: green met, yellow missed by at most 20% of the target, red worse, grey no data."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    GREY = "grey"


class Metric(StrEnum):
    """§8.4: the report's metrics, in its order."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    CHURN = "churn"
    SUPPORT_LOAD = "support_load"
    CSAT = "csat"
    NPS = "nps"


@dataclass(frozen=True, slots=True)
class Target:
    """A §8.4 target: `lower` better (value < target) or higher (value > target)."""

    value: float
    lower_is_better: bool
    unit: str


TARGETS: Final = {
    Metric.FIRST_RESPONSE: Target(4, True, "h"),
    Metric.RESOLUTION: Target(24, True, "h"),
    Metric.CHURN: Target(5, True, "%"),
    Metric.SUPPORT_LOAD: Target(10, True, "%"),
    Metric.CSAT: Target(90, False, "%"),
    Metric.NPS: Target(40, False, ""),
}

LABELS: Final = {
    Metric.FIRST_RESPONSE: ("متوسط أول رد", "Average first response"),
    Metric.RESOLUTION: ("متوسط زمن الحل", "Average resolution"),
    Metric.CHURN: ("معدل الإلغاء (شهرياً)", "Churn (a month)"),
    Metric.SUPPORT_LOAD: ("عبء الدعم", "Support load"),
    Metric.CSAT: ("رضا العملاء CSAT", "CSAT"),
    Metric.NPS: ("NPS", "NPS"),
}
LIGHT_LABELS: Final = {
    Light.GREEN: ("أخضر", "green"),
    Light.YELLOW: ("أصفر", "yellow"),
    Light.RED: ("أحمر", "red"),
    Light.GREY: ("رمادي", "grey"),
}
HEADINGS: Final = {
    Language.AR: ("تقرير خطة نجاح العملاء", "المؤشر", "القيمة", "الهدف", "الحالة",
                  "أبرز المشكلات", "الكلمة", "العدد", "من", "إلى", "لا توجد مشكلات"),
    Language.EN: ("CS plan report", "Metric", "Value", "Target", "Light",
                  "Top issues", "Keyword", "Count", "From", "To", "No issues"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Line:
    """One metric's value (None: no data) and light."""

    metric: Metric
    value: float | None
    light: Light


@dataclass(frozen=True, slots=True)
class Issue:
    """A matched keyword (§2.2) and how many of the period's tickets matched it."""

    keyword: str
    count: int


def light(metric: Metric, value: float | None) -> Light:
    """§8.4: the metric's light. Lower-better: < target green, ≤ 1.2 × target yellow; higher-
    better: > target green, ≥ 0.8 × target yellow; else red; None grey."""
    if value is None:
        return Light.GREY
    target = TARGETS[metric]
    low, high = YELLOW_BAND
    if target.lower_is_better:
        if value < target.value:
            return Light.GREEN
        return Light.YELLOW if value * high <= target.value * (high + low) else Light.RED
    if value > target.value:
        return Light.GREEN
    return Light.YELLOW if value * high >= target.value * (high - low) else Light.RED


@dataclass(frozen=True, slots=True)
class Period:
    """What the metrics are made from, over [start, end)."""

    first_response_minutes: Sequence[float]
    resolution_hours: Sequence[float]
    csat_pct: float | None
    nps: float | None
    customers_at_start: int
    churned: int
    tickets: int
    active_customers: int
    days: float


def lines(period: Period) -> list[Line]:
    """§8.4: the six metrics in order — hours, churn scaled to 30 days, support load as tickets
    per 100 active customers — each with its light."""
    p = period
    values: dict[Metric, float | None] = {
        Metric.FIRST_RESPONSE: _mean(p.first_response_minutes, 60),
        Metric.RESOLUTION: _mean(p.resolution_hours, 1),
        Metric.CHURN: (
            round(100 * p.churned / p.customers_at_start * MONTH_DAYS / p.days, 2)
            if p.customers_at_start and p.days > 0
            else None
        ),
        Metric.SUPPORT_LOAD: (
            round(100 * p.tickets / p.active_customers, 2) if p.active_customers else None
        ),
        Metric.CSAT: p.csat_pct,
        Metric.NPS: p.nps,
    }
    return [Line(metric, value, light(metric, value)) for metric, value in values.items()]


def _mean(values: Sequence[float], per: float) -> float | None:
    return round(sum(values) / len(values) / per, 2) if values else None


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    shown = f"{value:g}"
    return f"{shown} {unit}".strip() if unit == "h" else f"{shown}{unit}"


def _target(metric: Metric) -> str:
    target = TARGETS[metric]
    sign = "<" if target.lower_is_better else ">"
    return f"{sign} {_number(target.value, target.unit)}"


def _rows(found: Sequence[Line], language: Language) -> list[list[str]]:
    at = 0 if language is Language.AR else 1
    return [
        [
            LABELS[line.metric][at],
            _number(line.value, TARGETS[line.metric].unit),
            _target(line.metric),
            LIGHT_LABELS[line.light][at],
        ]
        for line in found
    ]


def markdown(
    found: Sequence[Line],
    issues: Sequence[Issue],
    *,
    start: datetime,
    end: datetime,
    language: Language,
) -> str:
    """§8.4: the report as Markdown: a heading with the period, the metrics table, top issues."""
    h = HEADINGS[language]
    out = [f"# {h[0]}", "", f"{h[8]}: {start.isoformat()} · {h[9]}: {end.isoformat()}", ""]
    out += [f"| {h[1]} | {h[2]} | {h[3]} | {h[4]} |", "|---|---|---|---|"]
    out += ["| " + " | ".join(row) + " |" for row in _rows(found, language)]
    out += ["", f"## {h[5]}", ""]
    out += [f"{i}. {issue.keyword} ({issue.count})" for i, issue in enumerate(issues, 1)] or [h[10]]
    return "\n".join(out) + "\n"


def csv_text(found: Sequence[Line], issues: Sequence[Issue], *, language: Language) -> str:
    """§8.4: the report as CSV: the metrics' rows, then one row per top issue."""
    h = HEADINGS[language]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([h[1], h[2], h[3], h[4]])
    writer.writerows(_rows(found, language))
    for issue in issues:
        writer.writerow([h[5], issue.keyword, h[7], str(issue.count)])
    return buffer.getvalue()
