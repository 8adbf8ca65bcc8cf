"""Migration 0010: renewal items dated by the UTC day move to the organisation's day (a local
twin the scan added is resolved), and an unknown time zone is refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import asyncpg
import pytest
from alembic import command

from resolvers.store import engine, migrate
from tests.scratch import database_at


@pytest.fixture
async def at_0009(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    async with database_at(server_urls[0], "0009") as url:
        yield url


STARTED = date(2026, 9, 1)


async def _customer_with_plan(conn: asyncpg.Connection, org: int, renews_at: datetime) -> int:
    customer = await conn.fetchval(
        "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
        "subscription_status, subscription_started_at, renews_at, created_at, updated_at) "
        "VALUES ($1, 'c', 'c', 'ar', 'growth_starter', 'adoption', 'active', $2, $3, $2, $2) "
        "RETURNING id",
        org,
        datetime(2026, 1, 1, tzinfo=UTC),
        renews_at,
    )
    plan: int = await conn.fetchval(
        "INSERT INTO success_plans (org_id, customer_id, bundle, started_on, cadence, created_at) "
        "VALUES ($1, $2, 'growth_starter', $3, 'weekly', now()) RETURNING id",
        org,
        customer,
        STARTED,
    )
    return plan


async def _item(
    conn: asyncpg.Connection, org: int, plan: int, due: date, *, done: bool = False
) -> None:
    await conn.execute(
        "INSERT INTO success_plan_items (org_id, plan_id, customer_id, day_offset, title, kind, "
        "is_upgrade_or_upsell, due_on, done_on) SELECT $1, $2, customer_id, $3 - started_on, "
        "'renewal', 'renewal', false, $3, $4 FROM success_plans WHERE org_id = $1 AND id = $2",
        org,
        plan,
        due,
        due if done else None,
    )


async def _items(conn: asyncpg.Connection, plan: int) -> list[tuple[date, int, bool]]:
    rows = await conn.fetch(
        "SELECT due_on, day_offset, done_on IS NOT NULL AS done FROM success_plan_items "
        "WHERE plan_id = $1 ORDER BY due_on",
        plan,
    )
    return [(row["due_on"], row["day_offset"], row["done"]) for row in rows]


async def test_utc_dated_renewal_items_move_to_the_organisations_day(at_0009: str) -> None:
    conn = await asyncpg.connect(engine.asyncpg_dsn(at_0009))
    try:
        org = await conn.fetchval(
            "INSERT INTO organisations (slug, name, created_at) VALUES ('r', 'R', now()) "
            "RETURNING id"
        )  # Asia/Riyadh by default
        # 22:00 UTC on 15 December is 16 December in Riyadh: items dated 15 Nov / 8 Dec by UTC.
        late = await _customer_with_plan(conn, org, datetime(2026, 12, 15, 22, 0, tzinfo=UTC))
        for due in (date(2026, 11, 15), date(2026, 12, 8)):
            await _item(conn, org, late, due)
        # The same, but the scan already added the local twin of the 7-day item, and the
        # UTC-dated 30-day item was done.
        twin = await _customer_with_plan(conn, org, datetime(2026, 12, 15, 22, 0, tzinfo=UTC))
        await _item(conn, org, twin, date(2026, 11, 15), done=True)
        await _item(conn, org, twin, date(2026, 12, 8))
        await _item(conn, org, twin, date(2026, 12, 9))
        # 09:00 UTC: the same day in both zones, nothing to move.
        same = await _customer_with_plan(conn, org, datetime(2026, 12, 15, 9, 0, tzinfo=UTC))
        for due in (date(2026, 11, 15), date(2026, 12, 8)):
            await _item(conn, org, same, due)
        untouched = await _items(conn, same)

        await asyncio.to_thread(command.upgrade, migrate.config(at_0009), "0010")

        def offset(due: date) -> int:
            return (due - STARTED).days

        assert await _items(conn, late) == [
            (date(2026, 11, 16), offset(date(2026, 11, 16)), False),
            (date(2026, 12, 9), offset(date(2026, 12, 9)), False),
        ]
        assert await _items(conn, twin) == [
            (date(2026, 11, 16), offset(date(2026, 11, 16)), True),
            (date(2026, 12, 9), offset(date(2026, 12, 9)), False),
        ]
        assert await _items(conn, same) == untouched
        with pytest.raises(asyncpg.InvalidParameterValueError, match="Asia/Riyad"):
            await conn.execute(
                "UPDATE organisations SET time_zone = 'Asia/Riyad' WHERE id = $1", org
            )
        await conn.execute("UPDATE organisations SET time_zone = 'UTC' WHERE id = $1", org)
    finally:
        await conn.close()
