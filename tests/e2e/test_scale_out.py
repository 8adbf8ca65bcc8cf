"""Scale-out, end to end: two `wafi serve --no-worker` processes and two `wafi worker`s, started
by the `wafi` command as an operator starts them, on one PostgreSQL database and one Redis.
Subscribers on both API processes get every alert of an SLA scan exactly once; the two workers
neither flag a ticket twice nor publish an alert twice, even with a dozen scans racing; and a
worker killed mid-scan with an API process killed under its subscriber lose and double nothing
(docs/operations.md#scaling-out).

The module has a database of its own: the workers scan on the real clock, so they must see only
this module's tickets (and the tests' frozen clock is not theirs)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from arq.connections import ArqRedis
from httpx_ws import WebSocketDisconnect, WebSocketNetworkError, aconnect_ws
from redis.asyncio import Redis

from resolvers.store import engine, namespaces, outbox, pubsub
from schema.types.relay import to_global_id
from tests.conftest import ENGLISH
from tests.factories import Clock, Org, gql, make_org, raise_alerts
from tests.live import PrivateRedis, WafiProcess, WsClient, free_port, private_redis, until
from tests.scratch import with_database

ALERTS = (
    "subscription ($after: ID, $kinds: [AlertKind!]) "
    "{ alerts(after: $after, kinds: $kinds) { id kind subjectId } }"
)
BREACH = "SLA_FIRST_RESPONSE_BREACH"
CUSTOMER = (
    "mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) "
    "{ ... on CustomerPayload { customer { id } } } }"
)
OPEN = (
    "mutation ($i: OpenTicketInput!) { openTicket(input: $i) "
    "{ ... on OpenTicketPayload { ticket { id priority } } } }"
)
# Generous: processes start, and a killed worker's job waits out its lease (jobs.worker.LEASE_S).
WITHIN = 90.0
SCANS = 12  # more than one worker takes at once (arq's max_jobs is 10): both must run some
GONE = (WebSocketDisconnect, WebSocketNetworkError, OSError)


def _url_with(url: str, **query: str) -> str:
    extra = "&".join(f"{key}={value}" for key, value in query.items())
    return f"{url}{'&' if '?' in url else '?'}{extra}"


@dataclass
class Api:
    """One `wafi serve --no-worker` process and an HTTP client to it."""

    process: WafiProcess
    url: str
    client: httpx.AsyncClient

    async def ready(self) -> bool:
        if not self.process.running:
            raise AssertionError(f"wafi serve exited:\n{self.process.tail()}")
        try:
            return (await self.client.get("/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    async def subscriptions(self) -> int:
        """The process's own count of live subscriptions (its /metrics)."""
        text = (await self.client.get("/metrics")).text
        [line] = [row for row in text.splitlines() if row.startswith("wafi_subscriptions ")]
        return int(float(line.split()[1]))

    @contextlib.asynccontextmanager
    async def subscriber(self, org: Org) -> AsyncIterator[WsClient]:
        ws: Any
        async with aconnect_ws(
            self.url.replace("http://", "ws://") + "/graphql",
            self.client,
            subprotocols=["graphql-transport-ws"],
        ) as ws:
            client = WsClient(ws)
            ack = await client.init({"authorization": f"Bearer {org.token}"})
            assert ack["type"] == "connection_ack", ack
            yield client


@dataclass
class ScaleOut:
    apis: list[Api]
    workers: dict[str, WafiProcess]  # by the application_name its connections carry
    pool: asyncpg.Pool
    queue: ArqRedis
    redis_url: str
    namespace: namespaces.Namespace
    markers: int = 0

    def processes(self) -> list[WafiProcess]:
        return [api.process for api in self.apis] + list(self.workers.values())

    def logs(self) -> str:
        return "\n".join(f"--- {p.log.name}\n{p.tail()}" for p in self.processes())

    async def whole(self) -> None:
        """Every process running (a test may have killed some), the APIs answering /readyz."""
        for process in self.processes():
            if not process.running:
                process.start()
        for api in self.apis:
            await until(api.ready, within=WITHIN, what=f"{api.url}/readyz")

    async def org(self) -> Org:
        clock = Clock()
        clock.now = datetime.now(UTC)  # the processes run on the real clock
        return await make_org(self.pool, self.apis[0].client, clock)

    async def open_tickets(self, org: Org, count: int) -> list[str]:
        """P0 tickets (first response due in 30 minutes) opened through both API processes in
        turn; their global ids."""
        made = await gql(
            self.apis[0].client,
            CUSTOMER,
            {"i": {"name": "شركة الأفق", "subscriptionStartedAt": datetime.now(UTC).isoformat()}},
            token=org.token,
        )
        assert "errors" not in made, made
        customer = made["data"]["createCustomer"]["customer"]["id"]
        ids = []
        for index in range(count):
            body = await gql(
                self.apis[index % 2].client,
                OPEN,
                {"i": {"customer": customer, "subject": f"outage {index}", "body": "all down"}},
                token=org.token,
            )
            assert "errors" not in body, body
            ticket = body["data"]["openTicket"]["ticket"]
            assert ticket["priority"] == "P0", ticket
            ids.append(ticket["id"])
        return ids

    async def marker(self, org: Org) -> int:
        """An alert of the subscribed kind, committed and relayed by whichever worker takes it;
        its id."""
        self.markers += 1  # a subject of its own: an alert is raised once per subject
        [marker] = await raise_alerts(
            self.pool,
            org.id,
            kind=BREACH,
            subject="Ticket",
            first_subject_id=10**9 + self.markers,
            now=datetime.now(UTC),
        )
        await outbox.enqueue_relay(self.queue, self.namespace)
        return marker

    async def flagged(self) -> int:
        """First-response breaches flagged by every scan run so far, whoever ran it (the
        workers' cron ticks included): arq keeps each job's result in Redis."""
        results = await self.queue.all_job_results()
        return sum(
            result.result["first_response_breaches"]
            for result in results
            if result.function == "scan_sla_breaches" and result.success
        )

    @contextlib.asynccontextmanager
    async def explained(self) -> AsyncIterator[None]:
        """The processes' logs printed when the block fails."""
        try:
            yield
        except BaseException:
            print(self.logs())  # noqa: T201
            raise

    async def serving(self, expected: list[int]) -> None:
        async def counted() -> bool:
            return [await api.subscriptions() for api in self.apis] == expected

        await until(counted, within=WITHIN, what=f"subscriptions per API process {expected}")


@pytest.fixture(scope="module")
async def scale_database(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    """An empty database of the module's own; `wafi migrate` makes its tables."""
    admin_url = server_urls[0]
    name = f"wafi_test_{secrets.token_hex(4)}_scale"
    admin = await asyncpg.connect(engine.asyncpg_dsn(admin_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(admin_url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="module")
def scale_redis() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


def _environment(**wafi: str) -> dict[str, str]:
    """The process environment an operator gives: only the WAFI_* variables named here (no
    WAFI_REDIS_PREFIX: every process derives the same one from the database)."""
    import os

    return {**{k: v for k, v in os.environ.items() if not k.startswith("WAFI_")}, **wafi}


@pytest.fixture(scope="module")
async def stack(scale_database: str, scale_redis: PrivateRedis) -> AsyncIterator[ScaleOut]:
    with tempfile.TemporaryDirectory(prefix="wafi-scale-") as folder:
        logs = Path(folder)
        env = _environment(
            WAFI_DATABASE_URL=scale_database, WAFI_REDIS_URL=scale_redis.url, WAFI_POOL_SIZE="2"
        )
        migrate = WafiProcess(["migrate"], env, logs / "migrate.log")
        migrate.start()
        assert migrate.process is not None
        code = await asyncio.to_thread(migrate.process.wait, WITHIN)
        assert code == 0, migrate.tail()
        apis = []
        for index in (1, 2):
            port = free_port()
            process = WafiProcess(
                ["serve", "--no-worker", "--port", str(port)], env, logs / f"serve-{index}.log"
            )
            url = f"http://127.0.0.1:{port}"
            apis.append(Api(process, url, httpx.AsyncClient(base_url=url, headers=ENGLISH)))
        workers = {}
        for index in (1, 2):
            # Its connections are named, so pg_stat_activity tells which worker runs a scan.
            name = f"wafi-worker-{index}"
            worker_env = {
                **env,
                "WAFI_DATABASE_URL": _url_with(scale_database, application_name=name),
            }
            workers[name] = WafiProcess(["worker"], worker_env, logs / f"{name}.log")
        namespace = await namespaces.resolve(None, scale_database, wait_s=10)  # as they do
        pool = await engine.create_system_pool(scale_database, size=3)
        queue = namespaces.queue_pool(scale_redis.url, namespace, timeout=5)
        made = ScaleOut(apis, workers, pool, queue, scale_redis.url, namespace)
        try:
            async with made.explained():
                await made.whole()
            yield made
        finally:
            await asyncio.gather(*(asyncio.to_thread(p.stop) for p in made.processes()))
            for api in apis:
                await api.client.aclose()
            await queue.aclose()
            await pool.close()


@pytest.fixture
async def scale_out(stack: ScaleOut) -> ScaleOut:
    async with stack.explained():
        await stack.whole()
    return stack


class Published:
    """A plain Redis subscriber on the organisations' channels: every alert as the relays
    published it, repeats included (the API processes drop repeats; this does not)."""

    def __init__(self, redis_url: str, namespace: namespaces.Namespace) -> None:
        self._redis = Redis.from_url(redis_url)
        self._pubsub = self._redis.pubsub()
        self._namespace = namespace
        self.ids: list[tuple[int, int]] = []  # (organisation, alert id)

    async def listen(self, org_ids: list[int]) -> None:
        await self._pubsub.subscribe(
            *(self._namespace.channel(pubsub.alerts_channel(org)) for org in org_ids)
        )

    async def read_until(self, last: set[tuple[int, int]]) -> list[tuple[int, int]]:
        """Read publications until each (organisation, alert id) in `last` has been seen; all
        those read."""
        pending = set(last)

        async def read() -> bool:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if message is not None:
                event = json.loads(message["data"])
                key = (int(event["orgId"]), int(event["id"]))
                self.ids.append(key)
                pending.discard(key)
            return not pending

        await until(read, within=WITHIN, what=f"publications of {sorted(last)}")
        return self.ids

    async def aclose(self) -> None:
        await self._pubsub.aclose()
        await self._redis.aclose()


async def _next_alert(client: WsClient, op: str) -> dict[str, Any]:
    message = await client.receive(within=WITHIN)
    assert (message["type"], message["id"]) == ("next", op), message
    assert "errors" not in message["payload"], message
    alert: dict[str, Any] = message["payload"]["data"]["alerts"]
    return alert


async def _waiting_scans(pool: asyncpg.Pool) -> list[str]:
    """The workers (by connection name) whose scans wait on the test's lock on `tickets`."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT application_name FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' "
            "AND (query ILIKE '%UPDATE tickets%' OR query ILIKE '%advisory%')"  # the scan lock
        )
    return [row["application_name"] for row in rows]


@contextlib.asynccontextmanager
async def _due_now(pool: asyncpg.Pool, org_ids: list[int]) -> AsyncIterator[None]:
    """Hold every ticket (no scan can run) while the block enqueues scans; on leaving, make the
    organisations' first responses due a minute ago and let the waiting scans race for them."""
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute("LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE")
            await conn.execute(
                "UPDATE tickets SET first_response_due_at = now() - interval '1 minute' "
                "WHERE org_id = ANY($1::bigint[])",
                org_ids,
            )
            yield
        except BaseException:
            await transaction.rollback()
            raise
        await transaction.commit()


async def _breach_alerts(pool: asyncpg.Pool, org_id: int) -> list[int]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT id FROM alerts WHERE org_id = $1 AND kind = $2 AND subject_id < $3 ORDER BY id",
            org_id,
            BREACH,
            10**9,
        )
    return [row["id"] for row in rows]


def _alert(alert_id: int) -> str:
    return to_global_id("Alert", alert_id)


async def test_a_scan_reaches_every_subscriber_on_both_api_processes_once_with_two_workers(
    scale_out: ScaleOut,
) -> None:
    first, second = scale_out.apis
    a, b = await scale_out.org(), await scale_out.org()
    tickets = {a.id: await scale_out.open_tickets(a, 6), b.id: await scale_out.open_tickets(b, 4)}
    published = Published(scale_out.redis_url, scale_out.namespace)
    await published.listen([a.id, b.id])
    async with scale_out.explained(), contextlib.AsyncExitStack() as sockets:
        sockets.push_async_callback(published.aclose)
        subscribers = []
        for org, api in ((a, first), (a, second), (a, second), (b, first), (b, second)):
            client = await sockets.enter_async_context(api.subscriber(org))
            subscribers.append((org, client, await client.subscribe(ALERTS, {"kinds": [BREACH]})))
        await scale_out.serving([2, 3])
        # Every subscriber is live, on both processes: a first marker reaches each one.
        before = {org.id: await scale_out.marker(org) for org in (a, b)}
        for org, client, op in subscribers:
            assert (await _next_alert(client, op))["id"] == _alert(before[org.id])

        # A dozen scans at once while the tickets are held: both workers take some (one takes
        # at most 10 jobs at a time), and all of them race for the same breaches when let go.
        async with _due_now(scale_out.pool, [a.id, b.id]):
            jobs = []
            for index in range(SCANS):
                job = await scale_out.queue.enqueue_job(
                    "scan_sla_breaches", _job_id=f"scan-at-once-{index}"
                )
                assert job is not None
                jobs.append(job)

            async def both_workers_scanning() -> bool:
                return set(await _waiting_scans(scale_out.pool)) == set(scale_out.workers)

            await until(both_workers_scanning, within=WITHIN, what="both workers' scans")
        for job in jobs:
            await job.result(timeout=WITHIN)  # each ran to its end, none failed
        # Each ticket flagged by exactly one scan, over every scan run (a cron tick's scan may
        # have joined the race) ...
        total = sum(len(ids) for ids in tickets.values())

        async def all_flagged() -> bool:
            return await scale_out.flagged() >= total

        await until(all_flagged, within=WITHIN, what=f"{total} breaches flagged")
        assert await scale_out.flagged() == total
        # ... and alerted once.
        breaches = {org.id: await _breach_alerts(scale_out.pool, org.id) for org in (a, b)}
        assert {org: len(ids) for org, ids in breaches.items()} == {
            org: len(ids) for org, ids in tickets.items()
        }

        # Every subscriber gets each of its organisation's breaches once, then nothing but the
        # next marker.
        for org, client, op in subscribers:
            got = [await _next_alert(client, op) for _ in tickets[org.id]]
            assert sorted(alert["subjectId"] for alert in got) == sorted(tickets[org.id])
            assert sorted(alert["id"] for alert in got) == sorted(map(_alert, breaches[org.id]))
        after = {org.id: await scale_out.marker(org) for org in (a, b)}
        for org, client, op in subscribers:
            assert (await _next_alert(client, op))["id"] == _alert(after[org.id])

        # Two relays, and still each alert was published once: the breaches, the markers and
        # whatever else the scans raised (the SLA verdict's), up to the last marker.
        counts = Counter(await published.read_until(set(after.items())))
        assert {key: n for key, n in counts.items() if n > 1} == {}
        async with scale_out.pool.acquire() as conn:
            stored = await conn.fetch(
                "SELECT org_id, id FROM alerts WHERE (org_id = $1 AND id <= $2) "
                "OR (org_id = $3 AND id <= $4)",
                a.id,
                after[a.id],
                b.id,
                after[b.id],
            )
        assert set(counts) == {(row["org_id"], row["id"]) for row in stored}


async def test_a_worker_killed_mid_scan_and_an_api_process_killed_under_a_subscriber(
    scale_out: ScaleOut,
) -> None:
    first, second = scale_out.apis
    org = await scale_out.org()
    tickets = await scale_out.open_tickets(org, 5)
    async with scale_out.explained(), first.subscriber(org) as stays:
        stays_op = await stays.subscribe(ALERTS, {"kinds": [BREACH]})
        moving_socket = second.subscriber(org)
        moving = await moving_socket.__aenter__()
        moving_op = await moving.subscribe(ALERTS, {"kinds": [BREACH]})
        await scale_out.serving([1, 1])
        before = _alert(await scale_out.marker(org))
        assert (await _next_alert(stays, stays_op))["id"] == before
        assert (await _next_alert(moving, moving_op))["id"] == before

        # The scan is mid-run (waiting on the test's lock) when its worker is killed, and the
        # second API process dies under its subscriber.
        async with _due_now(scale_out.pool, [org.id]):
            job = await scale_out.queue.enqueue_job("scan_sla_breaches", _job_id="scan-killed")
            assert job is not None
            waiting: list[str] = []

            async def scanning() -> bool:
                waiting[:] = await _waiting_scans(scale_out.pool)
                return bool(waiting)

            await until(scanning, within=WITHIN, what="a worker's scan")
            scale_out.workers[waiting[0]].kill()
            second.process.kill()
        # Nothing was committed before the kill: the socket ends without a breach.
        with pytest.raises(GONE):
            await moving.receive(within=WITHIN)
        with contextlib.suppress(*GONE):
            await moving_socket.__aexit__(None, None, None)

        # The subscriber comes back on the other process, resuming after what it had; the
        # other worker runs the scan again once the dead one's lease ends.
        async with first.subscriber(org) as moved:
            moved_op = await moved.subscribe(ALERTS, {"kinds": [BREACH], "after": before})
            got = {
                name: [await _next_alert(client, op) for _ in tickets]
                for name, client, op in (("stays", stays, stays_op), ("moved", moved, moved_op))
            }
            breaches = sorted(map(_alert, await _breach_alerts(scale_out.pool, org.id)))
            for alerts in got.values():
                assert sorted(alert["subjectId"] for alert in alerts) == sorted(tickets)
                assert sorted(alert["id"] for alert in alerts) == breaches
            after = _alert(await scale_out.marker(org))
            assert (await _next_alert(stays, stays_op))["id"] == after
            assert (await _next_alert(moved, moved_op))["id"] == after
    assert len(breaches) == len(tickets)
