"""The breach scan (docs/rules.md §2.6, §5): set-based, once per clock and occurrence."""

from __future__ import annotations

import secrets
import warnings
from datetime import timedelta
from typing import Any

import asyncpg
from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker

from jobs import sla as sla_jobs
from jobs import worker as worker_settings
from resolvers.store import alert_shape
from tests.factories import T0, Org, new_customer, open_ticket


async def scan(pool: asyncpg.Pool, org: Org) -> dict[str, int]:
    return await sla_jobs.scan_sla_breaches({"db": pool, "clock": org.clock})


async def breach_alerts(pool: asyncpg.Pool, org: Org) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT a.kind, a.subject, a.subject_id, a.occurrence, a.for_role, a.payload, "
            f"{alert_shape.payload_sql('a')} AS shown "
            "FROM alerts a WHERE a.org_id = $1 AND a.kind LIKE 'SLA_%BREACH' ORDER BY a.id",
            org.id,
        )
    return [dict(row) for row in rows]


async def flags(pool: asyncpg.Pool, org: Org) -> list[tuple[bool, bool]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT first_response_breached, resolution_breached FROM tickets "
            "WHERE org_id = $1 ORDER BY id",
            org.id,
        )
    return [(row[0], row[1]) for row in rows]


def pk(global_id: str) -> int:
    import base64

    return int(base64.urlsafe_b64decode(global_id).decode().split(":")[1])


async def test_a_clock_at_its_target_is_not_breached(system_pool: asyncpg.Pool, org: Org) -> None:
    customer = await new_customer(org)
    await open_ticket(org, customer, "outage")
    org.clock.now = T0 + timedelta(minutes=30)
    await scan(system_pool, org)
    assert await breach_alerts(system_pool, org) == []
    assert await flags(system_pool, org) == [(False, False)]


async def test_scan_alerts_each_breached_clock_once(system_pool: asyncpg.Pool, org: Org) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, "outage")
    ticket_id = pk(opened["ticket"]["id"])
    org.clock.now = T0 + timedelta(minutes=30, seconds=1)
    await scan(system_pool, org)
    await scan(system_pool, org)
    assert await flags(system_pool, org) == [(True, False)]
    assert await breach_alerts(system_pool, org) == [
        {
            "kind": "SLA_FIRST_RESPONSE_BREACH",
            "subject": "Ticket",
            "subject_id": ticket_id,
            "occurrence": "2026-11-01T09:30:00.000000Z",
            "for_role": "owner",
            # Stored: the priority alone; read: whole (store.alert_shape).
            "payload": {"priority": "P0"},
            "shown": {
                "ticketId": ticket_id,
                "clock": "first_response",
                "priority": "P0",
                "dueAt": "2026-11-01T09:30:00.000000Z",
            },
        }
    ]
    org.clock.now = T0 + timedelta(hours=4, seconds=1)
    await scan(system_pool, org)
    await scan(system_pool, org)
    kinds = [a["kind"] for a in await breach_alerts(system_pool, org)]
    assert kinds == ["SLA_FIRST_RESPONSE_BREACH", "SLA_RESOLUTION_BREACH"]
    assert await flags(system_pool, org) == [(True, True)]


async def test_scan_spans_organisations_and_skips_answered_clocks(
    system_pool: asyncpg.Pool, org: Org, other_org: Org
) -> None:
    answered = await open_ticket(org, await new_customer(org), "urgent")
    await org.data(
        "mutation($i: TicketStepInput!) { logReply(input: $i) { __typename } }",
        {"i": {"id": answered["ticket"]["id"], "version": 1}},
    )
    await open_ticket(other_org, await new_customer(other_org), "urgent")
    org.clock.now = T0 + timedelta(hours=3)
    await scan(system_pool, org)
    assert await breach_alerts(system_pool, org) == []
    other = await breach_alerts(system_pool, other_org)
    assert [(a["kind"], a["for_role"]) for a in other] == [("SLA_FIRST_RESPONSE_BREACH", "agent")]


async def test_a_raise_moves_the_due_time_the_scan_reads(
    system_pool: asyncpg.Pool, org: Org
) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, "hello")
    org.clock.now = T0 + timedelta(minutes=40)
    await scan(system_pool, org)
    assert await breach_alerts(system_pool, org) == []
    raised = await org.data(
        "mutation($i: RaiseTicketPriorityInput!) { raiseTicketPriority(input: $i) { __typename } }",
        {"i": {"id": opened["ticket"]["id"], "version": 1, "priority": "P0"}},
    )
    assert raised["raiseTicketPriority"]["__typename"] == "TicketPayload"
    # Raised to P0 at 40 min: the 30-min first response is already breached; the mutation
    # alerts it in its own transaction and the scan finds nothing more to write.
    await scan(system_pool, org)
    alerts = await breach_alerts(system_pool, org)
    assert [(a["kind"], a["occurrence"]) for a in alerts] == [
        ("SLA_FIRST_RESPONSE_BREACH", "2026-11-01T09:30:00.000000Z")
    ]


async def test_a_late_reply_alerts_once_even_before_the_scan(
    system_pool: asyncpg.Pool, org: Org
) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, "outage")
    org.clock.now = T0 + timedelta(minutes=45)
    await org.data(
        "mutation($i: TicketStepInput!) { logReply(input: $i) { __typename } }",
        {"i": {"id": opened["ticket"]["id"], "version": 1}},
    )
    await scan(system_pool, org)
    alerts = await breach_alerts(system_pool, org)
    assert [a["kind"] for a in alerts] == ["SLA_FIRST_RESPONSE_BREACH"]
    assert await flags(system_pool, org) == [(True, False)]


async def test_the_worker_runs_the_scan_and_it_is_registered_every_minute(
    system_pool: asyncpg.Pool, org: Org, settings: Any, server_urls: tuple[str, str]
) -> None:
    assert sla_jobs.scan_sla_breaches in worker_settings.FUNCTIONS
    cron = next(
        job for job in worker_settings.CRON_JOBS if job.coroutine is sla_jobs.scan_sla_breaches
    )
    assert (cron.second, cron.minute, cron.unique) == (0, None, True)

    customer = await new_customer(org)
    await open_ticket(org, customer, "outage")
    queue = f"wafi-test-sla-{secrets.token_hex(4)}"
    redis = await create_pool(RedisSettings.from_dsn(server_urls[1]), default_queue_name=queue)
    try:
        await redis.enqueue_job("scan_sla_breaches", now=T0 + timedelta(hours=1))
        worker = Worker(
            functions=[sla_jobs.scan_sla_breaches],
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
    assert [a["kind"] for a in await breach_alerts(system_pool, org)] == [
        "SLA_FIRST_RESPONSE_BREACH"
    ]
    assert worker.jobs_complete == 1
