"""Queued CSV imports (`background: true`): the mutation answers QUEUED, a real burst worker
imports the file, `processed` moves after each batch where another connection sees it, and a
refused row ends the job REFUSED with nothing written."""

from __future__ import annotations

import warnings
from typing import Any

import asyncpg
import pytest
from arq import create_pool, func
from arq.connections import RedisSettings
from arq.worker import Worker

from jobs import imports as import_jobs
from jobs import worker as worker_settings
from resolvers.store import import_runs
from resolvers.store import imports as store
from tests.api.test_imports import CUSTOMERS, GET, IMPORT, customers_of
from tests.factories import Org
from tests.live import NAMESPACE


async def run_worker(system_pool: asyncpg.Pool, org: Org, settings: Any, redis_url: str) -> Worker:
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        worker = Worker(
            functions=[func(import_jobs.import_csv, name=import_jobs.IMPORT_JOB)],
            redis_pool=redis,
            queue_name=NAMESPACE.queue,  # where the test app enqueues (its WAFI_REDIS_PREFIX)
            burst=True,
            poll_delay=0.05,
            handle_signals=False,
            ctx={"db": system_pool, "clock": org.clock, "settings": settings},
        )
        await worker.main()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            await worker.close()
    finally:
        await redis.aclose()
    return worker


async def queue(org: Org, csv: str, **flags: Any) -> dict[str, Any]:
    data = await org.data(IMPORT, {"input": {"csv": csv, "background": True, **flags}})
    result: dict[str, Any] = data["importCustomers"]
    assert result["__typename"] == "ImportPayload", result
    job: dict[str, Any] = result["job"]
    return job


async def test_a_worker_imports_a_queued_file_and_its_progress_moves(
    org: Org,
    system_pool: asyncpg.Pool,
    settings: Any,
    server_urls: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert any(
        getattr(f, "name", None) == import_jobs.IMPORT_JOB for f in worker_settings.FUNCTIONS
    )
    monkeypatch.setattr(import_runs, "BATCH", 1)
    job = await queue(org, CUSTOMERS)
    assert (job["status"], job["total"], job["processed"], job["created"]) == ("QUEUED", 2, 0, 0)
    assert job["finishedAt"] is None
    assert await customers_of(org) == []

    seen: list[tuple[str, int]] = []
    original = store.note_progress

    async def watched(conn: asyncpg.Connection, **kw: Any) -> None:
        await original(conn, **kw)
        async with system_pool.acquire() as other:  # another connection sees it at once
            row = await other.fetchrow(
                "SELECT status, processed FROM import_jobs WHERE org_id = $1", org.id
            )
        assert row is not None
        seen.append((row["status"], row["processed"]))

    monkeypatch.setattr(store, "note_progress", watched)
    worker = await run_worker(system_pool, org, settings, server_urls[1])
    assert worker.jobs_complete >= 1
    assert seen == [("running", 0), ("running", 0), ("running", 1), ("running", 2)]
    done = (await org.data(GET, {"id": job["id"]}))["importJob"]
    assert (done["status"], done["processed"], done["created"], done["finishedAt"]) == (
        "DONE",
        2,
        2,
        "2026-11-01T09:00:00+00:00",
    )
    assert [row[0] for row in await customers_of(org)] == ["شركة الأفق", "Najd Trading"]
    async with system_pool.acquire() as conn:
        kept = await conn.fetchrow(
            "SELECT csv FROM import_jobs WHERE org_id = $1 AND id IS NOT NULL", org.id
        )
        ledger = await conn.fetch(
            "SELECT action, role, operator_id IS NOT NULL AS who FROM ledger WHERE org_id = $1",
            org.id,
        )
    assert kept is not None
    assert kept["csv"] is None  # the file is not kept once imported
    assert [tuple(row.values()) for row in ledger] == [("importCustomers", "owner", True)]
    # Run again (a retry): a finished job is left alone.
    ctx = {"db": system_pool, "clock": org.clock, "settings": settings}
    pk = int(await system_pool.fetchval("SELECT id FROM import_jobs WHERE org_id = $1", org.id))
    assert await import_jobs.import_csv(ctx, org.id, pk) == "nothing to do"


async def test_a_refused_row_ends_a_queued_job_refused_with_nothing_written(
    org: Org, system_pool: asyncpg.Pool, settings: Any, server_urls: tuple[str, str]
) -> None:
    bad = CUSTOMERS + "c-3,Bad Co,ar,growth_starter,2026-03-01,not-an-email\n"
    job = await queue(org, bad)
    await run_worker(system_pool, org, settings, server_urls[1])
    done = (await org.data(GET, {"id": job["id"]}))["importJob"]
    assert (done["status"], done["total"], done["created"], done["invalid"]) == (
        "REFUSED",
        3,
        0,
        1,
    )
    assert done["errors"] == [
        {"line": 4, "column": "contact_email", "code": "INVALID", "message": "not an email address"}
    ]
    assert await customers_of(org) == []


async def test_skip_invalid_is_carried_to_the_worker(
    org: Org, system_pool: asyncpg.Pool, settings: Any, server_urls: tuple[str, str]
) -> None:
    bad = CUSTOMERS + "c-3,Bad Co,ar,growth_starter,2026-03-01,not-an-email\n"
    job = await queue(org, bad, skipInvalid=True)
    await run_worker(system_pool, org, settings, server_urls[1])
    done = (await org.data(GET, {"id": job["id"]}))["importJob"]
    assert (done["status"], done["created"], done["invalid"]) == ("DONE", 2, 1)


async def test_a_queued_file_with_a_bad_header_is_refused_at_once(org: Org) -> None:
    data = await org.data(
        IMPORT, {"input": {"csv": "external_id,colour\nx,red\n", "background": True}}
    )
    assert (data["importCustomers"]["__typename"], data["importCustomers"]["field"]) == (
        "ValidationError",
        "colour",
    )
    assert await system_count(org) == 0


async def system_count(org: Org) -> int:
    async with org.pool.acquire() as conn:
        found: int = await conn.fetchval(
            "SELECT count(*) FROM import_jobs WHERE org_id = $1", org.id
        )
    return found
