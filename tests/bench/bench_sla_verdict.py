"""The per-minute SLA verdict re-judge (`store.sla.trailing_counts`) with and without an index on
the opening time, over tickets with a year of history.

Run on demand (never collected by pytest):

    WAFI_BENCH_DATABASE_URL=postgresql://user@host:5432/postgres \
        python -m tests.bench.bench_sla_verdict [--tickets 1000000] [--repeat 7]

It creates a database of its own (dropped at the end), migrates it, seeds `--tickets` tickets
over 1,000 organisations, opened evenly over the last 365 days (so about one in twelve is in the
30-day window; 1% of those breached), then times the re-judge query — a GROUP BY per
organisation of the window's tickets and breaches — first without `tickets_opened_window`
(dropped for the run), then with it, in one run; then again after half the window's rows were
updated and not vacuumed (as the window's rows are in production), with and without the index.
Prints the medians and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time

import asyncpg

from jobs.sla import HEALTH_WINDOW
from resolvers.store import engine
from resolvers.store import sla as sla_store
from tests.bench.bench_sla_scan import NOW, ORGS, seed_organisations
from tests.bench.harness import drop_database, fresh_database

# Every ticket answered and resolved on time except one in a hundred (resolution missed).
_SEED = """
WITH c AS (SELECT org_id, id, row_number() OVER (ORDER BY org_id) - 1 AS k FROM customers)
INSERT INTO tickets (org_id, customer_id, subject, body, channel, classified_priority, priority,
    reason_ar, status, opened_at, first_response_at, resolved_at, first_response_due_at,
    resolution_due_at, version, created_at, updated_at)
SELECT c.org_id, c.id, 's', 'b', 'email', 'P2', 'P2', 'bench', 'resolved', t.opened_at,
    t.opened_at + interval '10 minutes',
    t.opened_at + CASE WHEN g % 100 = 0 THEN interval '100 hours' ELSE interval '1 hour' END,
    t.opened_at + interval '8 hours', t.opened_at + interval '72 hours', 1, t.opened_at,
    t.opened_at
FROM generate_series($2::bigint, $3::bigint) AS g
CROSS JOIN LATERAL (SELECT $1::timestamptz - (g % 525600) * interval '1 minute' AS opened_at) t
JOIN c ON c.k = g % $4
"""

INDEX = "tickets_opened_window"


async def timed(conn: asyncpg.Connection, repeat: int) -> tuple[float, int]:
    runs: list[float] = []
    found = 0
    for _ in range(repeat):
        began = time.perf_counter()
        found = len(await sla_store.trailing_counts(conn, start=NOW - HEALTH_WINDOW, now=NOW))
        runs.append(time.perf_counter() - began)
    return statistics.median(runs), found


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    name = f"wafi_bench_{secrets.token_hex(4)}"
    url = await fresh_database(name)
    try:
        conn = await asyncpg.connect(engine.asyncpg_dsn(url))
        await seed_organisations(conn)
        began = time.perf_counter()
        for low in range(1, args.tickets + 1, 1_000_000):
            high = min(low + 999_999, args.tickets)
            await conn.execute(_SEED, NOW, low, high, ORGS)
        window = await conn.fetchval(
            "SELECT count(*) FROM tickets WHERE opened_at >= $1", NOW - HEALTH_WINDOW
        )
        definition = await conn.fetchval("SELECT pg_get_indexdef($1::regclass)", INDEX)
        await conn.execute(f"DROP INDEX {INDEX}")
        await conn.execute("VACUUM ANALYZE tickets")
        print(
            f"{args.tickets:,} tickets over 365 days, {window:,} in the 30-day window "
            f"(seeded in {time.perf_counter() - began:.0f} s)"
        )
        without, organisations = await timed(conn, args.repeat)
        await conn.execute(definition)
        await conn.execute("VACUUM ANALYZE tickets")
        with_index, _ = await timed(conn, args.repeat)
        # The window is where tickets are still written (answered, resolved, flagged): rows
        # changed since the last vacuum are not all-visible, so the index-only scan reads the
        # table for them. Half the window, changed and not vacuumed:
        await conn.execute(
            "UPDATE tickets SET updated_at = $1 WHERE opened_at >= $2 AND id % 2 = 0",
            NOW,
            NOW - HEALTH_WINDOW,
        )
        await conn.execute("ANALYZE tickets")
        churned, _ = await timed(conn, args.repeat)
        await conn.execute(f"DROP INDEX {INDEX}")
        without_churned, _ = await timed(conn, args.repeat)
        print(f"re-judge, {organisations:,} organisations, median of {args.repeat}:")
        print(
            f"  all vacuumed:            without {INDEX} {without * 1000:8.1f} ms, with "
            f"{with_index * 1000:8.1f} ms, ratio {without / with_index:.1f}×"
        )
        print(
            f"  half the window updated: without {INDEX} {without_churned * 1000:8.1f} ms, "
            f"with {churned * 1000:8.1f} ms, ratio {without_churned / churned:.1f}×"
        )
        await conn.close()
    finally:
        await drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
