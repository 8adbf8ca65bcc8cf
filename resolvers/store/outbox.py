"""The transactional outbox: events written with their change, published after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.store import pubsub
from resolvers.store.tables import OutboxRow

BATCH = 500


async def add(
    session: AsyncSession, *, org_id: int, channel: str, payload: dict[str, Any], now: datetime
) -> None:
    """Queue an event in the caller's transaction: it exists if and only if the change does."""
    session.add(OutboxRow(org_id=org_id, channel=channel, payload=payload, created_at=now))
    await session.flush()


async def relay(pool: asyncpg.Pool, redis: Redis, *, now: datetime) -> int:
    """Publish one batch of unpublished events and mark them; several workers share the work.

    Rows stay locked (SKIP LOCKED for the others) until they are marked, so a worker killed
    mid-batch leaves them unpublished for the next sweep: delivery is at least once, and
    clients drop repeats by alert id.
    """
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT org_id, id, channel, payload FROM outbox WHERE published_at IS NULL "
            "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
            BATCH,
        )
        for row in rows:
            await pubsub.publish(redis, channel=row["channel"], payload=row["payload"])
        if rows:
            await conn.execute(
                "UPDATE outbox SET published_at = $1 "
                "WHERE (org_id, id) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[]))",
                now,
                [row["org_id"] for row in rows],
                [row["id"] for row in rows],
            )
    return len(rows)
