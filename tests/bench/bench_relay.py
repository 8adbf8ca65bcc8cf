"""What one relay batch costs as the number of organisations grows.

Run on demand (never collected by pytest):

    WAFI_BENCH_DATABASE_URL=postgresql://user@host:5432/postgres \
    WAFI_BENCH_REDIS_URL=redis://127.0.0.1:6379/0 \
        python -m tests.bench.bench_relay [ORGS ...] [--rounds 50]

ORGS defaults to `100 1000 10000`. It creates a database of its own (dropped at the end) and
grows it to each count of organisations, each with 5 alerts the relay has already published
(its mark at the newest). At each count it times `outbox.relay_batch`, in alternating runs:
- idle: nothing to publish (what the worker's 2-second sweep costs when all is quiet);
- one: one new alert of one organisation, committed just before (what a mutation's alert
  costs the relay);
and prints the medians. The relay finds work by one probe of the alerts' primary key per
organisation (`resolvers/store/outbox.py`), so both grow with the number of organisations.
Publishing goes to Redis in a namespace of its own; nobody listens.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time
from datetime import UTC, datetime

import asyncpg
from redis.asyncio import Redis

from resolvers.store import engine, outbox
from resolvers.store.namespaces import Namespace
from tests.bench.harness import REDIS_URL, drop_database, fresh_database

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ALERTS_EACH = 5

_ORGS = (
    "INSERT INTO organisations (slug, name, created_at) "
    "SELECT 'relay-' || n, 'R', $2 FROM generate_series($1::int + 1, $3::int) AS n RETURNING id"
)
_ALERTS = (
    "INSERT INTO alerts (org_id, kind, subject, subject_id, occurrence, for_role, payload, "
    "created_at) SELECT o, 'AT_RISK', 'Customer', n, 'o', 'owner', '{}', $2 "
    "FROM unnest($1::bigint[]) AS o CROSS JOIN generate_series(1, $3::int) AS n"
)
_MARKS = (
    "INSERT INTO alert_relay_marks (org_id, published_through, published_at) "
    "SELECT org_id, max(id), $1 FROM alerts GROUP BY org_id "
    "ON CONFLICT (org_id) DO UPDATE SET published_through = excluded.published_through"
)


async def grow(conn: asyncpg.Connection, have: int, want: int) -> list[int]:
    rows = await conn.fetch(_ORGS, have, NOW, want)
    ids = [row["id"] for row in rows]
    await conn.execute(_ALERTS, ids, NOW, ALERTS_EACH)
    await conn.execute(_MARKS, NOW)
    await conn.execute("VACUUM ANALYZE organisations, alerts, alert_relay_marks")
    return ids


async def timed(pool: asyncpg.Pool, redis: Redis, namespace: Namespace) -> tuple[float, int]:
    began = time.perf_counter()
    batch = await outbox.relay_batch(pool, redis, namespace=namespace, now=NOW)
    return time.perf_counter() - began, batch.published


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("orgs", type=int, nargs="*", default=[100, 1_000, 10_000])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    name = f"wafi_bench_relay_{secrets.token_hex(4)}"
    url = await fresh_database(name)
    namespace = Namespace(f"wafi-bench-{secrets.token_hex(3)}")
    redis = Redis.from_url(REDIS_URL)
    pool = await engine.create_system_pool(url, size=2)
    try:
        have, org_ids, made = 0, [], 0
        print(f"relay_batch, median ms of {args.rounds} runs each")
        for want in sorted(args.orgs):
            async with pool.acquire() as conn:
                org_ids += await grow(conn, have, want)
            have = want
            idle: list[float] = []
            one: list[float] = []
            for n in range(args.rounds):
                made += 1
                async with pool.acquire() as conn:
                    await conn.execute(
                        "INSERT INTO alerts (org_id, kind, subject, subject_id, occurrence, "
                        "for_role, payload, created_at) "
                        "VALUES ($1, 'AT_RISK', 'Customer', $2, 'new', 'owner', '{}', $3)",
                        org_ids[n % len(org_ids)],
                        10_000 + made,
                        NOW,
                    )
                seconds, published = await timed(pool, redis, namespace)
                assert published == 1, published
                one.append(seconds)
                seconds, published = await timed(pool, redis, namespace)
                assert published == 0, published
                idle.append(seconds)
            print(
                f"  {want:>7,} organisations: idle {statistics.median(idle) * 1000:7.2f} ms, "
                f"one new alert {statistics.median(one) * 1000:7.2f} ms"
            )
    finally:
        await pool.close()
        await redis.aclose()
        await drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
