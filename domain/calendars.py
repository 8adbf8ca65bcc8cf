"""Business-hours calendars: working days, hours and holidays in an IANA zone (docs/rules.md §7).

The arithmetic on them (deadlines, elapsed working time, explanations) is in `domain.sla`; this
module says what a calendar is, what a valid one looks like, and what each local day holds.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

DEFAULT_ZONE = "Asia/Riyadh"
# Python's weekday numbers: Monday 0 … Sunday 6.
WEEKDAYS: tuple[str, ...] = (
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
)
SUNDAY_TO_THURSDAY = frozenset({6, 0, 1, 2, 3})
DAY_MINUTES = 24 * 60
NINE_TO_FIVE = ((9 * 60, 17 * 60),)
HOLIDAY_YEARS = (1900, 2199)
NAME_MAX = 120
HOLIDAYS_MAX = 2_000  # per calendar: a century of a dozen holidays a year fits


@dataclass(frozen=True, slots=True)
class Holiday:
    """A local date on which a calendar counts nothing, with its name (e.g. Eid al-Fitr)."""

    day: date
    name: str


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """§7: a named business calendar in the organisation's time zone. `hours` are minutes from
    local midnight, [start, end) pairs sorted and disjoint (end 1440 is midnight)."""

    name: str
    zone: str = DEFAULT_ZONE
    days: frozenset[int] = SUNDAY_TO_THURSDAY
    hours: tuple[tuple[int, int], ...] = NINE_TO_FIVE
    holidays: tuple[Holiday, ...] = ()


@dataclass(frozen=True, slots=True)
class RoundTheClock:
    """§7: round-the-clock working time, the default for every tier: every moment counts.
    `zone` is the organisation's: it says where a day ends (local midnight), which a support
    mode's "by the end of the same working day" needs."""

    zone: str = DEFAULT_ZONE

    @property
    def name(self) -> str:
        return "24/7"


class DayKind(StrEnum):
    """What a local day is in a calendar."""

    WORKING = "working"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


@dataclass(frozen=True, slots=True)
class Day:
    """One local day of a calendar: its UTC bounds, its kind and its working intervals (UTC)."""

    start: datetime
    end: datetime
    kind: DayKind
    holiday: str | None
    working: tuple[tuple[datetime, datetime], ...]


def validate_zone(zone: str, field: str = "timeZone") -> str:
    """§7: an IANA time zone name this system knows (`Asia/Riyadh`); anything else is refused."""
    name = zone.strip()
    if name not in _zones():
        raise DomainError(field, ErrorCode.INVALID, Msg.UNKNOWN_ZONE, zone=zone[:64])
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(field, ErrorCode.INVALID, Msg.UNKNOWN_ZONE, zone=zone[:64]) from None
    return name


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_name(name: str, field: str = "name") -> str:
    """A calendar's or holiday's name: 1 to 120 characters once trimmed."""
    trimmed = name.strip()
    if not trimmed:
        raise DomainError(field, ErrorCode.REQUIRED, Msg.NAME_REQUIRED)
    if len(trimmed) > NAME_MAX:
        raise DomainError(field, ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=NAME_MAX)
    return trimmed


def validate_days(days: Iterable[int], field: str = "workingDays") -> frozenset[int]:
    """Working days as weekday numbers; at least one (a calendar must count some time)."""
    found = frozenset(days)
    if not found:
        raise DomainError(field, ErrorCode.REQUIRED, Msg.ONE_WORKING_DAY)
    return found


_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def parse_clock(value: str, field: str) -> int:
    """`HH:MM` (00:00 … 24:00) as minutes from midnight."""
    match = _CLOCK.match(value.strip())
    minutes = None if match is None else int(match[1]) * 60 + int(match[2])
    if minutes is None or minutes > DAY_MINUTES:
        raise DomainError(field, ErrorCode.INVALID, Msg.NOT_A_CLOCK_TIME, value=value[:16])
    return minutes


def format_clock(minutes: int) -> str:
    """Minutes from midnight as `HH:MM` (1440 is `24:00`)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def validate_hours(
    hours: Iterable[tuple[int, int]], field: str = "workingHours"
) -> tuple[tuple[int, int], ...]:
    """§7 working hours: at least one span; each starts before it ends; none overlap."""
    spans = sorted(hours)
    if not spans:
        raise DomainError(field, ErrorCode.REQUIRED, Msg.ONE_SPAN)
    for start, end in spans:
        if not 0 <= start < end <= DAY_MINUTES:
            raise DomainError(
                field,
                ErrorCode.INVALID,
                Msg.SPAN_INVERTED,
                start=format_clock(start),
                end=format_clock(end),
            )
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise DomainError(
                field,
                ErrorCode.INVALID,
                Msg.HOURS_OVERLAP,
                start=format_clock(start),
                end=format_clock(end),
            )
    return tuple(spans)


def validate_holiday(holiday: Holiday, field: str = "holidays") -> Holiday:
    """A holiday dated 1900–2199 with a name."""
    low, high = HOLIDAY_YEARS
    if not low <= holiday.day.year <= high:
        raise DomainError(
            f"{field}.day", ErrorCode.OUT_OF_RANGE, Msg.HOLIDAY_YEARS, low=low, high=high
        )
    return Holiday(holiday.day, validate_name(holiday.name, f"{field}.name"))


def with_holidays(
    calendar: WorkCalendar, added: Iterable[Holiday], field: str = "holidays"
) -> WorkCalendar:
    """The calendar with `added` holidays (a date already there is renamed), sorted by date."""
    merged = {holiday.day: holiday for holiday in calendar.holidays}
    seen: set[date] = set()
    for holiday in added:
        checked = validate_holiday(holiday, field)
        if checked.day in seen:
            raise DomainError(
                f"{field}.day", ErrorCode.DUPLICATE, Msg.HOLIDAY_TWICE, day=checked.day
            )
        seen.add(checked.day)
        merged[checked.day] = checked
    if len(merged) > HOLIDAYS_MAX:
        raise DomainError(field, ErrorCode.OUT_OF_RANGE, Msg.HOLIDAYS_AT_MOST, limit=HOLIDAYS_MAX)
    return _replace_holidays(calendar, tuple(merged[day] for day in sorted(merged)))


def without_holiday(calendar: WorkCalendar, day: date, field: str = "day") -> WorkCalendar:
    """The calendar without the holiday on `day`; refused when there is none that day."""
    kept = tuple(holiday for holiday in calendar.holidays if holiday.day != day)
    if len(kept) == len(calendar.holidays):
        raise DomainError(field, ErrorCode.NOT_FOUND, Msg.NO_HOLIDAY_ON, day=day)
    return _replace_holidays(calendar, kept)


def _replace_holidays(calendar: WorkCalendar, holidays: tuple[Holiday, ...]) -> WorkCalendar:
    return WorkCalendar(calendar.name, calendar.zone, calendar.days, calendar.hours, holidays)


@lru_cache(maxsize=256)
def _holiday_names(holidays: tuple[Holiday, ...]) -> Mapping[date, str]:
    return MappingProxyType({holiday.day: holiday.name for holiday in holidays})


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    # Aware + timedelta is wall-clock arithmetic in Python: the offset is the zone's at that
    # local time (fold 0), which is what a working-hours bound means.
    local = datetime.combine(day, time(), tzinfo=zone) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def end_of_local_day(at: datetime, zone: str) -> datetime:
    """The end (the next local midnight, in UTC) of the day `at` falls on in `zone`."""
    where = ZoneInfo(zone)
    return _instant(at.astimezone(where).date() + timedelta(days=1), 0, where)


@lru_cache(maxsize=65_536)
def day(calendar: WorkCalendar, local: date) -> Day:
    """§7: what the local date `local` is in `calendar`, with its working intervals in UTC.

    DST-correct: each bound is the local wall time converted in the zone on that date, so a
    working day across a transition counts the real time between its bounds; a bound in a
    skipped hour that would invert an interval drops it."""
    zone = ZoneInfo(calendar.zone)
    start = _instant(local, 0, zone)
    end = _instant(local + timedelta(days=1), 0, zone)
    holiday = _holiday_names(calendar.holidays).get(local)
    if holiday is not None:
        return Day(start, end, DayKind.HOLIDAY, holiday, ())
    if local.weekday() not in calendar.days:
        return Day(start, end, DayKind.WEEKEND, None, ())
    working: list[tuple[datetime, datetime]] = []
    for low, high in calendar.hours:
        a, b = _instant(local, low, zone), min(_instant(local, high, zone), end)
        if working:
            a = max(a, working[-1][1])
        if a < b:
            working.append((a, b))
    return Day(start, end, DayKind.WORKING, None, tuple(working))


# Twenty years without a working minute means the calendar counts nothing (all holidays).
_HORIZON_DAYS = 20 * 366


def days_from(calendar: WorkCalendar, at: datetime) -> Iterator[Day]:
    """The calendar's local days from the one holding `at` on, for at most twenty years."""
    local = at.astimezone(ZoneInfo(calendar.zone)).date()
    for offset in range(_HORIZON_DAYS):
        yield day(calendar, local + timedelta(days=offset))
    raise ValueError(f"calendar {calendar.name!r} has no working time within twenty years")


def weekday_names(days: Iterable[int]) -> list[str]:
    """Weekday numbers as names, Sunday first (the week as §7 writes it)."""
    order = (6, 0, 1, 2, 3, 4, 5)
    wanted = set(days)
    return [WEEKDAYS[number] for number in order if number in wanted]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    """An aware datetime as whole microseconds since the epoch (exact, unlike a float)."""
    return (at - _EPOCH) // MICROSECOND


def from_micros(value: int) -> datetime:
    """The inverse of `micros`, in UTC."""
    return _EPOCH + timedelta(microseconds=value)


class Timeline:
    """A calendar's working intervals over whole local years as epoch microseconds, with running
    totals: a deadline or an elapsed working time is two binary searches, not a walk over days
    (re-computing 100k tickets after a change is then bound by the database, not by Python).
    Grows (rebuilt) when asked about a year it does not cover."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.zone)
        self.years = (0, -1)
        self.bounds = (0, 0)
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.before: list[int] = []  # working time before each interval starts
        self.after: list[int] = []  # … and once it ends

    def _cover(self, first: int, last: int) -> None:
        low, high = min(first, self.years[0] or first), max(last, self.years[1])
        if (low, high) == self.years:
            return
        self.years = (low, high)
        self.bounds = (
            micros(datetime(low, 1, 1, tzinfo=self.zone)),
            micros(datetime(high + 1, 1, 1, tzinfo=self.zone)),
        )
        self.starts, self.ends, self.before, self.after = [], [], [], []
        total = 0
        local = date(low, 1, 1)
        while local.year <= high:
            for a, b in day(self.calendar, local).working:
                self.starts.append(micros(a))
                self.ends.append(micros(b))
                self.before.append(total)
                total += self.ends[-1] - self.starts[-1]
                self.after.append(total)
            local += timedelta(days=1)

    def counted_before(self, at: int) -> int:
        """Working microseconds between the timeline's start and `at`."""
        low, high = self.bounds
        if not low + _YEAR_US <= at < high - _YEAR_US:  # a year of margin either side
            year = from_micros(at).astimezone(self.zone).year
            self._cover(year - 1, year + 1)
        i = bisect_right(self.starts, at) - 1
        return 0 if i < 0 else self.before[i] + min(at, self.ends[i]) - self.starts[i]

    def reach(self, start: int, amount: int) -> int:
        """The first moment `amount` working microseconds after `start` have been counted."""
        return self.at_total(self.counted_before(start) + amount)

    def at_total(self, target: int) -> int:
        """The first moment `target` working microseconds (from `counted_before`'s origin) have
        been counted; the timeline grows forward only, so that origin stays put."""
        while True:
            j = bisect_left(self.after, target)
            if j < len(self.after) and self.after[j] >= target:
                return self.starts[j] + (target - self.before[j])
            first, last = self.years
            if last - first > _HORIZON_DAYS // 366:
                raise ValueError(
                    f"calendar {self.calendar.name!r} has no working time within twenty years"
                )
            self._cover(first, last + max(1, (last - first + 1)))


_YEAR_US = 366 * 24 * 3600 * 1_000_000
# The last calendar asked about, by identity: hashing a calendar hashes all its holidays, and a
# bulk re-computation asks about the same calendar object hundreds of thousands of times.
_LAST: list[Timeline] = []


def timeline(calendar: WorkCalendar) -> Timeline:
    """The calendar's (shared, growing) timeline."""
    if _LAST and _LAST[0].calendar is calendar:
        return _LAST[0]
    found = _timeline(calendar)
    _LAST[:] = [found]
    return found


@lru_cache(maxsize=64)
def _timeline(calendar: WorkCalendar) -> Timeline:
    return Timeline(calendar)
