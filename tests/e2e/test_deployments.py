"""Two Wafi deployments (two databases) on ONE Redis server and Redis database, each run the way
`wafi serve` runs (API + in-process worker): neither hears the other's alerts, though both have
an organisation with the same id (Redis pub/sub ignores the database number)."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from asgi_lifespan import LifespanManager

from resolvers.store import engine, migrate, orgs, pubsub
from schema.app import create_app
from schema.cli import in_process_worker
from tests.factories import T0, Clock, raise_alerts
from tests.live import WAIT_S, PrivateRedis, numsub, private_redis


@pytest.fixture(scope="module")
def shared_redis() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@pytest.fixture(scope="module")
async def second_database(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    """Another deployment's database on the same PostgreSQL server, migrated to head."""
    from tests.scratch import with_database

    admin_url = server_urls[0]
    name = f"wafi_test_{secrets.token_hex(4)}_b"
    admin = await asyncpg.connect(engine.asyncpg_dsn(admin_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = with_database(admin_url, name)
        await asyncio.to_thread(migrate.upgrade, url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def second_pool(second_database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await engine.create_system_pool(second_database, size=2)
    yield pool
    await pool.close()


def _settings(database_url: str, redis_url: str) -> engine.Settings:
    """As a deployment configures itself: from the environment, with no WAFI_REDIS_PREFIX."""
    return replace(
        engine.Settings.from_env(),
        database_url=database_url,
        redis_url=redis_url,
        dev=True,
        pool_size=2,
    )


async def _organisation(pool: asyncpg.Pool, *, org_id: int | None = None) -> int:
    async with pool.acquire() as conn:
        if org_id is not None:  # the next organisation gets exactly this id
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence('organisations', 'id'), $1, false)", org_id
            )
        org, _ = await orgs.create_organisation(
            conn, slug=f"dep-{secrets.token_hex(5)}", name="D", owner_name="O", now=T0
        )
    return org.id


async def _next(feed: pubsub.Feed) -> Any:
    return await asyncio.wait_for(feed.next(), WAIT_S)


async def test_two_deployments_on_one_redis_server_never_hear_each_others_alerts(
    database_url: str,
    second_database: str,
    system_pool: asyncpg.Pool,
    second_pool: asyncpg.Pool,
    shared_redis: PrivateRedis,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WAFI_REDIS_PREFIX", raising=False)
    org_id = await _organisation(system_pool)
    assert await _organisation(second_pool, org_id=org_id) == org_id  # the same id in both
    first = _settings(database_url, shared_redis.url)
    second = _settings(second_database, shared_redis.url)
    app_a = create_app(first, clock=clock, worker=in_process_worker(first))
    app_b = create_app(second, clock=clock, worker=in_process_worker(second))
    channel = pubsub.alerts_channel(org_id)
    async with (
        LifespanManager(app_a, shutdown_timeout=15),
        LifespanManager(app_b, shutdown_timeout=15),
    ):
        hub_a: pubsub.Hub = app_a.state.resources.hub
        hub_b: pubsub.Hub = app_b.state.resources.hub
        async with hub_a.subscribe(channel) as feed_a, hub_b.subscribe(channel) as feed_b:
            await asyncio.wait_for(feed_a.ready(), WAIT_S)
            await asyncio.wait_for(feed_b.ready(), WAIT_S)
            # Each deployment's worker relays its own outbox (the sweep runs every 2 s).
            await raise_alerts(system_pool, org_id, first_subject_id=111)
            event = await _next(feed_a)
            assert (event["subjectId"], event["kind"]) == (111, "AT_RISK")
            await raise_alerts(second_pool, org_id, first_subject_id=222)
            event = await _next(feed_b)
            assert (event["subjectId"], event["kind"]) == (222, "AT_RISK")  # not A's 111
            # Nothing else arrives on either side, however long a sweep or two takes.
            await asyncio.sleep(2.5)
            assert (len(feed_a), len(feed_b)) == (0, 0)
        namespace_a = app_a.state.resources.namespace
        namespace_b = app_b.state.resources.namespace
    assert re.fullmatch(r"wafi-[0-9a-f]{16}", namespace_a.prefix)
    assert re.fullmatch(r"wafi-[0-9a-f]{16}", namespace_b.prefix)
    assert namespace_a != namespace_b
    # They never even shared a channel: neither hub dropped anything.
    assert (hub_a.dropped, hub_b.dropped) == (0, 0)


async def test_wafi_redis_prefix_names_the_deployment_in_redis(
    database_url: str, shared_redis: PrivateRedis, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAFI_REDIS_PREFIX", "acme-prod")
    settings = _settings(database_url, shared_redis.url)
    assert settings.redis_prefix == "acme-prod"
    app = create_app(settings, clock=clock)
    async with LifespanManager(app):
        hub: pubsub.Hub = app.state.resources.hub
        assert app.state.resources.queue.default_queue_name == "acme-prod:arq:queue"
        async with hub.subscribe(pubsub.alerts_channel(7)) as feed:
            await asyncio.wait_for(feed.ready(), WAIT_S)
            assert await numsub(shared_redis.url, "acme-prod:wafi:7:alerts") == 1
            assert await numsub(shared_redis.url, "wafi:7:alerts") == 0


@pytest.mark.parametrize("value", ["has space", "x" * 65, "semi;colon"])
def test_an_unusable_wafi_redis_prefix_is_refused_naming_the_variable(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAFI_REDIS_PREFIX", value)
    with pytest.raises(engine.SettingsError, match=r"^WAFI_REDIS_PREFIX must be 1 to 64 letters"):
        engine.Settings.from_env()
