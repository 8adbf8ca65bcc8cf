"""The relay (alerts are their own outbox) and its enqueueing after commit
(docs/architecture.md#alerts, steps 1-2)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from arq import func
from arq.connections import ArqRedis
from arq.worker import Worker
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Principal, Role
from jobs import alerts as alert_jobs
from jobs import worker as jobs_worker
from resolvers.store import alerts, engine, namespaces, outbox, pubsub
from schema.context import Context, Resources
from tests.factories import T0, Clock, add_customers, raise_alerts, unpublished
from tests.live import NAMESPACE, PrivateRedis, free_port


@pytest.fixture
async def redis(redis_server: PrivateRedis) -> AsyncIterator[Redis]:
    """The module's Redis emptied first: these tests read what the queue holds."""
    client = Redis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def queue(redis_server: PrivateRedis, redis: Redis) -> AsyncIterator[ArqRedis]:
    pool = namespaces.queue_pool(redis_server.url, NAMESPACE, timeout=5)
    yield pool
    await pool.aclose()


@pytest.fixture
async def org_id(system_pool: asyncpg.Pool, clock: Clock) -> int:
    from resolvers.store import orgs

    async with system_pool.acquire() as conn:
        org, _ = await orgs.create_organisation(
            conn, slug=f"relay-{secrets.token_hex(5)}", name="R", owner_name="O", now=clock()
        )
    return org.id


class Listener:
    """A raw Redis subscriber on one organisation's channel (in the tests' namespace)."""

    def __init__(self, url: str, org_id: int) -> None:
        self.client = Redis.from_url(url, decode_responses=True)
        self.pubsub = self.client.pubsub()
        self.channel = NAMESPACE.channel(pubsub.alerts_channel(org_id))

    async def __aenter__(self) -> Listener:
        await self.pubsub.subscribe(self.channel)
        await self.pubsub.get_message(timeout=5)  # the subscribe confirmation
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.pubsub.aclose()
        await self.client.aclose()

    async def events(self, count: int) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        while len(got) < count:
            message = await asyncio.wait_for(self.pubsub.get_message(timeout=5), 6)
            assert message is not None, f"only {len(got)} of {count} events arrived"
            if message["type"] == "message":
                got.append(json.loads(message["data"]))
        return got

    async def silent(self) -> bool:
        message = await self.pubsub.get_message(timeout=0.2)
        return message is None


def _ctx(pool: asyncpg.Pool, redis: Redis, clock: Clock) -> dict[str, Any]:
    return {"db": pool, "redis": redis, "clock": clock, "namespace": NAMESPACE}


async def test_the_relay_publishes_each_event_in_id_order_and_marks_it(
    system_pool: asyncpg.Pool, redis: Redis, redis_server: PrivateRedis, org_id: int, clock: Clock
) -> None:
    [customer] = await add_customers(system_pool, org_id)
    ids = await raise_alerts(
        system_pool,
        org_id,
        count=3,
        kind="SLA_FIRST_RESPONSE_BREACH",
        subject="Ticket",
        customer_id=customer,
        payload={"priority": "P0"},
    )
    relayed_before = REGISTRY.get_sample_value("wafi_relay_published_total") or 0.0
    async with Listener(redis_server.url, org_id) as listener:
        published = await alert_jobs.relay_outbox(
            _ctx(system_pool, redis, clock), now=T0 + timedelta(seconds=3)
        )
        events = await listener.events(3)
        assert published >= 3
        # /metrics counts what the relay published (README: Metrics).
        relayed = REGISTRY.get_sample_value("wafi_relay_published_total")
        assert relayed == relayed_before + published
        assert [event["id"] for event in events] == ids
        assert events[0] == {
            "id": ids[0],
            "kind": "SLA_FIRST_RESPONSE_BREACH",
            "subject": "Ticket",
            "subjectId": 1,
            "occurrence": "o1",
            "customerId": customer,
            "forRole": "owner",
            # Stored: the priority; published whole (store.alert_shape).
            "payload": {
                "ticketId": 1,
                "clock": "first_response",
                "dueAt": "o1",
                "priority": "P0",
                "n": 1,
            },
            "createdAt": events[0]["createdAt"],
            "deployment": NAMESPACE.prefix,
            "orgId": org_id,
        }
        assert alerts.from_event(events[0]).created_at == T0
        async with system_pool.acquire() as conn:
            mark = await conn.fetchrow(
                "SELECT published_through, published_at FROM alert_relay_marks WHERE org_id = $1",
                org_id,
            )
        assert mark is not None
        assert tuple(mark) == (ids[-1], T0 + timedelta(seconds=3))
        assert await unpublished(system_pool, org_id) == 0
        # Running it again publishes nothing new for this organisation.
        await alert_jobs.relay_outbox(_ctx(system_pool, redis, clock))
        assert await listener.silent()


async def test_two_relays_at_once_publish_each_event_exactly_once(
    system_pool: asyncpg.Pool,
    redis: Redis,
    redis_server: PrivateRedis,
    org_id: int,
    clock: Clock,
    database_url: str,
) -> None:
    count = outbox.BATCH * 2 + 100
    ids = await raise_alerts(system_pool, org_id, count=count)
    pool = await engine.create_system_pool(database_url, size=4)
    try:
        async with Listener(redis_server.url, org_id) as listener:
            await asyncio.gather(
                alert_jobs.relay_outbox(_ctx(pool, redis, clock)),
                alert_jobs.relay_outbox(_ctx(pool, redis, clock)),
                alert_jobs.relay_outbox(_ctx(pool, redis, clock)),
            )
            events = await listener.events(count)
            assert sorted(event["id"] for event in events) == ids
            assert await listener.silent()
    finally:
        await pool.close()
    assert await unpublished(system_pool, org_id) == 0


async def test_a_failed_publish_leaves_the_events_for_the_next_relay(
    system_pool: asyncpg.Pool, redis: Redis, redis_server: PrivateRedis, org_id: int, clock: Clock
) -> None:
    ids = await raise_alerts(system_pool, org_id, count=2)
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(RedisConnectionError):
            await alert_jobs.relay_outbox(_ctx(system_pool, dead, clock))
    finally:
        await dead.aclose()
    assert await unpublished(system_pool, org_id) == 2
    async with Listener(redis_server.url, org_id) as listener:
        await alert_jobs.relay_outbox(_ctx(system_pool, redis, clock))
        assert [event["id"] for event in await listener.events(2)] == ids


# After commit: a mutation's transaction enqueues the relay by job name, deduplicated.


@pytest.fixture
async def context(
    settings: engine.Settings, queue: ArqRedis, org_id: int, clock: Clock
) -> AsyncIterator[Context]:
    assert settings.database_url
    pool = await engine.create_read_pool(settings.database_url, size=2)
    write = engine.create_write_engine(settings.database_url, size=2)
    resources = Resources(
        settings=settings,
        pool=pool,
        sessions=engine.sessions(write),
        queue=queue,
        clock=clock,
        namespace=NAMESPACE,
    )
    yield Context(
        resources=resources,
        principal=Principal(org_id=org_id, operator_id=1, role=Role.OWNER),
        now=clock(),
    )
    await write.dispose()
    await pool.close()


async def _raise(session: Any, org_id: int, customer_id: int) -> int | None:
    """An at-risk alert on `customer_id`, a real customer of `org_id`."""
    return await alerts.raise_alert(
        session,
        org_id=org_id,
        kind="AT_RISK",
        subject="Customer",
        subject_id=customer_id,
        occurrence="high",
        customer_id=customer_id,
        for_role="owner",
        payload={"severity": "high"},
        now=T0,
    )


async def _queued(redis: Redis) -> list[str]:
    return sorted(item.decode() for item in await redis.zrange(NAMESPACE.queue, 0, -1))


async def test_a_transaction_that_raised_an_alert_enqueues_the_relay_after_commit(
    context: Context, redis: Redis, org_id: int, system_pool: asyncpg.Pool
) -> None:
    one, two, three = await add_customers(system_pool, org_id, 3)
    async with context.transaction() as session:
        alert_id = await _raise(session, org_id, one)
        assert alert_id is not None
        assert await _queued(redis) == []  # not before the commit
    assert await _queued(redis) == [f"{NAMESPACE.prefix}:relay_outbox"]
    async with system_pool.acquire() as conn:
        row = await conn.fetchrow("SELECT id FROM alerts WHERE org_id = $1", org_id)
    assert row is not None
    assert row["id"] == alert_id
    assert await unpublished(system_pool, org_id) == 1
    # A second commit while that job waits queues one follow-up, then nothing more.
    async with context.transaction() as session:
        await _raise(session, org_id, two)
    async with context.transaction() as session:
        await _raise(session, org_id, three)
    assert await _queued(redis) == [
        f"{NAMESPACE.prefix}:relay_outbox",
        f"{NAMESPACE.prefix}:relay_outbox:again",
    ]


async def test_a_repeated_occurrence_writes_nothing_and_enqueues_nothing(
    context: Context, redis: Redis, org_id: int, system_pool: asyncpg.Pool
) -> None:
    [customer] = await add_customers(system_pool, org_id)
    async with context.transaction() as session:
        first = await _raise(session, org_id, customer)
    await redis.flushdb()
    async with context.transaction() as session:
        assert await _raise(session, org_id, customer) is None
    assert first is not None
    assert await _queued(redis) == []
    async with system_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM alerts WHERE org_id = $1", org_id) == 1
    assert await unpublished(system_pool, org_id) == 1


async def test_a_rolled_back_transaction_stores_nothing_and_enqueues_nothing(
    context: Context, redis: Redis, org_id: int, system_pool: asyncpg.Pool
) -> None:
    ran: list[str] = []
    [customer] = await add_customers(system_pool, org_id)

    async def refused() -> None:
        async with context.transaction() as session:
            await _raise(session, org_id, customer)
            context.on_commit(lambda: ran.append("after"))
            raise DomainError("id", ErrorCode.CONFLICT, Msg.CUSTOMER_CHANGED, current=2, expected=1)

    with pytest.raises(DomainError):
        await refused()
    assert ran == []
    assert context.after_commit == []
    assert await _queued(redis) == []
    async with system_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM alerts WHERE org_id = $1", org_id) == 0


async def test_after_commit_work_runs_once_and_a_failing_one_does_not_undo_the_commit(
    context: Context, redis: Redis, org_id: int
) -> None:
    ran: list[str] = []

    async def boom() -> None:
        raise RuntimeError("Redis went away")

    async with context.transaction():
        context.on_commit(boom)
        context.on_commit(lambda: ran.append("second"))
        context.enqueue_relay()
        context.enqueue_relay()
    assert ran == ["second"]
    assert await _queued(redis) == [NAMESPACE.job_id(outbox.RELAY_JOB)]


async def test_an_unreachable_queue_is_logged_not_raised(org_id: int) -> None:
    class Down:
        async def enqueue_job(self, *args: Any, **kwargs: Any) -> None:
            raise RedisConnectionError("down")

    assert await outbox.enqueue_relay(Down(), NAMESPACE) is False


# The worker


async def test_the_worker_relays_after_any_other_job(
    system_pool: asyncpg.Pool,
    queue: ArqRedis,
    redis_server: PrivateRedis,
    settings: engine.Settings,
    org_id: int,
    clock: Clock,
) -> None:
    ids = await raise_alerts(system_pool, org_id, count=2)

    async def some_scan(ctx: dict[str, Any]) -> str:
        return "scanned"

    worker = Worker(
        functions=[func(some_scan, name="some_scan"), *jobs_worker.FUNCTIONS[:1]],
        redis_pool=queue,
        queue_name=NAMESPACE.queue,
        on_startup=jobs_worker.startup,
        on_shutdown=jobs_worker.shutdown,
        after_job_end=alert_jobs.relay_after_job,
        # Not burst: a burst worker may find its queue empty after `some_scan` and stop before
        # the hook has queued the relay. This one runs until the events have arrived.
        poll_delay=0.05,
        handle_signals=False,
        ctx={"settings": replace(settings, redis_url=redis_server.url), "clock": clock},
    )
    async with Listener(redis_server.url, org_id) as listener:
        await queue.enqueue_job("some_scan")
        running = asyncio.create_task(worker.main())
        try:
            assert [event["id"] for event in await listener.events(2)] == ids
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            await worker.close()


def test_the_worker_runs_every_scan_as_a_unique_cron_job_and_the_relay_sweep() -> None:
    crons = {job.name: job for job in jobs_worker.CRON_JOBS}
    functions = {getattr(f, "name", getattr(f, "__name__", "")) for f in jobs_worker.FUNCTIONS}
    assert "cron:relay_outbox" in crons
    assert outbox.RELAY_JOB in functions
    scans = sorted(name for name in functions if name.startswith("scan_"))
    assert scans, "no scans registered"
    for name in scans:
        assert crons[f"cron:{name}"].unique is True
    assert all(job.unique for job in crons.values())
    assert jobs_worker.WorkerSettings.after_job_end is alert_jobs.relay_after_job


def test_a_deployments_cron_jobs_are_named_in_its_namespace() -> None:
    # arq makes each tick's job id from the name: another deployment's worker on the same Redis
    # database takes a tick id of its own, not ours.
    names = [job.name for job in jobs_worker.cron_jobs(namespaces.Namespace("wafi-a"))]
    assert names == [
        "cron:wafi-a:relay_outbox",
        "cron:wafi-a:scan_incident_updates",
        "cron:wafi-a:scan_pdpl_deadlines",
        "cron:wafi-a:scan_sla_breaches",
        "cron:wafi-a:snapshot_health",
        "cron:wafi-a:scan_customers",
        "cron:wafi-a:scan_sequences",
        "cron:wafi-a:scan_cs_reviews",
        "cron:wafi-a:scan_playbooks",
        "cron:wafi-a:deliver_webhooks",
    ]
    assert [job.unique for job in jobs_worker.cron_jobs(namespaces.Namespace("wafi-a"))] == [
        True
    ] * 10


async def test_without_a_queue_the_commit_stands_and_the_alert_waits_for_the_sweep(
    context: Context, redis: Redis, org_id: int, system_pool: asyncpg.Pool
) -> None:
    # `wafi demo` runs the mutations with PostgreSQL alone.
    [customer] = await add_customers(system_pool, org_id)
    context.resources = replace(context.resources, queue=None)
    async with context.transaction() as session:
        assert await _raise(session, org_id, customer) is not None
    assert context.after_commit == []
    assert await _queued(redis) == []
    assert await unpublished(system_pool, org_id) == 1
