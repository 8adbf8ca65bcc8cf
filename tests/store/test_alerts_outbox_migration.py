"""Migration 0025: alerts become their own outbox. The relay's marks start where the outbox left
off (nothing waiting is lost, nothing published is sent again); the backlog function, the
dropped table and foreign keys; downgrade puts every waiting alert back in a new outbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from alembic import command

from resolvers.store import engine, migrate
from tests.scratch import database_at

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def at_0024(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    """A database of its own, migrated only to 0024 (alerts still written with outbox rows)."""
    async with database_at(server_urls[0], "0024") as url:
        yield url


async def _org(conn: asyncpg.Connection, slug: str) -> int:
    org_id: int = await conn.fetchval(
        "INSERT INTO organisations (slug, name, created_at) VALUES ($1, $1, $2) RETURNING id",
        slug,
        T0,
    )
    return org_id


async def _alert(conn: asyncpg.Connection, org_id: int, n: int, *, published: bool) -> int:
    """An alert and its outbox row, as the 0024 store wrote them."""
    created = T0 + timedelta(minutes=n)
    alert_id: int = await conn.fetchval(
        "INSERT INTO alerts (org_id, kind, subject, subject_id, occurrence, for_role, payload, "
        "created_at) VALUES ($1, 'AT_RISK', 'Customer', $2, 'high', 'owner', '{}', $3) "
        "RETURNING id",
        org_id,
        n,
        created,
    )
    await conn.execute(
        "INSERT INTO outbox (org_id, channel, payload, created_at, published_at) "
        "VALUES ($1, $2, $3::jsonb, $4, $5)",
        org_id,
        f"wafi:{org_id}:alerts",
        json.dumps({"id": alert_id, "kind": "AT_RISK"}),
        created,
        created if published else None,
    )
    return alert_id


async def _fks(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'alerts'::regclass "
        "AND contype = 'f' ORDER BY conname"
    )
    return [row["conname"] for row in rows]


async def test_marks_start_where_the_outbox_left_off_and_downgrade_restores_the_backlog(
    at_0024: str,
) -> None:
    conn = await asyncpg.connect(engine.asyncpg_dsn(at_0024))
    try:
        waiting_org, done_org, quiet_org = [
            await _org(conn, slug) for slug in ("waiting", "done", "quiet")
        ]
        first = await _alert(conn, waiting_org, 1, published=True)
        second = await _alert(conn, waiting_org, 2, published=False)
        third = await _alert(conn, waiting_org, 3, published=False)
        await _alert(conn, done_org, 4, published=True)
        last_done = await _alert(conn, done_org, 5, published=True)
        assert await _fks(conn) == ["alerts_acknowledged_by_fk", "alerts_customer_id_fk"]

        await asyncio.to_thread(command.upgrade, migrate.config(at_0024), "0025")
        marks = dict(await conn.fetch("SELECT org_id, published_through FROM alert_relay_marks"))
        # The waiting organisation's mark sits just below its oldest unpublished alert; the
        # other's at its newest; an organisation without alerts needs none.
        assert marks == {waiting_org: second - 1, done_org: last_done}
        assert first <= second - 1 < second
        assert await conn.fetchval("SELECT to_regclass('outbox')") is None
        assert await _fks(conn) == []
        backlog = await conn.fetchrow("SELECT pending, oldest FROM wafi_outbox_backlog()")
        assert tuple(backlog) == (2, T0 + timedelta(minutes=2))
        assert quiet_org not in marks

        await asyncio.to_thread(command.downgrade, migrate.config(at_0024), "0024")
        waiting = await conn.fetch(
            "SELECT org_id, channel, (payload->>'id')::bigint AS id FROM outbox "
            "WHERE published_at IS NULL ORDER BY id"
        )
        assert [tuple(row) for row in waiting] == [
            (waiting_org, f"wafi:{waiting_org}:alerts", second),
            (waiting_org, f"wafi:{waiting_org}:alerts", third),
        ]
        assert await conn.fetchval("SELECT to_regclass('alert_relay_marks')") is None
        assert await _fks(conn) == ["alerts_acknowledged_by_fk", "alerts_customer_id_fk"]
        backlog = await conn.fetchrow("SELECT pending, oldest FROM wafi_outbox_backlog()")
        assert tuple(backlog) == (2, T0 + timedelta(minutes=2))
    finally:
        await conn.close()


async def test_an_empty_database_gets_no_marks_and_an_empty_backlog(at_0024: str) -> None:
    await asyncio.to_thread(command.upgrade, migrate.config(at_0024), "0025")
    conn = await asyncpg.connect(engine.asyncpg_dsn(at_0024))
    try:
        assert await conn.fetchval("SELECT count(*) FROM alert_relay_marks") == 0
        backlog = await conn.fetchrow("SELECT pending, oldest FROM wafi_outbox_backlog()")
        assert tuple(backlog) == (0, None)
    finally:
        await conn.close()


async def test_downgrade_gives_breach_alerts_their_whole_payload_back(at_0024: str) -> None:
    await asyncio.to_thread(command.upgrade, migrate.config(at_0024), "0025")
    conn = await asyncpg.connect(engine.asyncpg_dsn(at_0024))
    try:
        org_id = await _org(conn, "breaches")
        due = "2026-12-01T09:30:00.000000Z"
        # As the store writes them from 0025 on: the priority alone; and one stored whole.
        for kind, subject_id, payload in (
            ("SLA_FIRST_RESPONSE_BREACH", 7, {"priority": "P0"}),
            ("SLA_RESOLUTION_BREACH", 8, {"priority": "P2"}),
            (
                "SLA_RESOLUTION_BREACH",
                9,
                {"ticketId": 9, "clock": "resolution", "priority": "P1", "dueAt": "kept"},
            ),
        ):
            await conn.execute(
                "INSERT INTO alerts (org_id, kind, subject, subject_id, occurrence, for_role, "
                "payload, created_at) VALUES ($1, $2, 'Ticket', $3, $4, 'agent', $5::jsonb, $6)",
                org_id,
                kind,
                subject_id,
                due,
                json.dumps(payload),
                T0,
            )

        await asyncio.to_thread(command.downgrade, migrate.config(at_0024), "0024")
        stored = await conn.fetch(
            "SELECT payload FROM alerts WHERE org_id = $1 ORDER BY subject_id", org_id
        )
        published = await conn.fetch(
            "SELECT payload->'payload' AS payload FROM outbox WHERE org_id = $1 ORDER BY id",
            org_id,
        )
    finally:
        await conn.close()
    whole = [
        {"ticketId": 7, "clock": "first_response", "priority": "P0", "dueAt": due},
        {"ticketId": 8, "clock": "resolution", "priority": "P2", "dueAt": due},
        {"ticketId": 9, "clock": "resolution", "priority": "P1", "dueAt": "kept"},
    ]
    assert [json.loads(row["payload"]) for row in stored] == whole
    # Past the (missing) mark: each waits in the outbox, whole, for the older relay.
    assert [json.loads(row["payload"]) for row in published] == whole
