"""SLA clocks: due times, clock states, breaches and the health report (docs/rules.md §2.5–§2.7),
counted in working time (§7)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from domain import calendars, support_modes
from domain.calendars import RoundTheClock, WorkCalendar
from domain.support_modes import SupportMode
from domain.tickets import TIERS, Pause, Priority, Ticket

# Round the clock in the default zone, for a ticket whose organisation's zone is not known.
TWENTY_FOUR_SEVEN = RoundTheClock()
# What a clock counts in: round the clock, or a business calendar (§7).
Counting = RoundTheClock | WorkCalendar

# §2.5's 80% rule as a fraction kept exact: at risk once elapsed × 5 ≥ target × 4.
_AT_RISK_NUMERATOR, _AT_RISK_DENOMINATOR = 4, 5
_FAR = datetime(9000, 1, 1, tzinfo=UTC)


def _aware(at: datetime) -> datetime:
    # A naive datetime is a programming error, never a user's input: fail loudly.
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("datetimes in the domain must be timezone-aware")
    return at


def _working(start: datetime, calendar: Counting) -> Iterator[tuple[datetime, datetime]]:
    if not isinstance(calendar, WorkCalendar):
        yield start, _FAR
        return
    for local in calendars.days_from(calendar, start):
        for low, high in local.working:
            if high > start:
                yield max(low, start), high


def _counted(
    start: datetime, calendar: Counting, pauses: Sequence[Pause]
) -> Iterator[tuple[datetime, datetime]]:
    """The working intervals from `start` on, pauses cut out; none after an open pause starts."""
    closed = sorted((p.start, p.end) for p in pauses if p.end is not None)
    open_from = min((p.start for p in pauses if p.end is None), default=None)
    for low, high in _working(start, calendar):
        if open_from is not None:
            if low >= open_from:
                return
            high = min(high, open_from)
        for paused_from, paused_to in closed:
            if paused_to <= low or paused_from >= high:
                continue
            if paused_from > low:
                yield low, paused_from
            low = max(low, paused_to)
            if low >= high:
                break
        if low < high:
            yield low, high


def due_at(start: datetime, minutes: int, calendar: Counting = TWENTY_FOUR_SEVEN) -> datetime:
    """§7: the deadline `minutes` of working time after `start` (a start outside working time
    counts from the next working moment); the only deadline arithmetic."""
    found = paused_due_at(start, minutes, calendar, ())
    assert found is not None  # without an open pause every target is reached
    return found


def paused_due_at(
    start: datetime, minutes: int, calendar: Counting, pauses: Sequence[Pause]
) -> datetime | None:
    """§7 pause: `due_at` with the paused spans not counted; None while an open pause holds the
    clock before its target is reached (the due time is not known until the customer replies)."""
    if minutes < 0:
        raise ValueError("an SLA target cannot be negative")
    return _reach(start, timedelta(minutes=minutes), calendar, pauses)


def at_risk_at(
    start: datetime, minutes: int, calendar: Counting, pauses: Sequence[Pause] = ()
) -> datetime | None:
    """§2.5/§7: the moment a running clock turns at risk — 80% of its target counted in working
    time, pauses excluded; None while an open pause holds it before then."""
    if minutes < 0:
        raise ValueError("an SLA target cannot be negative")
    return _reach(start, _at_risk_share(minutes), calendar, pauses)


def _at_risk_share(minutes: int) -> timedelta:
    micros = minutes * 60_000_000 * _AT_RISK_NUMERATOR // _AT_RISK_DENOMINATOR
    return timedelta(microseconds=micros)


def _reach(
    start: datetime, remaining: timedelta, calendar: Counting, pauses: Sequence[Pause]
) -> datetime | None:
    begin = _aware(start).astimezone(UTC)
    if not pauses and not isinstance(calendar, WorkCalendar):
        return begin + remaining
    if not remaining:
        return begin
    if not pauses:
        assert isinstance(calendar, WorkCalendar)
        line = calendars.timeline(calendar)
        reached = line.reach(calendars.micros(begin), remaining // calendars.MICROSECOND)
        return calendars.from_micros(reached)
    for low, high in _counted(begin, calendar, pauses):
        if high - low >= remaining:
            return low + remaining
        remaining -= high - low
    return None


def worked(
    start: datetime, end: datetime, calendar: Counting, pauses: Sequence[Pause] = ()
) -> timedelta:
    """§7: the working time counted between `start` and `end`, pauses excluded (0 if reversed)."""
    begin, stop = _aware(start).astimezone(UTC), _aware(end).astimezone(UTC)
    total = timedelta(0)
    if stop <= begin:
        return total
    if not pauses and isinstance(calendar, WorkCalendar):
        line = calendars.timeline(calendar)
        counted = line.counted_before(calendars.micros(stop))
        return timedelta(microseconds=counted - line.counted_before(calendars.micros(begin)))
    for low, high in _counted(begin, calendar, pauses):
        if low >= stop:
            break
        total += min(high, stop) - low
    return total


def closed_at(pauses: Sequence[Pause], at: datetime) -> tuple[Pause, ...]:
    """The pauses with an open one ended at `at`: as if the customer replied then."""
    return tuple(p if p.end is not None else Pause(p.start, max(p.start, at)) for p in pauses)


@dataclass(frozen=True, slots=True)
class DueTimes:
    """A ticket's two deadlines from `openedAt` and the current priority (§2.5), in its working
    time (§7), and when each clock turns at risk; the resolution's are None while a pause holds
    it."""

    first_response_due_at: datetime
    resolution_due_at: datetime | None
    first_response_at_risk_at: datetime | None = None
    resolution_at_risk_at: datetime | None = None


def first_response_minutes(
    priority: Priority, opened_at: datetime, calendar: Counting, mode: SupportMode | None
) -> int:
    """§7 support modes: the tier's first-response target, or the mode's when it is earlier
    (the earlier due time counts; due_at is monotone in minutes)."""
    tier = TIERS[priority].first_response_minutes
    if mode is None:
        return tier
    target = support_modes.TARGET_MINUTES[mode]
    if target is None:  # by the end of the same working day
        target = _to_end_of_working_day(opened_at, calendar)
    return min(tier, target)


def ticket_first_response_minutes(ticket: Ticket) -> int:
    """§7: a ticket's first-response target in minutes, its support mode considered."""
    mode = None if ticket.support_mode is None else ticket.support_mode.mode
    calendar = ticket.calendar or TWENTY_FOUR_SEVEN
    return first_response_minutes(ticket.priority, ticket.lifecycle.opened_at, calendar, mode)


def _to_end_of_working_day(start: datetime, calendar: Counting) -> int:
    """Whole working minutes from `start` to the end of the working day it counts in."""
    begin = _aware(start).astimezone(UTC)
    if not isinstance(calendar, WorkCalendar):
        # Round the clock, the working day is the organisation's local day: to its midnight.
        end = calendars.end_of_local_day(begin, calendar.zone)
    else:
        end = next(
            day.working[-1][1]
            for day in calendars.days_from(calendar, begin)
            if day.working and day.working[-1][1] > begin
        )
    return worked(begin, end, calendar) // timedelta(minutes=1)


def due_times(
    priority: Priority,
    opened_at: datetime,
    calendar: Counting = TWENTY_FOUR_SEVEN,
    pauses: Sequence[Pause] = (),
    first_response: int | None = None,
) -> DueTimes:
    """§2.5/§7: firstResponseDueAt (never paused; `first_response` minutes when a support mode
    sets an earlier target) and resolutionDueAt (moved by the pauses)."""
    tier = TIERS[priority]
    first, resolution = tier.first_response_minutes, tier.resolution_hours * 60
    if first_response is not None:
        first = first_response
    if isinstance(calendar, WorkCalendar) and not pauses:
        # The bulk re-computation's path: one position on the timeline, four deadlines from it.
        line = calendars.timeline(calendar)
        base = line.counted_before(calendars.micros(_aware(opened_at)))
        fr, res = (
            (
                timedelta(minutes=m) // calendars.MICROSECOND,
                _at_risk_share(m) // calendars.MICROSECOND,
            )
            for m in (first, resolution)
        )
        at = [calendars.from_micros(line.at_total(base + amount)) for amount in (*fr, *res)]
        first_due = at[0] if first else _aware(opened_at).astimezone(UTC)
        return DueTimes(first_due, at[2], at[1], at[3])
    return DueTimes(
        first_response_due_at=due_at(opened_at, first, calendar),
        resolution_due_at=paused_due_at(opened_at, resolution, calendar, pauses),
        first_response_at_risk_at=at_risk_at(opened_at, first, calendar),
        resolution_at_risk_at=at_risk_at(opened_at, resolution, calendar, pauses),
    )


class ClockState(StrEnum):
    """Where an SLA clock stands (§2.5, §2.6)."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"


@dataclass(frozen=True, slots=True)
class Clock:
    """One SLA clock at an instant; `remaining_seconds` is 0.0 once the target has passed.
    Elapsed and remaining are working time (§7); `paused` while the customer is awaited."""

    state: ClockState
    elapsed_seconds: float
    remaining_seconds: float
    due_at: datetime
    breached: bool
    paused: bool = False


def clock(
    started_at: datetime,
    target_minutes: int,
    stopped_at: datetime | None,
    now: datetime,
    calendar: Counting = TWENTY_FOUR_SEVEN,
    pauses: Sequence[Pause] = (),
) -> Clock:
    """§2.5/§2.6/§7: a clock's state. Breached once it stops (or `now` is) past its due time —
    in 24/7 that is elapsed strictly over the target; at risk at 80% of the working time."""
    start, end = _aware(started_at), _aware(now if stopped_at is None else stopped_at)
    if stopped_at is not None and end < start:
        raise ValueError("a clock cannot stop before it starts")
    if target_minutes < 0:
        raise ValueError("an SLA target cannot be negative")
    paused = stopped_at is None and any(p.end is None for p in pauses)
    target = timedelta(minutes=target_minutes)
    due: datetime | None
    if not pauses and not isinstance(calendar, WorkCalendar):
        # Round the clock, nothing paused (most tickets): `worked` and `paused_due_at` reduce
        # to this arithmetic (a property test holds them equal); read paths run it per ticket.
        # In UTC: two datetimes of one zone subtract as wall times, across a DST change too.
        begin = start.astimezone(UTC)
        elapsed = max(end.astimezone(UTC) - begin, timedelta(0))
        due = begin + target
    else:
        # Clock skew between processes may put `now` a moment before the start: count that
        # as 0.
        elapsed = worked(start, end, calendar, pauses)
        due = paused_due_at(start, target_minutes, calendar, pauses)
        if due is None:  # held by a pause: the due time if the customer replied now
            due = paused_due_at(start, target_minutes, calendar, closed_at(pauses, end))
            assert due is not None
    if end > due:
        state = ClockState.BREACHED
    elif stopped_at is not None:
        state = ClockState.MET
    elif elapsed * _AT_RISK_DENOMINATOR >= target * _AT_RISK_NUMERATOR:
        state = ClockState.AT_RISK
    else:
        state = ClockState.ON_TRACK
    return Clock(
        state=state,
        elapsed_seconds=elapsed.total_seconds(),
        remaining_seconds=max(target - elapsed, timedelta(0)).total_seconds(),
        due_at=due.astimezone(UTC),
        breached=state is ClockState.BREACHED,
        paused=paused,
    )


@dataclass(frozen=True, slots=True)
class TicketClocks:
    """A ticket's first-response and resolution clocks (§2.5)."""

    first_response: Clock
    resolution: Clock


def ticket_clocks(
    priority: Priority,
    opened_at: datetime,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
    now: datetime,
    calendar: Counting = TWENTY_FOUR_SEVEN,
    pauses: Sequence[Pause] = (),
    first_response: int | None = None,
) -> TicketClocks:
    """§2.5/§7: both clocks of a ticket, from `opened_at` and its current priority (and support
    mode: `first_response` minutes); only the resolution clock pauses."""
    tier = TIERS[priority]
    first = tier.first_response_minutes if first_response is None else first_response
    return TicketClocks(
        first_response=clock(opened_at, first, first_response_at, now, calendar),
        resolution=clock(opened_at, tier.resolution_hours * 60, resolved_at, now, calendar, pauses),
    )


@dataclass(frozen=True, slots=True)
class Breach:
    """Which §2.6 targets a ticket breached, with one message per breach."""

    first_response_breached: bool
    resolution_breached: bool
    messages: tuple[str, ...]

    @property
    def breached(self) -> bool:
        """True when either target was breached; such a ticket counts once in reports."""
        return self.first_response_breached or self.resolution_breached


def evaluate_breach(
    priority: Priority, first_response_minutes: float | None, resolution_hours: float | None
) -> Breach:
    """§2.6: compare elapsed times (None = no time to judge) with the tier's targets."""
    tier = TIERS[priority]
    fr = first_response_minutes is not None and first_response_minutes > tier.first_response_minutes
    res = resolution_hours is not None and resolution_hours > tier.resolution_hours
    messages: list[str] = []
    if fr:
        messages.append(
            f"first_response: {first_response_minutes:.0f} > {tier.first_response_minutes} min"
        )
    if res:
        messages.append(f"resolution: {resolution_hours:.1f}h > {tier.resolution_hours}h")
    return Breach(fr, res, tuple(messages))


class Verdict(StrEnum):
    """The §2.7 health verdict on a breach rate."""

    HEALTHY = "healthy"
    WATCH = "watch"
    CRITICAL = "critical"


def verdict(breach_rate: float) -> Verdict:
    """§2.7: healthy < 0.10 ≤ watch < 0.25 ≤ critical, on the rounded rate."""
    if breach_rate < 0.10:
        return Verdict.HEALTHY
    if breach_rate < 0.25:
        return Verdict.WATCH
    return Verdict.CRITICAL


@dataclass(frozen=True, slots=True)
class TicketSla:
    """One ticket's measured times for §2.7; `age_hours` judges clocks that are still running."""

    priority: Priority
    first_response_minutes: float | None
    resolution_hours: float | None
    # Hours from opening to the report's `now`: an unanswered or unresolved ticket past its
    # target is breached too (§2.6), but must not enter the averages.
    age_hours: float | None = None
    # The ticket's own clocks' verdict at the report's `now` (§7: working time, pauses, support
    # mode), when known; None: judged from the elapsed times above (round the clock).
    clocks_breached: bool | None = None

    @property
    def breached(self) -> bool:
        """Whether the ticket counts as breached in the report: its clocks' verdict when
        known, else §2.6 on the elapsed times."""
        if self.clocks_breached is not None:
            return self.clocks_breached
        return self.breach().breached

    def breach(self) -> Breach:
        """§2.6: this ticket's breaches, running clocks judged at `age_hours`."""
        fr = self.first_response_minutes
        if fr is None and self.age_hours is not None:
            fr = self.age_hours * 60
        res = self.resolution_hours if self.resolution_hours is not None else self.age_hours
        return evaluate_breach(self.priority, fr, res)


def ticket_sla(
    priority: Priority,
    opened_at: datetime,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
    now: datetime,
    clocks_breached: bool | None = None,
) -> TicketSla:
    """§2.7: a ticket's measured times (elapsed, for the averages), from its timestamps, and
    its clocks' verdict when the caller knows it (§7), as the health report reads them."""

    def hours(end: datetime) -> float:
        return (_aware(end) - _aware(opened_at)).total_seconds() / 3600

    return TicketSla(
        priority=priority,
        first_response_minutes=None if first_response_at is None else hours(first_response_at) * 60,
        resolution_hours=None if resolved_at is None else hours(resolved_at),
        age_hours=max(hours(now), 0.0),
        clocks_breached=clocks_breached,
    )


@dataclass(frozen=True, slots=True)
class PriorityHealth:
    """§2.7 per-priority line; averages are None when nothing was responded or resolved."""

    priority: Priority
    count: int
    breaches: int
    avg_first_response_minutes: float | None
    avg_resolution_hours: float | None


@dataclass(frozen=True, slots=True)
class HealthReport:
    """§2.7 SLA health over a set of tickets; `by_priority` always lists P0 to P3."""

    total: int
    breached: int
    breach_rate: float
    verdict: Verdict
    by_priority: tuple[PriorityHealth, ...]


def _average(values: Sequence[float], digits: int) -> float | None:
    return round(sum(values) / len(values), digits) if values else None


def _priority_health(priority: Priority, tickets: Sequence[TicketSla]) -> PriorityHealth:
    mine = [t for t in tickets if t.priority == priority]
    return PriorityHealth(
        priority=priority,
        count=len(mine),
        breaches=sum(1 for t in mine if t.breached),
        avg_first_response_minutes=_average(
            [t.first_response_minutes for t in mine if t.first_response_minutes is not None], 1
        ),
        avg_resolution_hours=_average(
            [t.resolution_hours for t in mine if t.resolution_hours is not None], 2
        ),
    )


def health_report(tickets: Sequence[TicketSla]) -> HealthReport:
    """§2.7: total, breached (once per ticket), rounded breach rate, verdict, per-priority lines."""
    total = len(tickets)
    breached = sum(1 for t in tickets if t.breached)
    rate = round(breached / total, 3) if total else 0.0
    return HealthReport(
        total=total,
        breached=breached,
        breach_rate=rate,
        verdict=verdict(rate),
        by_priority=tuple(_priority_health(p, tickets) for p in Priority),
    )
