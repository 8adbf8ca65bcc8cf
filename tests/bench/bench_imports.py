"""CSV import throughput: N customers, then N historical tickets, then the same customers file
again (every row already imported), through the code `wafi import` runs; and the customers
export streamed back.

Run: .venv/bin/python -m tests.bench.bench_imports [--rows 100000]
Uses the PostgreSQL at WAFI_BENCH_DATABASE_URL (default: the machine's, database `test`) to make
a scratch database. Prints rows/s for each step (parsing and checking included, one transaction
per file, as the command does).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.imports import ImportKind
from resolvers.store import engine, exports, import_runs, orgs
from resolvers.store import imports as store
from tests.bench import harness

DB = "wafi_bench_imports"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
SUBJECTS = ("سؤال عن الفاتورة", "Connector Gmail متأخر", "service down", "اقتراح تحسين")


def customers_csv(rows: int) -> str:
    lines = ["external_id,الاسم,اللغة,الباقة,بداية الاشتراك,contact_email"]
    for n in range(rows):
        start = (NOW - timedelta(days=400 - n % 365)).date().isoformat()
        lines.append(
            f"c-{n},شركة رقم {n},{'ar' if n % 3 else 'en'},growth_starter,{start},c{n}@x.sa"
        )
    return "\n".join(lines) + "\n"


def tickets_csv(rows: int, customers: int) -> str:
    lines = [
        "external_id,customer_external_id,subject,body,opened_at,first_response_at,resolved_at"
    ]
    rng = random.Random(7)
    for n in range(rows):
        opened = NOW - timedelta(days=rng.randint(5, 300), minutes=rng.randint(0, 1440))
        answered = (opened + timedelta(minutes=rng.randint(5, 600))).isoformat()
        resolved = (opened + timedelta(hours=rng.randint(12, 96))).isoformat()
        subject = SUBJECTS[n % len(SUBJECTS)]
        lines.append(
            f"t-{n},c-{rng.randrange(customers)},{subject},نص التذكرة {n},{opened.isoformat()},"
            f"{answered},{resolved}"
        )
    return "\n".join(lines) + "\n"


async def timed(url: str, org_id: int, kind: ImportKind, data: str) -> tuple[Any, float]:
    write = engine.create_write_engine(url, size=1)
    started = time.perf_counter()
    try:
        async with engine.transaction(engine.sessions(write), org_id) as session:
            job = await import_runs.run(
                session,
                org_id=org_id,
                operator_id=None,
                role="cli",
                kind=kind,
                data=data,
                dry_run=False,
                skip_invalid=False,
                now=NOW,
            )
            job = await store.save_job(session, org_id=org_id, job=job)
    finally:
        await write.dispose()
    return job, time.perf_counter() - started


async def export_rate(url: str, org_id: int) -> tuple[int, float]:
    pool = await engine.create_read_pool(url, size=1)
    started = time.perf_counter()
    count = 0
    try:
        async with engine.scoped(pool, org_id) as conn:
            async for batch in exports.batches(conn, kind="customers", org_id=org_id):
                count += len(batch)
    finally:
        await pool.close()
    return count, time.perf_counter() - started


async def main(rows: int) -> None:
    url = await harness.fresh_database(DB)
    try:
        pool = await engine.create_system_pool(url, size=1)
        async with pool.acquire() as conn:
            org, _ = await orgs.create_organisation(
                conn, slug="bench", name="Bench", owner_name="Owner", now=NOW
            )
        await pool.close()
        customers = customers_csv(rows)
        tickets = tickets_csv(rows, rows)
        for label, kind, data in (
            ("customers", ImportKind.CUSTOMERS, customers),
            ("tickets", ImportKind.TICKETS, tickets),
            ("customers again", ImportKind.CUSTOMERS, customers),
        ):
            job, seconds = await timed(url, org.id, kind, data)
            assert job.status == "done", (job.status, job.errors[:3])
            print(
                f"import {label}: {job.total:,} rows ({job.created:,} created, "
                f"{job.existing:,} already imported) in {seconds:.1f} s = "
                f"{job.total / seconds:,.0f} rows/s"
            )
        count, seconds = await export_rate(url, org.id)
        print(f"export customers (cursor reads): {count:,} rows in {seconds:.2f} s")
    finally:
        await harness.drop_database(DB)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().rows))
