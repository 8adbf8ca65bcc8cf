"""The relay: alerts committed with their change, published to Redis after commit.

The `alerts` table is its own outbox. Per organisation, alert ids are allocated in commit order
(see `store.alerts`), so what has been published is one number per organisation: the highest
alert id published (`alert_relay_marks.published_through`). The relay reads an organisation's
alerts past its mark through the alerts' primary key `(org_id, id)`, publishes them in id order
and moves the mark, in one transaction. Writers add nothing but the alert row.

Delivery is at least once: a relay killed between publishing and moving the mark leaves the
mark where it was, and the next relay publishes those alerts again. Subscribers drop repeats by
alert id; webhook deliveries are made once per alert and endpoint.

Order: each organisation's alerts are published in id order, never one past an earlier one.
One relay at a time publishes an organisation's alerts: a relay claims the organisations it
serves with `pg_try_advisory_xact_lock(NS_RELAY, org_id)` in its transaction and skips those
another relay holds right now, so two relays never interleave one organisation's alerts. So a
client that has seen id N of its organisation has been, or will be, sent every id below N first,
and resuming `after: N` misses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.store import alert_shape, pubsub, webhooks
from resolvers.store.namespaces import Namespace

log = logging.getLogger("wafi.outbox")

BATCH = 500
# Advisory lock namespace (two-int form, next to store.alerts' NS_ALERTS and NS_ALERTS_ORG): key
# org_id, held by the relay publishing that organisation's alerts.
NS_RELAY = 0x57A3
RELAY_JOB = "relay_outbox"
# Two ids (in the deployment's namespace): one may be running past its last read when a new
# alert commits; the other then queues behind it. The worker's sweep catches whatever slips
# through both.
_RELAY_JOB_IDS = (RELAY_JOB, RELAY_JOB + ":again")
_ENQUEUE_TIMEOUT_S = 2.0
_PENDING = "wafi.outbox_pending"


def mark_pending(session: AsyncSession) -> None:
    """Note on the session that it wrote alerts, so the relay is enqueued after commit."""
    session.info[_PENDING] = True


def pending(session: AsyncSession) -> bool:
    return bool(session.info.get(_PENDING))


@dataclass(frozen=True, slots=True)
class Relayed:
    """One batch: how many alerts it published, the organisations with unpublished alerts it
    left to the relay holding them (another worker's, publishing them right now), and whether
    more organisations had alerts than one batch looks at."""

    published: int
    held_elsewhere: tuple[int, ...] = ()
    more: bool = False
    webhooks: int = 0  # webhook deliveries made for the published alerts


# Each organisation's oldest unpublished alert: one probe of the alerts' primary key per
# organisation, past its mark (no mark yet: every alert is unpublished).
_PENDING_SQL = """
SELECT o.id AS org_id, p.oldest
FROM organisations o
LEFT JOIN alert_relay_marks m ON m.org_id = o.id
CROSS JOIN LATERAL (
    SELECT a.id AS oldest FROM alerts a
    WHERE a.org_id = o.id AND a.id > coalesce(m.published_through, 0)
    ORDER BY a.id LIMIT 1) AS p
"""

# Claim the organisations with unpublished alerts that no other relay holds (held until this
# transaction ends, even those the batch's LIMIT leaves for the next batch). Candidates are the
# organisations whose oldest unpublished alert is oldest, skipping those another relay holds
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
pending AS ({_PENDING_SQL})
SELECT org_id, false AS mine FROM pending WHERE org_id IN (SELECT org_id FROM relaying)
UNION ALL
SELECT org_id, pg_try_advisory_xact_lock({NS_RELAY}, org_id::integer) AS mine
FROM (SELECT org_id FROM pending WHERE org_id NOT IN (SELECT org_id FROM relaying)
      ORDER BY oldest LIMIT $1) AS candidates
"""

# A separate statement after _CLAIM, so its snapshot is taken once the organisations are ours:
# it sees the mark of the relay that held one before. The oldest $1 alerts past the marks of
# the organisations claimed ($2), each organisation's in id order, as published events.
_BATCH = f"""
SELECT a.org_id, a.id, {alert_shape.ALERT_EVENT_SQL} AS event
FROM unnest($2::bigint[]) AS c(org_id)
LEFT JOIN alert_relay_marks m ON m.org_id = c.org_id
CROSS JOIN LATERAL (
    SELECT * FROM alerts a
    WHERE a.org_id = c.org_id AND a.id > coalesce(m.published_through, 0)
    ORDER BY a.id LIMIT $1) AS a
ORDER BY a.id LIMIT $1
"""

# Each organisation's mark moves to the highest id this batch published of it (its alerts are
# a prefix, in id order, of what waits past its mark).
_MARK = """
INSERT INTO alert_relay_marks AS m (org_id, published_through, published_at)
SELECT org_id, max(id), $1 FROM unnest($2::bigint[], $3::bigint[]) AS p(org_id, id)
GROUP BY org_id
ON CONFLICT (org_id) DO UPDATE
SET published_through = greatest(m.published_through, excluded.published_through),
    published_at = excluded.published_at
"""


async def relay_batch(
    pool: asyncpg.Pool, redis: Redis, *, namespace: Namespace, now: datetime
) -> Relayed:
    """Publish one batch of the alerts of the organisations no other relay holds, oldest
    first, and move their marks: each on its organisation's channel in the deployment's
    namespace, naming the deployment and organisation (`pubsub.envelope`).

    The organisations stay claimed until the marks commit, so a worker killed mid-batch leaves
    their alerts unpublished (and unclaimed) for the next relay.
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
        # organisations until this transaction ends: each organisation's alerts arrive in the
        # order their ids were taken, which is the order they committed.
        async with redis.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.publish(
                    namespace.channel(pubsub.alerts_channel(row["org_id"])),
                    pubsub.envelope(namespace, row["org_id"], row["event"]),
                )
            await pipe.execute()
        org_ids = [row["org_id"] for row in rows]
        alert_ids = [row["id"] for row in rows]
        await conn.execute(_MARK, now, org_ids, alert_ids)
        # Committed with the marks: an alert published is an alert every webhook will get.
        hooks = await webhooks.fan_out(conn, org_ids=org_ids, alert_ids=alert_ids, now=now)
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

    Never raises: the commit has happened, and the worker's sweep publishes the alerts anyway
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
