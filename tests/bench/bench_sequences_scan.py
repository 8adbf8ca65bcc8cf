"""The sequences scan (`jobs.sequences.scan_sequences`, docs/rules.md §8.3) over 100,000 customers.

Run on demand (never collected by pytest):

    WAFI_BENCH_DATABASE_URL=postgresql://user@host:5432/postgres \
        python -m tests.bench.bench_sequences_scan [--customers 100000]

It creates a database of its own (dropped at the end), migrates it and seeds `--customers`
customers over 100 organisations: a third with a subscription started 0–20 days ago (onboarding;
one in two of them with a Proof Pack), a third quiet for 8–67 days (win-back), one in thirty
churned 0–59 days ago, the rest long-standing and active (nothing to do). Then it times three
runs: the first (every sequence started, every due step drafted), the same hour again (nothing
new) and the next day (the steps that fall due then).
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

from jobs import sequences as sequence_jobs
from resolvers.store import engine
from tests.bench.harness import drop_database, fresh_database

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORGS = 100

_SEED = [
    "INSERT INTO organisations (slug, name, created_at) "
    "SELECT 'bench-' || g, 'Bench ' || g, $1::timestamptz FROM generate_series(1, {orgs}) g",
    # g % 3 = 0: new (started g % 21 days ago, active today); 1: quiet for 8 + g % 60 days;
    # 2: long-standing and active. One in thirty churned (g % 60 days ago).
    "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
    "subscription_status, subscription_started_at, last_activity_at, version, created_at, "
    "updated_at) SELECT o.id, 'Customer ' || g, 'customer ' || g, "
    "CASE WHEN g % 2 = 0 THEN 'ar' ELSE 'en' END, 'growth_starter', "
    "CASE WHEN g % 30 = 29 THEN 'churned' ELSE 'adoption' END, 'active', "
    "$1::timestamptz - (CASE WHEN g % 3 = 0 THEN g % 21 ELSE 200 END || ' days')::interval, "
    "$1::timestamptz - (CASE WHEN g % 3 = 1 THEN 8 + g % 60 ELSE 0 END || ' days')::interval, "
    "1, $1::timestamptz - interval '300 days', $1::timestamptz "
    "FROM generate_series(1, {customers}) g JOIN organisations o ON o.id = 1 + g % {orgs}",
    "INSERT INTO stage_changes (org_id, customer_id, from_stage, to_stage, changed_at) "
    "SELECT org_id, id, 'adoption', 'churned', $1::timestamptz - (id % 60 || ' days')::interval "
    "FROM customers WHERE stage = 'churned'",
    "INSERT INTO proof_packs (org_id, customer_id, title, delivered_at) SELECT org_id, id, "
    "'PP', $1::timestamptz - interval '1 day' FROM customers WHERE id % 6 = 0",
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
    name = f"wafi_bench_sequences_{secrets.token_hex(3)}"
    url = await fresh_database(name)
    pool = await engine.create_system_pool(url, size=2)
    try:
        start = time.perf_counter()
        await seed(url, customers)
        print(f"seeded {customers:,} customers in {time.perf_counter() - start:.1f} s")
        settings = replace(engine.Settings.from_env(), database_url=url)
        ctx: dict[str, Any] = {"db": pool, "clock": lambda: NOW, "settings": settings}
        for label, now in (
            ("first run", NOW),
            ("same hour again", NOW + timedelta(minutes=5)),
            ("next day", NOW + timedelta(days=1)),
        ):
            start = time.perf_counter()
            result = await sequence_jobs.scan_sequences(ctx, now=now)
            seconds = time.perf_counter() - start
            print(f"{label:>15}: {seconds:6.2f} s  {result}")
        async with pool.acquire() as conn:
            runs = await conn.fetchval("SELECT count(*) FROM customer_sequences")
            steps = await conn.fetchval("SELECT count(*) FROM sequence_steps")
            drafts = await conn.fetchval("SELECT count(*) FROM drafts")
        print(f"sequences: {runs:,}  steps: {steps:,}  drafts: {drafts:,}")
    finally:
        await pool.close()
        await drop_database(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.customers))
