"""Real PostgreSQL and Redis for every test: the machine's (WAFI_TEST_DATABASE_URL /
WAFI_TEST_REDIS_URL) or embedded ones started for the run. Each run gets a database of its own;
each test gets a fresh organisation, so tests are isolated by the same tenancy the product uses.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from resolvers.store import embedded, engine, migrate
from tests.factories import Clock, Org, make_org
from tests.live import NAMESPACE
from tests.scratch import with_database

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture(scope="session")
def server_urls() -> Iterator[tuple[str, str]]:
    """(admin database URL, redis URL) of real servers."""
    database_url = os.environ.get("WAFI_TEST_DATABASE_URL")
    redis_url = os.environ.get("WAFI_TEST_REDIS_URL")
    with ExitStack() as stack:
        if not database_url or not redis_url:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wafi-test-")))
            if not database_url:
                database_url = stack.enter_context(embedded.postgres_server(folder))
            if not redis_url:
                redis_url = stack.enter_context(embedded.redis_server(folder / "redis"))
        yield database_url, redis_url


@pytest.fixture(scope="session")
async def database_url(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    """A database made for this run and migrated to head; dropped at the end."""
    admin_url = server_urls[0]
    name = f"wafi_test_{secrets.token_hex(4)}"
    admin = await _admin_connection(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = with_database(admin_url, name)
        await asyncio.to_thread(migrate.upgrade, url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _admin_connection(url: str) -> asyncpg.Connection:
    """The maintenance connection each run creates its database from. When it cannot be made
    (a database name that does not exist, a server that is down), end the whole run at once
    with one line, instead of one error per test."""
    try:
        return await asyncpg.connect(engine.asyncpg_dsn(url), timeout=10)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        reason = engine.without_secrets(f"{type(error).__name__}: {error}")
        pytest.exit(
            f"WAFI_TEST_DATABASE_URL: cannot connect ({reason}). It names an existing "
            "database the tests create their own database from (unset it to use an "
            "embedded server).",
            returncode=1,
        )


@pytest.fixture(scope="session")
def settings(database_url: str, server_urls: tuple[str, str]) -> engine.Settings:
    return replace(
        engine.Settings.from_env(),
        database_url=database_url,
        redis_url=server_urls[1],
        dev=True,
        pool_size=5,
        redis_prefix=NAMESPACE.prefix,
    )


@pytest.fixture(scope="session")
async def system_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """The connecting role, outside RLS: for arranging and inspecting, never for the product."""
    pool = await engine.create_system_pool(database_url, size=3)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def _reset_clock(clock: Clock) -> None:
    clock.reset()


@pytest.fixture(scope="session")
async def app(settings: engine.Settings, clock: Clock) -> AsyncIterator[Any]:
    from schema.app import create_app

    application = create_app(settings, clock=clock)
    async with LifespanManager(application) as manager:
        yield manager.app


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    # The suite reads the English texts; tests/api/test_language.py covers Arabic, the default.
    async with httpx.AsyncClient(
        transport=transport, base_url="http://wafi.test", headers=ENGLISH
    ) as http:
        yield http


@pytest.fixture
async def org(system_pool: asyncpg.Pool, client: httpx.AsyncClient, clock: Clock) -> Org:
    """A fresh organisation with an owner token."""
    return await make_org(system_pool, client, clock)


@pytest.fixture
async def other_org(system_pool: asyncpg.Pool, client: httpx.AsyncClient, clock: Clock) -> Org:
    return await make_org(system_pool, client, clock)
