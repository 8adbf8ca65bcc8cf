"""Re-computing open tickets' due times after a calendar change (docs/rules.md §7).

Run on demand (never collected by pytest):

    WAFI_BENCH_DATABASE_URL=postgresql://user@host:5432/postgres \
        python -m tests.bench.bench_calendar_recompute [--tickets 100000] [--repeat 3]

It creates a database of its own (dropped at the end), seeds one organisation with `--tickets`
unresolved tickets (P2, opened over the last 30 days, half of them answered) and a business
calendar with a year of holidays that P2 counts in, then times `store.calendars.
recompute_due_times` — what every calendar mutation runs: one read, the due times from
`domain.sla`, one UPDATE from arrays — as the API runs it (APP_ROLE, row-level security), each
run inside a transaction that is rolled back. The calendar's hours alternate between two
layouts, so every run moves every ticket.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time
from datetime import UTC, datetime

import asyncpg
from sqlalchemy import text

from domain import sla
from domain.tickets import Priority
from resolvers.store import calendars as calendar_store
from resolvers.store import engine
from tests.bench.harness import drop_database, fresh_database

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

_SEED = """
INSERT INTO tickets (org_id, customer_id, subject, body, channel, classified_priority, priority,
    matched_keyword, reason_ar, status, opened_at, first_response_at, first_response_due_at,
    resolution_due_at, version, created_at, updated_at)
SELECT $1, $2, 'subject ' || g, 'body', 'email', 'P2', 'P2', NULL, 'bench', 'open',
    $3::timestamptz - (g % 720) * interval '1 hour',
    CASE WHEN g % 2 = 0 THEN $3::timestamptz - (g % 720) * interval '1 hour'
         + interval '5 minutes' END,
    $3::timestamptz, $3::timestamptz, 1, $3, $3
FROM generate_series(1, $4::bigint) AS g
"""

_HOLIDAYS = (
    '[{"day": "2026-03-19", "name": "عيد الفطر"}, {"day": "2026-03-20", "name": "عيد الفطر"}, '
    '{"day": "2026-03-21", "name": "عيد الفطر"}, {"day": "2026-05-26", "name": "عيد الأضحى"}, '
    '{"day": "2026-05-27", "name": "عيد الأضحى"}, {"day": "2026-05-28", "name": "عيد الأضحى"}, '
    '{"day": "2026-09-23", "name": "اليوم الوطني"}, {"day": "2026-11-29", "name": "يوم"}]'
)
_LAYOUTS = ("[[540, 1020]]", "[[480, 720], [780, 1020]]")


async def seed(url: str, tickets: int) -> tuple[int, int]:
    conn = await asyncpg.connect(engine.asyncpg_dsn(url))
    try:
        org_id = await conn.fetchval(
            "INSERT INTO organisations (slug, name, created_at) VALUES ('bench', 'Bench', $1) "
            "RETURNING id",
            NOW,
        )
        customer_id = await conn.fetchval(
            "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
            "subscription_status, subscription_started_at, version, created_at, updated_at) "
            "VALUES ($1, 'c', 'c', 'ar', 'growth_starter', 'adoption', 'active', $2, 1, $2, $2) "
            "RETURNING id",
            org_id,
            NOW,
        )
        await conn.execute(_SEED, org_id, customer_id, NOW, tickets)
        calendar_id = await conn.fetchval(
            "INSERT INTO calendars (org_id, name, working_days, working_hours, holidays, "
            "created_at, updated_at) VALUES ($1, 'office', '{6,0,1,2,3}', $2::jsonb, $3::jsonb, "
            "$4, $4) RETURNING id",
            org_id,
            _LAYOUTS[0],
            _HOLIDAYS,
            NOW,
        )
        await conn.execute(
            "INSERT INTO priority_calendars (org_id, priority, calendar_id) VALUES ($1, 'P2', $2)",
            org_id,
            calendar_id,
        )
        await conn.execute("VACUUM ANALYZE tickets")
        return org_id, calendar_id
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    name = f"wafi_bench_{secrets.token_hex(4)}"
    url = await fresh_database(name)
    write = engine.create_write_engine(url, size=1)
    try:
        org_id, calendar_id = await seed(url, args.tickets)
        maker = engine.sessions(write)
        runs: list[float] = []
        phases: list[tuple[float, float]] = []
        moved = 0
        for run in range(args.repeat):
            async with maker() as session:
                transaction = await session.begin()
                await session.execute(
                    text(
                        "SELECT set_config('role', :role, true), "
                        "set_config('app.org_id', :org, true)"
                    ),
                    {"role": engine.APP_ROLE, "org": str(org_id)},
                )
                await session.execute(
                    text(
                        "UPDATE calendars SET working_hours = CAST(:hours AS jsonb) "
                        "WHERE org_id = :org AND id = :id"
                    ),
                    {"hours": _LAYOUTS[(run + 1) % 2], "org": org_id, "id": calendar_id},
                )
                began = time.perf_counter()
                conn = await calendar_store._driver(session)
                rows = await conn.fetch(calendar_store._UNRESOLVED, org_id)
                read = time.perf_counter()
                for row in rows:
                    sla.due_times(
                        Priority(row["priority"]),
                        row["opened_at"],
                        calendar_store.from_spec(row["spec"]),
                        calendar_store.pauses_from(row["pauses"]),
                    )
                phases.append((read - began, time.perf_counter() - read))
                began = time.perf_counter()
                moved = await calendar_store.recompute_due_times(session, org_id=org_id, now=NOW)
                runs.append(time.perf_counter() - began)
                await transaction.rollback()
        print(
            f"{args.tickets:,} unresolved tickets, P2 in a Sun–Thu calendar with holidays: "
            f"re-computed {moved:,} in {statistics.median(runs) * 1000:.0f} ms (median of "
            f"{args.repeat}; runs {', '.join(f'{r * 1000:.0f}' for r in runs)} ms)"
        )
        read_s = statistics.median(p[0] for p in phases)
        compute_s = statistics.median(p[1] for p in phases)
        print(
            f"  of which: the read {read_s * 1000:.0f} ms, the due times in Python "
            f"{compute_s * 1000:.0f} ms, the UPDATE the rest"
        )
    finally:
        await write.dispose()
        await drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
