"""The breach scan as one statement (store.tickets.SCAN_SQL): each newly breached clock flagged,
alerted once and announced once, whatever the mix of clocks, organisations and concurrent
writers (docs/rules.md §2.6, §5; docs/architecture.md#jobs).

Every wait is for an observed state (a backend waiting for a lock in pg_locks), with a deadline;
nothing asserts on time.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs import alerts as alert_jobs
from resolvers.store import alerts, engine, orgs
from resolvers.store import tickets as ticket_store
from tests.factories import T0, add_customers
from tests.jobs.test_relay import Listener
from tests.live import NAMESPACE, WAIT_S, PrivateRedis, until

HOUR = timedelta(hours=1)
# Later than every other test's tickets in this database, so their clocks are all due by then
# too: the scan crosses organisations, so each test counts only its own.
NOW = T0 + timedelta(days=400)

_TICKET = """
INSERT INTO tickets (org_id, customer_id, subject, body, channel, classified_priority, priority,
    reason_ar, status, opened_at, first_response_due_at, first_response_at, resolution_due_at,
    resolved_at, first_response_breached, resolution_breached, version, created_at, updated_at)
VALUES ($1, $2, 's', 'b', 'email', $3, $3, 'r', $4, $5, $6, $7, $8, NULL, $9, $10, 1, $5, $5)
RETURNING id
"""


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """Connections of the tests' own: two scans and a lock holder at once."""
    own = await engine.create_system_pool(database_url, size=6)
    yield own
    await own.close()


@pytest.fixture
async def maker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    write = engine.create_write_engine(database_url, size=4)
    yield engine.sessions(write)
    await write.dispose()


async def _org(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        org, _ = await orgs.create_organisation(
            conn, slug=f"scan-{secrets.token_hex(5)}", name="O", owner_name="O", now=T0
        )
    return org.id


async def _ticket(
    pool: asyncpg.Pool,
    org_id: int,
    customer_id: int,
    *,
    priority: str = "P1",
    status: str = "open",
    first_response_due: datetime,
    answered: datetime | None = None,
    resolution_due: datetime | None,
    flagged: tuple[bool, bool] = (False, False),
) -> int:
    ticket_id: int = await pool.fetchval(
        _TICKET,
        org_id,
        customer_id,
        priority,
        status,
        first_response_due - HOUR,
        first_response_due,
        answered,
        resolution_due,
        *flagged,
    )
    return ticket_id


async def _alerts(pool: asyncpg.Pool, org_id: int) -> list[dict[str, Any]]:
    """The organisation's breach alerts as stored, in id order."""
    rows = await pool.fetch(
        "SELECT a.id, a.org_id, a.kind, a.subject_id, a.occurrence, a.customer_id, a.for_role, "
        "a.payload, a.created_at "
        "FROM alerts a WHERE a.org_id = $1 AND a.kind LIKE 'SLA_%BREACH' ORDER BY a.id",
        org_id,
    )
    return [dict(row) for row in rows]


def _id(alert: dict[str, Any]) -> int:
    return int(alert["id"])


async def _flags(pool: asyncpg.Pool, ids: list[int]) -> list[tuple[bool, bool]]:
    rows = await pool.fetch(
        "SELECT id, first_response_breached, resolution_breached FROM tickets "
        "WHERE id = ANY($1::bigint[])",
        ids,
    )
    by_id = {row["id"]: (row[1], row[2]) for row in rows}
    return [by_id[ticket_id] for ticket_id in ids]


def _due(at: datetime) -> str:
    return ticket_store.occurrence(at)


async def test_each_newly_breached_clock_is_one_alert_and_one_event(
    pool: asyncpg.Pool, redis: Redis, redis_server: PrivateRedis
) -> None:
    org_id = await _org(pool)
    [customer] = await add_customers(pool, org_id)
    fr_due, res_due = NOW - 3 * HOUR, NOW - HOUR
    answered = fr_due - HOUR
    later = NOW + HOUR
    first_only = await _ticket(
        pool, org_id, customer, priority="P0", first_response_due=fr_due, resolution_due=later
    )
    resolution_only = await _ticket(
        pool,
        org_id,
        customer,
        first_response_due=fr_due,
        answered=answered,
        resolution_due=res_due,
    )
    both = await _ticket(pool, org_id, customer, first_response_due=fr_due, resolution_due=res_due)
    # First response flagged by an earlier scan: only its resolution is new.
    earlier = await _ticket(
        pool,
        org_id,
        customer,
        first_response_due=fr_due,
        resolution_due=res_due,
        flagged=(True, False),
    )
    # Waiting on the customer: no resolution due time while paused (§7).
    paused = await _ticket(
        pool,
        org_id,
        customer,
        status="waiting_on_customer",
        first_response_due=fr_due,
        answered=answered,
        resolution_due=None,
    )
    not_due = await _ticket(pool, org_id, customer, first_response_due=later, resolution_due=later)
    ids = [first_only, resolution_only, both, earlier, paused, not_due]

    async with pool.acquire() as conn:
        await ticket_store.scan_breaches(conn, now=NOW)
    assert await _flags(pool, ids) == [
        (True, False),
        (False, True),
        (True, True),
        (True, True),
        (False, False),
        (False, False),
    ]
    found = await _alerts(pool, org_id)
    assert sorted((a["subject_id"], a["kind"], a["occurrence"]) for a in found) == sorted(
        [
            (first_only, "SLA_FIRST_RESPONSE_BREACH", _due(fr_due)),
            (resolution_only, "SLA_RESOLUTION_BREACH", _due(res_due)),
            (both, "SLA_FIRST_RESPONSE_BREACH", _due(fr_due)),
            (both, "SLA_RESOLUTION_BREACH", _due(res_due)),
            (earlier, "SLA_RESOLUTION_BREACH", _due(res_due)),
        ]
    )
    # Inserted in the order of the alerts' unique key (store.alerts: each B-tree insert next to
    # the one before), not in the order the UPDATEs returned the tickets.
    keys = [(a["kind"], a["subject_id"], a["occurrence"]) for a in found]
    assert keys == sorted(keys)
    # The relay publishes each once, in id order, on the organisation's channel.
    async with Listener(redis_server.url, org_id) as listener:
        await alert_jobs.relay_outbox(
            {"db": pool, "redis": redis, "clock": lambda: NOW, "namespace": NAMESPACE}
        )
        events = await listener.events(len(found))
        assert await listener.silent()
    assert [event["id"] for event in events] == [alert["id"] for alert in found]
    for alert, event in zip(found, events, strict=True):
        clock = "first_response" if "FIRST" in alert["kind"] else "resolution"
        priority = "P0" if alert["subject_id"] == first_only else "P1"
        # The payload a mutation stores for the same breach (store.tickets.breach_payload):
        # the priority; every read shows it whole (store.alert_shape).
        assert alert["payload"] == {"priority": priority}
        whole = {
            "ticketId": alert["subject_id"],
            "clock": clock,
            "priority": priority,
            "dueAt": alert["occurrence"],
        }
        assert (alert["customer_id"], alert["for_role"], alert["created_at"]) == (
            customer,
            "owner" if priority == "P0" else "agent",
            NOW,
        )
        # Its event announces this alert as stored, its payload whole (store.alert_shape).
        assert event["orgId"] == org_id
        announced = alerts.from_event(event)
        assert (announced.id, announced.kind, announced.subject_id, announced.occurrence) == (
            alert["id"],
            alert["kind"],
            alert["subject_id"],
            alert["occurrence"],
        )
        assert (announced.customer_id, announced.payload) == (customer, whole)

    # Again, and later: nothing new.
    async with pool.acquire() as conn:
        await ticket_store.scan_breaches(conn, now=NOW + HOUR)
    assert await _alerts(pool, org_id) == found


async def test_two_scans_at_once_alert_each_clock_once(pool: asyncpg.Pool) -> None:
    """Two workers' scans overlap: the second waits for the first (the scan lock, before any
    row lock), then finds every clock flagged."""
    org_id = await _org(pool)
    [customer] = await add_customers(pool, org_id)
    ids = [
        await _ticket(
            pool, org_id, customer, first_response_due=NOW - HOUR, resolution_due=NOW + HOUR
        )
        for _ in range(20)
    ]
    async with pool.acquire() as holder, pool.acquire() as first, pool.acquire() as second:
        # A mutation holds one of the tickets: the first scan stops on it, mid-UPDATE, holding
        # the scan lock and the rows it has flagged.
        async with holder.transaction():
            await holder.execute("SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE", ids[-1])
            one = asyncio.create_task(ticket_store.scan_breaches(first, now=NOW))
            await until(
                _waits(pool, first.get_server_pid(), "transactionid", "tuple"),
                what="the first scan to wait for the held ticket",
            )
            two = asyncio.create_task(ticket_store.scan_breaches(second, now=NOW))
            await until(
                _waits(pool, second.get_server_pid(), "advisory"),
                what="the second scan to wait for the first",
            )
        done = await asyncio.wait_for(asyncio.gather(one, two), WAIT_S)
    assert done[0].flagged["first_response"] >= len(ids)
    assert done[1] == ticket_store.ScanResult(
        flagged={"first_response": 0, "resolution": 0}, alerts=0
    )
    found = await _alerts(pool, org_id)
    assert sorted(a["subject_id"] for a in found) == ids


def _waits(pool: asyncpg.Pool, pid: int, *locktypes: str) -> Any:
    async def check() -> bool:
        waiting: bool = await pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted "
            "AND locktype = ANY($2::text[]))",
            pid,
            list(locktypes),
        )
        return waiting

    return check


async def test_a_mutation_that_flags_the_clock_first_is_not_alerted_again(
    pool: asyncpg.Pool, maker: async_sessionmaker[AsyncSession]
) -> None:
    """A late reply holds the ticket, flags its first response and raises the alert while the
    scan waits for the row: the scan re-reads the row, finds it flagged, and skips it."""
    org_id = await _org(pool)
    [customer] = await add_customers(pool, org_id)
    due = NOW - HOUR
    late = await _ticket(pool, org_id, customer, first_response_due=due, resolution_due=NOW)
    other = await _ticket(pool, org_id, customer, first_response_due=due, resolution_due=NOW)
    async with pool.acquire() as scan_conn:
        async with engine.transaction(maker, org_id) as session:
            await ticket_store.get_for_update(session, org_id=org_id, ticket_id=late)
            scan = asyncio.create_task(ticket_store.scan_breaches(scan_conn, now=NOW))
            await until(
                _waits(pool, scan_conn.get_server_pid(), "transactionid", "tuple"),
                what="the scan to wait for the held ticket",
            )
            await session.execute(
                text(
                    "UPDATE tickets SET first_response_at = :at, first_response_breached = true "
                    "WHERE org_id = :org AND id = :id"
                ),
                {"at": NOW, "org": org_id, "id": late},
            )
            raised = await alerts.raise_alert(
                session,
                org_id=org_id,
                kind=ticket_store.BREACH_KINDS["first_response"],
                subject="Ticket",
                subject_id=late,
                occurrence=ticket_store.occurrence(due),
                customer_id=customer,
                for_role="agent",
                payload={"by": "mutation"},
                now=NOW,
            )
        await asyncio.wait_for(scan, WAIT_S)
    found = await _alerts(pool, org_id)
    assert [(a["subject_id"], a["payload"].get("by")) for a in found] == [
        (late, "mutation"),
        (other, None),
    ]
    assert found[0]["id"] == raised
    assert await _flags(pool, [late, other]) == [(True, False), (True, False)]


async def test_alerts_belong_to_their_tickets_organisation(
    pool: asyncpg.Pool, maker: async_sessionmaker[AsyncSession]
) -> None:
    """One statement across organisations; each alert and event carries its ticket's
    organisation and customer, and RLS shows each organisation only its own."""
    org_ids = [await _org(pool), await _org(pool)]
    tickets = {}
    for org_id in org_ids:
        customers = await add_customers(pool, org_id, 2)
        tickets[org_id] = [
            (
                await _ticket(
                    pool, org_id, customer, first_response_due=NOW - HOUR, resolution_due=NOW
                ),
                customer,
            )
            for customer in customers
        ]
    async with pool.acquire() as conn:
        await ticket_store.scan_breaches(conn, now=NOW)
    written = []
    for org_id in org_ids:
        found = await _alerts(pool, org_id)
        assert sorted((a["subject_id"], a["customer_id"]) for a in found) == tickets[org_id]
        written += found
        async with engine.transaction(maker, org_id) as session:
            seen = (
                (await session.execute(text("SELECT DISTINCT org_id FROM alerts"))).scalars().all()
            )
        assert seen == [org_id]
    # One statement across organisations, its rows inserted in key order: by id, the
    # organisations' alerts follow one another.
    by_id = [(a["org_id"], a["kind"], a["subject_id"]) for a in sorted(written, key=_id)]
    assert by_id == sorted(by_id)
