"""Breach scan against the bare UPDATE it is built on, at N and 10×N tickets (same breaches).

Run on demand (never collected by pytest):

    WAFI_BENCH_DATABASE_URL=postgresql://user@host:5432/postgres \
        python -m tests.bench.bench_sla_scan [--tickets 1000000] [--scale 10] [--repeat 5]

It creates a database of its own (dropped at the end), migrates it, seeds `--tickets` tickets
over 1,000 organisations — 1% of them first-response breaches waiting for the scan, 0.5% open
and not yet due, the rest answered and resolved — then times, each inside a transaction that is
rolled back so every run sees the same rows:
- the bare statement: `UPDATE tickets SET first_response_breached = true WHERE ... RETURNING`;
- the scan (`store.tickets.scan_breaches`): both clocks' UPDATEs plus their alert and outbox
  rows through `alerts.insert_from_select`;
and again with the cross-organisation indexes (due time first) the migration does not create.
Then it grows the table to `--scale` × tickets with the same breaches and times it all again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg

from resolvers.store import engine, migrate
from resolvers.store import tickets as ticket_store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORGS = 1_000

BARE = (
    "UPDATE tickets SET first_response_breached = true WHERE first_response_at IS NULL "
    "AND first_response_due_at < $1 AND NOT first_response_breached RETURNING org_id, id"
)

CROSS_ORG_INDEXES = (
    "CREATE INDEX tickets_first_response_due_any_org ON tickets (first_response_due_at) "
    "WHERE first_response_at IS NULL AND NOT first_response_breached",
    "CREATE INDEX tickets_resolution_due_any_org ON tickets (resolution_due_at) "
    "WHERE resolved_at IS NULL AND NOT resolution_breached",
)

# One INSERT ... SELECT per batch: `$2` breaches (P0, 2 h old, unanswered), `$3` open tickets
# not yet due (P1, 10 min old), the rest answered in 10 min and resolved in 1 h (P2).
_SEED = """
WITH c AS (SELECT org_id, id, row_number() OVER (ORDER BY org_id) - 1 AS k FROM customers)
INSERT INTO tickets (org_id, customer_id, subject, body, channel, classified_priority, priority,
    matched_keyword, reason_ar, status, opened_at, first_response_at, resolved_at,
    first_response_due_at, resolution_due_at, version, created_at, updated_at)
SELECT c.org_id, c.id, 'subject ' || g, 'body', 'email', p.priority, p.priority, NULL, 'bench',
    CASE WHEN kind = 'done' THEN 'resolved' ELSE 'open' END,
    t.opened_at,
    CASE WHEN kind = 'done' THEN t.opened_at + interval '10 minutes' END,
    CASE WHEN kind = 'done' THEN t.opened_at + interval '1 hour' END,
    t.opened_at + p.first_response, t.opened_at + p.resolution, 1, t.opened_at, t.opened_at
FROM generate_series($4::bigint, $5::bigint) AS g
CROSS JOIN LATERAL (SELECT CASE WHEN g <= $2 THEN 'breach' WHEN g <= $2 + $3 THEN 'pending'
                           ELSE 'done' END AS kind) AS k
CROSS JOIN LATERAL (SELECT CASE kind
        WHEN 'breach' THEN $1::timestamptz - interval '2 hours'
        WHEN 'pending' THEN $1::timestamptz - interval '10 minutes'
        ELSE $1::timestamptz - interval '1 day' - (g % 720) * interval '1 hour' END AS opened_at
    ) AS t
CROSS JOIN LATERAL (SELECT CASE kind WHEN 'breach' THEN 'P0' WHEN 'pending' THEN 'P1'
                           ELSE 'P2' END AS priority,
        CASE kind WHEN 'breach' THEN interval '30 minutes' WHEN 'pending' THEN interval '2 hours'
                  ELSE interval '8 hours' END AS first_response,
        CASE kind WHEN 'breach' THEN interval '4 hours' WHEN 'pending' THEN interval '24 hours'
                  ELSE interval '72 hours' END AS resolution) AS p
JOIN c ON c.k = g % $6
"""


async def seed_organisations(conn: asyncpg.Connection) -> None:
    await conn.execute(
        "INSERT INTO organisations (slug, name, created_at) "
        "SELECT 'bench-' || g, 'Bench ' || g, $1 FROM generate_series(1, $2) AS g",
        NOW,
        ORGS,
    )
    await conn.execute(
        "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
        "subscription_status, subscription_started_at, version, created_at, updated_at) "
        "SELECT id, 'c', 'c', 'ar', 'growth_starter', 'adoption', 'active', $1, 1, $1, $1 "
        "FROM organisations",
        NOW,
    )


async def seed_tickets(
    conn: asyncpg.Connection, *, start: int, stop: int, breaches: int, pending: int
) -> float:
    """Tickets numbered start..stop (1-based); the first `breaches` and `pending` are open."""
    began = time.perf_counter()
    batch = 1_000_000
    for low in range(start, stop + 1, batch):
        high = min(low + batch - 1, stop)
        await conn.execute(_SEED, NOW, breaches, pending, low, high, ORGS)
    await conn.execute("VACUUM ANALYZE tickets")
    return time.perf_counter() - began


async def timed(
    conn: asyncpg.Connection, work: Callable[[], Awaitable[int]], repeat: int
) -> tuple[float, int]:
    """Median seconds of `work` over `repeat` runs, each rolled back; and what it touched."""
    runs: list[float] = []
    touched = 0
    for _ in range(repeat):
        transaction = conn.transaction()
        await transaction.start()
        began = time.perf_counter()
        touched = await work()
        runs.append(time.perf_counter() - began)
        await transaction.rollback()
    return statistics.median(runs), touched


async def measure(conn: asyncpg.Connection, repeat: int) -> dict[str, Any]:
    async def bare() -> int:
        return len(await conn.fetch(BARE, NOW))

    async def scan() -> int:
        result = await ticket_store.scan_breaches(conn, now=NOW)
        return result.alerts

    bare_s, flagged = await timed(conn, bare, repeat)
    scan_s, alerts = await timed(conn, scan, repeat)
    plan = await conn.fetch("EXPLAIN " + BARE, NOW)
    return {
        "bare_ms": bare_s * 1000,
        "scan_ms": scan_s * 1000,
        "ratio": scan_s / bare_s,
        "flagged": flagged,
        "alerts": alerts,
        "plan": " | ".join(row[0].strip() for row in plan[:4]),
    }


async def both_index_layouts(conn: asyncpg.Connection, repeat: int) -> dict[str, Any]:
    org_first = await measure(conn, repeat)
    for statement in CROSS_ORG_INDEXES:
        await conn.execute(statement)
    await conn.execute("ANALYZE tickets")
    cross_org = await measure(conn, repeat)
    for name in ("tickets_first_response_due_any_org", "tickets_resolution_due_any_org"):
        await conn.execute(f"DROP INDEX {name}")
    return {"org_first": org_first, "due_first": cross_org}


def report(label: str, total: int, seeded_s: float, found: dict[str, Any]) -> None:
    print(f"\n== {total:,} tickets ({label}; seeded in {seeded_s:.0f} s)")
    for layout, row in found.items():
        print(
            f"  [{layout:9}] bare UPDATE {row['bare_ms']:8.1f} ms   scan {row['scan_ms']:8.1f} ms"
            f"   ratio {row['ratio']:.2f}   flagged {row['flagged']:,}   alerts {row['alerts']:,}"
        )
        print(f"              plan: {row['plan']}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    admin_url = os.environ.get("WAFI_BENCH_DATABASE_URL") or os.environ["WAFI_TEST_DATABASE_URL"]
    name = f"wafi_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(engine.asyncpg_dsn(admin_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = admin_url.rsplit("/", 1)[0] + "/" + name
        await asyncio.to_thread(migrate.upgrade, url)
        conn = await asyncpg.connect(engine.asyncpg_dsn(url))
        await conn.set_type_codec(
            "jsonb", encoder=lambda v: v, decoder=lambda v: v, schema="pg_catalog"
        )
        await conn.execute("SET max_parallel_workers_per_gather = 2")
        breaches = args.tickets // 100
        pending = args.tickets // 200
        await seed_organisations(conn)
        seeded = await seed_tickets(
            conn, start=1, stop=args.tickets, breaches=breaches, pending=pending
        )
        small = await both_index_layouts(conn, args.repeat)
        report(f"{breaches:,} breaches", args.tickets, seeded, small)
        # 10× the rows with the same breaches; the open, not-yet-due tickets grow with the table.
        big = args.tickets * args.scale
        more = await seed_tickets(conn, start=args.tickets + 1, stop=big, breaches=0, pending=0)
        extra_pending = pending * (args.scale - 1)
        await conn.execute(
            "UPDATE tickets SET status = 'open', first_response_at = NULL, resolved_at = NULL, "
            "opened_at = $1::timestamptz - interval '10 minutes', "
            "first_response_due_at = $1::timestamptz + interval '110 minutes', "
            "resolution_due_at = $1::timestamptz + interval '1430 minutes' "
            "WHERE id IN (SELECT id FROM tickets WHERE first_response_at IS NOT NULL "
            "ORDER BY id DESC LIMIT $2)",
            NOW,
            extra_pending,
        )
        await conn.execute("VACUUM ANALYZE tickets")
        large = await both_index_layouts(conn, args.repeat)
        report(f"{breaches:,} breaches", big, seeded + more, large)
        for layout in ("org_first", "due_first"):
            print(
                f"\n{layout}: ×{args.scale} tickets → bare ×"
                f"{large[layout]['bare_ms'] / small[layout]['bare_ms']:.2f}, scan ×"
                f"{large[layout]['scan_ms'] / small[layout]['scan_ms']:.2f}"
            )
        await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
