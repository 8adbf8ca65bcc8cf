"""Working-time use-cases (docs/rules.md §7): the zone, calendars, holidays, each priority's
calendar.

Every change re-computes the unresolved tickets' due times in the same transaction, set-based,
so the breach scan keeps reading stored due times."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from domain import calendars
from domain.calendars import Holiday, WorkCalendar
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action, Principal
from domain.tickets import Priority
from resolvers.common import refusals_as_data, refusals_as_errors
from resolvers.store import calendars as store
from resolvers.store import ledger
from schema.context import Context
from schema.types import calendars as types
from schema.types.relay import pk_of

CtxInfo = Info[Context, None]


def _view(stored: store.StoredCalendar) -> types.Calendar:
    return types.Calendar.from_domain(stored.id, stored.version, stored.calendar)


def _working_time(found: store.WorkTime) -> types.WorkingTime:
    by_id = {stored.id: stored for stored in found.calendars}
    return types.WorkingTime(
        time_zone=found.time_zone,
        calendars=[_view(stored) for stored in found.calendars],
        priorities=[
            types.PriorityCalendar(
                priority=priority,
                calendar=None
                if priority not in found.by_priority
                else _view(by_id[found.by_priority[priority]]),
            )
            for priority in Priority
        ],
    )


def _snapshot(calendar: WorkCalendar) -> dict[str, Any]:
    return {
        "name": calendar.name,
        "workingDays": calendars.weekday_names(calendar.days),
        "workingHours": [
            f"{calendars.format_clock(a)}-{calendars.format_clock(b)}" for a, b in calendar.hours
        ],
        "holidays": [[h.day.isoformat(), h.name] for h in calendar.holidays],
    }


@refusals_as_errors
async def working_time(info: CtxInfo) -> types.WorkingTime:
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="workingTime")
    async with ctx.transaction() as session:
        return _working_time(await store.work_time(session, org_id=principal.org_id))


def _hours(given: Sequence[types.WorkingHoursInput]) -> tuple[tuple[int, int], ...]:
    return calendars.validate_hours(
        [
            (
                calendars.parse_clock(span.start, f"workingHours.{i}.start"),
                calendars.parse_clock(span.end, f"workingHours.{i}.end"),
            )
            for i, span in enumerate(given)
        ]
    )


def _holidays(given: Sequence[types.HolidayInput]) -> list[Holiday]:
    found = []
    for i, item in enumerate(given):
        try:
            day = date.fromisoformat(item.day.strip())
        except ValueError:
            raise DomainError(
                f"holidays.{i}.day", ErrorCode.INVALID, Msg.NOT_A_DAY, value=item.day[:16]
            ) from None
        found.append(Holiday(day, item.name))
    return found


async def _unique_name(
    session: AsyncSession, org_id: int, name: str, other_than: int | None = None
) -> None:
    if await store.name_taken(session, org_id=org_id, name=name, other_than=other_than):
        raise DomainError("name", ErrorCode.DUPLICATE, Msg.CALENDAR_NAME_TAKEN, name=name)


@refusals_as_data
async def create_calendar(
    info: CtxInfo,
    input: Annotated[
        types.CreateCalendarInput,
        strawberry.argument(description="The calendar's name, working days, hours and holidays."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.MANAGE_CALENDARS, field="createCalendar")
    name = calendars.validate_name(input.name)
    draft = WorkCalendar(
        name=name,
        days=calendars.validate_days(day.value for day in input.working_days),
        hours=_hours(input.working_hours),
    )
    draft = calendars.with_holidays(draft, _holidays(input.holidays))
    async with ctx.transaction() as session:
        await _unique_name(session, principal.org_id, name)
        zone = await store.time_zone(session, org_id=principal.org_id)
        stored = await store.insert(
            session, org_id=principal.org_id, calendar=replace(draft, zone=zone), now=ctx.now
        )
        await _ledger(session, principal, "createCalendar", stored.id, None, stored.calendar, ctx)
    return types.CalendarPayload(calendar=_view(stored), tickets_recomputed=0)


async def _locked(
    session: AsyncSession, org_id: int, id: str, version: int, field: str
) -> store.StoredCalendar:
    found = await store.get_for_update(
        session, org_id=org_id, calendar_id=pk_of(id, "Calendar", field=field)
    )
    if found is None:
        raise DomainError(field, ErrorCode.NOT_FOUND, Msg.NO_SUCH_CALENDAR)
    if found.version != version:
        raise DomainError(
            "version", ErrorCode.CONFLICT, Msg.CALENDAR_CHANGED, current=found.version
        )
    return found


async def _change(
    info: CtxInfo,
    action: str,
    id: str,
    version: int,
    field: str,
    edit: Any,
) -> types.CalendarPayload:
    """Lock, check the version, change, save, re-compute the tickets' due times, ledger."""
    ctx = info.context
    principal = ctx.authorize(Action.MANAGE_CALENDARS, field=action)
    async with ctx.transaction() as session:
        current = await _locked(session, principal.org_id, id, version, field)
        changed: WorkCalendar = edit(current.calendar)
        if changed.name != current.calendar.name:
            await _unique_name(session, principal.org_id, changed.name, current.id)
        saved = await store.save(
            session,
            org_id=principal.org_id,
            stored=replace(current, calendar=changed),
            now=ctx.now,
        )
        moved = await store.recompute_due_times(session, org_id=principal.org_id, now=ctx.now)
        await _ledger(session, principal, action, current.id, current.calendar, saved.calendar, ctx)
    return types.CalendarPayload(calendar=_view(saved), tickets_recomputed=moved)


@refusals_as_data
async def update_calendar(
    info: CtxInfo,
    input: Annotated[
        types.UpdateCalendarInput,
        strawberry.argument(description="The calendar, the version you read, and what changes."),
    ],
) -> Any:
    name = None if input.name is None else calendars.validate_name(input.name)
    days = (
        None
        if input.working_days is None
        else calendars.validate_days(day.value for day in input.working_days)
    )
    hours = None if input.working_hours is None else _hours(input.working_hours)

    def edit(calendar: WorkCalendar) -> WorkCalendar:
        return replace(
            calendar,
            name=name or calendar.name,
            days=calendar.days if days is None else days,
            hours=calendar.hours if hours is None else hours,
        )

    return await _change(info, "updateCalendar", input.id, input.version, "id", edit)


@refusals_as_data
async def add_holidays(
    info: CtxInfo,
    input: Annotated[
        types.AddHolidaysInput,
        strawberry.argument(description="The calendar, the version you read, and the holidays."),
    ],
) -> Any:
    given = _holidays(input.holidays)
    if not given:
        raise DomainError("holidays", ErrorCode.REQUIRED, Msg.ONE_HOLIDAY)
    # Validate before the transaction too: a refusal reads nothing and changes nothing.
    calendars.with_holidays(WorkCalendar("check"), given)

    def edit(calendar: WorkCalendar) -> WorkCalendar:
        return calendars.with_holidays(calendar, given)

    return await _change(info, "addHolidays", input.calendar, input.version, "calendar", edit)


@refusals_as_data
async def remove_holiday(
    info: CtxInfo,
    input: Annotated[
        types.RemoveHolidayInput,
        strawberry.argument(
            description="The calendar, the version you read, and the holiday's date."
        ),
    ],
) -> Any:
    (day,) = (holiday.day for holiday in _holidays([types.HolidayInput(day=input.day, name="x")]))

    def edit(calendar: WorkCalendar) -> WorkCalendar:
        return calendars.without_holiday(calendar, day)

    return await _change(info, "removeHoliday", input.calendar, input.version, "calendar", edit)


@refusals_as_data
async def set_priority_calendar(
    info: CtxInfo,
    input: Annotated[
        types.SetPriorityCalendarInput,
        strawberry.argument(description="The priority and the calendar (none: 24/7)."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.MANAGE_CALENDARS, field="setPriorityCalendar")
    calendar_pk = (
        None if input.calendar is None else pk_of(input.calendar, "Calendar", field="calendar")
    )
    async with ctx.transaction() as session:
        before = await store.work_time(session, org_id=principal.org_id)
        if calendar_pk is not None and calendar_pk not in {c.id for c in before.calendars}:
            raise DomainError("calendar", ErrorCode.NOT_FOUND, Msg.NO_SUCH_CALENDAR)
        await store.set_priority(
            session, org_id=principal.org_id, priority=input.priority, calendar_id=calendar_pk
        )
        moved = await store.recompute_due_times(session, org_id=principal.org_id, now=ctx.now)
        after = await store.work_time(session, org_id=principal.org_id)
        await ledger.record(
            session,
            principal=principal,
            action="setPriorityCalendar",
            entity="Organisation",
            entity_id=principal.org_id,
            before={
                "priority": input.priority.value,
                "calendarId": before.by_priority.get(input.priority),
            },
            after={"priority": input.priority.value, "calendarId": calendar_pk},
            now=ctx.now,
        )
    return types.WorkingTimePayload(working_time=_working_time(after), tickets_recomputed=moved)


@refusals_as_data
async def set_time_zone(
    info: CtxInfo,
    input: Annotated[
        types.SetTimeZoneInput,
        strawberry.argument(description="The organisation's IANA time zone."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.MANAGE_CALENDARS, field="setTimeZone")
    zone = calendars.validate_zone(input.time_zone)
    async with ctx.transaction() as session:
        before = await store.time_zone(session, org_id=principal.org_id, lock=True)
        await store.set_time_zone(session, org_id=principal.org_id, zone=zone)
        moved = await store.recompute_due_times(session, org_id=principal.org_id, now=ctx.now)
        after = await store.work_time(session, org_id=principal.org_id)
        await ledger.record(
            session,
            principal=principal,
            action="setTimeZone",
            entity="Organisation",
            entity_id=principal.org_id,
            before={"timeZone": before},
            after={"timeZone": zone},
            now=ctx.now,
        )
    return types.WorkingTimePayload(working_time=_working_time(after), tickets_recomputed=moved)


async def _ledger(
    session: AsyncSession,
    principal: Principal,
    action: str,
    calendar_id: int,
    before: WorkCalendar | None,
    after: WorkCalendar,
    ctx: Context,
) -> None:
    await ledger.record(
        session,
        principal=principal,
        action=action,
        entity="Calendar",
        entity_id=calendar_id,
        before=None if before is None else _snapshot(before),
        after=_snapshot(after),
        now=ctx.now,
    )
