"""customers(first: 50) through Wafi against a bare Starlette + asyncpg route with the same JSON.

Run: .venv/bin/python -m tests.bench.bench_customers
Uses the PostgreSQL at WAFI_BENCH_DATABASE_URL (default: the machine's, database `test`) to make a
scratch database, and Redis at WAFI_BENCH_REDIS_URL. Prints req/s for both at 1 and 8 clients
(median of 3 runs each), their ratio, and SQL statements per request.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

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


if __name__ == "__main__":
    asyncio.run(main())
