"""docs/rules.md §3 and §5: overdue incident updates and near PDPL deadlines alert once each."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import asyncpg
from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker

from jobs import incidents as incident_jobs
from jobs import worker
from resolvers.store import engine
from tests.api.test_incidents import UPDATE, customers, declared, run, walk
from tests.factories import T0, Clock, Org


async def alerts_of(org: Org, kind: str) -> list[dict[str, Any]]:
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT a.kind, a.subject, a.occurrence, a.for_role, a.payload "
            "FROM alerts a WHERE a.org_id = $1 AND a.kind = $2 ORDER BY a.id",
            org.id,
            kind,
        )
    return [dict(row) for row in rows]


def jobs_ctx(system_pool: asyncpg.Pool, clock: Clock) -> dict[str, Any]:
    return {"db": system_pool, "clock": clock}


async def incident_pk(org: Org) -> int:
    async with org.pool.acquire() as conn:
        value: int = await conn.fetchval("SELECT max(id) FROM incidents WHERE org_id = $1", org.id)
        return value


async def test_an_overdue_update_alerts_once_per_missed_due_time(
    org: Org, system_pool: asyncpg.Pool, clock: Clock
) -> None:
    ctx = jobs_ctx(system_pool, clock)
    incident = await declared(
        org, affectedCustomerIds=await customers(org, 1), hasUnauthorizedSend=True
    )
    pk = await incident_pk(org)
    await incident_jobs.scan_incident_updates(ctx, now=T0 + timedelta(minutes=30))
    assert await alerts_of(org, "INCIDENT_UPDATE_OVERDUE") == []
    for _ in range(2):
        await incident_jobs.scan_incident_updates(ctx, now=T0 + timedelta(minutes=31))
    first_due = "2026-11-01T09:30:00.000000Z"
    assert await alerts_of(org, "INCIDENT_UPDATE_OVERDUE") == [
        {
            "kind": "INCIDENT_UPDATE_OVERDUE",
            "subject": "Incident",
            "occurrence": first_due,
            "for_role": "owner",
            "payload": {
                "incidentId": pk,
                "title": "تعطل الإرسال",
                "severity": "SEV1",
                "dueAt": first_due,
            },
        }
    ]
    clock.advance(minutes=31)
    await run(org, UPDATE, "postIncidentUpdate", id=incident["id"], version=1, body="تحديث")
    await incident_jobs.scan_incident_updates(ctx, now=T0 + timedelta(minutes=61))
    assert len(await alerts_of(org, "INCIDENT_UPDATE_OVERDUE")) == 1
    await incident_jobs.scan_incident_updates(ctx, now=T0 + timedelta(minutes=62))
    found = await alerts_of(org, "INCIDENT_UPDATE_OVERDUE")
    assert [a["occurrence"] for a in found] == [first_due, "2026-11-01T10:01:00.000000Z"]


async def test_a_resolved_incident_owes_no_more_updates(
    org: Org, system_pool: asyncpg.Pool, clock: Clock
) -> None:
    incident = await declared(org)
    await walk(org, incident["id"], "MITIGATED", "RESOLVED")
    await incident_jobs.scan_incident_updates(
        jobs_ctx(system_pool, clock), now=T0 + timedelta(days=3)
    )
    assert await alerts_of(org, "INCIDENT_UPDATE_OVERDUE") == []


async def test_a_sev3_overdue_update_goes_to_agents(
    org: Org, system_pool: asyncpg.Pool, clock: Clock
) -> None:
    await declared(org)
    await incident_jobs.scan_incident_updates(
        jobs_ctx(system_pool, clock), now=T0 + timedelta(minutes=241)
    )
    found = await alerts_of(org, "INCIDENT_UPDATE_OVERDUE")
    assert [(a["for_role"], a["occurrence"]) for a in found] == [
        ("agent", "2026-11-01T13:00:00.000000Z")
    ]


async def test_a_pdpl_deadline_alerts_once_twelve_hours_before(
    org: Org, system_pool: asyncpg.Pool, clock: Clock
) -> None:
    ctx = jobs_ctx(system_pool, clock)
    await declared(org, hasDataLeak=True)
    pk = await incident_pk(org)
    await incident_jobs.scan_pdpl_deadlines(
        ctx, now=T0 + timedelta(hours=60) - timedelta(seconds=1)
    )
    assert await alerts_of(org, "PDPL_DEADLINE_NEAR") == []
    for _ in range(2):
        await incident_jobs.scan_pdpl_deadlines(ctx, now=T0 + timedelta(hours=60))
    deadline = "2026-11-04T09:00:00.000000Z"
    assert await alerts_of(org, "PDPL_DEADLINE_NEAR") == [
        {
            "kind": "PDPL_DEADLINE_NEAR",
            "subject": "Incident",
            "occurrence": deadline,
            "for_role": "owner",
            "payload": {
                "incidentId": pk,
                "title": "تعطل الإرسال",
                "severity": "SEV1",
                "notifyBy": deadline,
            },
        }
    ]


async def test_a_notified_leak_raises_no_pdpl_alert(
    org: Org, system_pool: asyncpg.Pool, clock: Clock
) -> None:
    from tests.api.test_incidents import PDPL

    incident = await declared(org, hasDataLeak=True)
    await run(org, PDPL, "recordPdplNotification", id=incident["id"], version=1)
    await incident_jobs.scan_pdpl_deadlines(
        jobs_ctx(system_pool, clock), now=T0 + timedelta(hours=71)
    )
    assert await alerts_of(org, "PDPL_DEADLINE_NEAR") == []


async def test_the_worker_runs_both_scans(
    org: Org, settings: engine.Settings, clock: Clock
) -> None:
    await declared(org, hasDataLeak=True)
    clock.advance(hours=61)
    queue = f"wafi-test-{secrets.token_hex(4)}"
    redis = await create_pool(RedisSettings.from_dsn(settings.redis_url or ""))
    try:
        for name in ("scan_incident_updates", "scan_pdpl_deadlines"):
            await redis.enqueue_job(name, _queue_name=queue)
        burst = Worker(
            functions=worker.FUNCTIONS,
            redis_pool=redis,
            queue_name=queue,
            burst=True,
            poll_delay=0.05,
            handle_signals=False,
            on_startup=worker.startup,
            on_shutdown=worker.shutdown,
            ctx={"settings": settings, "clock": clock},
        )
        await burst.main()
        await burst.close()
    finally:
        await redis.aclose()
    assert len(await alerts_of(org, "INCIDENT_UPDATE_OVERDUE")) == 1
    assert len(await alerts_of(org, "PDPL_DEADLINE_NEAR")) == 1
