"""Pilots (docs/rules.md §8.1): the only place that speaks SQL about them, their check-ins and
the steps the daily scan drafts (each once: `pilot_steps` is keyed by pilot and step)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain import pilots
from domain.pilots import CheckIn, Pilot, PilotStatus, PilotView
from resolvers.store import drafts

_COLUMNS = (
    "id, customer_id, started_at, start_day, status, decided_at, decline_reason, plan_starts_on"
)


def _pilot(row: Any) -> Pilot:
    return Pilot(
        id=row["id"],
        customer_id=row["customer_id"],
        started_at=row["started_at"],
        start_day=row["start_day"],
        status=PilotStatus(row["status"]),
        decided_at=row["decided_at"],
        decline_reason=row["decline_reason"],
        plan_starts_on=row["plan_starts_on"],
    )


async def local_today(session: AsyncSession, *, org_id: int, now: datetime) -> date:
    """`now`'s date in the organisation's time zone."""
    result = await session.execute(
        text(
            "SELECT (CAST(:now AS timestamptz) AT TIME ZONE time_zone)::date "
            "FROM organisations WHERE id = :org"
        ),
        {"now": now, "org": org_id},
    )
    day: date = result.scalar_one()
    return day


async def insert(
    session: AsyncSession, *, org_id: int, customer_id: int, now: datetime, start_day: date
) -> Pilot | None:
    """A running pilot for the customer; None when it already had one."""
    result = await session.execute(
        text(
            "INSERT INTO pilots (org_id, customer_id, started_at, start_day, status) "
            "VALUES (:org, :c, :now, :day, 'running') "
            f"ON CONFLICT ON CONSTRAINT pilots_one_per_customer DO NOTHING RETURNING {_COLUMNS}"
        ),
        {"org": org_id, "c": customer_id, "now": now, "day": start_day},
    )
    row = result.mappings().first()
    return None if row is None else _pilot(row)


async def get_for_update(session: AsyncSession, *, org_id: int, pilot_id: int) -> Pilot | None:
    """The pilot, row-locked until the transaction ends."""
    result = await session.execute(
        text(f"SELECT {_COLUMNS} FROM pilots WHERE org_id = :org AND id = :id FOR UPDATE"),
        {"org": org_id, "id": pilot_id},
    )
    row = result.mappings().first()
    return None if row is None else _pilot(row)


async def decide(
    session: AsyncSession,
    *,
    org_id: int,
    pilot_id: int,
    status: PilotStatus,
    now: datetime,
    reason: str | None = None,
    plan_starts_on: date | None = None,
) -> Pilot:
    """Record the outcome (the caller holds the row lock and checked it was running)."""
    result = await session.execute(
        text(
            "UPDATE pilots SET status = :status, decided_at = :now, decline_reason = :reason, "
            f"plan_starts_on = :plan WHERE org_id = :org AND id = :id RETURNING {_COLUMNS}"
        ),
        {
            "status": status.value,
            "now": now,
            "reason": reason,
            "plan": plan_starts_on,
            "org": org_id,
            "id": pilot_id,
        },
    )
    return _pilot(result.mappings().one())


async def record_check_in(
    session: AsyncSession, *, org_id: int, pilot_id: int, check_in: CheckIn, now: datetime
) -> None:
    """Store a day's check-in; recording a day again replaces it."""
    await session.execute(
        text(
            "INSERT INTO pilot_check_ins (org_id, pilot_id, day, attended, leads, demos, "
            "response_seconds, recorded_at) VALUES (:org, :p, :day, :attended, :leads, :demos, "
            ":seconds, :now) ON CONFLICT (org_id, pilot_id, day) DO UPDATE SET "
            "attended = excluded.attended, leads = excluded.leads, demos = excluded.demos, "
            "response_seconds = excluded.response_seconds, recorded_at = excluded.recorded_at"
        ),
        {
            "org": org_id,
            "p": pilot_id,
            "day": check_in.day,
            "attended": check_in.attended,
            "leads": check_in.leads,
            "demos": check_in.demos,
            "seconds": check_in.response_seconds,
            "now": now,
        },
    )


async def check_ins_in(session: AsyncSession, *, org_id: int, pilot_id: int) -> list[CheckIn]:
    """The pilot's check-ins by day, in the caller's transaction."""
    result = await session.execute(
        text(
            "SELECT day, attended, leads, demos, response_seconds FROM pilot_check_ins "
            "WHERE org_id = :org AND pilot_id = :p ORDER BY day"
        ),
        {"org": org_id, "p": pilot_id},
    )
    return [CheckIn(*row) for row in result.all()]


async def by_customers(
    conn: asyncpg.Connection, *, org_id: int, customer_ids: Sequence[int], now: datetime
) -> dict[int, PilotView | None]:
    """Batch load: each customer's pilot with its check-ins and its day today, one query."""
    rows = await conn.fetch(
        f"SELECT p.{_COLUMNS.replace(', ', ', p.')}, "
        "((CAST($3 AS timestamptz) AT TIME ZONE o.time_zone)::date - p.start_day) AS today, "
        "coalesce((SELECT jsonb_agg(jsonb_build_array(k.day, k.attended, k.leads, k.demos, "
        "k.response_seconds) ORDER BY k.day) FROM pilot_check_ins k "
        "WHERE k.org_id = p.org_id AND k.pilot_id = p.id), '[]'::jsonb)::text AS check_ins "
        "FROM pilots p JOIN organisations o ON o.id = p.org_id "
        "WHERE p.org_id = $1 AND p.customer_id = ANY($2::bigint[])",
        org_id,
        list(customer_ids),
        now,
    )
    steps = await drafts.for_subjects(
        conn, org_id=org_id, subject_type="pilot", subject_ids=[row["id"] for row in rows]
    )
    found: dict[int, PilotView | None] = dict.fromkeys(customer_ids)
    for row in rows:
        found[row["customer_id"]] = PilotView(
            pilot=_pilot(row),
            check_ins=tuple(CheckIn(*item) for item in json.loads(row["check_ins"])),
            day=row["today"],
            drafts=tuple(steps[row["id"]]),
        )
    return found


@dataclass(frozen=True, slots=True)
class DueStep:
    """A step the scan drafts now: pilot, customer, locale, step, body."""

    org_id: int
    pilot_id: int
    customer_id: int
    locale: str
    step: pilots.Step
    body: str


# Pilots whose local day today may bring a step ($1 now, $2 the earliest start day worth
# reading: every time zone's today is within a day of UTC's): day 2 to 30, with their totals.
# Day 7's asks are still drafted up to day 30 when the scan missed day 7 itself.
_CANDIDATES = """
SELECT p.org_id, p.id, p.customer_id, p.status, c.locale, x.day,
       t.leads, t.demos, t.seconds, t.n,
       coalesce((SELECT array_agg(s.step) FROM pilot_steps s
                 WHERE s.org_id = p.org_id AND s.pilot_id = p.id), '{}') AS drafted
FROM pilots p
JOIN organisations o ON o.id = p.org_id
JOIN customers c ON c.org_id = p.org_id AND c.id = p.customer_id
CROSS JOIN LATERAL (SELECT ((CAST($1 AS timestamptz) AT TIME ZONE o.time_zone)::date
                            - p.start_day) AS day) x
CROSS JOIN LATERAL (SELECT coalesce(sum(k.leads), 0)::int AS leads,
                           coalesce(sum(k.demos), 0)::int AS demos,
                           coalesce(sum(k.response_seconds), 0)::bigint AS seconds,
                           count(*)::int AS n
                    FROM pilot_check_ins k WHERE k.org_id = p.org_id AND k.pilot_id = p.id) t
WHERE p.start_day >= $2 AND x.day BETWEEN 2 AND 30 AND c.archived_at IS NULL
"""

_WRITE = """
WITH input AS (
  SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[],
                       $7::text[], $8::text[])
    AS d(org_id, pilot_id, customer_id, step, kind, locale, body)),
claimed AS (
  INSERT INTO pilot_steps (org_id, pilot_id, step, drafted_at)
  SELECT org_id, pilot_id, step, $1 FROM input
  ON CONFLICT (org_id, pilot_id, step) DO NOTHING
  RETURNING org_id, pilot_id, step)
INSERT INTO drafts (org_id, customer_id, kind, subject_type, subject_id, locale, body, status,
                    created_at, version)
SELECT i.org_id, i.customer_id, i.kind, 'pilot', i.pilot_id, i.locale, i.body, 'draft', $1, 1
FROM claimed c JOIN input i USING (org_id, pilot_id, step)
RETURNING id
"""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A pilot on a day that may bring steps, with its totals so far."""

    org_id: int
    pilot_id: int
    customer_id: int
    status: PilotStatus
    locale: str
    day: int
    totals: pilots.Totals
    drafted: frozenset[str]  # the steps already drafted (a concurrent scan may add more)


async def candidates(conn: asyncpg.Connection, *, now: datetime) -> list[Candidate]:
    """Every pilot (all organisations) between its day 2 and day 30 today."""
    earliest = now.date() - timedelta(days=31)
    rows = await conn.fetch(_CANDIDATES, now, earliest)
    return [
        Candidate(
            org_id=row["org_id"],
            pilot_id=row["id"],
            customer_id=row["customer_id"],
            status=PilotStatus(row["status"]),
            locale=row["locale"],
            day=row["day"],
            totals=pilots.Totals(
                leads=row["leads"],
                demos=row["demos"],
                response_seconds=pilots.average(row["seconds"], row["n"]),
            ),
            drafted=frozenset(row["drafted"]),
        )
        for row in rows
    ]


async def write_steps(conn: asyncpg.Connection, *, due: Sequence[DueStep], now: datetime) -> int:
    """Set-based: each due step claimed and drafted in one statement, once however many scans
    race (a second scan waits on the first's claim, then finds it taken). Returns how many."""
    rows = await conn.fetch(
        _WRITE,
        now,
        [d.org_id for d in due],
        [d.pilot_id for d in due],
        [d.customer_id for d in due],
        [d.step.key for d in due],
        [d.step.kind.value for d in due],
        [d.locale for d in due],
        [d.body for d in due],
    )
    return len(rows)
