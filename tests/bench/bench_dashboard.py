"""The dashboard read (50 customers × 5 tickets) through Wafi against a hand-written Starlette +
asyncpg route on the same tables, in rotated rounds.

Run: .venv/bin/python -m tests.bench.bench_dashboard [rounds] [seconds] [clients] [--against DIR]
(defaults 3 rounds of 2 s at 8 clients: the machine may be shared). Uses the PostgreSQL at
WAFI_BENCH_DATABASE_URL to make a scratch database, and Redis at WAFI_BENCH_REDIS_URL. Prints
the median req/s of each, their ratio, the CPU per request of the server and of PostgreSQL's
backends (when PostgreSQL runs on this host) and SQL statements per request, for the plain
dashboard (the compiled read path, docs/architecture.md#compiled-read-path) and the rich one
with health, at-risk and SLA clocks (compiled, its computed fields written in Python), each
also on the executor (the same query with a directive, which is never compiled) in the same
rounds. With `--against DIR` (a checkout of an older Wafi, e.g. `git worktree add DIR <commit>`,
whose dependencies this environment has), that Wafi serves both dashboards on the same database
in the same rounds too, and the ratios against it are printed: "before and after" from one run.
The older code reads the newer schema (migrations only add), through an app factory kept
outside its checkout.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain import sla, text, tickets
from resolvers.store import engine, orgs
from tests.bench import harness

DB = f"wafi_bench_dashboard_{os.getpid()}"  # concurrent runs never share one
DASHBOARD = (
    "{ customers(first: 50) { edges { node { id name stage tickets(first: 5) { edges { node "
    "{ id priority firstResponseDueAt } } } } } } }"
)
# The same answer on the executor: a directive is not compiled.
EXECUTOR = DASHBOARD.replace("{ id name stage", "{ id @include(if: true) name stage")
RICH = (
    "{ customers(first: 50) { edges { node { id name stage health { value band } "
    "atRisk { score severity } tickets(first: 5) { edges { node { id priority "
    "firstResponseDueAt sla { breached firstResponse { state } resolution { state } } } } } } } "
    "} }"
)
RICH_EXECUTOR = RICH.replace("{ id name stage", "{ id @include(if: true) name stage")


def _b64(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


def bare_app() -> Starlette:
    """What a hand-written service would do for the plain dashboard: two queries, build JSON."""
    url = os.environ["WAFI_DATABASE_URL"]
    org_id = int(os.environ["BENCH_ORG_ID"])
    state: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(engine.asyncpg_dsn(url), min_size=1, max_size=10)
        yield
        await state["pool"].close()

    async def dashboard(request: Request) -> Response:
        await request.body()
        async with state["pool"].acquire() as conn:
            customers = await conn.fetch(
                "SELECT id, name, stage FROM customers WHERE org_id = $1 AND archived_at IS NULL "
                "ORDER BY id LIMIT 50",
                org_id,
            )
            tickets = await conn.fetch(
                "SELECT t.customer_id, t.id, t.priority, t.first_response_due_at "
                "FROM unnest($2::bigint[]) AS c(id) CROSS JOIN LATERAL (SELECT customer_id, id, "
                "priority, first_response_due_at FROM tickets WHERE org_id = $1 AND "
                "customer_id = c.id ORDER BY id DESC LIMIT 5) t",
                org_id,
                [r["id"] for r in customers],
            )
        by_customer: dict[int, list[dict[str, Any]]] = {r["id"]: [] for r in customers}
        for t in tickets:
            by_customer[t["customer_id"]].append(
                {
                    "node": {
                        "id": _b64(f"Ticket:{t['id']}"),
                        "priority": t["priority"],
                        "firstResponseDueAt": t["first_response_due_at"].isoformat(),
                    }
                }
            )
        edges = [
            {
                "node": {
                    "id": _b64(f"Customer:{r['id']}"),
                    "name": r["name"],
                    "stage": r["stage"].upper(),
                    "tickets": {"edges": by_customer[r["id"]]},
                }
            }
            for r in customers
        ]
        body = {"data": {"customers": {"edges": edges}}}
        return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")

    return Starlette(routes=[Route("/graphql", dashboard, methods=["POST"])], lifespan=lifespan)


def wafi_app() -> Starlette:
    from schema.app import create_app

    return create_app(engine.Settings.from_env())


# The factory another checkout is served through (`--against`): its `create_app` from its own
# environment settings, which every Wafi since the first one has.
_OTHER_FACTORY = """
from resolvers.store import engine
from schema.app import create_app


def app():
    return create_app(engine.Settings.from_env())
"""


async def seed(url: str) -> tuple[int, str]:
    conn = await asyncpg.connect(engine.asyncpg_dsn(url))
    try:
        now = datetime.now(UTC)
        org, token = await orgs.create_organisation(
            conn, slug="bench", name="Bench", owner_name="Owner", now=now
        )
        for index in range(50):
            name = f"شركة رقم {index}" if index % 2 else f"Customer {index}"
            customer_id = await conn.fetchval(
                "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
                "subscription_status, subscription_started_at, renews_at, contact_email, "
                "last_activity_at, created_at, updated_at) "
                "VALUES ($1,$2,$3,'ar','growth_starter','adoption','active',$4,$5,$6,$4,$4,$4) "
                "RETURNING id",
                org.id,
                name,
                text.search_key(name),
                now - timedelta(days=index),
                now + timedelta(days=300),
                f"c{index}@example.com",
            )
            for number in range(5):
                opened = now - timedelta(hours=number * 7 + index, microseconds=number)
                due = sla.due_times(tickets.Priority.P2, opened)  # stored as the mutations do
                await conn.execute(
                    "INSERT INTO tickets (org_id, customer_id, subject, body, channel, priority, "
                    "classified_priority, reason_ar, status, opened_at, first_response_due_at, "
                    "resolution_due_at, created_at, updated_at) VALUES ($1, $2, $3, '', 'email', "
                    "'P2', 'P2', 'عادي', 'open', $4, $5, $6, $4, $4)",
                    org.id,
                    customer_id,
                    f"طلب {number}",
                    opened,
                    due.first_response_due_at,
                    due.resolution_due_at,
                )
        # Statistics now, as autovacuum would gather them within the minute (mid-run otherwise).
        await conn.execute("ANALYZE")
        return org.id, token
    finally:
        await conn.close()


async def in_process(url: str, token: str, query: str) -> tuple[int, str, dict[str, Any]]:
    """SQL statements per request, the path taken (development mode) and the answer's data."""
    from schema.app import create_app

    settings = replace(
        engine.Settings.from_env(), database_url=url, redis_url=harness.REDIS_URL, dev=True
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {token}"}
            await client.post("/graphql", json={"query": query}, headers=headers)
            before = engine.READ_QUERIES.count
            body = (await client.post("/graphql", json={"query": query}, headers=headers)).json()
            count = engine.READ_QUERIES.count - before
    return count, body["extensions"]["plan"], body["data"]


async def rounds(
    targets: dict[str, tuple[int, str]], headers: dict[str, str], args: tuple[int, float, int]
) -> dict[str, tuple[float, float, float]]:
    """Median req/s, server CPU ms and PostgreSQL CPU ms per request of each (port, query), in
    rotated rounds."""
    count, seconds, clients = args
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in targets}
    names = list(targets)
    for number in range(count):
        for name in names[number % len(names) :] + names[: number % len(names)]:  # rotated
            port, query = targets[name]
            database = await harness.postgres_cpu_seconds(DB)
            before, start = harness.cpu_seconds(port), time.monotonic()
            rate, _ = await harness.load(
                port, "/graphql", {"query": query}, headers, clients=clients, seconds=seconds
            )
            requests = rate * (time.monotonic() - start)  # the last ones end after `seconds`
            server = (harness.cpu_seconds(port) - before) * 1000 / requests
            used = harness.cpu_between(database, await harness.postgres_cpu_seconds(DB))
            runs[name].append((rate, server, used * 1000 / requests))
    return {
        name: tuple(harness.median([run[i] for run in runs[name]]) for i in range(3))  # type: ignore[misc]
        for name in names
    }


def _rate(measured: tuple[float, float, float]) -> str:
    return f"{measured[0]:7.1f} req/s ({measured[1]:5.1f} + {measured[2]:4.1f} ms"


async def main(args: tuple[int, float, int], against: Path | None) -> None:
    url = await harness.fresh_database(DB)
    shim = tempfile.TemporaryDirectory(prefix="wafi-bench-")
    (Path(shim.name) / "other_wafi_factory.py").write_text(_OTHER_FACTORY)
    try:
        org_id, token = await seed(url)
        env = {
            "WAFI_DATABASE_URL": url,
            "WAFI_REDIS_URL": harness.REDIS_URL,
            "BENCH_ORG_ID": str(org_id),
            "WAFI_RATE_LIMIT_POINTS": "100000000",
        }
        headers = {"Authorization": f"Bearer {token}"}
        with contextlib.ExitStack() as servers:
            wafi_port = servers.enter_context(
                harness.uvicorn_server("tests.bench.bench_dashboard:wafi_app", env)
            )
            bare_port = servers.enter_context(
                harness.uvicorn_server("tests.bench.bench_dashboard:bare_app", env)
            )
            plain_targets = {
                "wafi": (wafi_port, DASHBOARD),
                "bare": (bare_port, DASHBOARD),
                "executor": (wafi_port, EXECUTOR),
            }
            rich_targets = {"compiled": (wafi_port, RICH), "executor": (wafi_port, RICH_EXECUTOR)}
            other_body: dict[str, Any] = {}
            if against is not None:
                other_port = servers.enter_context(
                    harness.uvicorn_server(
                        "other_wafi_factory:app", env, root=against, extra_path=Path(shim.name)
                    )
                )
                plain_targets["other"] = (other_port, DASHBOARD)
                rich_targets["other"] = (other_port, RICH)
                for name, query in (("plain", DASHBOARD), ("rich", RICH)):
                    _, body = await harness.load(
                        other_port, "/graphql", {"query": query}, headers, clients=1, seconds=0.2
                    )
                    other_body[name] = json.loads(body).get("data")
            plain = await rounds(plain_targets, headers, args)
            rich = await rounds(rich_targets, headers, args)
            _, bare_body = await harness.load(
                bare_port, "/graphql", {"query": DASHBOARD}, headers, clients=1, seconds=0.2
            )
        plain_count, plain_path, plain_data = await in_process(url, token, DASHBOARD)
        executor_count, executor_path, executor_data = await in_process(url, token, EXECUTOR)
        rich_count, rich_path, rich_data = await in_process(url, token, RICH)
        slow_count, slow_path, slow_data = await in_process(url, token, RICH_EXECUTOR)
        same = plain_data == json.loads(bare_body)["data"] == executor_data
        print(
            f"dashboard 50 customers x 5 tickets; median of {args[0]} rotated rounds of "
            f"{args[1]:g} s at {args[2]} clients; same data (compiled, executor, bare): {same}; "
            f"rich (compiled, executor): {rich_data == slow_data}"
        )
        print(
            "  req/s (CPU ms per request: server + PostgreSQL, SQL statements per request, "
            "path); the ratio is of req/s"
        )
        print(
            f"  plain: wafi {_rate(plain['wafi'])}, {plain_count}, {plain_path}) | bare "
            f"{_rate(plain['bare'])}, 2) | ratio {plain['wafi'][0] / plain['bare'][0]:.2f}"
        )
        print(
            f"  plain on the executor: wafi {_rate(plain['executor'])}, {executor_count}, "
            f"{executor_path}) | ratio {plain['executor'][0] / plain['bare'][0]:.2f}"
        )
        print(
            f"  rich (health, atRisk, SLA clocks): wafi {_rate(rich['compiled'])}, {rich_count}, "
            f"{rich_path}) | on the executor {_rate(rich['executor'])}, {slow_count}, "
            f"{slow_path}) | ratio {rich['compiled'][0] / rich['executor'][0]:.2f}"
        )
        if against is not None:
            print(
                f"  the other checkout ({against.name}), same rounds; same data: plain "
                f"{other_body['plain'] == plain_data}, rich {other_body['rich'] == rich_data}"
            )
            print(
                f"  plain: other {_rate(plain['other'])}) | wafi / other "
                f"{plain['wafi'][0] / plain['other'][0]:.2f} | other / bare "
                f"{plain['other'][0] / plain['bare'][0]:.2f}"
            )
            print(
                f"  rich: other {_rate(rich['other'])}) | wafi compiled / other "
                f"{rich['compiled'][0] / rich['other'][0]:.2f} | wafi executor / other "
                f"{rich['executor'][0] / rich['other'][0]:.2f}"
            )
    finally:
        shim.cleanup()
        await harness.drop_database(DB)


if __name__ == "__main__":
    words = sys.argv[1:]
    other: Path | None = None
    if "--against" in words:
        at = words.index("--against")
        other = Path(words[at + 1]).resolve()
        del words[at : at + 2]
        if not (other / "schema" / "app.py").is_file():
            sys.exit(f"--against: {other} is not a Wafi checkout")
    asyncio.run(
        main(
            (
                int(words[0]) if words else 3,
                float(words[1]) if len(words) > 1 else 2.0,
                int(words[2]) if len(words) > 2 else 8,
            ),
            other,
        )
    )
