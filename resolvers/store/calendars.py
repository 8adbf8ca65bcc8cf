"""Business calendars, the calendar each priority counts in, the organisation's time zone, and
the set-based re-computation of open tickets' due times (docs/rules.md §7)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain import sla
from domain.calendars import Holiday, RoundTheClock, WorkCalendar
from domain.support_modes import SupportMode
from domain.tickets import Pause, Priority
from resolvers.store.tables import CalendarRow

# What a ticket's current priority counts in, as JSON text: its calendar with the
# organisation's zone, or (24/7) the zone alone. A scalar subquery over `{t}`, so reads need no
# extra statement.
_SPEC = (
    "CASE WHEN c.id IS NULL THEN json_build_object('zone', o.time_zone) "
    "ELSE json_build_object('name', c.name, 'zone', o.time_zone, 'days', c.working_days, "
    "'hours', c.working_hours, 'holidays', c.holidays) END::text"
)
_PRIORITY_CALENDAR = (
    "LEFT JOIN priority_calendars pc ON pc.org_id = o.id AND pc.priority = {priority} "
    "LEFT JOIN calendars c ON c.org_id = pc.org_id AND c.id = pc.calendar_id "
)
SPEC_SQL = (
    f"(SELECT {_SPEC} FROM organisations o "
    + _PRIORITY_CALENDAR.format(priority="{t}.priority")
    + "WHERE o.id = {t}.org_id)"
)
# The same for every priority of organisation `{org}` at once: rows (priority, spec), for
# statements reading many tickets to join on (each spec built once, not per row).
SPECS_SQL = (
    f"SELECT p.priority, {_SPEC} AS spec FROM organisations o "
    "CROSS JOIN (VALUES "
    + ", ".join(f"('{priority.value}')" for priority in Priority)
    + ") AS p(priority) "
    + _PRIORITY_CALENDAR.format(priority="p.priority")
    + "WHERE o.id = {org}"
)


@lru_cache(maxsize=512)
def from_spec(spec: str) -> WorkCalendar | RoundTheClock:
    """What SPEC_SQL's JSON says a clock counts in (cached: many tickets share a few)."""
    raw = json.loads(spec)
    if "days" not in raw:
        return RoundTheClock(raw["zone"])
    return WorkCalendar(
        name=raw["name"],
        zone=raw["zone"],
        days=frozenset(raw["days"]),
        hours=tuple((int(low), int(high)) for low, high in raw["hours"]),
        holidays=tuple(
            Holiday(date.fromisoformat(item["day"]), item["name"]) for item in raw["holidays"]
        ),
    )


def pauses_from(raw: Any) -> tuple[Pause, ...]:
    """The `pauses` column ([[start, end or null], ...]; JSON text or decoded) as pauses."""
    items = json.loads(raw) if isinstance(raw, str) else (raw or [])
    return tuple(
        Pause(datetime.fromisoformat(start), None if end is None else datetime.fromisoformat(end))
        for start, end in items
    )


def pauses_to(pauses: Sequence[Pause]) -> list[list[str | None]]:
    return [[p.start.isoformat(), None if p.end is None else p.end.isoformat()] for p in pauses]


@dataclass(frozen=True, slots=True)
class StoredCalendar:
    """A calendar with its id and version (for optimistic concurrency)."""

    id: int
    version: int
    calendar: WorkCalendar


@dataclass(frozen=True, slots=True)
class WorkTime:
    """The organisation's §7 settings: its zone, calendars and which one each priority uses."""

    time_zone: str
    calendars: tuple[StoredCalendar, ...]
    by_priority: dict[Priority, int]


def _calendar(row: CalendarRow, zone: str) -> StoredCalendar:
    assert row.id is not None
    return StoredCalendar(
        id=row.id,
        version=row.version,
        calendar=WorkCalendar(
            name=row.name,
            zone=zone,
            days=frozenset(row.working_days),
            hours=tuple((low, high) for low, high in row.working_hours),
            holidays=tuple(
                Holiday(date.fromisoformat(item["day"]), item["name"]) for item in row.holidays
            ),
        ),
    )


def _columns(calendar: WorkCalendar) -> dict[str, Any]:
    return {
        "name": calendar.name,
        "working_days": sorted(calendar.days),
        "working_hours": [[low, high] for low, high in calendar.hours],
        "holidays": [{"day": h.day.isoformat(), "name": h.name} for h in calendar.holidays],
    }


async def time_zone(session: AsyncSession, *, org_id: int, lock: bool = False) -> str:
    sql = "SELECT time_zone FROM organisations WHERE id = :org" + (" FOR UPDATE" if lock else "")
    return cast(str, (await session.execute(text(sql), {"org": org_id})).scalar_one())


async def set_time_zone(session: AsyncSession, *, org_id: int, zone: str) -> None:
    await session.execute(
        text("UPDATE organisations SET time_zone = :zone WHERE id = :org"),
        {"zone": zone, "org": org_id},
    )


async def work_time(session: AsyncSession, *, org_id: int) -> WorkTime:
    zone = await time_zone(session, org_id=org_id)
    rows = (
        await session.execute(
            text("SELECT * FROM calendars WHERE org_id = :org ORDER BY id"), {"org": org_id}
        )
    ).mappings()
    found = tuple(_calendar(CalendarRow(**row), zone) for row in rows)
    mapping = await session.execute(
        text("SELECT priority, calendar_id FROM priority_calendars WHERE org_id = :org"),
        {"org": org_id},
    )
    return WorkTime(zone, found, {Priority(p): c for p, c in mapping})


async def get_for_update(
    session: AsyncSession, *, org_id: int, calendar_id: int
) -> StoredCalendar | None:
    row = await session.get(CalendarRow, (org_id, calendar_id), with_for_update=True)
    if row is None:
        return None
    return _calendar(row, await time_zone(session, org_id=org_id))


async def name_taken(
    session: AsyncSession, *, org_id: int, name: str, other_than: int | None = None
) -> bool:
    found = await session.execute(
        text(
            "SELECT 1 FROM calendars WHERE org_id = :org AND name = :name "
            "AND (CAST(:other AS bigint) IS NULL OR id <> :other)"
        ),
        {"org": org_id, "name": name, "other": other_than},
    )
    return found.first() is not None


async def insert(
    session: AsyncSession, *, org_id: int, calendar: WorkCalendar, now: datetime
) -> StoredCalendar:
    row = CalendarRow(
        org_id=org_id, version=1, created_at=now, updated_at=now, **_columns(calendar)
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    return StoredCalendar(row.id, 1, calendar)


async def save(
    session: AsyncSession, *, org_id: int, stored: StoredCalendar, now: datetime
) -> StoredCalendar:
    row = await session.get(CalendarRow, (org_id, stored.id))
    assert row is not None
    for column, value in _columns(stored.calendar).items():
        setattr(row, column, value)
    row.version = stored.version + 1
    row.updated_at = now
    await session.flush()
    return StoredCalendar(stored.id, row.version, stored.calendar)


async def set_priority(
    session: AsyncSession, *, org_id: int, priority: Priority, calendar_id: int | None
) -> None:
    """Map `priority` to a calendar, or back to 24/7 (no row) with None."""
    if calendar_id is None:
        await session.execute(
            text("DELETE FROM priority_calendars WHERE org_id = :org AND priority = :p"),
            {"org": org_id, "p": priority.value},
        )
        return
    await session.execute(
        text(
            "INSERT INTO priority_calendars (org_id, priority, calendar_id) "
            "VALUES (:org, :p, :c) ON CONFLICT (org_id, priority) "
            "DO UPDATE SET calendar_id = excluded.calendar_id"
        ),
        {"org": org_id, "p": priority.value, "c": calendar_id},
    )


async def by_priority(
    session: AsyncSession, *, org_id: int
) -> dict[Priority, WorkCalendar | RoundTheClock]:
    """What each priority's clocks count in for the organisation (§7), in one statement."""
    rows = await session.execute(
        text(SPECS_SQL.format(org="CAST(:org AS bigint)")), {"org": org_id}
    )
    return {Priority(priority): from_spec(spec) for priority, spec in rows.all()}


async def for_priority(
    session: AsyncSession, *, org_id: int, priority: Priority
) -> WorkCalendar | RoundTheClock:
    """What `priority`'s clocks count in for the organisation (§7)."""
    spec = (
        await session.execute(
            text(
                "SELECT " + SPEC_SQL.format(t="t") + " FROM (SELECT CAST(:org AS bigint) AS "
                "org_id, CAST(:p AS text) AS priority) AS t"
            ),
            {"org": org_id, "p": priority.value},
        )
    ).scalar_one()
    return from_spec(spec)


async def _driver(session: AsyncSession) -> asyncpg.Connection:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return cast(asyncpg.Connection, raw.driver_connection)


# Unresolved tickets of the organisation (open or waiting), with what their due times need:
# each priority's calendar is built once (a CTE), not once per ticket.
_UNRESOLVED = (
    "WITH specs AS ("
    + SPECS_SQL.format(org="$1")
    + ")"
    + """
SELECT t.id, t.priority, t.opened_at, t.support_mode,
       CASE WHEN t.pauses = '[]'::jsonb THEN NULL ELSE t.pauses::text END AS pauses, s.spec
FROM tickets t LEFT JOIN specs s ON s.priority = t.priority
WHERE t.org_id = $1 AND t.resolved_at IS NULL
"""
)
# One UPDATE for all of them: a running clock takes its new due time; a breach flag stays only
# while the clock is still past its (new) due time, so a due time moved later clears it and the
# scan alerts it again if the new one passes too.
_RECOMPUTE = """
UPDATE tickets t SET
    first_response_due_at = CASE WHEN t.first_response_at IS NULL THEN u.fr
                                 ELSE t.first_response_due_at END,
    resolution_due_at = u.res,
    first_response_at_risk_at = CASE WHEN t.first_response_at IS NULL THEN u.fr_risk
                                     ELSE t.first_response_at_risk_at END,
    resolution_at_risk_at = u.res_risk,
    first_response_breached = t.first_response_breached
        AND (t.first_response_at IS NOT NULL OR u.fr < $2),
    resolution_breached = t.resolution_breached AND coalesce(u.res < $2, true)
FROM unnest($3::bigint[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[],
            $7::timestamptz[]) AS u(id, fr, res, fr_risk, res_risk)
WHERE t.org_id = $1 AND t.id = u.id AND t.resolved_at IS NULL
  AND ((t.first_response_at IS NULL AND t.first_response_due_at IS DISTINCT FROM u.fr)
       OR t.resolution_due_at IS DISTINCT FROM u.res
       OR t.resolution_at_risk_at IS DISTINCT FROM u.res_risk)
"""


async def recompute_due_times(session: AsyncSession, *, org_id: int, now: datetime) -> int:
    """§7: after a calendar, a priority's calendar or the zone changed, every unresolved
    ticket's due times from its current calendar — two statements whatever the count (one
    read, one UPDATE from arrays); the breach scan keeps reading stored due times. Returns how
    many tickets moved."""
    conn = await _driver(session)
    rows = await conn.fetch(_UNRESOLVED, org_id)
    ids, first, resolution, first_risk, resolution_risk = [], [], [], [], []
    for row in rows:
        calendar = from_spec(row["spec"])
        priority, opened = Priority(row["priority"]), row["opened_at"]
        mode = None if row["support_mode"] is None else SupportMode(row["support_mode"])
        target = (
            None if mode is None else sla.first_response_minutes(priority, opened, calendar, mode)
        )
        due = sla.due_times(priority, opened, calendar, pauses_from(row["pauses"]), target)
        ids.append(row["id"])
        first.append(due.first_response_due_at)
        resolution.append(due.resolution_due_at)
        first_risk.append(due.first_response_at_risk_at)
        resolution_risk.append(due.resolution_at_risk_at)
    if not ids:
        return 0
    status = await conn.execute(
        _RECOMPUTE, org_id, now, ids, first, resolution, first_risk, resolution_risk
    )
    return int(status.split()[-1])
