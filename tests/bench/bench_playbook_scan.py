"""The playbook scan (`jobs.playbooks.scan_playbooks`) over 100,000 customers.

Run on demand (never collected by pytest):

    WAFI_BENCH_DATABASE_URL=postgresql://user@host:5432/postgres \
        python -m tests.bench.bench_playbook_scan [--customers 100000]

It creates a database of its own (dropped at the end), migrates it and seeds `--customers`
customers over 100 organisations (half of them in Riyadh, half in UTC); one customer in ten is
on a pilot started 0–39 days ago with three check-ins, and one in fifty has a red flag raised two
hours ago whose RED_FLAG alert half of them acknowledged. Then it times three runs of the job:
- first: every pilot step due today is drafted, every unacknowledged flag goes overdue;
- again a minute later: nothing new (every step is claimed, every overdue alerted);
- the next day: the next day's steps.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from jobs import playbooks as playbook_jobs
from resolvers.store import engine
from tests.bench.harness import drop_database, fresh_database

NOW = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)  # 00:30 the next day in Riyadh
ORGS = 100

_SEED = [
    "INSERT INTO organisations (slug, name, created_at, time_zone) "
    "SELECT 'bench-' || g, 'Bench ' || g, $1::timestamptz, "
    "CASE WHEN g % 2 = 0 THEN 'Asia/Riyadh' ELSE 'UTC' END FROM generate_series(1, {orgs}) g",
    "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
    "subscription_status, subscription_started_at, last_activity_at, version, created_at, "
    "updated_at) SELECT o.id, 'Customer ' || g, 'customer ' || g, 'ar', 'growth_starter', "
    "'adoption', 'pilot', $1::timestamptz - interval '40 days', $1::timestamptz, 1, "
    "$1::timestamptz, $1::timestamptz "
    "FROM generate_series(1, {customers}) g JOIN organisations o ON o.id = 1 + g % {orgs}",
    "INSERT INTO pilots (org_id, customer_id, started_at, start_day, status) "
    "SELECT c.org_id, c.id, $1::timestamptz - ((c.id / 10 % 40) || ' days')::interval, "
    "($1::timestamptz - ((c.id / 10 % 40) || ' days')::interval)::date, "
    "CASE WHEN c.id % 7 = 0 THEN 'converted' ELSE 'running' END "
    "FROM customers c WHERE c.id % 10 = 0",
    "INSERT INTO pilot_check_ins (org_id, pilot_id, day, attended, leads, demos, "
    "response_seconds, recorded_at) SELECT p.org_id, p.id, d, d % 3 <> 0, 5 + d, d % 2, 40, "
    "$1::timestamptz FROM pilots p CROSS JOIN generate_series(2, 4) d",
    "INSERT INTO red_flags (org_id, customer_id, category, source, reason, origin, raised_at, "
    "due_at) SELECT c.org_id, c.id, 'churn', 'ticket', 'churn', 'bench:' || c.id, "
    "$1::timestamptz - interval '2 hours', $1::timestamptz - interval '1 hour' "
    "FROM customers c WHERE c.id % 50 = 0",
    "INSERT INTO alerts (org_id, kind, subject, subject_id, occurrence, customer_id, for_role, "
    "payload, created_at, acknowledged_at) SELECT f.org_id, 'RED_FLAG', 'Customer', "
    "f.customer_id, 'red_flag:' || f.id, f.customer_id, 'manager', jsonb_build_object("
    "'customerId', f.customer_id, 'redFlagId', f.id, 'category', 'churn', 'dueAt', f.due_at), "
    "f.raised_at, CASE WHEN f.id % 2 = 0 THEN f.raised_at END FROM red_flags f",
    "ANALYZE",
]


async def seed(url: str, customers: int) -> None:
    conn = await asyncpg.connect(engine.asyncpg_dsn(url))
    try:
        for statement in _SEED:
            sql = statement.format(orgs=ORGS, customers=customers)
            await (conn.execute(sql, NOW) if "$1" in sql else conn.execute(sql))
    finally:
        await conn.close()


async def main(customers: int) -> None:
    name = f"wafi_bench_playbooks_{secrets.token_hex(3)}"
    url = await fresh_database(name)
    pool = await engine.create_system_pool(url, size=2)
    try:
        start = time.perf_counter()
        await seed(url, customers)
        print(f"seeded {customers:,} customers in {time.perf_counter() - start:.1f} s")
        ctx: dict[str, Any] = {"db": pool, "clock": lambda: NOW}
        for label, now in (
            ("first run", NOW),
            ("a minute later", NOW + timedelta(minutes=1)),
            ("next day", NOW + timedelta(days=1)),
        ):
            start = time.perf_counter()
            result = await playbook_jobs.scan_playbooks(ctx, now)
            seconds = time.perf_counter() - start
            print(
                f"{label:>15}: {seconds:6.3f} s  {result['pilot_drafts']:,} pilot drafts  "
                f"{result['red_flags_overdue']:,} RED_FLAG_OVERDUE"
            )
        async with pool.acquire() as conn:
            pilots = await conn.fetchval("SELECT count(*) FROM pilots")
        print(f"pilots: {pilots:,}")
    finally:
        await pool.close()
        await drop_database(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.customers))
