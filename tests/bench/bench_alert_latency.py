"""Alert latency, commit → client, with 1, 100 and 1,000 subscribers on one API process.

Run on demand (never collected by pytest):

    WAFI_BENCH_DATABASE_URL=postgresql://user@host:5432/postgres \
        python -m tests.bench.bench_alert_latency [--subscribers 1 100 1000] [--rounds 30] \
        [--per-round]

It creates a database of its own (dropped at the end) and a private redis-server, and starts
two processes the way production runs them: `wafi serve --no-worker` (one API process) and
`wafi worker`. This process holds the WebSocket clients (graphql-transport-ws, one `alerts`
subscription each, all in one organisation, all with the same document: one render group).
Each round commits one alert, then enqueues the relay exactly as a mutation does
after its commit; the clock starts when the commit returns and stops when each client's
socket has delivered the `next` message's bytes. Reported: p50 / p95 / p99 / max over rounds ×
subscribers, in milliseconds; the spread of a round (its last client's time less its first's:
the fan-out itself, without the relay before it), median and max over rounds; the machine's
load. Rounds are sequential (one alert in flight).

The clients are a minimal WebSocket client on asyncio's Protocol (the time is taken when the
bytes arrive, before anything is parsed): a full client library costs hundreds of microseconds
a message, and with 1,000 sockets in one process the harness, not the server, would set the
tail.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import os
import random
import secrets
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from resolvers.store import alerts, embedded, engine, namespaces, orgs, outbox
from tests.bench import harness

QUERY = "subscription { alerts { id } }"
_SUBJECTS = itertools.count(1)  # one alert per subject: every round's alert is a new one
_CANDIDATE = (
    "SELECT $2::bigint AS org_id, 'AT_RISK'::text AS kind, 'Customer'::text AS subject, "
    "$3::bigint AS subject_id, 'bench'::text AS occurrence, NULL::bigint AS customer_id, "
    "'owner'::text AS for_role, '{}'::jsonb AS payload"
)


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            args, cwd=harness.ROOT, env={**os.environ, **env}, stdout=out, stderr=out
        )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wafi(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("wafi")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "schema.cli", *args]


async def wait_http(port: int) -> None:
    async with httpx.AsyncClient() as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("the API did not start")


class WsClient(asyncio.Protocol):
    """One graphql-transport-ws connection: the HTTP upgrade, unmasked server frames (text,
    ping, close), masked client frames; `next` messages are timed as their bytes arrive."""

    def __init__(self, subscriber: Subscriber) -> None:
        self.subscriber = subscriber
        self.transport: asyncio.Transport | None = None
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError("closed during the upgrade"))

    def data_received(self, data: bytes) -> None:
        at = time.perf_counter()
        buffer = self._buffer
        buffer += data
        if not self.upgraded.done():
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[: buffer.find(b"\r\n")])
            del buffer[: end + 4]
            if b" 101 " not in status:
                self.upgraded.set_exception(ConnectionError(status.decode(errors="replace")))
                return
            self.upgraded.set_result(None)
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                (length,) = struct.unpack_from("!H", buffer, 2)
                start = 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                (length,) = struct.unpack_from("!Q", buffer, 2)
                start = 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            if opcode == 0x1:
                self.subscriber.on_text(payload, at, self)
            elif opcode == 0x9:
                self.send_frame(0xA, payload)  # pong
            elif opcode == 0x8 and self.transport is not None:
                self.transport.close()

    def send_frame(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(head + mask + masked)

    def send_json(self, message: dict[str, Any]) -> None:
        self.send_frame(0x1, json.dumps(message).encode())


async def connect(port: int) -> WsClient:
    loop = asyncio.get_running_loop()
    subscriber = Subscriber()
    _, client = await loop.create_connection(lambda: WsClient(subscriber), "127.0.0.1", port)
    assert client.transport is not None
    key = base64.b64encode(os.urandom(16)).decode()
    client.transport.write(
        (
            f"GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n"
            "Accept-Language: en\r\n\r\n"
        ).encode()
    )
    await asyncio.wait_for(client.upgraded, 30)
    return client


class Tally:
    """How many clients still wait for the round's alert: one event for all, no task each."""

    def __init__(self) -> None:
        self.waiting = 0
        self.done = asyncio.Event()

    def expect(self, count: int) -> None:
        self.waiting = count
        self.done.clear()

    def arrived(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.done.set()


TALLY: Tally | None = None


class Subscriber:
    def __init__(self) -> None:
        self.arrivals: dict[int, float] = {}
        self.acknowledged = asyncio.Event()
        self.got = False

    def on_text(self, payload: bytes, at: float, client: WsClient) -> None:
        message = json.loads(payload)
        kind = message.get("type")
        if kind == "next":
            self.arrivals[_pk(message["payload"]["data"]["alerts"]["id"])] = at
            if not self.got:
                self.got = True
                assert TALLY is not None
                TALLY.arrived()
        elif kind == "connection_ack":
            self.acknowledged.set()
        elif kind == "ping":
            client.send_json({"type": "pong"})
        elif kind in ("error", "complete"):
            raise RuntimeError(f"the subscription ended: {message}")

    @staticmethod
    async def start(port: int, token: str) -> tuple[Subscriber, WsClient]:
        client = await connect(port)
        subscriber = client.subscriber
        client.send_json({"type": "connection_init", "payload": {"token": token}})
        await asyncio.wait_for(subscriber.acknowledged.wait(), 30)
        client.send_json({"id": "1", "type": "subscribe", "payload": {"query": QUERY}})
        return subscriber, client


def _pk(global_id: str) -> int:
    return int(base64.urlsafe_b64decode(global_id).decode().split(":")[1])


async def measure(
    count: int,
    rounds: int,
    *,
    port: int,
    token: str,
    org_id: int,
    pool: asyncpg.Pool,
    queue: tuple[object, namespaces.Namespace],
    redis_url: str,
    per_round: bool = False,
) -> tuple[list[float], list[float]]:
    clients: list[WsClient] = []
    try:
        subscribers: list[Subscriber] = []
        for start in range(0, count, 50):  # connect in batches: a burst of 1,000 upgrades
            batch = await asyncio.gather(
                *(Subscriber.start(port, token) for _ in range(start, min(count, start + 50)))
            )
            subscribers += [s for s, _ in batch]
            clients += [c for _, c in batch]
        await _wait_subscribed(pool, redis_url, org_id, subscribers, queue)
        samples: list[float] = []
        spreads: list[float] = []
        for _ in range(rounds):
            # Alerts come when they come: a random pause keeps the rounds from falling in step
            # with the worker's queue polling (which would fix every sample at one phase).
            await asyncio.sleep(random.uniform(0.05, 0.25))
            _expect(subscribers)
            async with pool.acquire() as conn:
                subject = next(_SUBJECTS)
                await alerts.insert_from_select(
                    conn, select_sql=_CANDIDATE, args=(org_id, subject), now=datetime.now(UTC)
                )
                committed = time.perf_counter()  # autocommit: the statement has committed
                await outbox.enqueue_relay(*queue)
                alert_id = await conn.fetchval(
                    "SELECT max(id) FROM alerts WHERE org_id = $1", org_id
                )
            try:
                assert TALLY is not None
                await asyncio.wait_for(TALLY.done.wait(), 20)
            except TimeoutError:
                missing = sum(not s.got for s in subscribers)
                raise RuntimeError(f"alert {alert_id} reached {count - missing}/{count}") from None
            got = [(s.arrivals[alert_id] - committed) * 1000 for s in subscribers]
            if per_round:
                print(f"  round: first {min(got):.1f} ms, last {max(got):.1f} ms", file=sys.stderr)
            samples += got
            spreads.append(max(got) - min(got))
        return samples, spreads
    finally:
        for client in clients:
            if client.transport is not None:
                client.transport.close()


async def _wait_subscribed(
    pool: asyncpg.Pool,
    redis_url: str,
    org_id: int,
    subscribers: list[Subscriber],
    queue: tuple[object, namespaces.Namespace],
) -> None:
    """Warm-up alerts until every client has one: every subscription is then live."""
    for _ in range(200):
        _expect(subscribers)
        async with pool.acquire() as conn:
            await alerts.insert_from_select(
                conn, select_sql=_CANDIDATE, args=(org_id, next(_SUBJECTS)), now=datetime.now(UTC)
            )
        await outbox.enqueue_relay(*queue)
        try:
            assert TALLY is not None
            await asyncio.wait_for(TALLY.done.wait(), 2)
            return
        except TimeoutError:
            continue
    raise RuntimeError("subscribers never all went live")


def _expect(subscribers: list[Subscriber]) -> None:
    global TALLY
    if TALLY is None:
        TALLY = Tally()
    for s in subscribers:
        s.got = False
    TALLY.expect(len(subscribers))


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else ""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--per-round", action="store_true", help="each round's first and last client (stderr)"
    )
    args = parser.parse_args()
    name = f"wafi_bench_alerts_{secrets.token_hex(3)}"
    url = await harness.fresh_database(name)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="wafi-bench-") as folder,
            embedded.redis_server(Path(folder) / "redis") as redis_url,
        ):
            env = {"WAFI_DATABASE_URL": url, "WAFI_REDIS_URL": redis_url, "WAFI_ENV": "production"}
            port = harness.free_port()
            log = Path(os.environ.get("WAFI_BENCH_LOG") or Path(folder) / "processes.log")
            with (
                process(wafi("serve", "--no-worker", "--port", str(port)), env, log),
                process(wafi("worker"), env, log),
            ):
                await wait_http(port)
                pool = await engine.create_system_pool(url, size=2)
                # The processes derive the deployment's namespace from the database: so do we.
                namespace = await namespaces.resolve(None, url, wait_s=10)
                queue = namespaces.queue_pool(redis_url, namespace, timeout=5)
                try:
                    async with pool.acquire() as conn:
                        org, token = await orgs.create_organisation(
                            conn, slug="bench", name="Bench", owner_name="O", now=datetime.now(UTC)
                        )
                    print(
                        f"{'subscribers':>11} {'samples':>8} {'p50 ms':>8} {'p95 ms':>8} "
                        f"{'p99 ms':>8} {'max ms':>8} {'spread p50':>10} {'spread max':>10}  "
                        "load (1/5/15 min)"
                    )
                    for count in args.subscribers:
                        samples, spreads = await measure(
                            count,
                            args.rounds,
                            port=port,
                            token=token,
                            org_id=org.id,
                            pool=pool,
                            queue=(queue, namespace),
                            redis_url=redis_url,
                            per_round=args.per_round,
                        )
                        print(
                            f"{count:>11} {len(samples):>8} "
                            f"{statistics.median(samples):>8.1f} "
                            f"{percentile(samples, 95):>8.1f} "
                            f"{percentile(samples, 99):>8.1f} {max(samples):>8.1f} "
                            f"{statistics.median(spreads):>10.1f} {max(spreads):>10.1f}  "
                            + " ".join(f"{load:.2f}" for load in os.getloadavg())
                        )
                except BaseException:
                    print(_tail(log), file=sys.stderr)
                    raise
                finally:
                    await queue.aclose()
                    await pool.close()
    finally:
        await harness.drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
