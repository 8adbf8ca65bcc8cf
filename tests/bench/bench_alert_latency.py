"""Alert latency, commit → client, with 1, 100 and 1,000 subscribers on one API process.

Run on demand (never collected by pytest):

    WAFI_BENCH_DATABASE_URL=postgresql://user@host:5432/postgres \
        python -m tests.bench.bench_alert_latency [--subscribers 1 100 1000] [--rounds 30]

It creates a database of its own (dropped at the end) and a private redis-server, and starts
two processes the way production runs them: `wafi serve --no-worker` (one API process) and
`wafi worker`. This process holds the WebSocket clients (graphql-transport-ws, one `alerts`
subscription each, all in one organisation). Each round commits one alert with its outbox row,
then enqueues the relay exactly as a mutation does after its commit; the clock starts when the
commit returns and stops when each client has the `next` message. Reported: p50 / p99 / max
over rounds × subscribers, in milliseconds. Rounds are sequential (one alert in flight).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import secrets
import statistics
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
from httpx_ws import aconnect_ws

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


class Subscriber:
    def __init__(self) -> None:
        self.arrivals: dict[int, float] = {}
        self.ready = asyncio.Event()
        self.got = asyncio.Event()

    async def run(
        self, url: str, token: str, client: httpx.AsyncClient, stop: asyncio.Event
    ) -> None:
        ws: Any
        async with aconnect_ws(
            url, client, subprotocols=["graphql-transport-ws"], keepalive_ping_interval_seconds=None
        ) as ws:
            await ws.send_text(json.dumps({"type": "connection_init", "payload": {"token": token}}))
            assert json.loads(await ws.receive_text())["type"] == "connection_ack"
            await ws.send_text(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY}})
            )
            self.ready.set()
            receiving = asyncio.ensure_future(self._receive(ws))
            await stop.wait()
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await receiving

    async def _receive(self, ws: object) -> None:
        while True:
            message = json.loads(await ws.receive_text())  # type: ignore[attr-defined]
            at = time.perf_counter()
            if message.get("type") == "next":
                pk = _pk(message["payload"]["data"]["alerts"]["id"])
                self.arrivals[pk] = at
                self.got.set()
            elif message.get("type") == "ping":
                await ws.send_text(json.dumps({"type": "pong"}))  # type: ignore[attr-defined]


def _pk(global_id: str) -> int:
    import base64

    return int(base64.urlsafe_b64decode(global_id).decode().split(":")[1])


async def measure(
    count: int,
    rounds: int,
    *,
    ws_url: str,
    token: str,
    org_id: int,
    pool: asyncpg.Pool,
    queue: tuple[object, namespaces.Namespace],
    redis_url: str,
) -> list[float]:
    stop = asyncio.Event()
    subscribers = [Subscriber() for _ in range(count)]
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        tasks = [asyncio.ensure_future(s.run(ws_url, token, client, stop)) for s in subscribers]
        await asyncio.gather(*(s.ready.wait() for s in subscribers))
        await _wait_subscribed(pool, redis_url, org_id, subscribers, queue)
        samples: list[float] = []
        for _ in range(rounds):
            # Alerts come when they come: a random pause keeps the rounds from falling in step
            # with the worker's queue polling (which would fix every sample at one phase).
            await asyncio.sleep(random.uniform(0.05, 0.25))
            for s in subscribers:
                s.got.clear()
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
                await asyncio.wait_for(asyncio.gather(*(s.got.wait() for s in subscribers)), 20)
            except TimeoutError:
                missing = sum(not s.got.is_set() for s in subscribers)
                raise RuntimeError(f"alert {alert_id} reached {count - missing}/{count}") from None
            samples += [(s.arrivals[alert_id] - committed) * 1000 for s in subscribers]
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return samples


async def _wait_subscribed(
    pool: asyncpg.Pool,
    redis_url: str,
    org_id: int,
    subscribers: list[Subscriber],
    queue: tuple[object, namespaces.Namespace],
) -> None:
    """Warm-up alerts until every client has one: every subscription is then live."""
    for _ in range(200):
        for s in subscribers:
            s.got.clear()
        async with pool.acquire() as conn:
            await alerts.insert_from_select(
                conn, select_sql=_CANDIDATE, args=(org_id, next(_SUBJECTS)), now=datetime.now(UTC)
            )
        await outbox.enqueue_relay(*queue)
        try:
            await asyncio.wait_for(asyncio.gather(*(s.got.wait() for s in subscribers)), 2)
            return
        except TimeoutError:
            continue
    raise RuntimeError("subscribers never all went live")


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
                        f"{'subscribers':>11} {'samples':>8} {'p50 ms':>8} {'p99 ms':>8} "
                        f"{'max ms':>8}"
                    )
                    for count in args.subscribers:
                        samples = await measure(
                            count,
                            args.rounds,
                            ws_url=f"ws://127.0.0.1:{port}/graphql",
                            token=token,
                            org_id=org.id,
                            pool=pool,
                            queue=(queue, namespace),
                            redis_url=redis_url,
                        )
                        print(
                            f"{count:>11} {len(samples):>8} "
                            f"{statistics.median(samples):>8.1f} "
                            f"{percentile(samples, 99):>8.1f} {max(samples):>8.1f}"
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
