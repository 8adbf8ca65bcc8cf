"""docs/rules.md §2.5–§2.7: due times, SLA clocks, breaches and the health report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import sla
from domain.sla import ClockState, PriorityHealth, TicketSla, Verdict
from domain.tickets import Priority

P0, P1, P2, P3 = Priority.P0, Priority.P1, Priority.P2, Priority.P3
OPENED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _after(**delta: float) -> datetime:
    return OPENED + timedelta(**delta)


# §2.5 due times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "due"),
    [(0, OPENED), (30, _after(minutes=30)), (1440, _after(days=1)), (10080, _after(days=7))],
)
def test_due_at_adds_round_the_clock_minutes(minutes: int, due: datetime) -> None:
    assert sla.due_at(OPENED, minutes) == due
    assert sla.due_at(OPENED, minutes, sla.TWENTY_FOUR_SEVEN) == due


def test_due_at_returns_utc() -> None:
    riyadh = datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=3)))
    due = sla.due_at(riyadh, 30)
    assert (due, due.tzinfo) == (_after(minutes=30), UTC)


def test_due_at_refuses_naive_start_and_negative_target() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sla.due_at(datetime(2025, 3, 1, 9, 0), 30)  # noqa: DTZ001
    with pytest.raises(ValueError, match="negative"):
        sla.due_at(OPENED, -1)


@pytest.mark.parametrize(
    ("priority", "first_response_due", "resolution_due"),
    [
        (P0, _after(minutes=30), _after(hours=4)),
        (P1, _after(hours=2), _after(hours=24)),
        (P2, _after(hours=8), _after(hours=72)),
        (P3, _after(hours=24), _after(hours=168)),
    ],
)
def test_due_times_from_opening_and_priority(
    priority: Priority, first_response_due: datetime, resolution_due: datetime
) -> None:
    due = sla.due_times(priority, OPENED)
    assert (due.first_response_due_at, due.resolution_due_at) == (
        first_response_due,
        resolution_due,
    )
    # At risk at 80% of each target (§2.5), round the clock.
    assert due.first_response_at_risk_at == OPENED + (first_response_due - OPENED) * 4 / 5
    assert due.resolution_at_risk_at == OPENED + (resolution_due - OPENED) * 4 / 5


def test_raising_priority_moves_due_times() -> None:
    assert sla.due_times(P3, OPENED).first_response_due_at == _after(hours=24)
    assert sla.due_times(P1, OPENED).first_response_due_at == _after(hours=2)


# §2.5/§2.6 clocks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "elapsed", "state", "remaining"),
    [
        (30, timedelta(0), ClockState.ON_TRACK, 1800.0),
        (30, timedelta(minutes=24) - timedelta(microseconds=1), ClockState.ON_TRACK, 360.000001),
        (30, timedelta(minutes=24), ClockState.AT_RISK, 360.0),
        (30, timedelta(minutes=30), ClockState.AT_RISK, 0.0),
        (30, timedelta(minutes=30, microseconds=1), ClockState.BREACHED, 0.0),
        (120, timedelta(minutes=95, seconds=59), ClockState.ON_TRACK, 1441.0),
        (120, timedelta(minutes=96), ClockState.AT_RISK, 1440.0),
        (240, timedelta(hours=10), ClockState.BREACHED, 0.0),
    ],
)
def test_open_clock_runs_to_now(
    target: int, elapsed: timedelta, state: ClockState, remaining: float
) -> None:
    result = sla.clock(OPENED, target, None, OPENED + elapsed)
    assert result == sla.Clock(
        state=state,
        elapsed_seconds=elapsed.total_seconds(),
        remaining_seconds=remaining,
        due_at=_after(minutes=target),
        breached=state is ClockState.BREACHED,
    )


@pytest.mark.parametrize(
    ("minutes", "state"),
    [
        (20, ClockState.MET),
        (29, ClockState.MET),
        (30, ClockState.MET),
        (30.5, ClockState.BREACHED),
        (120, ClockState.BREACHED),
    ],
)
def test_stopped_clock_is_met_unless_strictly_over(minutes: float, state: ClockState) -> None:
    late_now = _after(days=30)
    result = sla.clock(OPENED, 30, _after(minutes=minutes), late_now)
    assert (result.state, result.elapsed_seconds, result.breached) == (
        state,
        minutes * 60,
        state is ClockState.BREACHED,
    )


def test_clock_before_its_start_counts_zero() -> None:
    assert sla.clock(OPENED, 30, None, _after(seconds=-2)).elapsed_seconds == 0.0


def test_clock_refuses_a_negative_target() -> None:
    with pytest.raises(ValueError, match="negative"):
        sla.clock(OPENED, -1, None, _after(minutes=5))


_moments = st.datetimes(
    datetime(2024, 1, 1),  # noqa: DTZ001 (hypothesis takes naive bounds, then a zone)
    datetime(2031, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from(
        [
            UTC,
            timezone(timedelta(hours=3)),
            timezone(timedelta(hours=-5, minutes=-30)),
            ZoneInfo("Europe/Berlin"),  # DST: its wall times are not its elapsed time
        ]
    ),
)


@given(_moments, st.integers(0, 60 * 24 * 30), st.none() | _moments, _moments)
def test_round_the_clock_shortcut_is_the_general_count(
    start: datetime, target: int, stopped: datetime | None, now: datetime
) -> None:
    # A 24/7 clock with nothing paused is counted by plain arithmetic; it must be what
    # `worked` and `paused_due_at` count (the path of calendars and pauses).
    if stopped is not None and stopped < start:
        stopped = start
    found = sla.clock(start, target, stopped, now)
    end = now if stopped is None else stopped
    elapsed = sla.worked(start, end, sla.TWENTY_FOUR_SEVEN)
    due = sla.paused_due_at(start, target, sla.TWENTY_FOUR_SEVEN, ())
    assert due is not None
    assert found.elapsed_seconds == elapsed.total_seconds()
    assert found.due_at == due
    assert found.due_at.tzinfo is UTC
    remaining = max(timedelta(minutes=target) - elapsed, timedelta(0))
    assert found.remaining_seconds == remaining.total_seconds()
    assert found.breached is (end > due)
    assert not found.paused


def test_a_round_the_clock_clock_across_a_dst_change_counts_real_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # 2025-03-30 02:00 → 03:00: the night is an hour short
    found = sla.clock(
        datetime(2025, 3, 29, 22, 0, tzinfo=berlin),
        480,
        None,
        datetime(2025, 3, 30, 6, 0, tzinfo=berlin),
    )
    assert found.elapsed_seconds == 7 * 3600
    assert found.state is ClockState.AT_RISK


def test_clock_refuses_stopping_before_start() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        sla.clock(OPENED, 30, _after(minutes=-1), _after(minutes=5))


def test_ticket_clocks_use_the_current_priority() -> None:
    clocks = sla.ticket_clocks(P0, OPENED, _after(minutes=12), None, _after(hours=3, minutes=12))
    assert (clocks.first_response.state, clocks.first_response.due_at) == (
        ClockState.MET,
        _after(minutes=30),
    )
    assert (clocks.resolution.state, clocks.resolution.due_at) == (
        ClockState.AT_RISK,
        _after(hours=4),
    )


# §2.6 breach -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "minutes", "hours", "first_response", "resolution", "messages"),
    [
        (P0, 20, 3, False, False, ()),
        (P0, 30, 4, False, False, ()),
        (
            P0,
            120,
            10,
            True,
            True,
            ("first_response: 120 > 30 min", "resolution: 10.0h > 4h"),
        ),
        (P0, 30.4, 4.04, True, True, ("first_response: 30 > 30 min", "resolution: 4.0h > 4h")),
        (P1, 121, None, True, False, ("first_response: 121 > 120 min",)),
        (P1, None, 24.25, False, True, ("resolution: 24.2h > 24h",)),
        (P2, 480, 72, False, False, ()),
        (P2, 600, 70, True, False, ("first_response: 600 > 480 min",)),
        (
            P3,
            1500,
            200,
            True,
            True,
            ("first_response: 1500 > 1440 min", "resolution: 200.0h > 168h"),
        ),
        (P3, None, None, False, False, ()),
    ],
)
def test_breach_is_strictly_greater(
    priority: Priority,
    minutes: float | None,
    hours: float | None,
    first_response: bool,
    resolution: bool,
    messages: tuple[str, ...],
) -> None:
    breach = sla.evaluate_breach(priority, minutes, hours)
    assert breach == sla.Breach(first_response, resolution, messages)
    assert breach.breached is (first_response or resolution)


# §2.7 health report ----------------------------------------------------------------------------


def _tickets(*rows: tuple[Priority, float, float]) -> list[TicketSla]:
    return [TicketSla(p, minutes, hours) for p, minutes, hours in rows]


def test_reference_report_one_in_three_is_critical() -> None:
    report = sla.health_report(_tickets((P0, 12, 2), (P1, 90, 18), (P3, 1500, 200)))
    assert report == sla.HealthReport(
        total=3,
        breached=1,
        breach_rate=0.333,
        verdict=Verdict.CRITICAL,
        by_priority=(
            PriorityHealth(P0, 1, 0, 12.0, 2.0),
            PriorityHealth(P1, 1, 0, 90.0, 18.0),
            PriorityHealth(P2, 0, 0, None, None),
            PriorityHealth(P3, 1, 1, 1500.0, 200.0),
        ),
    )


def test_reference_report_one_in_four_is_critical() -> None:
    report = sla.health_report(
        _tickets((P0, 12, 2.5), (P1, 90, 18), (P2, 600, 70), (P3, 1200, 100))
    )
    assert (report.total, report.breached, report.breach_rate, report.verdict) == (
        4,
        1,
        0.25,
        Verdict.CRITICAL,
    )


@pytest.mark.parametrize(
    ("breaches", "total", "rate", "verdict"),
    [
        (0, 0, 0.0, Verdict.HEALTHY),
        (0, 5, 0.0, Verdict.HEALTHY),
        (1, 20, 0.05, Verdict.HEALTHY),
        (1, 11, 0.091, Verdict.HEALTHY),
        (1, 10, 0.1, Verdict.WATCH),
        (2, 9, 0.222, Verdict.WATCH),
        (1, 4, 0.25, Verdict.CRITICAL),
        (1, 3, 0.333, Verdict.CRITICAL),
        (3, 3, 1.0, Verdict.CRITICAL),
    ],
)
def test_breach_rate_and_verdict(breaches: int, total: int, rate: float, verdict: Verdict) -> None:
    rows = [(P0, 120.0, 10.0)] * breaches + [(P1, 60.0, 12.0)] * (total - breaches)
    report = sla.health_report(_tickets(*rows))
    assert (report.total, report.breached, report.breach_rate, report.verdict) == (
        total,
        breaches,
        rate,
        verdict,
    )


@pytest.mark.parametrize(
    ("rate", "verdict"),
    [
        (0.0, Verdict.HEALTHY),
        (0.099, Verdict.HEALTHY),
        (0.1, Verdict.WATCH),
        (0.249, Verdict.WATCH),
        (0.25, Verdict.CRITICAL),
        (1.0, Verdict.CRITICAL),
    ],
)
def test_verdict_thresholds(rate: float, verdict: Verdict) -> None:
    assert sla.verdict(rate) is verdict


def test_ticket_breaching_both_targets_counts_once() -> None:
    report = sla.health_report(_tickets((P0, 120, 10)))
    assert (report.breached, report.by_priority[0].breaches) == (1, 1)


def test_averages_round_and_skip_unanswered_and_unresolved() -> None:
    rows = [
        TicketSla(P2, 10, 1),
        TicketSla(P2, 11, 2),
        TicketSla(P2, 12.25, 2.3333),
        TicketSla(P2, None, None, age_hours=1),
        TicketSla(P2, 5, None, age_hours=1),
    ]
    assert sla.health_report(rows).by_priority[2] == PriorityHealth(P2, 5, 0, 9.6, 1.78)


@pytest.mark.parametrize(
    ("row", "breached"),
    [
        (TicketSla(P0, None, None, age_hours=0.5), False),
        (TicketSla(P0, None, None, age_hours=0.51), True),
        (TicketSla(P0, 10, None, age_hours=4), False),
        (TicketSla(P0, 10, None, age_hours=4.01), True),
        (TicketSla(P0, 10, 3, age_hours=50), False),
    ],
)
def test_running_clocks_breach_at_their_age(row: TicketSla, breached: bool) -> None:
    report = sla.health_report([row])
    assert report.breached == int(breached)
    assert report.by_priority[0].avg_first_response_minutes == row.first_response_minutes


def test_ticket_sla_from_timestamps() -> None:
    row = sla.ticket_sla(P1, OPENED, _after(minutes=90), _after(hours=18), _after(days=2))
    assert row == TicketSla(P1, 90.0, 18.0, 48.0)
    waiting = sla.ticket_sla(P1, OPENED, None, None, _after(hours=3))
    assert waiting == TicketSla(P1, None, None, 3.0)
    assert waiting.breach().messages == ("first_response: 180 > 120 min",)


def test_a_tickets_own_clocks_verdict_decides_its_breach_in_the_report() -> None:
    # 30 elapsed hours past a P3's 24-hour first response target, but in working time its clock
    # is not breached (§7): the report counts what the clock says; the averages stay elapsed.
    late = TicketSla(P3, 30 * 60, None, age_hours=30, clocks_breached=False)
    assert late.breach().breached is True
    assert late.breached is False
    early = TicketSla(P3, 10, None, age_hours=1, clocks_breached=True)
    assert early.breached is True
    report = sla.health_report([late, early])
    assert (report.breached, report.breach_rate) == (1, 0.5)
    [p3] = [line for line in report.by_priority if line.priority == P3]
    assert (p3.breaches, p3.avg_first_response_minutes) == (1, 905.0)
