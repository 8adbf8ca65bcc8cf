"""The API tests' shared live stack: a real uvicorn in the test's loop, on a Redis of the
module's own, for the graphql-transport-ws tests (`tests.live.Live`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import asyncpg
import httpx
import pytest

from resolvers.store import engine
from schema.app import create_app
from tests.conftest import ENGLISH
from tests.factories import Clock, Org, make_org
from tests.live import Live, PrivateRedis, private_redis, uvicorn_server


@pytest.fixture(scope="module")
def redis_server() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@pytest.fixture(scope="module")
async def live(
    settings: engine.Settings, clock: Clock, redis_server: PrivateRedis, system_pool: asyncpg.Pool
) -> AsyncIterator[Live]:
    app = create_app(replace(settings, redis_url=redis_server.url), clock=clock)
    async with (
        uvicorn_server(app) as url,
        httpx.AsyncClient(base_url=url, headers=ENGLISH) as client,
    ):
        yield Live(app, url, client, redis_server, system_pool, clock)


@pytest.fixture
async def tenant(live: Live) -> Org:
    return await make_org(live.pool, live.client, live.clock)
