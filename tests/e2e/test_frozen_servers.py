"""A frozen server (SIGSTOP: it accepts connections and never answers) makes Wafi fail fast, not
hang: /readyz answers 503 naming it within its probe timeout, a request ends with an error
within the statement timeout, a Redis call within the Redis timeout.

Only servers this module starts are frozen: a PostgreSQL in a temporary folder and a private
redis-server, each found by its own pid file or port."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]
import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.store import embedded, engine, migrate, orgs
from schema.app import create_app
from schema.context import Resources
from tests.factories import T0
from tests.live import PrivateRedis, private_redis, until, uvicorn_server

STATEMENT_TIMEOUT_S = 1.0
REDIS_TIMEOUT_S = 1.0
READY_TIMEOUT_S = 2.0
QUERY = "{ customers(first: 1) { edges { node { id } } } }"


@dataclass
class PrivatePostgres:
    url: str
    pgdata: Path

    def processes(self) -> list[psutil.Process]:
        """The postmaster of this data folder and its children (backends, checkpointer...)."""
        pid = int((self.pgdata / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        return [postmaster, *postmaster.children(recursive=True)]


@contextlib.contextmanager
def frozen(processes: list[psutil.Process]) -> Iterator[None]:
    """SIGSTOP the processes for the block, SIGCONT after (whatever happens)."""
    for process in processes:
        process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGCONT)


def redis_processes(server: PrivateRedis) -> list[psutil.Process]:
    """The redis-server this test process started on its private port (a child of ours)."""
    found = [
        process
        for process in psutil.Process().children(recursive=True)
        if "redis-server" in process.name() and f":{server.port}" in " ".join(process.cmdline())
    ]
    assert len(found) == 1, found
    return found


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    with (
        tempfile.TemporaryDirectory(prefix="wafi-frozen-") as folder,
        embedded.postgres_server(Path(folder)) as url,
    ):
        migrate.upgrade(url)
        yield PrivatePostgres(url, Path(folder).resolve() / "pg")


@pytest.fixture(scope="module")
def redis_server() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@dataclass
class Api:
    url: str
    client: httpx.AsyncClient
    token: str
    resources: Resources

    async def query(self) -> httpx.Response:
        return await self.client.post(
            "/graphql",
            json={"query": QUERY},
            headers={"authorization": f"Bearer {self.token}"},
        )


@pytest.fixture
async def api(
    settings: engine.Settings, postgres: PrivatePostgres, redis_server: PrivateRedis
) -> AsyncIterator[Api]:
    private = replace(
        settings,
        database_url=postgres.url,
        redis_url=redis_server.url,
        statement_timeout_s=STATEMENT_TIMEOUT_S,
        redis_timeout_s=REDIS_TIMEOUT_S,
        ready_timeout_s=READY_TIMEOUT_S,
    )
    pool = await engine.create_system_pool(postgres.url, size=1)
    try:
        async with pool.acquire() as conn:
            _, token = await orgs.create_organisation(
                conn, slug=f"frozen-{time.monotonic_ns()}", name="F", owner_name="O", now=T0
            )
    finally:
        await pool.close()
    app = create_app(private)
    async with (
        uvicorn_server(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        api = Api(url, client, token, app.state.resources)
        ready = await client.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"postgres": "ok", "redis": "ok"})
        assert (await api.query()).status_code == 200
        yield api
        await until(lambda: _ready(client), within=30, what="ready again after the thaw")


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def _timed(call: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await asyncio.wait_for(call, 20)  # 20 s: a hang fails the test, not the run
    return response, time.monotonic() - started


async def test_a_frozen_postgresql_is_answered_not_waited_for(
    api: Api, postgres: PrivatePostgres
) -> None:
    # The write path (SQLAlchemy over asyncpg), warmed up so a pooled connection is waiting.
    write = engine.create_write_engine(postgres.url, size=1, timeout=STATEMENT_TIMEOUT_S)
    sessions = engine.sessions(write)
    async with engine.transaction(sessions, None) as session:
        assert (await session.execute(text("SELECT 1"))).scalar() == 1
    try:
        with frozen(postgres.processes()):
            await _frozen_postgres_checks(api, sessions)
    finally:
        await asyncio.wait_for(write.dispose(), 30)


async def _frozen_postgres_checks(api: Api, sessions: async_sessionmaker[AsyncSession]) -> None:
    started = time.monotonic()
    with pytest.raises((TimeoutError, DBAPIError)):
        async with engine.transaction(sessions, None) as session:
            await session.execute(text("SELECT 1"))
    assert time.monotonic() - started < 2 * STATEMENT_TIMEOUT_S + 1.0
    ready, took = await _timed(api.client.get("/readyz"))
    assert (ready.status_code, ready.json()) == (
        503,
        {"postgres": "TimeoutError", "redis": "ok"},
    )
    assert took < READY_TIMEOUT_S + 0.5, took
    response, took = await _timed(api.query())
    # The statement gives up after the timeout; cancelling it on a server that does not
    # answer takes one more before the connection is dropped.
    assert took < 2 * STATEMENT_TIMEOUT_S + 1.0, took
    # Answered like an outage: 503, the JSON error shape, a hint when to retry.
    assert response.status_code == 503, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["retry-after"] == "5"


async def test_a_frozen_redis_is_answered_not_waited_for(
    api: Api, redis_server: PrivateRedis
) -> None:
    queue = api.resources.queue
    assert queue is not None
    with frozen(redis_processes(redis_server)):
        ready, took = await _timed(api.client.get("/readyz"))
        assert (ready.status_code, ready.json()) == (
            503,
            {"postgres": "ok", "redis": "TimeoutError"},
        )
        assert took < READY_TIMEOUT_S + 0.5, took
        # The queue's calls (enqueueing, the rate limits' counters) fail within the timeout.
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError):
            await asyncio.wait_for(queue.incr("wafi-frozen-probe"), 20)
        assert time.monotonic() - started < REDIS_TIMEOUT_S + 0.5
        # Queries do not need Redis: they go on answering.
        response = await api.query()
        assert response.status_code == 200
        assert response.json()["data"] == {"customers": {"edges": []}}
