"""The transactional outbox: events written with their change, published after commit.

Delivery is at least once: a relay killed between publishing and marking leaves its rows
unpublished, and the next relay publishes them again. Subscribers drop repeats by alert id.

Order: each organisation's events are published in id order, never one past an earlier one.
Writers allocate an organisation's ids in commit order (see `store.alerts`), and one relay at a
time publishes an organisation's events: a relay claims the organisations it serves with
`pg_try_advisory_xact_lock(NS_RELAY, org_id)` in its transaction and skips those another relay
holds right now, so two relays never interleave one organisation's events. So a client that has
seen id N of its organisation has been, or will be, sent every id below N first, and resuming
`after: N` misses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.store import pubsub, webhooks
from resolvers.store.namespaces import Namespace
from resolvers.store.tables import OutboxRow

log = logging.getLogger("wafi.outbox")

BATCH = 500
# Advisory lock namespace (two-int form, next to store.alerts' NS_ALERTS and NS_ALERTS_ORG): key
# org_id, held by the relay publishing that organisation's events.
NS_RELAY = 0x57A3
RELAY_JOB = "relay_outbox"
# Two ids (in the deployment's namespace): one may be running past its last read when a new
# event commits; the other then queues behind it. The worker's sweep catches whatever slips
# through both.
_RELAY_JOB_IDS = (RELAY_JOB, RELAY_JOB + ":again")
_ENQUEUE_TIMEOUT_S = 2.0
# Published rows are kept this long (to look into a delivery), then pruned; unpublished rows are
# never deleted. Alerts themselves live in `alerts`, which replay reads: pruning loses nothing.
RETENTION = timedelta(days=7)
PRUNE_BATCH = 10_000
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


@dataclass(frozen=True, slots=True)
class Relayed:
    """One batch: how many events it published, the organisations with unpublished events it
    left to the relay holding them (another worker's, publishing them right now), and whether
    more organisations had events than one batch looks at."""

    published: int
    held_elsewhere: tuple[int, ...] = ()
    more: bool = False
    webhooks: int = 0  # webhook deliveries made for the published events


# Claim the organisations with unpublished events that no other relay holds (held until this
# transaction ends, even those the batch's LIMIT leaves for the next batch). Candidates are the
# organisations whose oldest unpublished event is oldest, skipping those another relay holds
# right now (pg_locks, of this database only: advisory keys are per database), so a second relay
# takes the next organisations instead of waiting for the first one's, and no organisation waits
# behind lower ids. At most $1 are tried, so one transaction never takes more than BATCH
# advisory locks (the shared lock table is finite); `Relayed.more` sends the relay round again
# for the rest. The try sits in the outer select list (one try per candidate returned; it still
# fails for one claimed since pg_locks was read). The held ones are returned too (mine =
# false): `relay_outbox` waits for them before it returns. Organisation ids fit the integer key
# (see store.alerts).
_CLAIM = f"""
WITH relaying AS (
  SELECT objid::bigint AS org_id FROM pg_locks
  WHERE locktype = 'advisory' AND classid = {NS_RELAY} AND objsubid = 2 AND granted
    AND mode = 'ExclusiveLock' AND pid <> pg_backend_pid()
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())),
pending AS (
  SELECT org_id, min(id) AS oldest FROM outbox WHERE published_at IS NULL GROUP BY org_id)
SELECT org_id, false AS mine FROM pending WHERE org_id IN (SELECT org_id FROM relaying)
UNION ALL
SELECT org_id, pg_try_advisory_xact_lock({NS_RELAY}, org_id::integer) AS mine
FROM (SELECT org_id FROM pending WHERE org_id NOT IN (SELECT org_id FROM relaying)
      ORDER BY oldest LIMIT $1) AS candidates
"""

# A separate statement after _CLAIM, so its snapshot is taken once the organisations are ours:
# it sees the marks of the relay that held one before. SKIP LOCKED stays (several workers), but
# only relays lock outbox rows, and none other holds these organisations.
_BATCH = """
SELECT org_id, id, channel, payload FROM outbox
WHERE published_at IS NULL AND org_id = ANY($2::bigint[])
ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""


async def relay(pool: asyncpg.Pool, redis: Redis, *, namespace: Namespace, now: datetime) -> int:
    """Publish one batch of unpublished events and mark them; several workers share the work.
    Returns how many it published (see `relay_batch`)."""
    return (await relay_batch(pool, redis, namespace=namespace, now=now)).published


async def relay_batch(
    pool: asyncpg.Pool, redis: Redis, *, namespace: Namespace, now: datetime
) -> Relayed:
    """Publish one batch of the events of the organisations no other relay holds, oldest
    first, and mark them: each on its channel in the deployment's namespace, naming the
    deployment and organisation (`pubsub.envelope`).

    Rows and organisations stay locked until the marks commit, so a worker killed mid-batch
    leaves them unpublished (and unclaimed) for the next relay.
    """
    async with pool.acquire() as conn, conn.transaction():
        claims = await conn.fetch(_CLAIM, BATCH)
        mine = [row["org_id"] for row in claims if row["mine"]]
        held = tuple(sorted(row["org_id"] for row in claims if not row["mine"]))
        more = len(claims) - len(held) >= BATCH
        if not mine:
            return Relayed(0, held, more)
        rows = await conn.fetch(_BATCH, BATCH, mine)
        if not rows:
            return Relayed(0, held, more)
        # One round trip for the batch; in id order, and no other relay publishes these
        # organisations until this transaction ends: each organisation's events arrive in the
        # order their ids were taken, which is the order they committed.
        async with redis.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.publish(
                    namespace.channel(row["channel"]),
                    pubsub.envelope(namespace, row["org_id"], row["payload"]),
                )
            await pipe.execute()
        org_ids = [row["org_id"] for row in rows]
        event_ids = [row["id"] for row in rows]
        await conn.execute(
            "UPDATE outbox SET published_at = $1 "
            "WHERE (org_id, id) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[]))",
            now,
            org_ids,
            event_ids,
        )
        # Committed with the marks: an event published is an event every webhook will get.
        hooks = await webhooks.fan_out(conn, org_ids=org_ids, event_ids=event_ids, now=now)
    return Relayed(len(rows), held, more, hooks)


async def wait_for_relays(pool: asyncpg.Pool, org_ids: Sequence[int]) -> None:
    """Return once the relays holding these organisations (when called) have ended their batch.

    Shared locks: waiters do not wait for each other, only for relays; taken in id order and
    released at once (commit)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            f"SELECT pg_advisory_xact_lock_shared({NS_RELAY}, org_id::integer) "
            "FROM unnest($1::bigint[]) AS org_id ORDER BY org_id",
            list(org_ids),
        )


async def enqueue_relay(queue: Any, namespace: Namespace) -> bool:
    """Ask a worker to relay now (arq, by job name, deduplicated by job id).

    Never raises: the commit has happened, and the worker's sweep publishes the events anyway
    if Redis cannot take the job right now. Returns whether a job was queued.
    """
    try:
        for job_id in _RELAY_JOB_IDS:
            job = await asyncio.wait_for(
                queue.enqueue_job(RELAY_JOB, _job_id=namespace.job_id(job_id)),
                _ENQUEUE_TIMEOUT_S,
            )
            if job is not None:
                return True
    except (RedisError, OSError, TimeoutError) as error:
        log.warning("could not enqueue the outbox relay (the sweep will): %r", error)
    return False


async def prune(pool: asyncpg.Pool, *, before: datetime) -> int:
    """Delete the rows published before `before`, `PRUNE_BATCH` at a time (each batch its own
    short transaction, so the relay is never held up); how many were deleted."""
    deleted = 0
    while True:
        async with pool.acquire() as conn:
            status = await conn.execute(
                "DELETE FROM outbox WHERE ctid = ANY(ARRAY(SELECT ctid FROM outbox "
                "WHERE published_at < $1 LIMIT $2))",
                before,
                PRUNE_BATCH,
            )
        count = int(status.rsplit(" ", 1)[-1])
        deleted += count
        if count < PRUNE_BATCH:
            return deleted
