"""Migration 0019: tickets so far count round the clock, so each running clock's at-risk moment
is 80% of its target from the opening; waiting on the customer becomes a status."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from alembic import command

from resolvers.store import engine, migrate
from tests.scratch import database_at

OPENED = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # the night Europe switches to summer time


@pytest.fixture
async def at_0010(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    async with database_at(server_urls[0], "0010") as url:
        yield url


async def test_backfills_at_risk_moments_round_the_clock(at_0010: str) -> None:
    conn = await asyncpg.connect(engine.asyncpg_dsn(at_0010))
    try:
        await conn.execute("SET TIME ZONE 'Europe/Berlin'")
        org = await conn.fetchval(
            "INSERT INTO organisations (slug, name, created_at) VALUES ('m', 'M', $1) RETURNING id",
            OPENED,
        )
        customer = await conn.fetchval(
            "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
            "subscription_status, subscription_started_at, created_at, updated_at) "
            "VALUES ($1, 'c', 'c', 'ar', 'growth_starter', 'onboarding', 'pilot', $2, $2, $2) "
            "RETURNING id",
            org,
            OPENED,
        )
        await conn.execute(
            "INSERT INTO tickets (org_id, customer_id, subject, body, channel, "
            "classified_priority, priority, reason_ar, status, opened_at, first_response_due_at, "
            "resolution_due_at, created_at, updated_at) VALUES ($1, $2, 's', 'b', 'email', 'P3', "
            "'P3', 'r', 'open', $3, $4, $5, $3, $3)",
            org,
            customer,
            OPENED,
            OPENED + timedelta(minutes=1440),
            OPENED + timedelta(hours=168),
        )
        await asyncio.to_thread(command.upgrade, migrate.config(at_0010), "heads")
        row = await conn.fetchrow(
            "SELECT first_response_at_risk_at, resolution_at_risk_at, pauses, status "
            "FROM tickets WHERE org_id = $1",
            org,
        )
        assert row["first_response_at_risk_at"] == OPENED + timedelta(minutes=1152)
        assert row["resolution_at_risk_at"] == OPENED + timedelta(minutes=8064)
        assert (row["pauses"], row["status"]) == ("[]", "open")
        await conn.execute(
            "UPDATE tickets SET status = 'waiting_on_customer', resolution_due_at = NULL"
        )
    finally:
        await conn.close()
