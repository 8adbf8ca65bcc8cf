"""The CS plan report (docs/rules.md §8.4): metrics with traffic lights, top issues, exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import asyncpg
import strawberry
from strawberry.types import Info

from domain import cs_plan, metrics
from domain.errors import DomainError, ErrorCode
from domain.messages import Language, Msg
from domain.roles import Action
from resolvers.common import refusals_as_errors
from resolvers.store import cs_plan as store
from resolvers.store import metrics as metric_store
from schema.context import Context
from schema.types import cs_plan as types

CtxInfo = Info[Context, None]


@dataclass(frozen=True, slots=True)
class Report:
    """A period's lines and top issues."""

    start: datetime
    end: datetime
    lines: list[cs_plan.Line]
    issues: list[cs_plan.Issue]

    def text(self, format: types.ReportFormat, language: Language) -> str:
        if format is types.ReportFormat.CSV:
            return cs_plan.csv_text(self.lines, self.issues, language=language)
        return cs_plan.markdown(
            self.lines, self.issues, start=self.start, end=self.end, language=language
        )


def check_period(start: datetime, end: datetime) -> None:
    """The period is [from, to) with `to` after `from`."""
    if not start < end:
        raise DomainError("to", ErrorCode.INVALID, Msg.TO_AFTER_FROM)


async def build(conn: asyncpg.Connection, *, org_id: int, start: datetime, end: datetime) -> Report:
    """Read the period's inputs and judge each metric (§8.4)."""
    found = await metric_store.inputs(conn, org_id=org_id, start=start, end=end)
    issues = await store.top_issues(conn, org_id=org_id, start=start, end=end)
    period = cs_plan.Period(
        first_response_minutes=found.first_response_minutes,
        resolution_hours=found.resolution_hours,
        csat_pct=metrics.csat_pct(found.ratings),
        nps=metrics.net_promoter_score(found.nps),
        customers_at_start=found.customers_at_start,
        churned=found.churned,
        tickets=found.tickets,
        active_customers=found.active_customers,
        days=(end - start).total_seconds() / 86_400,
    )
    return Report(start, end, cs_plan.lines(period), issues)


@refusals_as_errors
async def cs_plan_report(
    info: CtxInfo,
    from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
    to: Annotated[datetime, strawberry.argument(description="Exclusive; after `from`.")],
) -> types.CsPlanReport:
    """§8.4 over [from, to) for the caller's organisation."""
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="csPlanReport")
    check_period(from_, to)
    async with ctx.db() as conn:
        report = await build(conn, org_id=principal.org_id, start=from_, end=to)
    return types.CsPlanReport.build(report.lines, report.issues, report.text)
