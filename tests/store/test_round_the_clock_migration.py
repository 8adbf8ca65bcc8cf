"""Migration 0024: round the clock, an integration-limit ticket's first response is due at the
organisation's midnight (docs/rules.md §7), not UTC's: the stored due times are recomputed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from alembic import command

from resolvers.store import engine, migrate
from tests.scratch import database_at

# 22:30 UTC is 01:30 on the 29th in Riyadh: due at Riyadh's midnight, 22 h 30 min on.
PAST = datetime(2026, 3, 28, 22, 30, tzinfo=UTC)


@pytest.fixture
async def at_0021(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    async with database_at(server_urls[0], "0021") as url:
        yield url


async def _ticket(
    conn: asyncpg.Connection,
    org: int,
    customer: int,
    opened: datetime,
    *,
    mode: str | None = "integration_limit",
    answered: bool = False,
) -> int:
    ticket_id: int = await conn.fetchval(
        "INSERT INTO tickets (org_id, customer_id, subject, body, channel, "
        "classified_priority, priority, reason_ar, status, opened_at, first_response_at, "
        "first_response_due_at, first_response_at_risk_at, first_response_breached, "
        "resolution_due_at, support_mode, support_mode_reason, support_mode_set_by, "
        "created_at, updated_at) VALUES ($1, $2, 's', 'b', 'email', 'P3', 'P3', 'r', 'open', "
        "$3, $4, $5, $6, true, $7, $8, 'r', 'text', $3, $3) RETURNING id",
        org,
        customer,
        opened,
        opened + timedelta(minutes=5) if answered else None,
        # As the old rule stored it: UTC midnight.
        datetime.combine(opened.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC),
        opened,
        opened + timedelta(hours=168),
        mode,
    )
    return ticket_id


async def test_recomputes_running_integration_limit_clocks_to_local_midnight(
    at_0021: str,
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)  # targets are whole minutes
    # A zone in which `now` is not within minutes of midnight, so the new due time is ahead.
    zone = "Asia/Riyadh" if now.astimezone(ZoneInfo("Asia/Riyadh")).hour < 23 else "UTC"
    conn = await asyncpg.connect(engine.asyncpg_dsn(at_0021))
    try:
        org = await conn.fetchval(
            "INSERT INTO organisations (slug, name, created_at, time_zone) "
            "VALUES ('m', 'M', $1, $2) RETURNING id",
            PAST,
            zone,
        )
        riyadh = await conn.fetchval(
            "INSERT INTO organisations (slug, name, created_at) VALUES ('r', 'R', $1) RETURNING id",
            PAST,
        )
        customers = {}
        for org_id in (org, riyadh):
            customers[org_id] = await conn.fetchval(
                "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
                "subscription_status, subscription_started_at, created_at, updated_at) "
                "VALUES ($1, 'c', 'c', 'ar', 'growth_starter', 'onboarding', 'pilot', $2, $2, "
                "$2) RETURNING id",
                org_id,
                PAST,
            )
        past = await _ticket(conn, riyadh, customers[riyadh], PAST)
        running = await _ticket(conn, org, customers[org], now)
        answered = await _ticket(conn, riyadh, customers[riyadh], PAST, answered=True)
        pricing = await _ticket(conn, riyadh, customers[riyadh], PAST, mode="pricing_question")
        before = {
            row["id"]: tuple(row)
            for row in await conn.fetch(
                "SELECT id, first_response_due_at, first_response_at_risk_at, "
                "first_response_breached FROM tickets"
            )
        }
        await asyncio.to_thread(command.upgrade, migrate.config(at_0021), "heads")
        after = {
            row["id"]: tuple(row)
            for row in await conn.fetch(
                "SELECT id, first_response_due_at, first_response_at_risk_at, "
                "first_response_breached FROM tickets"
            )
        }
    finally:
        await conn.close()
    # Riyadh's midnight after 01:30 on the 29th; at risk at 80% of 1,350 minutes; long past,
    # so the breach the scan flagged stays.
    due = datetime(2026, 3, 29, 21, 0, tzinfo=UTC)
    assert after[past] == (past, due, PAST + timedelta(minutes=1080), True)
    # A clock still running: due at its organisation's next midnight, the early breach cleared.
    local = now.astimezone(ZoneInfo(zone))
    midnight = datetime.combine(
        local.date() + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo(zone)
    ).astimezone(UTC)
    assert after[running][1] == midnight
    assert after[running][3] is False
    # Answered, or another mode: as they were.
    assert after[answered] == before[answered]
    assert after[pricing] == before[pricing]
