"""Webhook latency, commit → receiver, with 1 and 50 endpoints.

Run on demand (never collected by pytest):

    WAFI_BENCH_DATABASE_URL=postgresql://user@host:5432/postgres \
        python -m tests.bench.bench_webhook_latency [--endpoints 1 50] [--rounds 30]

It creates a database of its own (dropped at the end), a private redis-server and a real
`wafi worker` (WAFI_WEBHOOKS_ALLOW_PRIVATE=1); this process serves the receivers (one uvicorn,
one path per endpoint, answering 204). Each round commits one alert and
enqueues the relay as a mutation does after its commit; the clock starts when the commit
returns and stops when each endpoint has the message. Reported: p50 / p99 / max over rounds ×
endpoints, in milliseconds. Rounds are sequential.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resolvers.store import alerts, embedded, engine, namespaces, orgs, outbox
from tests.bench import harness
from tests.bench.bench_alert_latency import percentile, process, wafi
from tests.live import uvicorn_server

_SUBJECTS = itertools.count(1)
_CANDIDATE = (
    "SELECT $2::bigint AS org_id, 'AT_RISK'::text AS kind, 'Customer'::text AS subject, "
    "$3::bigint AS subject_id, 'bench'::text AS occurrence, NULL::bigint AS customer_id, "
    "'owner'::text AS for_role, '{}'::jsonb AS payload"
)


class Receivers:
    """Arrival time of each message id at each endpoint path."""

    def __init__(self) -> None:
        self.arrivals: dict[tuple[str, str], float] = {}
        self.changed = asyncio.Event()

    async def handle(self, request: Request) -> Response:
        await request.body()
        key = (request.path_params["n"], request.headers["webhook-id"])
        self.arrivals.setdefault(key, time.perf_counter())
        self.changed.set()
        return Response(status_code=204)

    async def wait_all(self, paths: list[str], message_id: str, within: float) -> None:
        deadline = time.monotonic() + within
        while not all((p, message_id) in self.arrivals for p in paths):
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                got = sum((p, message_id) in self.arrivals for p in paths)
                raise RuntimeError(f"{message_id} reached {got}/{len(paths)} endpoints")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)


async def run(args: argparse.Namespace) -> None:
    name = f"wafi_bench_webhooks_{secrets.token_hex(3)}"
    url = await harness.fresh_database(name)
    receivers = Receivers()
    app = Starlette(routes=[Route("/hook/{n}", receivers.handle, methods=["POST"])])
    try:
        with (
            tempfile.TemporaryDirectory(prefix="wafi-bench-") as folder,
            embedded.redis_server(Path(folder) / "redis") as redis_url,
        ):
            env = {
                "WAFI_DATABASE_URL": url,
                "WAFI_REDIS_URL": redis_url,
                "WAFI_WEBHOOKS_ALLOW_PRIVATE": "1",
            }
            log = Path(os.environ.get("WAFI_BENCH_LOG") or Path(folder) / "worker.log")
            async with uvicorn_server(app) as base:
                with process(wafi("worker"), env, log):
                    await measure_all(args, url, redis_url, base, receivers)
    finally:
        await harness.drop_database(name)


async def measure_all(
    args: argparse.Namespace, url: str, redis_url: str, base: str, receivers: Receivers
) -> None:
    pool = await engine.create_system_pool(url, size=2)
    # The worker derives the deployment's namespace from the database: so do we.
    namespace = await namespaces.resolve(None, url, wait_s=10)
    queue = namespaces.queue_pool(redis_url, namespace, timeout=5)
    try:
        print(f"{'endpoints':>9} {'samples':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for count in args.endpoints:
            async with pool.acquire() as conn:
                org, _ = await orgs.create_organisation(
                    conn,
                    slug=f"bench-{count}",
                    name="Bench",
                    owner_name="O",
                    now=datetime.now(UTC),
                )
                paths = [f"{count}-{i}" for i in range(count)]
                for path in paths:
                    await conn.execute(
                        "INSERT INTO webhook_endpoints (org_id, url, secret, created_at) "
                        "VALUES ($1, $2, $3, now())",
                        org.id,
                        f"{base}/hook/{path}",
                        "whsec_" + "A" * 32,
                    )
            samples = await rounds(args.rounds, pool, (queue, namespace), org.id, paths, receivers)
            print(
                f"{count:>9} {len(samples):>8} {statistics.median(samples):>8.1f} "
                f"{percentile(samples, 99):>8.1f} {max(samples):>8.1f}"
            )
    finally:
        await queue.aclose()
        await pool.close()


async def rounds(
    count: int, pool: Any, queue: Any, org_id: int, paths: list[str], receivers: Receivers
) -> list[float]:
    samples: list[float] = []
    for index in range(count + 1):  # the first round warms the worker up and is not counted
        await asyncio.sleep(random.uniform(0.05, 0.25))
        async with pool.acquire() as conn:
            await alerts.insert_from_select(
                conn, select_sql=_CANDIDATE, args=(org_id, next(_SUBJECTS)), now=datetime.now(UTC)
            )
            committed = time.perf_counter()
            await outbox.enqueue_relay(*queue)
            alert_id = await conn.fetchval("SELECT max(id) FROM alerts WHERE org_id = $1", org_id)
        message_id = f"msg_alert_{alert_id}"
        await receivers.wait_all(paths, message_id, within=30)
        if index:
            samples += [(receivers.arrivals[(p, message_id)] - committed) * 1000 for p in paths]
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
