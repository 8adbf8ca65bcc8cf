"""docs/rules.md §7 through the GraphQL API on the real database: calendars, due times in working
time, re-computation after a change, refusals that change nothing, the scan."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from domain.roles import Role
from jobs import sla as sla_jobs
from tests.factories import Org, new_customer, open_ticket, support_snapshot

RIYADH = ZoneInfo("Asia/Riyadh")

ERROR = "__typename ... on UserError { field code message } "
RESULT = (
    ERROR + "... on CalendarPayload { ticketsRecomputed calendar { id version name workingDays "
    "workingHours { start end } holidays { day name } } }"
)
WT_RESULT = (
    ERROR + "... on WorkingTimePayload { ticketsRecomputed workingTime { timeZone "
    "priorities { priority calendar { name } } } }"
)
CREATE = f"mutation($i: CreateCalendarInput!) {{ createCalendar(input: $i) {{ {RESULT} }} }}"
UPDATE = f"mutation($i: UpdateCalendarInput!) {{ updateCalendar(input: $i) {{ {RESULT} }} }}"
ADD_HOLIDAYS = f"mutation($i: AddHolidaysInput!) {{ addHolidays(input: $i) {{ {RESULT} }} }}"
REMOVE_HOLIDAY = f"mutation($i: RemoveHolidayInput!) {{ removeHoliday(input: $i) {{ {RESULT} }} }}"
SET_PRIORITY = (
    "mutation($i: SetPriorityCalendarInput!) { setPriorityCalendar(input: $i) { "
    + WT_RESULT
    + " } }"
)
SET_ZONE = f"mutation($i: SetTimeZoneInput!) {{ setTimeZone(input: $i) {{ {WT_RESULT} }} }}"
WORKING_TIME = (
    "{ workingTime { timeZone calendars { name workingDays workingHours { start end } "
    "holidays { day name } } priorities { priority calendar { name } } } }"
)
TICKET = "query($id: ID!) { ticket(id: $id) { firstResponseDueAt resolutionDueAt status } }"


def riyadh(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026 in Riyadh: the 3rd is a Thursday, the 4th a Friday, the 6th a Sunday."""
    return datetime(2026, 12, day, hour, minute, tzinfo=RIYADH)


def utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


async def run(org: Org, mutation: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
    data = await org.data(mutation, {"i": payload}, **kw)
    result: dict[str, Any] = next(iter(data.values()))
    return result


async def snapshot(org: Org) -> dict[str, Any]:
    """Everything a working-time mutation may touch: support rows, calendars, the zone."""
    found = await support_snapshot(org)
    async with org.pool.acquire() as conn:
        for table, order in (("calendars", "id"), ("priority_calendars", "priority")):
            rows = await conn.fetch(
                f"SELECT * FROM {table} WHERE org_id = $1 ORDER BY {order}", org.id
            )
            found[table] = [dict(row) for row in rows]
        found["time_zone"] = await conn.fetchval(
            "SELECT time_zone FROM organisations WHERE id = $1", org.id
        )
    return found


async def refused(
    org: Org, mutation: str, payload: dict[str, Any], expected: tuple[str, str, str], **kw: Any
) -> str:
    before = await snapshot(org)
    result = await run(org, mutation, payload, **kw)
    assert (result["__typename"], result["field"], result["code"]) == expected, result
    assert await snapshot(org) == before
    message: str = result["message"]
    return message


async def office(org: Org, **extra: Any) -> dict[str, Any]:
    """The §7 reference calendar (Sunday–Thursday 09:00–17:00, the defaults)."""
    result = await run(org, CREATE, {"name": "office", **extra})
    assert result["__typename"] == "CalendarPayload", result
    calendar: dict[str, Any] = result["calendar"]
    return calendar


async def use(org: Org, priority: str, calendar: dict[str, Any] | None) -> dict[str, Any]:
    payload = {"priority": priority, "calendar": None if calendar is None else calendar["id"]}
    result = await run(org, SET_PRIORITY, payload)
    assert result["__typename"] == "WorkingTimePayload", result
    return result


async def ticket(org: Org, ticket_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await org.data(TICKET, {"id": ticket_id}))["ticket"]
    return found


async def test_a_calendar_defaults_to_sunday_to_thursday_nine_to_five(org: Org) -> None:
    calendar = await office(org)
    assert (calendar["name"], calendar["version"]) == ("office", 1)
    assert calendar["workingDays"] == ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY"]
    assert calendar["workingHours"] == [{"start": "09:00", "end": "17:00"}]
    data = await org.data(WORKING_TIME)
    assert data["workingTime"]["timeZone"] == "Asia/Riyadh"
    # 24/7 for every priority until the organisation opts in.
    assert data["workingTime"]["priorities"] == [
        {"priority": p, "calendar": None} for p in ("P0", "P1", "P2", "P3")
    ]


@pytest.mark.parametrize(
    ("text", "opened", "field", "due"),
    [
        # P2 first response 8 h opened Thursday 15:00 → Sunday 15:00
        ("My Gmail connector", riyadh(3, 15), "firstResponseDueAt", riyadh(6, 15)),
        # P1 first response 2 h opened Wednesday 16:30 → Thursday 10:30
        ("urgent", riyadh(2, 16, 30), "firstResponseDueAt", riyadh(3, 10, 30)),
        # P1 resolution 24 working hours from Friday 11:00 → Tuesday 17:00
        ("urgent", riyadh(4, 11), "resolutionDueAt", riyadh(8, 17)),
    ],
)
async def test_due_times_count_the_priority_calendar(
    org: Org, text: str, opened: datetime, field: str, due: datetime
) -> None:
    calendar = await office(org)
    for priority in ("P1", "P2"):
        await use(org, priority, calendar)
    customer = await new_customer(org)
    org.clock.now = opened.astimezone(UTC)
    made = (await open_ticket(org, customer, text))["ticket"]
    assert made[field] == utc(due)
    assert (await ticket(org, made["id"]))[field] == utc(due)


async def test_a_holiday_moves_open_tickets_due_times_at_once(org: Org) -> None:
    calendar = await office(org)
    await use(org, "P1", calendar)
    customer = await new_customer(org)
    org.clock.now = riyadh(4, 11).astimezone(UTC)
    made = (await open_ticket(org, customer, "urgent"))["ticket"]
    assert made["resolutionDueAt"] == utc(riyadh(8, 17))
    result = await run(
        org,
        ADD_HOLIDAYS,
        {
            "calendar": calendar["id"],
            "version": 1,
            "holidays": [{"day": "2026-12-07", "name": "عيد"}],
        },
    )
    assert result["ticketsRecomputed"] == 1
    assert result["calendar"]["holidays"] == [{"day": "2026-12-07", "name": "عيد"}]
    # → Wednesday 17:00 when that Monday is a holiday.
    assert (await ticket(org, made["id"]))["resolutionDueAt"] == utc(riyadh(9, 17))
    # Removing it moves the due time back; so does going back to 24/7.
    removed = await run(
        org, REMOVE_HOLIDAY, {"calendar": calendar["id"], "version": 2, "day": "2026-12-07"}
    )
    assert (removed["ticketsRecomputed"], removed["calendar"]["version"]) == (1, 3)
    assert (await ticket(org, made["id"]))["resolutionDueAt"] == utc(riyadh(8, 17))
    back = await use(org, "P1", None)
    assert back["ticketsRecomputed"] == 1
    assert (await ticket(org, made["id"]))["resolutionDueAt"] == utc(riyadh(5, 11))


async def test_bulk_holidays_and_changed_hours_recompute_in_the_database(org: Org) -> None:
    calendar = await office(org)
    await use(org, "P2", calendar)
    customer = await new_customer(org)
    org.clock.now = riyadh(3, 15).astimezone(UTC)
    made = (await open_ticket(org, customer, "My Gmail connector"))["ticket"]
    year = [{"day": f"2026-12-{d:02d}", "name": f"day {d}"} for d in (6, 7, 8)]
    added = await run(
        org, ADD_HOLIDAYS, {"calendar": calendar["id"], "version": 1, "holidays": year}
    )
    assert [h["day"] for h in added["calendar"]["holidays"]] == [h["day"] for h in year]
    # Thursday 15:00–17:00 counts 2 h; Sunday to Tuesday are holidays; Wednesday 09:00 + 6 h.
    assert (await ticket(org, made["id"]))["firstResponseDueAt"] == utc(riyadh(9, 15))
    updated = await run(
        org,
        UPDATE,
        {
            "id": calendar["id"],
            "version": 2,
            "workingHours": [
                {"start": "08:00", "end": "12:00"},
                {"start": "13:00", "end": "16:00"},
            ],
        },
    )
    assert updated["calendar"]["workingHours"] == [
        {"start": "08:00", "end": "12:00"},
        {"start": "13:00", "end": "16:00"},
    ]
    # Thursday 15:00–16:00 counts 1 h; Wednesday 08:00–12:00, 13:00–16:00 → 7 h more: 16:00.
    assert (await ticket(org, made["id"]))["firstResponseDueAt"] == utc(riyadh(9, 16))
    async with org.pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT first_response_due_at FROM tickets WHERE org_id = $1", org.id
        )
    assert stored == riyadh(9, 16)


async def test_the_time_zone_is_set_and_moves_calendar_due_times(org: Org) -> None:
    calendar = await office(org)
    await use(org, "P1", calendar)
    customer = await new_customer(org)
    org.clock.now = riyadh(3, 16, 30).astimezone(UTC)
    made = (await open_ticket(org, customer, "urgent"))["ticket"]
    assert made["firstResponseDueAt"] == utc(riyadh(6, 10, 30))
    result = await run(org, SET_ZONE, {"timeZone": "Europe/London"})
    assert (result["workingTime"]["timeZone"], result["ticketsRecomputed"]) == ("Europe/London", 1)
    # Opened Thursday 13:30 London: the 2 h fit that afternoon.
    london = datetime(2026, 12, 3, 15, 30, tzinfo=ZoneInfo("Europe/London"))
    assert (await ticket(org, made["id"]))["firstResponseDueAt"] == utc(london)


async def test_a_scan_on_saturday_does_not_breach_a_friday_p3(
    system_pool: asyncpg.Pool, org: Org
) -> None:
    await use(org, "P3", await office(org))
    customer = await new_customer(org)
    org.clock.now = riyadh(4, 11).astimezone(UTC)
    made = (await open_ticket(org, customer, "ملاحظة عامة"))["ticket"]
    # P3: 24 working hours to respond → Tuesday 17:00 (24/7 would be Saturday 11:00).
    assert made["firstResponseDueAt"] == utc(riyadh(8, 17))
    saturday = riyadh(5, 23, 59).astimezone(UTC)
    await sla_jobs.scan_sla_breaches({"db": system_pool, "clock": lambda: saturday})
    async with system_pool.acquire() as conn:
        flagged = await conn.fetchval(
            "SELECT first_response_breached FROM tickets WHERE org_id = $1", org.id
        )
        assert flagged is False
        after = riyadh(8, 17, 1).astimezone(UTC)
        await sla_jobs.scan_sla_breaches({"db": system_pool, "clock": lambda: after})
        assert await conn.fetchval(
            "SELECT first_response_breached FROM tickets WHERE org_id = $1", org.id
        )


HEALTH = (
    "query($s: DateTime!, $e: DateTime!) { slaHealth(periodStart: $s, periodEnd: $e) { total "
    "breached byPriority { priority count breaches avgFirstResponseMinutes } } }"
)


async def test_the_sla_health_report_judges_breaches_in_working_time(org: Org) -> None:
    await use(org, "P3", await office(org))
    customer = await new_customer(org)
    org.clock.now = riyadh(4, 11).astimezone(UTC)  # Friday
    await open_ticket(org, customer, "ملاحظة عامة")
    period = {"s": utc(riyadh(4, 0)), "e": utc(riyadh(5, 0))}

    async def p3_at(at: datetime) -> dict[str, Any]:
        org.clock.now = at.astimezone(UTC)
        found: dict[str, Any] = (await org.data(HEALTH, period))["slaHealth"]
        [p3] = [line for line in found["byPriority"] if line["priority"] == "P3"]
        assert (found["total"], p3["count"]) == (1, 1)
        return {"breached": found["breached"], "breaches": p3["breaches"]}

    # Saturday night: 37 elapsed hours past a 24-hour target, but no working time yet counted
    # (due Tuesday 17:00), so the ticket is not breached, as its own clock says.
    assert await p3_at(riyadh(5, 23, 59)) == {"breached": 0, "breaches": 0}
    assert await p3_at(riyadh(8, 16, 59)) == {"breached": 0, "breaches": 0}
    assert await p3_at(riyadh(8, 17, 1)) == {"breached": 1, "breaches": 1}


# Refusals: typed, naming the field, the database unchanged ---------------------------------------


@pytest.mark.parametrize(
    ("hours", "field", "code"),
    [
        (
            [{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "17:00"}],
            "workingHours",
            "INVALID",
        ),
        ([{"start": "17:00", "end": "09:00"}], "workingHours", "INVALID"),
        ([], "workingHours", "REQUIRED"),
        ([{"start": "9am", "end": "17:00"}], "workingHours.0.start", "INVALID"),
    ],
)
async def test_refuses_overlapping_inverted_or_empty_hours(
    org: Org, hours: list[dict[str, str]], field: str, code: str
) -> None:
    await refused(
        org, CREATE, {"name": "bad", "workingHours": hours}, ("ValidationError", field, code)
    )
    calendar = await office(org)
    await refused(
        org,
        UPDATE,
        {"id": calendar["id"], "version": 1, "workingHours": hours},
        ("ValidationError", field, code),
    )


async def test_refuses_an_unknown_time_zone(org: Org) -> None:
    message = await refused(
        org, SET_ZONE, {"timeZone": "Mars/Olympus"}, ("ValidationError", "timeZone", "INVALID")
    )
    assert message == "unknown IANA time zone 'Mars/Olympus'"


@pytest.mark.parametrize("day", ["1899-12-31", "2200-01-01"])
async def test_refuses_a_holiday_outside_1900_to_2199(org: Org, day: str) -> None:
    calendar = await office(org)
    holidays = [{"day": "2026-12-07", "name": "ok"}, {"day": day, "name": "too far"}]
    await refused(
        org,
        ADD_HOLIDAYS,
        {"calendar": calendar["id"], "version": 1, "holidays": holidays},
        ("ValidationError", "holidays.day", "OUT_OF_RANGE"),
    )
    await refused(
        org,
        CREATE,
        {"name": "other", "holidays": holidays},
        ("ValidationError", "holidays.day", "OUT_OF_RANGE"),
    )


async def test_refuses_a_stale_version_a_taken_name_and_agents(org: Org) -> None:
    calendar = await office(org)
    await refused(
        org,
        UPDATE,
        {"id": calendar["id"], "version": 7, "name": "x"},
        ("ConflictError", "version", "CONFLICT"),
    )
    await refused(org, CREATE, {"name": "office"}, ("ValidationError", "name", "DUPLICATE"))
    for role in (Role.AGENT, Role.VIEWER):
        await refused(
            org,
            SET_ZONE,
            {"timeZone": "UTC"},
            ("ForbiddenError", "setTimeZone", "FORBIDDEN"),
            role=role,
        )
    managed = await run(org, SET_ZONE, {"timeZone": "UTC"}, role=Role.MANAGER)
    assert managed["workingTime"]["timeZone"] == "UTC"


async def test_the_at_risk_filter_counts_working_time(org: Org) -> None:
    await use(org, "P3", await office(org))
    customer = await new_customer(org)
    org.clock.now = riyadh(4, 11).astimezone(UTC)
    made = (await open_ticket(org, customer, "ملاحظة عامة"))["ticket"]
    query = (
        "query($s: SlaClockState!) { tickets(filter: {slaState: $s}) { edges { node { id "
        "sla { firstResponse { state } } } } } }"
    )

    async def listed(state: str) -> list[str]:
        edges = (await org.data(query, {"s": state}))["tickets"]["edges"]
        return [edge["node"]["id"] for edge in edges]

    # Saturday night: nothing counted yet (24/7 would be breached since Saturday 11:00).
    org.clock.now = riyadh(5, 23).astimezone(UTC)
    assert (await listed("ON_TRACK"), await listed("AT_RISK")) == ([made["id"]], [])
    # 80% of 24 working hours: Sunday 8 h, Monday 8 h, Tuesday 3 h 12 min → 12:12.
    org.clock.now = riyadh(8, 12, 11).astimezone(UTC)
    assert await listed("AT_RISK") == []
    org.clock.now = riyadh(8, 12, 12).astimezone(UTC)
    assert await listed("AT_RISK") == [made["id"]]
    node = (await org.data(query, {"s": "AT_RISK"}))["tickets"]["edges"][0]["node"]
    assert node["sla"]["firstResponse"]["state"] == "AT_RISK"
