"""How a stored alert reads (resolvers/store/alert_shape.py): an SLA breach stores its priority
alone and every reader — the store's reads, the relay's event, a webhook body — shows its payload
whole; a payload stored whole (before migration 0025) reads the same; other kinds as stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from domain.alerts import AlertKind
from resolvers.store import alert_shape, alerts, paging
from tests.factories import Org, raise_alerts

DUE = "2026-11-01T09:30:00.000000Z"


async def _read(system_pool: asyncpg.Pool, org_id: int) -> dict[str, Mapping[str, Any]]:
    """Each alert's payload by kind, through the store's page read and the relay's event."""
    async with system_pool.acquire() as conn:
        page = await alerts.page(
            conn,
            org_id=org_id,
            filter=alerts.Filter(),
            keyset=paging.Keyset(limit=10, descending=True),
        )
        events = await conn.fetch(
            f"SELECT a.kind, {alert_shape.ALERT_EVENT_SQL} AS event FROM alerts a "
            "WHERE a.org_id = $1",
            org_id,
        )
    by_event = {row["kind"]: alerts.from_event(row["event"]).payload for row in events}
    by_page = {str(alert.kind): alert.payload for alert in page}
    assert by_page == by_event
    return by_page


async def test_a_breach_reads_whole_from_its_priority_alone(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    for kind in ("SLA_FIRST_RESPONSE_BREACH", "SLA_RESOLUTION_BREACH"):
        await raise_alerts(
            system_pool,
            org.id,
            kind=kind,
            subject="Ticket",
            first_subject_id=7,
            payload={"priority": "P1"},
        )
    async with system_pool.acquire() as conn:
        await conn.execute("UPDATE alerts SET occurrence = $2 WHERE org_id = $1", org.id, DUE)
        stored = await conn.fetch("SELECT payload FROM alerts WHERE org_id = $1", org.id)
    # (raise_alerts numbers each payload: "n")
    assert [row["payload"] for row in stored] == [{"priority": "P1", "n": 1}] * 2
    assert await _read(system_pool, org.id) == {
        "SLA_FIRST_RESPONSE_BREACH": {
            "ticketId": 7,
            "clock": "first_response",
            "priority": "P1",
            "dueAt": DUE,
            "n": 1,
        },
        "SLA_RESOLUTION_BREACH": {
            "ticketId": 7,
            "clock": "resolution",
            "priority": "P1",
            "dueAt": DUE,
            "n": 1,
        },
    }


async def test_a_payload_stored_whole_reads_as_stored(org: Org, system_pool: asyncpg.Pool) -> None:
    # Its own keys win, even spelt otherwise than the columns would give them.
    whole = {
        "ticketId": 7,
        "clock": "first_response",
        "priority": "P0",
        "dueAt": "2026-11-01 09:30:00+00:00",
    }
    await raise_alerts(
        system_pool,
        org.id,
        kind="SLA_FIRST_RESPONSE_BREACH",
        subject="Ticket",
        first_subject_id=7,
        payload=whole,
    )
    at_risk = {"severity": "high", "score": 40}
    await raise_alerts(system_pool, org.id, kind="AT_RISK", first_subject_id=7, payload=at_risk)
    read = await _read(system_pool, org.id)
    assert read == {"SLA_FIRST_RESPONSE_BREACH": {**whole, "n": 1}, "AT_RISK": {**at_risk, "n": 1}}


def test_the_shape_names_every_breach_kind() -> None:
    sql = alert_shape.payload_sql("a")
    breaches = [kind for kind in AlertKind if kind.value.endswith("_BREACH")]
    assert len(breaches) == 2
    assert all(f"WHEN '{kind.value}'" in sql for kind in breaches)
