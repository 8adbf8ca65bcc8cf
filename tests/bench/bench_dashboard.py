"""The dashboard read (50 customers × 5 tickets) through Wafi against a hand-written Starlette +
asyncpg route on the same tables, in rotated rounds.

Run: .venv/bin/python -m tests.bench.bench_dashboard [rounds] [seconds] [clients]
[--against DIR] (defaults 3 rounds of 2 s at 8 clients: the machine may be shared). Uses the
PostgreSQL at WAFI_BENCH_DATABASE_URL to make a scratch database, and Redis at
WAFI_BENCH_REDIS_URL. Prints the median req/s of each, the server's CPU per request, their
ratio, and SQL statements per request, for the plain dashboard (the compiled read path,
docs/architecture.md#compiled-read-path), the same on the executor, and the rich one with
health, at-risk and SLA clocks (the executor). With `--against DIR`, the Wafi of another
checkout at DIR (say `git worktree add ../before main`) is served from the same database and
measured in the same rotated rounds, so a change is measured before and after in one run.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, replace
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

DB = "wafi_bench_dashboard"
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
            await asyncio.sleep(0)  # asyncpg hands the logger each statement on the next turn
            count = engine.READ_QUERIES.count - before
    return count, body["extensions"].get("plan", "?"), body.get("data")


async def statements(
    url: str, token: str, query: str, root: Path
) -> tuple[int, str, dict[str, Any]]:
    """`in_process` with the code of the checkout `root`; asked again (at most twice) when a
    loaded machine made it fail (no data)."""
    for _ in range(2):
        found = await _statements(url, token, query, root)
        if found[2] is not None:
            return found
    return await _statements(url, token, query, root)


async def _statements(
    url: str, token: str, query: str, root: Path
) -> tuple[int, str, dict[str, Any]]:
    if root == harness.ROOT:
        return await in_process(url, token, query)
    code = (
        "import asyncio, json, sys\n"
        "from tests.bench.bench_dashboard import in_process\n"
        "print(json.dumps(asyncio.run(in_process(*sys.argv[1:]))))\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        url,
        token,
        query,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"counting in {root} failed:\n{err.decode()[-2000:]}")
    count, path, data = json.loads(out)
    return int(count), str(path), data


@dataclass(frozen=True, slots=True)
class Measured:
    rate: float  # requests per second, the median of the rounds
    cpu_ms: float  # the server's CPU (user + system) per request, the median of the rounds


async def rounds(
    ports: dict[str, int], query: str, headers: dict[str, str], args: tuple[int, float, int]
) -> dict[str, Measured]:
    count, seconds, clients = args
    rates: dict[str, list[float]] = {name: [] for name in ports}
    cpus: dict[str, list[float]] = {name: [] for name in ports}
    names = list(ports)
    for number in range(count):
        for name in names[number % len(names) :] + names[: number % len(names)]:  # rotated
            before = harness.cpu_seconds(ports[name])
            done, elapsed, _ = await harness.counted_load(
                [ports[name]],
                "/graphql",
                {"query": query},
                headers,
                clients=clients,
                seconds=seconds,
            )
            used = harness.cpu_seconds(ports[name]) - before
            rates[name].append(done / elapsed)
            cpus[name].append(used / max(done, 1) * 1000)
    return {
        name: Measured(harness.median(rates[name]), harness.median(cpus[name])) for name in names
    }


def _line(label: str, measured: Measured, how: str) -> str:
    return f"  {label:<30} {measured.rate:8.1f} req/s {measured.cpu_ms:7.2f} ms CPU/req  {how}"


async def main(args: tuple[int, float, int], against: Path | None) -> None:
    url = await harness.fresh_database(DB)
    try:
        org_id, token = await seed(url)
        env = {
            "WAFI_DATABASE_URL": url,
            "WAFI_REDIS_URL": harness.REDIS_URL,
            "BENCH_ORG_ID": str(org_id),
            "WAFI_RATE_LIMIT_POINTS": "100000000",
        }
        headers = {"Authorization": f"Bearer {token}"}
        # This checkout's Wafi and, with --against, another checkout's on the same database.
        roots = {"wafi": harness.ROOT} | ({} if against is None else {"other": against})
        load_before = os.getloadavg()
        with ExitStack() as servers:
            ports = {
                name: servers.enter_context(
                    harness.uvicorn_server("tests.bench.bench_dashboard:wafi_app", env, root=root)
                )
                for name, root in roots.items()
            }
            ports["bare"] = servers.enter_context(
                harness.uvicorn_server("tests.bench.bench_dashboard:bare_app", env)
            )
            wafis = {name: ports[name] for name in roots}
            plain = await rounds(ports, DASHBOARD, headers, args)
            executor = await rounds(wafis, EXECUTOR, headers, args)
            rich = await rounds(wafis, RICH, headers, args)
            _, bare_body = await harness.load(
                ports["bare"], "/graphql", {"query": DASHBOARD}, headers, clients=1, seconds=0.2
            )
        load_after = os.getloadavg()
        counted = {
            (name, label): await statements(url, token, query, root)
            for name, root in roots.items()
            for label, query in (("plain", DASHBOARD), ("executor", EXECUTOR), ("rich", RICH))
        }
        bare_data = json.loads(bare_body)["data"]
        same = all(counted[name, "plain"][2] == bare_data for name in roots) and all(
            counted[name, "executor"][2] == bare_data for name in roots
        )
        print(
            f"dashboard 50 customers x 5 tickets; median of {args[0]} rotated rounds of "
            f"{args[1]:g} s at {args[2]} clients; load average {load_before[0]:.2f} before, "
            f"{load_after[0]:.2f} after; same data (compiled, executor, bare): {same}"
        )
        if against is not None:
            print(f"  other: the checkout at {against}")

        def how(name: str, label: str) -> str:
            count, path, _ = counted[name, label]
            return f"{path}, {count} SQL statements per request"

        for name in roots:
            print(_line(f"plain {name}", plain[name], how(name, "plain")))
        print(_line("plain bare", plain["bare"], "2 SQL statements and the pool's reset"))
        for name in roots:
            print(f"  ratio plain {name} / bare: {plain[name].rate / plain['bare'].rate:.2f}")
        for label, key, measured in (
            ("plain on the executor", "executor", executor),
            ("rich", "rich", rich),
        ):
            for name in roots:
                print(_line(f"{label} {name}", measured[name], how(name, key)))
            if against is not None:
                print(
                    f"  ratio {label} wafi / other: "
                    f"{measured['wafi'].rate / measured['other'].rate:.2f}"
                )
        if against is not None:
            same_rich = counted["wafi", "rich"][2] == counted["other", "rich"][2]
            print(f"  same rich data (wafi, other): {same_rich}")
    finally:
        await harness.drop_database(DB)


if __name__ == "__main__":
    flags = sys.argv[1:]
    other = None
    if "--against" in flags:
        at = flags.index("--against")
        other = Path(flags[at + 1]).resolve()
        del flags[at : at + 2]
    asyncio.run(
        main(
            (
                int(flags[0]) if flags else 3,
                float(flags[1]) if len(flags) > 1 else 2.0,
                int(flags[2]) if len(flags) > 2 else 8,
            ),
            other,
        )
    )
