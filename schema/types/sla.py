"""What a client sees of SLA clocks, priority tiers and the SLA health report (docs/rules.md §2)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import calendars, explain, sla, tickets
from schema import cost
from schema.types import errors

Priority = strawberry.enum(tickets.Priority, description="Ticket priority; P0 is the highest.")
TierOwner = strawberry.enum(tickets.Owner, name="TierOwner", description="Who answers a tier.")
SlaClockState = strawberry.enum(
    sla.ClockState, name="SlaClockState", description="ON_TRACK → AT_RISK (80%) → BREACHED, or MET."
)
SlaVerdict = strawberry.enum(
    sla.Verdict, name="SlaVerdict", description="healthy < 0.10 ≤ watch < 0.25 ≤ critical."
)


@strawberry.type(description="One priority tier of docs/rules.md §2.1.")
class SupportPriority:
    priority: tickets.Priority = strawberry.field(description="P0 (highest) to P3.")
    label_ar: str = strawberry.field(description="The tier's Arabic label (docs/rules.md §2.1).")
    first_response_minutes: int = strawberry.field(
        description="First-response target in minutes: 30, 120, 480 or 1440."
    )
    resolution_hours: int = strawberry.field(
        description="Resolution target in hours: 4, 24, 72 or 168."
    )
    owner: tickets.Owner = strawberry.field(description="Who answers this tier.")

    @classmethod
    def from_domain(cls, tier: tickets.PriorityTier) -> SupportPriority:
        return cls(
            priority=tier.priority,
            label_ar=tier.label_ar,
            first_response_minutes=tier.first_response_minutes,
            resolution_hours=tier.resolution_hours,
            owner=tier.owner,
        )


SlaSpanKind = strawberry.enum(
    explain.SpanKind,
    name="SlaSpanKind",
    description="What a stretch of time was: counted, or skipped and why (§7).",
)


@strawberry.type(description="One stretch of time between a clock's start and its due time.")
class SlaSpan:
    kind: explain.SpanKind = strawberry.field(
        description="COUNTED, OUTSIDE_HOURS, WEEKEND, HOLIDAY or PAUSED."
    )
    start: datetime = strawberry.field(description="Where the span starts.")
    end: datetime = strawberry.field(description="Where the span ends.")
    minutes: float = strawberry.field(description="Its length.")
    holiday: str | None = strawberry.field(description="The holiday's name, for HOLIDAY spans.")


@strawberry.type(description="How a clock's due time was reached (§7 Explain).")
class SlaExplanation:
    due_at: datetime = strawberry.field(description="The due time the spans lead to.")
    time_zone: str = strawberry.field(
        description="The zone the sentences' local times are in (UTC for 24/7)."
    )
    spans: list[SlaSpan] = strawberry.field(description="In order, start to due time.")
    sentence_ar: str = strawberry.field(description="The due time and why, in Arabic.")
    sentence_en: str = strawberry.field(description="The due time and why, in English.")


@strawberry.type(description="One SLA clock at the request's time (§2.5, §2.6).")
class SlaClock:
    started_at: strawberry.Private[datetime]
    counting: strawberry.Private[sla.Counting]
    pauses: strawberry.Private[tuple[tickets.Pause, ...]]
    now: strawberry.Private[datetime]
    state: sla.ClockState = strawberry.field(
        description=(
            "ON_TRACK, AT_RISK (80% of the working time used), BREACHED, or MET once stopped "
            "in time."
        )
    )
    due_at: datetime = strawberry.field(description="From the opening and the current priority.")
    target_minutes: int = strawberry.field(
        description="The current priority's target, in minutes (docs/rules.md §2.1)."
    )
    elapsed_seconds: float = strawberry.field(
        description="Opening to the stop (reply or resolution), or to now while it runs."
    )
    remaining_seconds: float = strawberry.field(description="0 once the target has passed.")
    breached: bool = strawberry.field(description="Elapsed strictly greater than the target.")
    message: str | None = strawberry.field(
        description="The §2.6 breach message, e.g. `first_response: 120 > 30 min`."
    )
    paused: bool = strawberry.field(
        description="Stopped while the customer is awaited (resolution clock only, §7)."
    )
    calendar: str = strawberry.field(description="The calendar it counts in: its name, or `24/7`.")

    explain: SlaExplanation = strawberry.field(
        resolver=lambda root: _explain(root),
        description="The counted and skipped spans and one sentence per language (§7).",
    )


def _explain(self: SlaClock) -> SlaExplanation:
    found = explain.explain(
        self.started_at, self.target_minutes, self.counting, self.pauses, now=self.now
    )
    return SlaExplanation(
        due_at=found.due_at,
        time_zone=found.zone,
        spans=[
            SlaSpan(
                kind=span.kind,
                start=span.start,
                end=span.end,
                minutes=span.minutes,
                holiday=span.holiday,
            )
            for span in found.spans
        ],
        sentence_ar=found.sentence_ar,
        sentence_en=found.sentence_en,
    )


@strawberry.type(description="A ticket's two SLA clocks; a ticket that breached both counts once.")
class TicketSla:
    first_response: SlaClock = strawberry.field(description="The first-response clock.")
    resolution: SlaClock = strawberry.field(description="The resolution clock.")
    breached: bool = strawberry.field(
        description="Either clock breached; a ticket counts once (docs/rules.md §2.6)."
    )
    messages: list[str] = strawberry.field(
        description="The breach messages, e.g. `first_response: 120 > 30 min`."
    )

    @classmethod
    def build(
        cls,
        priority: tickets.Priority,
        lifecycle: tickets.Lifecycle,
        now: datetime,
        calendar: sla.Counting = sla.TWENTY_FOUR_SEVEN,
        first_response: int | None = None,
    ) -> TicketSla:
        tier = tickets.TIERS[priority]
        first = tier.first_response_minutes if first_response is None else first_response
        clocks = sla.ticket_clocks(
            priority,
            lifecycle.opened_at,
            lifecycle.first_response_at,
            lifecycle.resolved_at,
            now,
            calendar,
            lifecycle.pauses,
            first,
        )
        fr, res = clocks.first_response, clocks.resolution
        # §2.6's messages, on the clocks' own targets (a support mode may set the first's).
        fr_message = (
            f"first_response: {fr.elapsed_seconds / 60:.0f} > {first} min" if fr.breached else None
        )
        res_message = (
            f"resolution: {res.elapsed_seconds / 3600:.1f}h > {tier.resolution_hours}h"
            if res.breached
            else None
        )
        messages = [m for m in (fr_message, res_message) if m is not None]
        start = lifecycle.opened_at
        return cls(
            first_response=_clock(fr, first, fr_message, (start, calendar, (), now)),
            resolution=_clock(
                res,
                tier.resolution_hours * 60,
                res_message,
                (start, calendar, lifecycle.pauses, now),
            ),
            breached=fr.breached or res.breached,
            messages=messages,
        )


def _clock(
    value: sla.Clock,
    target_minutes: int,
    message: str | None,
    how: tuple[datetime, sla.Counting, tuple[tickets.Pause, ...], datetime],
) -> SlaClock:
    started_at, counting, pauses, now = how
    return SlaClock(
        started_at=started_at,
        counting=counting,
        pauses=pauses,
        now=now,
        paused=value.paused,
        calendar=counting.name if isinstance(counting, calendars.WorkCalendar) else "24/7",
        state=value.state,
        due_at=value.due_at,
        target_minutes=target_minutes,
        elapsed_seconds=value.elapsed_seconds,
        remaining_seconds=value.remaining_seconds,
        breached=value.breached,
        message=message,
    )


@strawberry.type(description="One priority's line of the SLA health report (§2.7).")
class PriorityHealth:
    priority: tickets.Priority = strawberry.field(description="P0..P3.")
    count: int = strawberry.field(description="Tickets of this priority opened in the period.")
    breaches: int = strawberry.field(description="Of those, tickets with any breach.")
    avg_first_response_minutes: float | None = strawberry.field(
        description="Over responded tickets, 1 decimal; null when none was responded."
    )
    avg_resolution_hours: float | None = strawberry.field(
        description="Over resolved tickets, 2 decimals; null when none was resolved."
    )


# Query cost (schema/cost.py): both clocks are computed per ticket at request time; the report
# aggregates every ticket of a period.
cost.weigh("TicketSla", 2)
cost.weigh("SlaHealthReport", 50)


@strawberry.type(description="SLA health over a period for the organisation or one customer.")
class SlaHealthReport:
    period_start: datetime = strawberry.field(description="Start of the period (inclusive).")
    period_end: datetime = strawberry.field(description="End of the period (exclusive).")
    customer_id: strawberry.ID | None = strawberry.field(
        description="The customer reported on; null for the whole organisation."
    )
    total: int = strawberry.field(description="Tickets opened in the period.")
    breached: int = strawberry.field(description="Tickets with any breach, each counted once.")
    breach_rate: float = strawberry.field(description="round(breached / total, 3); 0.0 if none.")
    verdict: sla.Verdict = strawberry.field(
        description=(
            "From the rounded breach rate: healthy < 0.10 ≤ watch < 0.25 "
            "≤ critical (docs/rules.md §2.7)."
        )
    )
    by_priority: list[PriorityHealth] = strawberry.field(description="P0 to P3, always four.")
    live_actions_frozen: bool = strawberry.field(
        description="Whether the organisation's live actions are frozen now (§2.7)."
    )

    @classmethod
    def from_domain(
        cls,
        report: sla.HealthReport,
        *,
        start: datetime,
        end: datetime,
        customer_id: strawberry.ID | None,
        frozen: bool,
    ) -> SlaHealthReport:
        return cls(
            period_start=start,
            period_end=end,
            customer_id=customer_id,
            total=report.total,
            breached=report.breached,
            breach_rate=report.breach_rate,
            verdict=report.verdict,
            by_priority=[
                PriorityHealth(
                    priority=line.priority,
                    count=line.count,
                    breaches=line.breaches,
                    avg_first_response_minutes=line.avg_first_response_minutes,
                    avg_resolution_hours=line.avg_resolution_hours,
                )
                for line in report.by_priority
            ],
            live_actions_frozen=frozen,
        )


@strawberry.type(description="The organisation-wide freeze was lifted.")
class LiftFreezePayload:
    lifted_reason: str = strawberry.field(description="Why live actions had been frozen.")
    live_actions_frozen: bool = strawberry.field(
        description="Whether live actions are still frozen: false after a lift."
    )


LiftFreezeResult = Annotated[
    LiftFreezePayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("LiftFreezeResult", description="The lift, or why it was refused."),
]
