"""The daily health snapshot job (`jobs.success.snapshot_health`) over 100,000 customers.

Run on demand (never collected by pytest):

    WAFI_BENCH_DATABASE_URL=postgresql://user@host:5432/postgres \
        python -m tests.bench.bench_health_scan [--customers 100000] [--batch 2000]

It creates a database of its own (dropped at the end), migrates it and seeds `--customers`
customers over 100 organisations with the signals both scores read: four weekly check-ins each,
two CSAT ratings for one customer in three, three drafts each (pending, approved, rejected), a
Proof Pack for seven in ten, a breached P0 ticket for one in twenty and an open SEV1 incident
affecting one in a hundred. Then it times three runs of the job:
- first: every snapshot and last severity is new, every rise above `low` is alerted and
  every rise to `high` gets the founder's email draft;
- again the same day: every snapshot is rewritten in place, nothing is alerted;
- the next day: a new point per customer.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from jobs import success as success_jobs
from resolvers.store import engine
from tests.bench.harness import drop_database, fresh_database

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORGS = 100

_SEED = [
    # organisations and customers: activity 0–29 days ago, subscriptions 20–200 days old
    "INSERT INTO organisations (slug, name, created_at) "
    "SELECT 'bench-' || g, 'Bench ' || g, $1::timestamptz FROM generate_series(1, {orgs}) g",
    "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
    "subscription_status, subscription_started_at, last_activity_at, version, created_at, "
    "updated_at) SELECT o.id, 'Customer ' || g, 'customer ' || g, 'ar', 'growth_starter', "
    "'adoption', 'active', $1::timestamptz - ((20 + g % 180) || ' days')::interval, "
    "$1::timestamptz - ((g % 30) || ' days')::interval, 1, $1::timestamptz, $1::timestamptz "
    "FROM generate_series(1, {customers}) g JOIN organisations o ON o.id = 1 + g % {orgs}",
    "INSERT INTO check_ins (org_id, customer_id, week_of, drafts_approved, replies, meetings, "
    "risks_blocked, pipeline_sar, recorded_at) SELECT c.org_id, c.id, "
    "($1::timestamptz - (w * 7 || ' days')::interval)::date, 5, 2, c.id % 3, 1, "
    "1000 * (c.id % 50), $1::timestamptz FROM customers c CROSS JOIN generate_series(0, 3) w",
    # Ratings belong to real (closed, P3) tickets: csat_ratings.ticket_id is a foreign key.
    "INSERT INTO tickets (org_id, customer_id, subject, body, channel, classified_priority, "
    "priority, reason_ar, status, opened_at, first_response_due_at, resolution_due_at, "
    "version, created_at, updated_at) SELECT c.org_id, c.id, 'rated', 'b', 'email', 'P3', 'P3', "
    "'r', 'closed', t.opened, t.opened + interval '1440 minutes', t.opened + interval '168 hours', "
    "1, t.opened, t.opened FROM customers c CROSS JOIN generate_series(0, 1) r "
    "CROSS JOIN (SELECT $1::timestamptz - interval '10 days' AS opened) t WHERE c.id % 3 = 0",
    "INSERT INTO csat_ratings (org_id, ticket_id, customer_id, rating, rated_at) "
    "SELECT t.org_id, t.id, t.customer_id, 1 + (t.customer_id + t.id) % 5, "
    "$1::timestamptz - interval '3 days' FROM tickets t WHERE t.subject = 'rated'",
    "INSERT INTO drafts (org_id, customer_id, kind, subject_type, subject_id, locale, body, "
    "status, created_at, decided_at, version) SELECT c.org_id, c.id, 'check_in', 'customer', "
    "c.id, 'ar', 'body', s, $1::timestamptz - interval '5 days', "
    "CASE WHEN s = 'draft' THEN NULL ELSE $1::timestamptz - interval '4 days' END, 1 "
    "FROM customers c CROSS JOIN unnest(ARRAY['draft', 'approved', 'rejected']) s",
    "INSERT INTO proof_packs (org_id, customer_id, title, delivered_at) "
    "SELECT c.org_id, c.id, 'PP', $1::timestamptz - ((c.id % 25) || ' days')::interval "
    "FROM customers c WHERE c.id % 10 < 7",
    "INSERT INTO tickets (org_id, customer_id, subject, body, channel, classified_priority, "
    "priority, reason_ar, status, opened_at, first_response_due_at, resolution_due_at, "
    "version, created_at, updated_at) SELECT c.org_id, c.id, 's', 'b', 'email', 'P0', 'P0', "
    "'r', 'open', t.opened, t.opened + interval '30 minutes', t.opened + interval '4 hours', "
    "1, t.opened, t.opened FROM customers c "
    "CROSS JOIN (SELECT $1::timestamptz - interval '2 days' AS opened) t WHERE c.id % 20 = 0",
    "INSERT INTO incidents (org_id, title, description, severity, triage_severity, reason_ar, "
    "has_data_leak, has_unauthorized_send, status, detected_at, first_action_due_at, version, "
    "created_at, updated_at) SELECT o.id, 't', 'd', 'SEV1', 'SEV1', 'r', true, false, 'open', "
    "$1::timestamptz, $1::timestamptz, 1, $1::timestamptz, $1::timestamptz FROM organisations o",
    "INSERT INTO incident_customers (org_id, incident_id, customer_id) SELECT c.org_id, i.id, "
    "c.id FROM customers c JOIN incidents i ON i.org_id = c.org_id WHERE c.id % 100 = 0",
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


async def timed(ctx: dict[str, Any], now: datetime) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    result = await success_jobs.snapshot_health(ctx, now=now)
    return time.perf_counter() - start, result


async def main(customers: int, batch: int) -> None:
    name = f"wafi_bench_health_{secrets.token_hex(3)}"
    url = await fresh_database(name)
    pool = await engine.create_system_pool(url, size=2)
    try:
        start = time.perf_counter()
        await seed(url, customers)
        print(f"seeded {customers:,} customers in {time.perf_counter() - start:.1f} s")
        success_jobs.BATCH = batch
        settings = replace(engine.Settings.from_env(), database_url=url)
        ctx: dict[str, Any] = {"db": pool, "clock": lambda: NOW, "settings": settings}
        for label, now in (
            ("first run", NOW),
            ("same day again", NOW + timedelta(minutes=5)),
            ("next day", NOW + timedelta(days=1)),
        ):
            seconds, result = await timed(ctx, now)
            rate = result["customers"] / seconds
            print(
                f"{label:>15}: {seconds:6.2f} s  {rate:8,.0f} customers/s  "
                f"{result['at_risk_alerts']:,} AT_RISK alerts  "
                f"{result['at_risk_emails']:,} at-risk emails drafted"
            )
        async with pool.acquire() as conn:
            points = await conn.fetchval("SELECT count(*) FROM health_snapshots")
        print(f"health_snapshots rows: {points:,}")
    finally:
        await pool.close()
        await drop_database(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=success_jobs.BATCH)
    args = parser.parse_args()
    asyncio.run(main(args.customers, args.batch))
