"""The transactional outbox: events written with their change, published after commit.

Delivery is at least once: a relay killed between publishing and marking leaves its rows
unpublished, and the next relay publishes them again. Subscribers drop repeats by alert id.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.store.tables import OutboxRow

log = logging.getLogger("wafi.outbox")

BATCH = 500
RELAY_JOB = "relay_outbox"
# Two ids: one may be running past its last read when a new event commits; the other then
# queues behind it. The worker's sweep catches whatever slips through both.
_RELAY_JOB_IDS = (RELAY_JOB, RELAY_JOB + ":again")
_ENQUEUE_TIMEOUT_S = 2.0
_PENDING = "wafi.outbox_pending"


def mark_pending(session: AsyncSession) -> None:
    """Note on the session that it wrote outbox rows, so the relay is enqueued after commit."""
    session.info[_PENDING] = True


def pending(session: AsyncSession) -> bool:
    return bool(session.info.get(_PENDING))


async def add(
    session: AsyncSession, *, org_id: int, channel: str, payload: dict[str, Any], now: datetime
) -> None:
    """Queue an event in the caller's transaction: it exists if and only if the change does."""
    session.add(OutboxRow(org_id=org_id, channel=channel, payload=payload, created_at=now))
    await session.flush()
    mark_pending(session)


async def relay(pool: asyncpg.Pool, redis: Redis, *, now: datetime) -> int:
    """Publish one batch of unpublished events and mark them; several workers share the work.

    Rows stay locked (SKIP LOCKED for the others) until they are marked, so a worker killed
    mid-batch leaves them unpublished for the next sweep.
    """
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT org_id, id, channel, payload FROM outbox WHERE published_at IS NULL "
            "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
            BATCH,
        )
        if not rows:
            return 0
        # One round trip for the batch; in id order, so a subscriber sees each organisation's
        # events in the order they were written (as far as one relay knows them).
        async with redis.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.publish(row["channel"], json.dumps(row["payload"], ensure_ascii=False))
            await pipe.execute()
        await conn.execute(
            "UPDATE outbox SET published_at = $1 "
            "WHERE (org_id, id) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[]))",
            now,
            [row["org_id"] for row in rows],
            [row["id"] for row in rows],
        )
    return len(rows)


async def enqueue_relay(queue: Any) -> bool:
    """Ask a worker to relay now (arq, by job name, deduplicated by job id).

    Never raises: the commit has happened, and the worker's sweep publishes the events anyway
    if Redis cannot take the job right now. Returns whether a job was queued.
    """
    try:
        for job_id in _RELAY_JOB_IDS:
            job = await asyncio.wait_for(
                queue.enqueue_job(RELAY_JOB, _job_id=job_id), _ENQUEUE_TIMEOUT_S
            )
            if job is not None:
                return True
    except (RedisError, OSError, TimeoutError) as error:
        log.warning("could not enqueue the outbox relay (the sweep will): %r", error)
    return False
