"""What a client sees of working time: the zone, calendars and each priority's calendar (§7)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from domain import calendars, tickets
from domain.calendars import WorkCalendar
from schema.types import errors
from schema.types.relay import to_global_id


@strawberry.enum(description="A day of the week.")
class Weekday(Enum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


SUNDAY_TO_THURSDAY = [
    Weekday.SUNDAY,
    Weekday.MONDAY,
    Weekday.TUESDAY,
    Weekday.WEDNESDAY,
    Weekday.THURSDAY,
]


@strawberry.type(description="One span of working hours, local time.")
class WorkingHours:
    start: str = strawberry.field(description="HH:MM, local.")
    end: str = strawberry.field(description="HH:MM, local; 24:00 is midnight.")


@strawberry.type(description="A local date on which the calendar counts nothing.")
class Holiday:
    day: str = strawberry.field(description="The local date, YYYY-MM-DD.")
    name: str = strawberry.field(description="E.g. عيد الفطر.")


@strawberry.type(description="A business calendar (§7); it counts in the organisation's zone.")
class Calendar:
    id: strawberry.ID = strawberry.field(description="The calendar's global id.")
    version: int = strawberry.field(description="Pass it back on update.")
    name: str = strawberry.field(description="Its name, unique in the organisation.")
    working_days: list[Weekday] = strawberry.field(description="Sunday first.")
    working_hours: list[WorkingHours] = strawberry.field(description="Sorted, never overlapping.")
    holidays: list[Holiday] = strawberry.field(description="Sorted by date.")

    @classmethod
    def from_domain(cls, pk: int, version: int, value: WorkCalendar) -> Calendar:
        order = (6, 0, 1, 2, 3, 4, 5)
        return cls(
            id=to_global_id("Calendar", pk),
            version=version,
            name=value.name,
            working_days=[Weekday(day) for day in order if day in value.days],
            working_hours=[
                WorkingHours(start=calendars.format_clock(a), end=calendars.format_clock(b))
                for a, b in value.hours
            ],
            holidays=[Holiday(day=h.day.isoformat(), name=h.name) for h in value.holidays],
        )


@strawberry.type(description="Which calendar one priority's SLA clocks count in.")
class PriorityCalendar:
    priority: tickets.Priority = strawberry.field(description="The priority tier.")
    calendar: Calendar | None = strawberry.field(description="null: round the clock (24/7).")


@strawberry.type(description="The organisation's working time (§7).")
class WorkingTime:
    time_zone: str = strawberry.field(description="IANA time zone, e.g. Asia/Riyadh.")
    calendars: list[Calendar] = strawberry.field(description="Oldest first.")
    priorities: list[PriorityCalendar] = strawberry.field(description="P0 to P3.")


@strawberry.input(description="One span of working hours, local time.")
class WorkingHoursInput:
    start: str = strawberry.field(description="HH:MM, 00:00–23:59.")
    end: str = strawberry.field(description="HH:MM after start, up to 24:00.")


@strawberry.input(description="A holiday: a local date (1900–2199) and its name.")
class HolidayInput:
    day: str = strawberry.field(description="YYYY-MM-DD, 1900–2199.")
    name: str = strawberry.field(description="1–120 characters.")


@strawberry.input(description="A new business calendar; defaults: Sunday–Thursday 09:00–17:00.")
class CreateCalendarInput:
    name: str = strawberry.field(description="Unique in the organisation.")
    working_days: list[Weekday] = strawberry.field(
        default_factory=lambda: list(SUNDAY_TO_THURSDAY), description="At least one."
    )
    working_hours: list[WorkingHoursInput] = strawberry.field(
        default_factory=lambda: [WorkingHoursInput(start="09:00", end="17:00")],
        description="At least one span; spans may not overlap.",
    )
    holidays: list[HolidayInput] = strawberry.field(
        default_factory=list, description="Holidays to start with."
    )


@strawberry.input(description="Change a calendar; omitted fields stay as they are.")
class UpdateCalendarInput:
    id: strawberry.ID = strawberry.field(description="The calendar's global id.")
    version: int = strawberry.field(description="The version you read.")
    name: str | None = strawberry.field(default=None, description="A new name; omitted: unchanged.")
    working_days: list[Weekday] | None = strawberry.field(
        default=None, description="New working days; omitted: unchanged."
    )
    working_hours: list[WorkingHoursInput] | None = strawberry.field(
        default=None,
        description="New working hours (spans that never overlap); omitted: unchanged.",
    )


@strawberry.input(description="Add holidays (one, or a whole year's) to a calendar.")
class AddHolidaysInput:
    calendar: strawberry.ID = strawberry.field(description="The calendar's global id.")
    version: int = strawberry.field(description="The calendar's version you read.")
    holidays: list[HolidayInput] = strawberry.field(
        description="A date already there is renamed; each date once."
    )


@strawberry.input(description="Remove a calendar's holiday.")
class RemoveHolidayInput:
    calendar: strawberry.ID = strawberry.field(description="The calendar's global id.")
    version: int = strawberry.field(description="The calendar's version you read.")
    day: str = strawberry.field(description="YYYY-MM-DD.")


@strawberry.input(description="Choose the calendar a priority's clocks count in.")
class SetPriorityCalendarInput:
    priority: tickets.Priority = strawberry.field(
        description="The priority tier whose clocks change calendar."
    )
    calendar: strawberry.ID | None = strawberry.field(
        default=None, description="null for round the clock (24/7), the default."
    )


@strawberry.input(description="The organisation's time zone.")
class SetTimeZoneInput:
    time_zone: str = strawberry.field(description="An IANA name, e.g. Asia/Riyadh.")


@strawberry.type(description="The calendar as it is after the mutation.")
class CalendarPayload:
    calendar: Calendar = strawberry.field(description="The calendar as it is now.")
    tickets_recomputed: int = strawberry.field(
        description="Unresolved tickets whose due times moved with this change."
    )


@strawberry.type(description="The organisation's working time after the mutation.")
class WorkingTimePayload:
    working_time: WorkingTime = strawberry.field(
        description="The organisation's working time as it is now."
    )
    tickets_recomputed: int = strawberry.field(
        description="Unresolved tickets whose due times moved with this change."
    )


_REFUSALS = (
    errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError
)

CalendarResult = Annotated[
    CalendarPayload | _REFUSALS,
    strawberry.union("CalendarResult", description="The calendar, or why it was refused."),
]

WorkingTimeResult = Annotated[
    WorkingTimePayload | _REFUSALS,
    strawberry.union(
        "WorkingTimeResult", description="The working time, or why the change was refused."
    ),
]
