"""Helpers for the live-alert tests: a private Redis that can be restarted in place, waits with
timeouts (never sleeps on time-based rules), and a graphql-transport-ws client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from httpx_ws import aconnect_ws
from redis.asyncio import Redis

from domain.roles import Role
from jobs import alerts as alert_jobs
from resolvers.store import embedded, namespaces, pubsub
from tests.factories import Clock, Org

WAIT_S = 10.0
# The tests' Redis names (the session's settings carry its prefix): raw Redis clients in tests
# publish, subscribe and enqueue with it.
# One per test run: arq keeps job results (and so refuses their job ids) for an hour, and runs
# one after another may share a Redis server.
NAMESPACE = namespaces.Namespace(f"wafi-test-{secrets.token_hex(4)}")


class PrivateRedis:
    """A redis-server of the test's own (never the machine's shared one), restartable on its
    port so clients holding its URL reconnect to the new process."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._stack = contextlib.ExitStack()
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._stack.enter_context(embedded.redis_server(self._folder, port=self.port))

    def stop(self) -> None:
        self._stack.close()
        self._stack = contextlib.ExitStack()

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    with tempfile.TemporaryDirectory(prefix="wafi-redis-") as folder:
        server = PrivateRedis(Path(folder))
        server.start()
        try:
            yield server
        finally:
            server.stop()


class WafiProcess:
    """A `wafi` command (`serve`, `worker`) as its own OS process, started the way an operator
    starts it, with its output in a log file (printed when a test fails)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        wafi = Path(sys.executable).with_name("wafi")
        command = [str(wafi)] if wafi.exists() else [sys.executable, "-m", "schema.cli"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*command, *self.args], env=self.env, stdout=out, stderr=out
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no finally, the way a machine dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=WAIT_S)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def until(
    check: Callable[[], Awaitable[bool]], *, within: float = WAIT_S, what: str = ""
) -> None:
    """Poll `check` until it holds; fail after `within` seconds (a wait, not a clock)."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.02)


async def numsub(redis_url: str, channel: str) -> int:
    client = Redis.from_url(redis_url)
    try:
        [(_, count)] = await client.pubsub_numsub(channel)
        return int(count)
    finally:
        await client.aclose()


class WsClient:
    """graphql-transport-ws over an httpx_ws session."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._next_id = 0

    async def init(self, payload: dict[str, Any] | None) -> dict[str, Any]:
        await self.ws.send_text(json.dumps({"type": "connection_init", "payload": payload or {}}))
        return await self.receive()

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._next_id += 1
        op_id = str(self._next_id)
        await self.ws.send_text(
            json.dumps(
                {
                    "id": op_id,
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        return op_id

    async def receive(self, within: float = WAIT_S) -> dict[str, Any]:
        """The next message that is not a ping (answered)."""
        while True:
            text = await asyncio.wait_for(self.ws.receive_text(), within)
            message: dict[str, Any] = json.loads(text)
            if message.get("type") == "ping":
                await self.ws.send_text(json.dumps({"type": "pong"}))
                continue
            return message

    async def nothing_for(self, seconds: float) -> None:
        """Assert no message arrives for a short while (used only where silence is the point)."""
        try:
            message = await self.receive(within=seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message {message}")


@contextlib.asynccontextmanager
async def uvicorn_server(app: Any) -> AsyncIterator[str]:
    """A real uvicorn on a free port inside the test's loop; yields its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, ws="wsproto", lifespan="on", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await until(_started(server, task), what="uvicorn to start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, WAIT_S)


def _started(server: Any, task: asyncio.Task[None]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        if task.done():
            task.result()  # raise what stopped it
        return bool(server.started)

    return check


@dataclass
class Live:
    """The API of a test module, served by uvicorn, with its pool, clock and private Redis."""

    app: Any
    url: str
    client: httpx.AsyncClient
    redis: PrivateRedis
    pool: asyncpg.Pool
    clock: Clock

    @property
    def hub(self) -> pubsub.Hub:
        hub: pubsub.Hub = self.app.state.resources.hub
        return hub

    async def relay(self) -> int:
        """What the worker's relay job does, here in the test's loop."""
        redis = Redis.from_url(self.redis.url)
        try:
            return await alert_jobs.relay_outbox(
                {"db": self.pool, "redis": redis, "clock": self.clock, "namespace": NAMESPACE}
            )
        finally:
            await redis.aclose()

    async def listening(self, org: Org, count: int = 1) -> None:
        channel = pubsub.alerts_channel(org.id)

        async def ready() -> bool:
            return self.hub.subscribers(channel) == count

        await until(ready, what=f"{count} subscriber(s) on {channel}")

    @contextlib.asynccontextmanager
    async def socket(self, headers: dict[str, str] | None = None) -> AsyncIterator[WsClient]:
        ws: Any
        async with aconnect_ws(
            self.url.replace("http://", "ws://") + "/graphql",
            self.client,
            subprotocols=["graphql-transport-ws"],
            headers=dict(headers or {}),
        ) as ws:
            yield WsClient(ws)

    @contextlib.asynccontextmanager
    async def subscriber(self, org: Org, role: Role = Role.OWNER) -> AsyncIterator[WsClient]:
        token = await org.token_for(role)
        async with self.socket() as client:
            ack = await client.init({"authorization": f"Bearer {token}"})
            assert ack["type"] == "connection_ack"
            yield client
