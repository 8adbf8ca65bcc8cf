"""Redis names scoped to one deployment.

Redis pub/sub ignores the database number, and arq's keys (`arq:job:<id>`, cron job ids) are
the same in every deployment: two Wafi installs on one Redis server would hear each other's
alerts and take each other's jobs. So every channel, queue and job id Wafi uses carries a prefix
naming its deployment.

The prefix is `WAFI_REDIS_PREFIX` when set; otherwise it is derived from the database the
deployment stores its data in: a hash of the PostgreSQL cluster's system identifier (chosen at
initdb, shared by its streaming replicas, so a failover keeps it) and the database name. Every
process of a deployment reads it from the same database, so they agree without configuration; a
copy restored from a dump into another cluster or database gets a prefix of its own (a random id
stored in a table would be copied with the data and collide again). Set `WAFI_REDIS_PREFIX` to
keep a prefix across a move to another cluster, or where pg_control_system() is not allowed (the
database name and oid are hashed then).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Final

import asyncpg
from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool

log = logging.getLogger("wafi.namespaces")

PREFIX_VARIABLE: Final = "WAFI_REDIS_PREFIX"


@dataclass(frozen=True, slots=True)
class Namespace:
    """One deployment's Redis names; `prefix` is also the `deployment` of its published events."""

    prefix: str

    def channel(self, name: str) -> str:
        """The Redis channel of a logical channel (such as `pubsub.alerts_channel`)."""
        return f"{self.prefix}:{name}"

    @property
    def queue(self) -> str:
        """arq's queue (a sorted set) of this deployment."""
        return f"{self.prefix}:arq:queue"

    def job_id(self, name: str) -> str:
        """A fixed job id; arq keys results and in-progress marks by job id alone."""
        return f"{self.prefix}:{name}"

    def cron_name(self, function: str) -> str:
        """A cron job's name: arq makes each tick's job id from it (`<name>:<ms>`)."""
        return f"cron:{self.prefix}:{function}"


# Where nothing is queued or published (`wafi demo`'s resources).
UNUSED: Final = Namespace("wafi")

_IDENTITY = "SELECT system_identifier::text FROM pg_control_system()"
_FALLBACK = "SELECT oid::text FROM pg_database WHERE datname = current_database()"


async def of_database(conn: asyncpg.Connection) -> Namespace:
    """The namespace derived from the database `conn` is connected to (see the module)."""
    database: str = await conn.fetchval("SELECT current_database()")
    try:
        cluster: str = await conn.fetchval(_IDENTITY)
    except asyncpg.InsufficientPrivilegeError:
        log.warning("pg_control_system() is refused: set %s instead", PREFIX_VARIABLE)
        cluster = "oid:" + str(await conn.fetchval(_FALLBACK))
    digest = hashlib.sha256(f"{cluster}/{database}".encode()).hexdigest()[:16]
    return Namespace(f"wafi-{digest}")


async def resolve(prefix: str | None, database_url: str, *, wait_s: float) -> Namespace:
    """`prefix` when configured, else the database's (one short connection)."""
    if prefix:
        return Namespace(prefix)
    conn = await asyncpg.connect(
        database_url.replace("postgresql+asyncpg://", "postgresql://", 1),
        timeout=wait_s,
        command_timeout=wait_s,
    )
    try:
        return await of_database(conn)
    finally:
        await conn.close(timeout=wait_s)


def queue_pool(redis_url: str, namespace: Namespace, *, timeout: float, **options: Any) -> ArqRedis:
    """An arq Redis client on the deployment's queue whose every call ends within `timeout`
    (arq's own RedisSettings has no read timeout: a frozen Redis would hang callers forever);
    `options` are redis-py connection options (retries). Connects on first use."""
    pool = ConnectionPool.from_url(
        redis_url, socket_timeout=timeout, socket_connect_timeout=timeout, **options
    )
    redis = ArqRedis(pool, default_queue_name=namespace.queue)
    redis.auto_close_connection_pool = True  # aclose() closes the pool it was given too
    return redis
