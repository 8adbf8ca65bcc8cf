"""docs/rules.md §7: working time — due times in business calendars, pauses, explanations."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from domain import calendars, explain, sla, tickets
from domain.calendars import Holiday, RoundTheClock, WorkCalendar
from domain.errors import DomainError, ErrorCode
from domain.explain import SpanKind
from domain.tickets import Pause, Priority

if not os.getenv("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "wafi-hypothesis")

RIYADH = ZoneInfo("Asia/Riyadh")
OFFICE = WorkCalendar("office")  # Asia/Riyadh, Sunday–Thursday, 09:00–17:00
EID = Holiday(date(2026, 12, 7), "عيد")


def local(day: int, hour: int, minute: int = 0, zone: ZoneInfo = RIYADH) -> datetime:
    """December 2026, local time: the 3rd is a Thursday, the 4th a Friday, the 6th a Sunday."""
    return datetime(2026, 12, day, hour, minute, tzinfo=zone)


# §7's examples -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "holidays", "due"),
    [
        # P2 first response 8 h opened Thursday 15:00 → Sunday 15:00
        (local(3, 15), 480, (), local(6, 15)),
        # P1 2 h opened Wednesday 16:30 → Thursday 10:30
        (local(2, 16, 30), 120, (), local(3, 10, 30)),
        # 24 working hours from Friday 11:00 → Tuesday 17:00 …
        (local(4, 11), 24 * 60, (), local(8, 17)),
        # … and → Wednesday 17:00 when that Monday is a holiday
        (local(4, 11), 24 * 60, (EID,), local(9, 17)),
    ],
)
def test_due_at_counts_working_time(
    start: datetime, minutes: int, holidays: tuple[Holiday, ...], due: datetime
) -> None:
    calendar = calendars.with_holidays(OFFICE, holidays)
    assert sla.due_at(start, minutes, calendar) == due
    assert sla.due_at(start, minutes, calendar).tzinfo == UTC


def test_due_at_reaches_the_end_of_a_working_day_not_the_next_morning() -> None:
    assert sla.due_at(local(2, 16, 30), 30, OFFICE) == local(2, 17)


def test_split_working_hours_skip_the_break() -> None:
    lunch = WorkCalendar("split", hours=((9 * 60, 12 * 60), (13 * 60, 17 * 60)))
    assert sla.due_at(local(3, 11), 120, lunch) == local(3, 14)


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        # New York, spring forward on Sunday 2027-03-14: a 09:00–17:00 day is 8 real hours;
        # Friday 16:00 + 2 h → Monday 10:00 EDT (UTC−4), not 09:00 or 11:00.
        (
            datetime(2027, 3, 12, 16, tzinfo=ZoneInfo("America/New_York")),
            120,
            datetime(2027, 3, 15, 10, tzinfo=ZoneInfo("America/New_York")),
        ),
        # Berlin, fall back on Sunday 2026-10-25: Friday 16:00 + 2 h → Monday 10:00 CET.
        (
            datetime(2026, 10, 23, 16, tzinfo=ZoneInfo("Europe/Berlin")),
            120,
            datetime(2026, 10, 26, 10, tzinfo=ZoneInfo("Europe/Berlin")),
        ),
    ],
)
def test_due_at_is_dst_correct(start: datetime, minutes: int, due: datetime) -> None:
    zone = str(start.tzinfo)
    weekdays = WorkCalendar("us", zone=zone, days=frozenset({0, 1, 2, 3, 4}))
    assert sla.due_at(start, minutes, weekdays) == due


def test_a_night_shift_across_a_dst_change_counts_real_time() -> None:
    # Berlin 2026-10-25 00:00–06:00 local is 7 real hours (02:00–03:00 happens twice).
    night = WorkCalendar("night", zone="Europe/Berlin", days=frozenset(range(7)), hours=((0, 360),))
    start = datetime(2026, 10, 25, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert sla.worked(start, start + timedelta(days=1), night) == timedelta(hours=7)


# Pauses -------------------------------------------------------------------------------------------


def test_a_closed_pause_moves_the_due_time_by_the_working_time_paused() -> None:
    # P1 resolution 24 h from Sunday 09:00; paused Sunday 10:00 → Monday 10:00 (8 working hours).
    pause = Pause(local(6, 10), local(7, 10))
    assert sla.due_at(local(6, 9), 24 * 60, OFFICE) == local(8, 17)
    assert sla.paused_due_at(local(6, 9), 24 * 60, OFFICE, (pause,)) == local(9, 17)


def test_an_open_pause_holds_the_due_time_unknown() -> None:
    assert sla.paused_due_at(local(6, 9), 120, OFFICE, (Pause(local(6, 10)),)) is None
    # A target already reached before the pause keeps its due time.
    assert sla.paused_due_at(local(6, 9), 60, OFFICE, (Pause(local(6, 10)),)) == local(6, 10)


def test_a_paused_clock_does_not_run_and_reports_the_due_time_if_resumed_now() -> None:
    clock = sla.clock(local(6, 9), 120, None, local(6, 16), OFFICE, (Pause(local(6, 10)),))
    assert (clock.state, clock.elapsed_seconds, clock.paused) == ("on_track", 3600.0, True)
    assert clock.due_at == local(6, 17)


def test_the_first_response_clock_never_pauses() -> None:
    pauses = (Pause(local(6, 9, 30)),)
    clocks = sla.ticket_clocks(Priority.P1, local(6, 9), None, None, local(6, 12), OFFICE, pauses)
    assert clocks.first_response.breached
    assert clocks.resolution.paused
    assert not clocks.first_response.paused


def test_waiting_on_the_customer_before_the_first_response_is_refused() -> None:
    life = tickets.open_ticket(Priority.P2, local(6, 9))
    with pytest.raises(DomainError) as refused:
        tickets.await_customer(life, local(6, 10))
    assert (refused.value.field, refused.value.code) == ("status", ErrorCode.PRECONDITION_FAILED)


def test_pause_and_resume_are_recorded_on_the_lifecycle() -> None:
    life = tickets.record_first_response(tickets.open_ticket(Priority.P2, local(6, 9)), local(6, 9))
    waiting = tickets.await_customer(life, local(6, 10))
    resumed = tickets.customer_replied(waiting, local(6, 12))
    assert waiting.status is tickets.TicketStatus.WAITING_ON_CUSTOMER
    assert resumed.status is tickets.TicketStatus.OPEN
    assert resumed.pauses == (Pause(local(6, 10), local(6, 12)),)
    with pytest.raises(DomainError):
        tickets.customer_replied(resumed, local(6, 13))


# Clocks in working time ---------------------------------------------------------------------------


def test_a_friday_p3_is_not_at_risk_or_breached_over_the_weekend() -> None:
    clocks = sla.ticket_clocks(Priority.P3, local(4, 11), None, None, local(5, 23), OFFICE)
    assert (clocks.first_response.state, clocks.first_response.elapsed_seconds) == ("on_track", 0)
    assert clocks.first_response.due_at == local(8, 17)


# Validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ([(9 * 60, 13 * 60), (12 * 60, 17 * 60)], "overlap"),
        ([(17 * 60, 9 * 60)], "must start before it ends"),
        ([(9 * 60, 9 * 60)], "must start before it ends"),
    ],
)
def test_refuses_bad_working_hours(hours: list[tuple[int, int]], message: str) -> None:
    with pytest.raises(DomainError, match=message) as refused:
        calendars.validate_hours(hours)
    assert refused.value.field == "workingHours"


def test_refuses_empty_hours_unknown_zone_and_holidays_outside_1900_2199() -> None:
    with pytest.raises(DomainError) as empty:
        calendars.validate_hours([])
    assert empty.value.code is ErrorCode.REQUIRED
    with pytest.raises(DomainError) as zone:
        calendars.validate_zone("Mars/Olympus")
    assert zone.value.field == "timeZone"
    assert calendars.validate_zone("Asia/Riyadh") == "Asia/Riyadh"
    for day in (date(1899, 12, 31), date(2200, 1, 1)):
        with pytest.raises(DomainError) as holiday:
            calendars.with_holidays(OFFICE, [Holiday(day, "x")])
        assert (holiday.value.field, holiday.value.code) == ("holidays.day", ErrorCode.OUT_OF_RANGE)
    kept = calendars.with_holidays(OFFICE, [Holiday(date(1900, 1, 1), "a")])
    assert calendars.with_holidays(kept, [Holiday(date(2199, 12, 31), "b")]).holidays == (
        Holiday(date(1900, 1, 1), "a"),
        Holiday(date(2199, 12, 31), "b"),
    )


# Explain ------------------------------------------------------------------------------------------


def test_explain_lists_the_spans_in_order_with_holiday_names() -> None:
    calendar = calendars.with_holidays(OFFICE, [EID])
    found = explain.explain(local(4, 11), 24 * 60, calendar, now=local(4, 11))
    assert found.due_at == local(9, 17)
    assert [(s.kind, s.start, s.end, s.holiday) for s in found.spans] == [
        (SpanKind.WEEKEND, local(4, 11), local(6, 0), None),
        (SpanKind.OUTSIDE_HOURS, local(6, 0), local(6, 9), None),
        (SpanKind.COUNTED, local(6, 9), local(6, 17), None),
        (SpanKind.OUTSIDE_HOURS, local(6, 17), local(7, 0), None),
        (SpanKind.HOLIDAY, local(7, 0), local(8, 0), "عيد"),
        (SpanKind.OUTSIDE_HOURS, local(8, 0), local(8, 9), None),
        (SpanKind.COUNTED, local(8, 9), local(8, 17), None),
        (SpanKind.OUTSIDE_HOURS, local(8, 17), local(9, 9), None),
        (SpanKind.COUNTED, local(9, 9), local(9, 17), None),
    ]
    assert found.sentence_en == (
        "Due Wednesday 2026-12-09 17:00 (Asia/Riyadh): 24h of working time counted from "
        "Friday 2026-12-04 11:00; skipped 41h outside working hours, 37h weekend, "
        "24h holiday (عيد)."
    )
    assert found.sentence_ar == (
        "موعد الاستحقاق الأربعاء 2026-12-09 17:00 (Asia/Riyadh): احتُسب 24 س من وقت العمل "
        "بدءاً من الجمعة 2026-12-04 11:00؛ ولم يُحتسب 41 س خارج ساعات العمل، 37 س عطلة نهاية "
        "الأسبوع، 24 س إجازة (عيد)."
    )


def test_explain_shows_paused_time() -> None:
    pause = Pause(local(6, 10), local(6, 11, 30))
    found = explain.explain(local(6, 9), 120, OFFICE, (pause,), now=local(6, 12))
    assert [(s.kind, s.minutes) for s in found.spans] == [
        (SpanKind.COUNTED, 60),
        (SpanKind.PAUSED, 90),
        (SpanKind.COUNTED, 60),
    ]
    assert found.sentence_en.endswith("; skipped 1h 30m paused waiting on the customer.")


def test_explain_in_24_7_speaks_the_organisations_time() -> None:
    found = explain.explain(local(6, 9), 30, sla.TWENTY_FOUR_SEVEN, now=local(6, 9))
    assert found.sentence_en == (
        "Due Sunday 2026-12-06 09:30 (Asia/Riyadh): 30m counted round the clock (24/7) from "
        "Sunday 2026-12-06 09:00."
    )
    utc = explain.explain(local(6, 9), 30, RoundTheClock("UTC"), now=local(6, 9))
    assert utc.sentence_en == (
        "Due Sunday 2026-12-06 06:30 (UTC): 30m counted round the clock (24/7) from "
        "Sunday 2026-12-06 06:00."
    )


# Properties ---------------------------------------------------------------------------------------

_starts = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 (hypothesis bounds are naive)
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
_minutes = st.integers(min_value=0, max_value=20_000)
_zones = st.sampled_from(
    ["Asia/Riyadh", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]
)
_holidays = st.lists(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31)), max_size=20
)


def _calendar(zone: str, days: set[int], holidays: list[date]) -> WorkCalendar:
    return WorkCalendar(
        "c",
        zone=zone,
        days=frozenset(days),
        hours=((8 * 60, 12 * 60), (13 * 60, 18 * 60)),
        holidays=tuple(Holiday(day, "h") for day in sorted(set(holidays))),
    )


_days = st.sets(st.integers(min_value=0, max_value=6), min_size=1)


@settings(max_examples=150, deadline=None)
@given(_starts, _minutes, _minutes, _zones, _days, _holidays)
def test_due_at_is_monotone_in_minutes(
    start: datetime, a: int, b: int, zone: str, days: set[int], holidays: list[date]
) -> None:
    calendar = _calendar(zone, days, holidays)
    low, high = sorted((a, b))
    assert sla.due_at(start, low, calendar) <= sla.due_at(start, high, calendar)
    # And it counts exactly the minutes asked for.
    assert sla.worked(start, sla.due_at(start, high, calendar), calendar) == timedelta(minutes=high)


@settings(max_examples=150, deadline=None)
@given(_starts, _minutes, _zones, _days, _holidays, st.dates(date(2024, 1, 1), date(2031, 12, 31)))
def test_adding_a_holiday_never_makes_a_deadline_earlier(
    start: datetime, minutes: int, zone: str, days: set[int], holidays: list[date], extra: date
) -> None:
    before = _calendar(zone, days, holidays)
    after = _calendar(zone, days, [*holidays, extra])
    assert sla.due_at(start, minutes, after) >= sla.due_at(start, minutes, before)


@given(_starts, _minutes)
def test_24_7_is_plain_addition(start: datetime, minutes: int) -> None:
    assert sla.due_at(start, minutes, sla.TWENTY_FOUR_SEVEN) == start + timedelta(minutes=minutes)
    assert sla.worked(start, start + timedelta(minutes=minutes), sla.TWENTY_FOUR_SEVEN) == (
        timedelta(minutes=minutes)
    )


@settings(max_examples=150, deadline=None)
@given(_starts, _minutes, _minutes, _zones, _days, _holidays)
def test_the_timeline_agrees_with_the_walk_over_days(
    start: datetime, a: int, b: int, zone: str, days: set[int], holidays: list[date]
) -> None:
    calendar = _calendar(zone, days, holidays)
    # An empty pause takes the day-by-day walk; no pause takes the timeline's binary searches.
    walk = (Pause(start, start),)
    assert sla.paused_due_at(start, a, calendar, walk) == sla.due_at(start, a, calendar)
    end = start + timedelta(minutes=b)
    assert sla.worked(start, end, calendar, walk) == sla.worked(start, end, calendar)


@settings(max_examples=100, deadline=None)
@given(_starts, _zones, _days, _holidays, st.sampled_from(list(Priority)))
def test_due_times_in_one_pass_equal_each_deadline_alone(
    start: datetime, zone: str, days: set[int], holidays: list[date], priority: Priority
) -> None:
    calendar = _calendar(zone, days, holidays)
    tier = tickets.TIERS[priority]
    walk = (Pause(start, start),)  # the day-by-day walk
    assert sla.due_times(priority, start, calendar) == sla.DueTimes(
        sla.paused_due_at(start, tier.first_response_minutes, calendar, walk) or start,
        sla.paused_due_at(start, tier.resolution_hours * 60, calendar, walk),
        sla.at_risk_at(start, tier.first_response_minutes, calendar, walk),
        sla.at_risk_at(start, tier.resolution_hours * 60, calendar, walk),
    )
