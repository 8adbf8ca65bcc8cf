"""The playbook scan runs in a real arq worker and is registered every minute (docs/rules.md
§8.1, §8.2)."""

from __future__ import annotations

import secrets
import warnings
from datetime import timedelta
from typing import Any

import asyncpg
from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker

from jobs import once
from jobs import playbooks as playbook_jobs
from jobs import worker as worker_settings
from tests.api.success_support import customer
from tests.api.test_pilots import local, shown, started
from tests.factories import T0, Org

OPEN = """mutation($i: OpenTicketInput!) { openTicket(input: $i) { __typename } }"""


async def test_the_worker_runs_the_scan_and_it_is_registered_every_minute(
    system_pool: asyncpg.Pool, org: Org, server_urls: tuple[str, str]
) -> None:
    assert playbook_jobs.scan_playbooks in worker_settings.FUNCTIONS
    assert playbook_jobs.scan_playbooks in once.SCANS
    cron = next(
        job for job in worker_settings.CRON_JOBS if job.coroutine is playbook_jobs.scan_playbooks
    )
    assert (cron.second, cron.minute, cron.unique) == (30, None, True)

    c, _ = await started(org)
    queue = f"wafi-test-playbooks-{secrets.token_hex(4)}"
    redis = await create_pool(RedisSettings.from_dsn(server_urls[1]), default_queue_name=queue)
    try:
        await redis.enqueue_job("scan_playbooks", now=local(5, 9))
        worker = Worker(
            functions=[playbook_jobs.scan_playbooks],
            redis_pool=redis,
            queue_name=queue,
            burst=True,
            poll_delay=0.05,
            handle_signals=False,
            ctx={"db": system_pool, "clock": org.clock},
        )
        await worker.main()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            await worker.close()
    finally:
        await redis.aclose()
    assert worker.jobs_complete == 1
    org.clock.now = local(5, 10)
    assert [d["kind"] for d in (await shown(org, c))["drafts"]] == [
        "PILOT_CHECK_IN",
        "PILOT_SOFT_ASK",
    ]


async def test_the_overdue_alert_carries_the_flag_and_its_event(
    system_pool: asyncpg.Pool, org: Org
) -> None:
    c = await customer(org)
    data = await org.data(
        OPEN, {"i": {"customer": c, "subject": "x", "body": "سألغي", "channel": "EMAIL"}}
    )
    assert data["openTicket"]["__typename"] == "OpenTicketPayload"
    ctx: dict[str, Any] = {"db": system_pool, "clock": org.clock}
    await playbook_jobs.scan_playbooks(ctx, T0 + timedelta(hours=1, seconds=1))
    async with system_pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT kind, occurrence, payload->>'category' AS category "
            "FROM alerts a WHERE org_id = $1 ORDER BY id",
            org.id,
        )
    flag = await conn_flag(system_pool, org)
    assert [tuple(r) for r in rows] == [
        ("RED_FLAG", f"red_flag:{flag}", "churn"),
        ("RED_FLAG_OVERDUE", f"red_flag:{flag}", "churn"),
    ]


async def conn_flag(pool: asyncpg.Pool, org: Org) -> int:
    async with pool.acquire() as conn:
        found: int = await conn.fetchval("SELECT id FROM red_flags WHERE org_id = $1", org.id)
    return found
