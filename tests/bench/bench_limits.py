"""The request limits under attack: a doubling-fragment document and a 150-alias costly query.

Run: .venv/bin/python -m tests.bench.bench_limits [LEVELS ...]
Uses the PostgreSQL at WAFI_BENCH_DATABASE_URL to make a scratch database and Redis at
WAFI_BENCH_REDIS_URL. Everything runs in this process (the app through httpx's ASGI transport).
Prints, per fragment depth, the time to answer the document of `LEVELS` fragments each spreading
the next twice (default 16 18 21 40; at ~21 and more, code with an exponential depth rule stalls
for seconds to hours); then the time, response size and `extensions.cost` of 150 aliases of
`customers(first: 100) { … health atRisk healthHistory(days: 366) }` with a viewer token.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from asgi_lifespan import LifespanManager

from domain import text
from domain.roles import Role
from resolvers.store import engine, orgs
from tests.bench import harness

DB = "wafi_bench_limits"
RUNS = 5
# Through a fragment, so that 150 aliases fit in the 2,000-token limit.
PAGE = (
    "fragment Page on CustomerConnection { edges { node { id name health { value band } "
    "atRisk { score severity } healthHistory(days: 366) { day value } } } }"
)


def fragment_document(levels: int, run: int = 0) -> str:
    """`query { ...F0 }` and F0..F{levels-1}, each spreading the next twice; the last is a leaf.
    `run` names the operation, so that no parser or validation cache answers a repeat."""
    parts = [f"query Q{levels}_{run} {{ ...F0 }}"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels - 1)]
    parts.append(f"fragment F{levels - 1} on Query {{ __typename }}")
    return " ".join(parts)


def alias_query(count: int) -> str:
    aliases = " ".join(f"a{i}: customers(first: 100) {{ ...Page }}" for i in range(count))
    return "{ " + aliases + " } " + PAGE


async def seed(url: str) -> str:
    """100 customers; a viewer token."""
    conn = await asyncpg.connect(engine.asyncpg_dsn(url))
    try:
        now = datetime.now(UTC)
        org, _ = await orgs.create_organisation(
            conn, slug="bench", name="Bench", owner_name="Owner", now=now
        )
        for index in range(100):
            name = f"شركة رقم {index}"
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
        token = await orgs.create_token(conn, slug="bench", role=Role.VIEWER, name="v", now=now)
        assert token is not None
        return token
    finally:
        await conn.close()


async def timed(client: httpx.AsyncClient, token: str, query: str) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    response = await client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    return time.perf_counter() - start, response


async def main(levels: list[int]) -> None:
    from schema.app import create_app

    url = await harness.fresh_database(DB)
    try:
        token = await seed(url)
        settings = replace(
            engine.Settings.from_env(), database_url=url, redis_url=harness.REDIS_URL, dev=False
        )
        app = create_app(settings)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await timed(client, token, "{ __typename }")  # warm-up: first-request costs
                for level in levels:
                    times = []
                    for run in range(RUNS):
                        document = fragment_document(level, run)
                        seconds, response = await timed(client, token, document)
                        times.append(seconds)
                    errors = response.json().get("errors") or [{}]
                    code = errors[0].get("extensions", {}).get("code") or errors[0].get("message")
                    median_ms = harness.median(times) * 1000
                    print(
                        f"fragments x{level:<3} ({len(document)} bytes): median of {RUNS} "
                        f"{median_ms:9.1f} ms  HTTP {response.status_code}  {code}"
                    )
                query = alias_query(150)
                seconds, response = await timed(client, token, query)
                body = response.json()
                errors = body.get("errors") or [{}]
                print(
                    f"150 aliases ({len(query)} bytes): {seconds * 1000:9.1f} ms, "
                    f"HTTP {response.status_code}, {len(response.content):,} bytes answered, "
                    f"code {errors[0].get('extensions', {}).get('code')}, "
                    f"cost {json.dumps(body.get('extensions', {}).get('cost'))}"
                )
    finally:
        await harness.drop_database(DB)


if __name__ == "__main__":
    asyncio.run(main([int(arg) for arg in sys.argv[1:]] or [16, 18, 21, 40]))
