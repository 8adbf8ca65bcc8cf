"""Per organisation, alert ids follow commit order and the relay publishes them in id order, so
a subscriber resuming `after` its newest id misses nothing (store.alerts, store.outbox: the
relay publishes past a mark per organisation, which is only sound because of that order).

Every wait here is for an observed state (a backend waiting on an advisory lock in pg_locks, a
task finishing), with a deadline; nothing asserts on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs import alerts as alert_jobs
from resolvers.store import alerts, engine, orgs, outbox, pubsub
from resolvers.store import tickets as ticket_store
from tests.factories import T0, Clock, add_customers, raise_alerts, unpublished
from tests.live import NAMESPACE, WAIT_S, PrivateRedis, until

# A candidate SELECT for `alerts.insert_from_select`: one alert per (org, subject id) given.
_CANDIDATES = (
    "SELECT c.org_id, 'AT_RISK'::text AS kind, 'Customer'::text AS subject, "
    "c.subject_id, 'scan'::text AS occurrence, NULL::bigint AS customer_id, "
    "'owner'::text AS for_role, jsonb_build_object('scan', true) AS payload "
    "FROM unnest($2::bigint[], $3::bigint[]) AS c(org_id, subject_id)"
)


@pytest.fixture
async def maker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    write = engine.create_write_engine(database_url, size=25)
    yield engine.sessions(write)
    await write.dispose()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """Connections of the tests' own: scans and relays hold some while others wait."""
    own = await engine.create_system_pool(database_url, size=8)
    yield own
    await own.close()


async def _org(pool: asyncpg.Pool, clock: Clock) -> int:
    async with pool.acquire() as conn:
        org, _ = await orgs.create_organisation(
            conn, slug=f"order-{secrets.token_hex(5)}", name="O", owner_name="O", now=clock()
        )
    return org.id


@pytest.fixture
async def org_a(pool: asyncpg.Pool, clock: Clock) -> int:
    return await _org(pool, clock)


@pytest.fixture
async def org_b(pool: asyncpg.Pool, clock: Clock) -> int:
    return await _org(pool, clock)


async def _raise(session: AsyncSession, org_id: int, subject_id: int) -> int:
    alert_id = await alerts.raise_alert(
        session,
        org_id=org_id,
        kind="AT_RISK",
        subject="Customer",
        subject_id=subject_id,
        occurrence="mutation",
        customer_id=None,
        for_role="owner",
        payload={"n": subject_id},
        now=T0,
    )
    assert alert_id is not None
    return alert_id


async def _pid(session: AsyncSession) -> int:
    pid: int = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return pid


async def _raise_in_own_transaction(
    maker: async_sessionmaker[AsyncSession],
    org_id: int,
    subject_id: int,
    pid: asyncio.Future[int],
) -> int:
    """A mutation's transaction: announce its backend, raise one alert, commit."""
    async with engine.transaction(maker, org_id) as session:
        pid.set_result(await _pid(session))
        return await _raise(session, org_id, subject_id)


def _waiting_on(pool: asyncpg.Pool, pid: int, namespace: int, key: int, mode: str) -> Any:
    """A check for `until`: backend `pid` waits for the two-int advisory lock (namespace, key)."""

    async def check() -> bool:
        async with pool.acquire() as conn:
            waiting: bool = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = $1 AND locktype = 'advisory' "
                "AND NOT granted AND classid::bigint = $2 AND objid::bigint = $3 "
                "AND objsubid = 2 AND mode = $4)",
                pid,
                namespace,
                key,
                mode,
            )
        return waiting

    return check


async def _stored(pool: asyncpg.Pool, org_id: int, after: int = 0) -> list[int]:
    async with pool.acquire() as conn:
        found = await alerts.since(conn, org_id=org_id, after_id=after, kinds=None, limit=100_000)
    return [alert.id for alert in found]


# (a) Mutations: one organisation's alerts queue, in commit order; other organisations do not wait.


async def test_a_second_transaction_alerting_the_same_org_takes_its_id_after_the_first_commits(
    maker: async_sessionmaker[AsyncSession], pool: asyncpg.Pool, org_a: int
) -> None:
    pid: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    async with engine.transaction(maker, org_a) as first_tx:
        first = await _raise(first_tx, org_a, 1)
        second_task = asyncio.create_task(_raise_in_own_transaction(maker, org_a, 2, pid))
        second_pid = await asyncio.wait_for(pid, WAIT_S)
        await until(
            _waiting_on(pool, second_pid, alerts.NS_ALERTS_ORG, org_a, "ExclusiveLock"),
            what="the second transaction to wait for the organisation's alert lock",
        )
        assert not second_task.done()
        # Nothing of the second transaction is stored while the first is open.
        assert await _stored(pool, org_a) == []
    second = await asyncio.wait_for(second_task, WAIT_S)
    assert first < second
    assert await _stored(pool, org_a) == [first, second]


async def test_transactions_alerting_different_orgs_do_not_wait_for_each_other(
    maker: async_sessionmaker[AsyncSession], pool: asyncpg.Pool, org_a: int, org_b: int
) -> None:
    pid: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    async with engine.transaction(maker, org_a) as first_tx:
        first = await _raise(first_tx, org_a, 1)
        # Org B's transaction raises and commits while org A's is still open.
        other = await asyncio.wait_for(_raise_in_own_transaction(maker, org_b, 1, pid), WAIT_S)
        assert await _stored(pool, org_b) == [other]
        assert await _stored(pool, org_a) == []
    assert await _stored(pool, org_a) == [first]


# (b) A scan (set-based, any organisations) and a mutation that raised an alert wait for each
# other.


async def test_a_scan_waits_for_an_open_transaction_that_raised_an_alert(
    maker: async_sessionmaker[AsyncSession], pool: asyncpg.Pool, org_a: int, org_b: int
) -> None:
    async with pool.acquire() as scan_conn:
        scan_pid = scan_conn.get_server_pid()
        async with engine.transaction(maker, org_a) as mutation:
            raised = await _raise(mutation, org_a, 1)
            # Autocommit, as the success scans run it: the scan wraps its own transaction.
            scan = asyncio.create_task(
                alerts.insert_returning(
                    scan_conn,
                    select_sql=_CANDIDATES,
                    args=([org_a, org_b], [7, 7]),
                    now=T0,
                )
            )
            await until(
                _waiting_on(pool, scan_pid, alerts.NS_ALERTS, 0, "ExclusiveLock"),
                what="the scan to wait for the open mutation",
            )
            assert not scan.done()
        inserted = await asyncio.wait_for(scan, WAIT_S)
        assert not scan_conn.is_in_transaction()
    assert {row.org_id for row in inserted} == {org_a, org_b}
    assert all(row.id > raised for row in inserted)
    assert await _stored(pool, org_a) == [raised] + [r.id for r in inserted if r.org_id == org_a]


async def test_a_mutation_waits_for_an_open_scan_transaction(
    maker: async_sessionmaker[AsyncSession], pool: asyncpg.Pool, org_a: int, org_b: int
) -> None:
    pid: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    async with pool.acquire() as scan_conn:
        async with scan_conn.transaction():
            # As the breach scan runs it: inside the caller's transaction, held to its end.
            scanned = await alerts.insert_returning(
                scan_conn, select_sql=_CANDIDATES, args=([org_b, org_a], [7, 7]), now=T0
            )
            mutation = asyncio.create_task(_raise_in_own_transaction(maker, org_a, 1, pid))
            mutation_pid = await asyncio.wait_for(pid, WAIT_S)
            await until(
                _waiting_on(pool, mutation_pid, alerts.NS_ALERTS, 0, "ShareLock"),
                what="the mutation to wait for the open scan",
            )
            assert not mutation.done()
        raised = await asyncio.wait_for(mutation, WAIT_S)
    assert len(scanned) == 2
    assert all(raised > row.id for row in scanned)
    assert await _stored(pool, org_a) == [r.id for r in scanned if r.org_id == org_a] + [raised]


async def test_a_scan_transaction_alerting_twice_never_waits_for_itself(
    pool: asyncpg.Pool, org_a: int, org_b: int
) -> None:
    # The second statement takes the lock the transaction already holds, and goes on.
    async with pool.acquire() as conn, conn.transaction():
        one = await alerts.insert_returning(
            conn, select_sql=_CANDIDATES, args=([org_a], [1]), now=T0
        )
        two = await alerts.insert_returning(
            conn, select_sql=_CANDIDATES, args=([org_b], [1]), now=T0
        )
    assert [row.org_id for row in one + two] == [org_a, org_b]
    assert one[0].id < two[0].id


_TICKET = (
    "INSERT INTO tickets (org_id, customer_id, subject, body, channel, classified_priority, "
    "priority, reason_ar, status, opened_at, first_response_due_at, first_response_at, "
    "resolution_due_at, version, created_at, updated_at) VALUES ($1, $2, 's', 'b', 'email', 'P1', "
    "'P1', 'r', 'open', $3, $4, $5, $6, 1, $3, $3) RETURNING id"
)


async def test_the_breach_scan_takes_its_row_locks_before_the_alert_lock(
    maker: async_sessionmaker[AsyncSession], pool: asyncpg.Pool, org_a: int
) -> None:
    """A ticket mutation holds its ticket, then raises an alert. The scan flags one clock on
    another ticket, then must wait for the mutation's ticket for the second clock: it may not
    hold the alert lock while it waits, or the two deadlock."""
    [customer] = await add_customers(pool, org_a)
    hour = timedelta(hours=1)
    # X: first response overdue. Y: answered, resolution overdue (the mutation holds it).
    await pool.fetchval(_TICKET, org_a, customer, T0 - 2 * hour, T0 - hour, None, T0 + 9 * hour)
    y = await pool.fetchval(
        _TICKET, org_a, customer, T0 - 30 * hour, T0 - 29 * hour, T0 - 29 * hour, T0 - hour
    )
    async with pool.acquire() as scan_conn:
        scan_pid = await scan_conn.fetchval("SELECT pg_backend_pid()")

        async def scan_waits_for_the_ticket() -> bool:
            waiting: bool = await pool.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted "
                "AND locktype IN ('transactionid', 'tuple'))",
                scan_pid,
            )
            return waiting

        async with engine.transaction(maker, org_a) as session:
            await ticket_store.get_for_update(session, org_id=org_a, ticket_id=y)
            scan = asyncio.create_task(ticket_store.scan_breaches(scan_conn, now=T0))
            await until(scan_waits_for_the_ticket, what="the scan to wait for the held ticket")
            # The mutation raises its alert: the scan holds no alert lock yet, so this goes on.
            raised = await asyncio.wait_for(_raise(session, org_a, y), WAIT_S)
        result = await asyncio.wait_for(scan, WAIT_S)
    # The scan crosses organisations (earlier tests' tickets too): count this one's.
    assert min(result.flagged.values()) >= 1
    breaches = await pool.fetch(
        "SELECT kind, subject_id FROM alerts WHERE org_id = $1 AND kind LIKE 'SLA_%' ORDER BY id",
        org_a,
    )
    assert sorted((row["kind"], row["subject_id"] == y) for row in breaches) == [
        ("SLA_FIRST_RESPONSE_BREACH", False),
        ("SLA_RESOLUTION_BREACH", True),
    ]
    # The mutation committed first, so its alert has the smallest id; the scan's two follow.
    stored = await _stored(pool, org_a)
    assert (stored[0], len(stored)) == (raised, 3)


# (c) Relays: each organisation's events arrive in id order, each once, however many relays run.


class Listener:
    """A raw Redis subscriber on one organisation's channel, collecting alert ids."""

    def __init__(self, url: str, org_id: int) -> None:
        self.client = Redis.from_url(url, decode_responses=True)
        self.pubsub = self.client.pubsub()
        self.channel = NAMESPACE.channel(pubsub.alerts_channel(org_id))
        self.ids: list[int] = []

    async def __aenter__(self) -> Listener:
        await self.pubsub.subscribe(self.channel)
        await self.pubsub.get_message(timeout=5)  # the subscribe confirmation
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.pubsub.aclose()
        await self.client.aclose()

    async def until_count(self, count: int) -> list[int]:
        while len(self.ids) < count:
            message = await asyncio.wait_for(self.pubsub.get_message(timeout=5), 6)
            assert message is not None, f"only {len(self.ids)} of {count} events arrived"
            if message["type"] == "message":
                self.ids.append(int(json.loads(message["data"])["id"]))
        return self.ids

    async def nothing_more(self) -> bool:
        return await self.pubsub.get_message(timeout=0.2) is None


def _ctx(pool: asyncpg.Pool, redis: Redis, clock: Clock) -> dict[str, Any]:
    return {"db": pool, "redis": redis, "clock": clock, "namespace": NAMESPACE}


async def test_concurrent_relays_publish_each_orgs_events_in_increasing_id_order_once(
    pool: asyncpg.Pool,
    redis: Redis,
    redis_server: PrivateRedis,
    clock: Clock,
    org_a: int,
    org_b: int,
) -> None:
    org_c = await _org(pool, clock)
    orgs_ = (org_a, org_b, org_c)
    # Interleaved: blocks of 150 per organisation, more than two batches in all.
    for round_ in range(4):
        for org in orgs_:
            await raise_alerts(pool, org, count=150, first_subject_id=round_ * 150 + 1)
    stored = {org: await _stored(pool, org) for org in orgs_}
    assert sum(map(len, stored.values())) == 1_800 > outbox.BATCH * 3
    async with contextlib.AsyncExitStack() as stack:
        listeners = {
            org: await stack.enter_async_context(Listener(redis_server.url, org)) for org in orgs_
        }
        published = await asyncio.gather(
            *(alert_jobs.relay_outbox(_ctx(pool, redis, clock)) for _ in range(4))
        )
        assert sum(published) >= 1_800
        for org in orgs_:
            assert await listeners[org].until_count(len(stored[org])) == stored[org]
            assert await listeners[org].nothing_more()
    assert await unpublished(pool, *orgs_) == 0


async def test_a_relay_leaves_an_org_another_relay_holds_and_waits_for_it_before_returning(
    pool: asyncpg.Pool,
    redis: Redis,
    redis_server: PrivateRedis,
    clock: Clock,
    org_a: int,
    org_b: int,
) -> None:
    [a1] = await raise_alerts(pool, org_a, count=1)
    [b1] = await raise_alerts(pool, org_b, count=1)
    async with Listener(redis_server.url, org_a) as on_a, Listener(redis_server.url, org_b) as on_b:
        async with pool.acquire() as holder, holder.transaction():
            # What another relay's batch holds: org A.
            await holder.execute(
                f"SELECT pg_advisory_xact_lock({outbox.NS_RELAY}, $1::integer)", org_a
            )
            batch = await outbox.relay_batch(pool, redis, namespace=NAMESPACE, now=clock())
            assert org_a in batch.held_elsewhere
            assert await on_b.until_count(1) == [b1]
            relay = asyncio.create_task(alert_jobs.relay_outbox(_ctx(pool, redis, clock)))
            # relay_outbox does not return past org A's event: it waits for the holder.
            await until(
                _relay_waits_for(pool, org_a),
                what="the relay to wait for the batch holding org A",
            )
            assert not relay.done()
            assert on_a.ids == []
        await asyncio.wait_for(relay, WAIT_S)
        assert await on_a.until_count(1) == [a1]


class Gate:
    """A TCP hop to the test's Redis that can stop passing on what a client sends: a relay
    using it stalls mid-publish, as a slow one would, holding its batch."""

    def __init__(self, redis_port: int) -> None:
        self._redis_port = redis_port
        self.open = asyncio.Event()
        self.open.set()
        self.holding = asyncio.Event()  # something sent is waiting at the closed gate
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Gate:
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.open.set()
        assert self._server is not None
        self._server.close()
        for pipe in self._pipes:
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}/0"

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        redis_r, redis_w = await asyncio.open_connection("127.0.0.1", self._redis_port)
        for pipe in (self._pipe(reader, redis_w, gated=True), self._pipe(redis_r, writer)):
            task = asyncio.create_task(pipe)
            self._pipes.add(task)

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, gated: bool = False
    ) -> None:
        try:
            while data := await source.read(65_536):
                if gated and not self.open.is_set():
                    self.holding.set()
                    await self.open.wait()
                sink.write(data)
                await sink.drain()
        finally:
            sink.close()


async def test_a_relay_never_publishes_past_a_batch_another_relay_is_still_publishing(
    pool: asyncpg.Pool,
    redis: Redis,
    redis_server: PrivateRedis,
    clock: Clock,
    org_a: int,
) -> None:
    await alert_jobs.relay_outbox(_ctx(pool, redis, clock))  # earlier tests' events
    # More than one batch of org A: the stalled relay holds the first, the rest is left over.
    ids = await raise_alerts(pool, org_a, count=outbox.BATCH + 50)
    async with Gate(redis_server.port) as gate, Listener(redis_server.url, org_a) as client:
        slow_redis = Redis.from_url(gate.url)
        try:
            await slow_redis.ping()
            gate.open.clear()
            slow = asyncio.create_task(
                outbox.relay_batch(pool, slow_redis, namespace=NAMESPACE, now=clock())
            )
            await asyncio.wait_for(gate.holding.wait(), WAIT_S)
            assert not slow.done()
            # Meanwhile another relay: without the organisation's claim it would skip the
            # locked batch and publish org A's later events first.
            other = await outbox.relay_batch(pool, redis, namespace=NAMESPACE, now=clock())
            assert org_a in other.held_elsewhere
            assert await client.nothing_more()
            gate.open.set()
            first = await asyncio.wait_for(slow, WAIT_S)
            assert first.published == outbox.BATCH
            await alert_jobs.relay_outbox(_ctx(pool, redis, clock))
            assert await client.until_count(len(ids)) == ids
            assert await client.nothing_more()
        finally:
            await slow_redis.aclose()


async def test_a_relay_claims_at_most_a_batch_of_orgs_at_once_and_still_drains_them_all(
    pool: asyncpg.Pool, redis: Redis, clock: Clock
) -> None:
    await alert_jobs.relay_outbox(_ctx(pool, redis, clock))  # earlier tests' events
    # One alert each for more organisations than one batch claims.
    async with pool.acquire() as conn:
        many = [
            row["id"]
            for row in await conn.fetch(
                "INSERT INTO organisations (slug, name, created_at) "
                "SELECT 'many-' || $1 || '-' || n, 'M', $2 "
                "FROM generate_series(1, $3::int) AS n RETURNING id",
                secrets.token_hex(4),
                T0,
                outbox.BATCH + 100,
            )
        ]
        await conn.execute(
            "INSERT INTO alerts (org_id, kind, subject, subject_id, occurrence, for_role, "
            "payload, created_at) SELECT o, 'AT_RISK', 'Customer', 1, 'o', 'owner', '{}', $2 "
            "FROM unnest($1::bigint[]) AS o",
            many,
            T0,
        )
    first = await outbox.relay_batch(pool, redis, namespace=NAMESPACE, now=clock())
    assert first.more
    assert first.published == outbox.BATCH
    assert await alert_jobs.relay_outbox(_ctx(pool, redis, clock)) == 100
    assert await unpublished(pool, *many) == 0


async def test_the_organisation_whose_event_is_oldest_goes_first_whatever_its_id(
    pool: asyncpg.Pool,
    redis: Redis,
    clock: Clock,
    org_a: int,
    org_b: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await alert_jobs.relay_outbox(_ctx(pool, redis, clock))  # earlier tests' events
    low, high = sorted((org_a, org_b))
    [old] = await raise_alerts(pool, high, count=1)
    [new] = await raise_alerts(pool, low, count=1)
    monkeypatch.setattr(outbox, "BATCH", 1)  # one organisation, one event a batch
    first = await outbox.relay_batch(pool, redis, namespace=NAMESPACE, now=clock())
    second = await outbox.relay_batch(pool, redis, namespace=NAMESPACE, now=clock())
    assert (first.published, second.published) == (1, 1)
    assert await _published_ids(pool, high) == [old]
    assert await _published_ids(pool, low) == [new]
    assert await _published_order(pool, [high, low]) == [high, low]


async def test_a_second_relay_takes_the_next_organisation_instead_of_waiting(
    pool: asyncpg.Pool,
    redis: Redis,
    clock: Clock,
    org_a: int,
    org_b: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await alert_jobs.relay_outbox(_ctx(pool, redis, clock))  # earlier tests' events
    await raise_alerts(pool, org_a, count=1)  # the oldest: another relay holds it
    [b1] = await raise_alerts(pool, org_b, count=1)
    monkeypatch.setattr(outbox, "BATCH", 1)  # a batch claims one organisation
    async with pool.acquire() as holder, holder.transaction():
        await holder.execute(f"SELECT pg_advisory_xact_lock({outbox.NS_RELAY}, $1::integer)", org_a)
        batch = await outbox.relay_batch(pool, redis, namespace=NAMESPACE, now=clock())
        assert (batch.published, batch.held_elsewhere) == (1, (org_a,))
        assert await _published_ids(pool, org_b) == [b1]


async def _published_ids(pool: asyncpg.Pool, org_id: int) -> list[int]:
    rows = await pool.fetch(
        "SELECT a.id FROM alerts a JOIN alert_relay_marks m ON m.org_id = a.org_id "
        "WHERE a.org_id = $1 AND a.id <= m.published_through ORDER BY a.id",
        org_id,
    )
    return [row["id"] for row in rows]


async def _published_order(pool: asyncpg.Pool, org_ids: list[int]) -> list[int]:
    """The organisations in the order their marks last moved (transaction ids)."""
    rows = await pool.fetch(
        "SELECT org_id FROM alert_relay_marks WHERE org_id = ANY($1::bigint[]) "
        "ORDER BY xmin::text::bigint",
        org_ids,
    )
    return [row["org_id"] for row in rows]


def _relay_waits_for(pool: asyncpg.Pool, org_id: int) -> Any:
    async def check() -> bool:
        async with pool.acquire() as conn:
            waiting: bool = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                "AND NOT granted AND classid::bigint = $1 AND objid::bigint = $2 "
                "AND objsubid = 2)",
                outbox.NS_RELAY,
                org_id,
            )
        return waiting

    return check


# (d) The resume race, end to end at the store level.


async def test_an_alert_whose_transaction_commits_late_is_never_passed_by_a_later_id(
    maker: async_sessionmaker[AsyncSession],
    pool: asyncpg.Pool,
    redis: Redis,
    redis_server: PrivateRedis,
    clock: Clock,
    org_a: int,
) -> None:
    """T1 raises and commits late; T2 raises meanwhile and would commit first. A client that
    has seen T2's alert and resumes after it must not lose T1's."""
    ctx = _ctx(pool, redis, clock)
    pid: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    async with Listener(redis_server.url, org_a) as client:
        async with engine.transaction(maker, org_a) as late:
            t1 = await _raise(late, org_a, 1)
            t2_task = asyncio.create_task(_raise_in_own_transaction(maker, org_a, 2, pid))
            t2_pid = await asyncio.wait_for(pid, WAIT_S)
            await until(
                _waiting_on(pool, t2_pid, alerts.NS_ALERTS_ORG, org_a, "ExclusiveLock"),
                what="T2 to wait for T1",
            )
            # The relay runs while T1 is open: nothing of this organisation is published.
            await alert_jobs.relay_outbox(ctx)
            assert await client.nothing_more()
        t2 = await asyncio.wait_for(t2_task, WAIT_S)
        await alert_jobs.relay_outbox(ctx)
        seen = await client.until_count(2)
    assert seen == [t1, t2]
    # Disconnected after any event, resuming after the newest seen replays the rest.
    for i in range(len(seen) + 1):
        newest = seen[i - 1] if i else 0
        assert seen[:i] + await _stored(pool, org_a, after=newest) == [t1, t2]


async def test_when_an_alert_commits_every_earlier_id_of_its_org_has_committed(
    maker: async_sessionmaker[AsyncSession],
    pool: asyncpg.Pool,
    redis: Redis,
    redis_server: PrivateRedis,
    clock: Clock,
    org_a: int,
    org_b: int,
) -> None:
    """Many mutations of two organisations, each holding its transaction open a while after
    raising (every third id longer), with relays running meanwhile. Right after each commit,
    every smaller id of its organisation is already visible; each listener gets its
    organisation's ids in order."""
    rng = random.Random(20261127)
    ctx = _ctx(pool, redis, clock)
    visible_below: dict[int, tuple[int, int]] = {}

    async def mutation(org_id: int, n: int) -> None:
        async with engine.transaction(maker, org_id) as session:
            alert_id = await _raise(session, org_id, n)
            # Every third id commits a little later than the ids around it would.
            await asyncio.sleep(0.03 if alert_id % 3 == 0 else rng.random() / 100)
        async with pool.acquire() as conn:
            below = await conn.fetchval(
                "SELECT count(*) FROM alerts WHERE org_id = $1 AND id < $2", org_id, alert_id
            )
        visible_below[alert_id] = (org_id, below)

    async def relays(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await alert_jobs.relay_outbox(ctx)
            await asyncio.sleep(0)

    async with (
        Listener(redis_server.url, org_a) as on_a,
        Listener(redis_server.url, org_b) as on_b,
    ):
        stop = asyncio.Event()
        running = [asyncio.create_task(relays(stop)) for _ in range(2)]
        await asyncio.wait_for(
            asyncio.gather(*(mutation((org_a, org_b)[n % 2], n) for n in range(40))), WAIT_S * 3
        )
        stop.set()
        await asyncio.wait_for(asyncio.gather(*running), WAIT_S)
        await alert_jobs.relay_outbox(ctx)
        stored = {org: await _stored(pool, org) for org in (org_a, org_b)}
        assert len(stored[org_a]) == len(stored[org_b]) == 20
        assert await on_a.until_count(20) == stored[org_a]
        assert await on_b.until_count(20) == stored[org_b]
    for alert_id, (org_id, below) in visible_below.items():
        assert below == stored[org_id].index(alert_id), alert_id
