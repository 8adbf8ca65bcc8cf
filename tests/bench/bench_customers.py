"""customers(first: 50) through Wafi against a bare Starlette + asyncpg route with the same JSON.

Run: .venv/bin/python -m tests.bench.bench_customers
Uses the PostgreSQL at WAFI_BENCH_DATABASE_URL (default: the machine's, database `test`) to make a
scratch database, and Redis at WAFI_BENCH_REDIS_URL. Prints req/s for both at 1 and 8 clients
(median of 3 runs each), their ratio, and SQL statements per request.

Scale-out: .venv/bin/python -m tests.bench.bench_customers --scale-out [--clients 16]
[--rounds 3] [--seconds 3] starts two `wafi serve --no-worker` processes (the `wafi` command, as
an operator runs them) on the scratch database and that Redis, and measures the same query with
all clients on one process and with the clients dealt round-robin over both, in rotated rounds.
Prints each round, the medians, server CPU per request and the two-to-one ratio (at most about
2x on a 2-core machine, where PostgreSQL and this load generator share the cores).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain import text
from resolvers.store import engine, orgs
from tests.bench import harness

DB = "wafi_bench_customers"
QUERY = (
    "{ customers(first: 50) { edges { cursor node { id version name locale bundle stage "
    "contactEmail lastActivityAt subscription { status startedAt renewsAt } } } "
    "pageInfo { hasNextPage endCursor } } }"
)


def _gid(kind: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{pk}".encode()).decode()


def bare_app() -> Starlette:
    """What a hand-written service would do: one query, build the JSON, no GraphQL."""
    url = os.environ["WAFI_DATABASE_URL"]
    org_id = int(os.environ["BENCH_ORG_ID"])
    state: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(engine.asyncpg_dsn(url), min_size=1, max_size=10)
        yield
        await state["pool"].close()

    async def customers(request: Request) -> Response:
        await request.body()
        async with state["pool"].acquire() as conn:
            rows = await conn.fetch(
                "SELECT id, version, name, locale, bundle, stage, contact_email, last_activity_at, "
                "subscription_status, subscription_started_at, renews_at FROM customers "
                "WHERE org_id = $1 AND archived_at IS NULL ORDER BY id LIMIT 51",
                org_id,
            )
        edges = [
            {
                "cursor": base64.urlsafe_b64encode(f"c:{r['id']}".encode()).decode(),
                "node": {
                    "id": _gid("Customer", r["id"]),
                    "version": r["version"],
                    "name": r["name"],
                    "locale": r["locale"].upper(),
                    "bundle": r["bundle"].upper(),
                    "stage": r["stage"].upper(),
                    "contactEmail": r["contact_email"],
                    "lastActivityAt": r["last_activity_at"].isoformat()
                    if r["last_activity_at"]
                    else None,
                    "subscription": {
                        "status": r["subscription_status"].upper(),
                        "startedAt": r["subscription_started_at"].isoformat(),
                        "renewsAt": r["renews_at"].isoformat() if r["renews_at"] else None,
                    },
                },
            }
            for r in rows[:50]
        ]
        body = {
            "data": {
                "customers": {
                    "edges": edges,
                    "pageInfo": {
                        "hasNextPage": len(rows) > 50,
                        "endCursor": edges[-1]["cursor"] if edges else None,
                    },
                }
            }
        }
        return Response(json.dumps(body), media_type="application/json")

    return Starlette(routes=[Route("/graphql", customers, methods=["POST"])], lifespan=lifespan)


def wafi_app() -> Starlette:
    from schema.app import create_app

    return create_app(engine.Settings.from_env())


async def seed(url: str) -> tuple[int, str]:
    conn = await asyncpg.connect(engine.asyncpg_dsn(url))
    try:
        now = datetime.now(UTC)
        org, token = await orgs.create_organisation(
            conn, slug="bench", name="Bench", owner_name="Owner", now=now
        )
        for index in range(60):
            name = f"شركة رقم {index}" if index % 2 else f"Customer {index}"
            await conn.execute(
                "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
                "subscription_status, subscription_started_at, renews_at, contact_email, "
                "last_activity_at, created_at, updated_at) "
                "VALUES ($1,$2,$3,'ar','growth_starter','adoption','active',$4,$5,$6,$4,$4,$4)",
                org.id,
                name,
                text.search_key(name),
                now - timedelta(days=index),
                now + timedelta(days=300),
                f"c{index}@example.com",
            )
        return org.id, token
    finally:
        await conn.close()


async def queries_per_request(url: str, token: str) -> int:
    from schema.app import create_app

    settings = replace(engine.Settings.from_env(), database_url=url, redis_url=harness.REDIS_URL)
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {token}"}
            await client.post("/graphql", json={"query": QUERY}, headers=headers)
            before = engine.READ_QUERIES.count
            await client.post("/graphql", json={"query": QUERY}, headers=headers)
            return engine.READ_QUERIES.count - before


async def main() -> None:
    url = await harness.fresh_database(DB)
    try:
        org_id, token = await seed(url)
        env = {
            "WAFI_DATABASE_URL": url,
            "WAFI_REDIS_URL": harness.REDIS_URL,
            "BENCH_ORG_ID": str(org_id),
        }
        headers = {"Authorization": f"Bearer {token}"}
        results: dict[tuple[str, int], float] = {}
        bodies: dict[str, bytes] = {}
        with (
            harness.uvicorn_server("tests.bench.bench_customers:wafi_app", env) as wafi_port,
            harness.uvicorn_server("tests.bench.bench_customers:bare_app", env) as bare_port,
        ):
            for clients in (1, 8):
                runs: dict[str, list[float]] = {"wafi": [], "bare": []}
                for _ in range(3):
                    for name, port in (("wafi", wafi_port), ("bare", bare_port)):
                        rate, body = await harness.load(
                            port,
                            "/graphql",
                            {"query": QUERY},
                            headers,
                            clients=clients,
                            seconds=3,
                        )
                        runs[name].append(rate)
                        bodies[name] = body
                for name in runs:
                    results[(name, clients)] = harness.median(runs[name])
        same = json.loads(bodies["wafi"]) == json.loads(bodies["bare"])
        count = await queries_per_request(url, token)
        print(f"customers(first: 50), median of 3 x 3 s runs; identical JSON: {same}")
        for clients in (1, 8):
            wafi, bare = results[("wafi", clients)], results[("bare", clients)]
            print(
                f"  {clients} client(s): wafi {wafi:8.1f} req/s | bare {bare:8.1f} req/s "
                f"| ratio {wafi / bare:.3f}"
            )
        print(f"  SQL statements per Wafi request (read pool): {count}; bare route: 1")
    finally:
        await harness.drop_database(DB)


@contextmanager
def wafi_serve(env: dict[str, str]) -> Iterator[tuple[int, int]]:
    """`wafi serve --no-worker` on a free port, started by the `wafi` command; (port, pid) once
    its /readyz answers 200."""
    wafi = Path(sys.executable).with_name("wafi")
    command = [str(wafi)] if wafi.exists() else [sys.executable, "-m", "schema.cli"]
    port = harness.free_port()
    process = subprocess.Popen(
        [*command, "serve", "--no-worker", "--port", str(port)],
        cwd=harness.ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"wafi serve exited with {process.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("wafi serve did not answer /readyz within 120 s")
            time.sleep(0.2)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class CpuMeter:
    """CPU seconds used between `start` and `stop` by the API processes, the PostgreSQL
    backends connected to the scratch database, and this process (the load generator)."""

    def __init__(self, api_pids: list[int], url: str) -> None:
        self.api_pids = api_pids
        self.url = url
        self._before: dict[str, float] = {}
        self._backends: dict[int, float] = {}

    async def _backend_pids(self) -> list[int]:
        conn = await asyncpg.connect(engine.asyncpg_dsn(self.url))
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                DB,
            )
        finally:
            await conn.close()
        return [row["pid"] for row in rows]

    @staticmethod
    def _cpu(pid: int) -> float:
        try:
            return harness.process_cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            return 0.0  # a connection closed meanwhile

    async def start(self) -> None:
        self._backends = {pid: self._cpu(pid) for pid in await self._backend_pids()}
        self._before = {
            "api": sum(self._cpu(pid) for pid in self.api_pids),
            "load": time.process_time(),
        }

    async def stop(self) -> dict[str, float]:
        api = sum(self._cpu(pid) for pid in self.api_pids) - self._before["api"]
        load = time.process_time() - self._before["load"]
        postgres = sum(
            self._cpu(pid) - self._backends.get(pid, 0.0) for pid in await self._backend_pids()
        )
        return {"api": api, "postgres": postgres, "load": load}


async def scale_out(clients: int, rounds: int, seconds: float) -> None:
    """One `wafi serve` process against two, from one run, in rotated rounds."""
    url = await harness.fresh_database(DB)
    try:
        _, token = await seed(url)
        env = {
            "WAFI_DATABASE_URL": url,
            "WAFI_REDIS_URL": harness.REDIS_URL,
            # One token drives all the load: its cost budget must not be what is measured.
            "WAFI_RATE_LIMIT_POINTS": str(10**12),
        }
        headers = {"Authorization": f"Bearer {token}"}
        payload: dict[str, object] = {"query": QUERY}
        load_before = _load_average()
        setups = ("one process", "two processes")
        rates: dict[str, list[float]] = {name: [] for name in setups}
        # CPU ms per request, by component, per round
        cpu: dict[str, dict[str, list[float]]] = {
            name: {"api": [], "postgres": [], "load": []} for name in setups
        }
        with wafi_serve(env) as (first, first_pid), wafi_serve(env) as (second, second_pid):
            ports = {"one process": [first], "two processes": [first, second]}
            meter = CpuMeter([first_pid, second_pid], url)
            async with httpx.AsyncClient(timeout=30) as client:
                answer = await client.post(
                    f"http://127.0.0.1:{first}/graphql", json=payload, headers=headers
                )
            expected = answer.json()
            assert "errors" not in expected, expected
            # Warm both (plan caches, pools) before anything is counted.
            await harness.load_across(
                [first, second], "/graphql", payload, headers, clients=clients, seconds=1
            )
            for index in range(rounds):
                order = setups if index % 2 == 0 else setups[::-1]
                shown = []
                for name in order:
                    await meter.start()
                    rate, body = await harness.load_across(
                        ports[name], "/graphql", payload, headers, clients=clients, seconds=seconds
                    )
                    used = await meter.stop()
                    got = json.loads(body)
                    if "errors" in got or got["data"] != expected["data"]:
                        raise SystemExit(f"{name}: a different answer: {body[:300]!r}")
                    rates[name].append(rate)
                    for part, spent in used.items():
                        cpu[name][part].append(spent / (rate * seconds) * 1000)
                    shown.append(f"{name} {rate:7.1f} req/s")
                print(f"  round {index + 1}: " + " | ".join(shown))
        one, two = (harness.median(rates[name]) for name in setups)
        print(
            f"customers(first: 50) through `wafi serve --no-worker`, {clients} clients, "
            f"{rounds} rotated rounds of {seconds:g} s, medians (load average before "
            f"{load_before}, after {_load_average()}; {os.cpu_count()} cores):"
        )
        for name in setups:
            parts = ", ".join(
                f"{part} {harness.median(values):.2f}" for part, values in cpu[name].items()
            )
            print(
                f"  {name:<13}: {harness.median(rates[name]):8.1f} req/s; CPU ms per request: "
                f"{parts}"
            )
        print(f"  two processes / one process: {two / one:.2f}x")
    finally:
        await harness.drop_database(DB)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="one `wafi serve` process against two (clients dealt round-robin over both)",
    )
    parser.add_argument("--clients", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--rounds", type=int, default=3, help="rotated rounds")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each run")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = _arguments()
    if arguments.scale_out:
        asyncio.run(scale_out(arguments.clients, arguments.rounds, arguments.seconds))
    else:
        asyncio.run(main())
