"""The CS plan report's types (docs/rules.md §8.4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Annotated

import strawberry

from domain import cs_plan
from domain.messages import Language

Light = strawberry.enum(cs_plan.Light, name="TrafficLight", description="docs/rules.md §8.4.")
Metric = strawberry.enum(
    cs_plan.Metric, name="CsPlanMetric", description="A CS plan metric (docs/rules.md §8.4)."
)
ReportLanguage = strawberry.enum(
    Language, name="ReportLanguage", description="The language of an exported report."
)


@strawberry.enum(description="An exported report's format.")
class ReportFormat(StrEnum):
    MARKDOWN = "md"
    CSV = "csv"


@strawberry.type(description="One metric against its target (docs/rules.md §8.4).")
class CsPlanLine:
    metric: cs_plan.Metric = strawberry.field(description="Which metric.")
    value: float | None = strawberry.field(
        description="Hours for response and resolution; % for churn (a month), support load "
        "(tickets per 100 active customers) and CSAT; the NPS score. Null: no data."
    )
    target: float = strawberry.field(description="The target it is judged against.")
    lower_is_better: bool = strawberry.field(description="Whether below the target is better.")
    light: cs_plan.Light = strawberry.field(description="Green, yellow, red or grey.")


@strawberry.type(description="A matched keyword (docs/rules.md §2.2) and its ticket count.")
class CsPlanIssue:
    keyword: str = strawberry.field(description="The keyword the classifier matched.")
    count: int = strawberry.field(description="How many of the period's tickets matched it.")


def _export(
    root: CsPlanReport,
    format: Annotated[
        ReportFormat, strawberry.argument(description="Markdown (default) or CSV.")
    ] = ReportFormat.MARKDOWN,
    language: Annotated[
        Language, strawberry.argument(description="Arabic (default) or English.")
    ] = Language.AR,
) -> str:
    return root._render(format, language)


@strawberry.type(description="The CS plan report over a period (docs/rules.md §8.4).")
class CsPlanReport:
    lines: list[CsPlanLine] = strawberry.field(description="The six metrics, in order.")
    top_issues: list[CsPlanIssue] = strawberry.field(description="Most frequent first.")
    _render: strawberry.Private[Callable[[ReportFormat, Language], str]]

    export = strawberry.field(
        resolver=_export,
        description="The report as text: Markdown or CSV, Arabic or English.",
    )

    @classmethod
    def build(
        cls,
        lines: Sequence[cs_plan.Line],
        issues: Sequence[cs_plan.Issue],
        render: Callable[[ReportFormat, Language], str],
    ) -> CsPlanReport:
        return cls(
            lines=[
                CsPlanLine(
                    metric=line.metric,
                    value=line.value,
                    target=cs_plan.TARGETS[line.metric].value,
                    lower_is_better=cs_plan.TARGETS[line.metric].lower_is_better,
                    light=line.light,
                )
                for line in lines
            ],
            top_issues=[CsPlanIssue(keyword=i.keyword, count=i.count) for i in issues],
            _render=render,
        )
