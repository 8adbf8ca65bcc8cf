"""The worker `wafi serve` runs in-process survives Redis going away: it is started again with a
capped backoff, each failure logged, and it stops for good only when the app shuts down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import asyncpg
import pytest
from arq.connections import RedisSettings
from arq.worker import Worker
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis

from jobs import alerts as alert_jobs
from jobs import worker as jobs_worker
from resolvers.store import engine, namespaces, outbox, shutdown
from schema.app import create_app
from schema.cli import in_process_worker
from tests.factories import Clock, raise_alerts
from tests.jobs.test_relay import Listener
from tests.live import NAMESPACE, PrivateRedis, private_redis, until

RESTART_WARNING = re.compile(
    r"the worker stopped \((?P<reason>.*)\); starting a new one in (?P<delay>\S+) s"
)
OUTAGE_S = 1.0


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@pytest.fixture
async def org_id(system_pool: asyncpg.Pool, clock: Clock) -> int:
    from resolvers.store import orgs

    async with system_pool.acquire() as conn:
        org, _ = await orgs.create_organisation(
            conn, slug=f"restart-{secrets.token_hex(5)}", name="R", owner_name="O", now=clock()
        )
    return org.id


@pytest.fixture
def private_settings(settings: engine.Settings, redis_server: PrivateRedis) -> engine.Settings:
    return replace(settings, redis_url=redis_server.url)


async def _unpublished(pool: asyncpg.Pool, ids: list[int]) -> int:
    async with pool.acquire() as conn:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM alerts a LEFT JOIN alert_relay_marks m ON m.org_id = a.org_id "
            "WHERE a.id = ANY($1::bigint[]) AND a.id > coalesce(m.published_through, 0)",
            ids,
        )
    return count


async def _relayed(
    pool: asyncpg.Pool, redis_url: str, org_id: int, *, enqueue: bool, first: int
) -> list[int]:
    """Raise two new alerts (subjects `first`, `first + 1`), optionally enqueue the relay job,
    and wait for both events on the organisation's channel; returns their ids."""
    async with Listener(redis_url, org_id) as listener:
        ids = await raise_alerts(pool, org_id, count=2, first_subject_id=first)
        assert len(ids) == 2
        if enqueue:
            queue = namespaces.queue_pool(redis_url, NAMESPACE, timeout=5)
            try:
                assert await outbox.enqueue_relay(queue, NAMESPACE) is True
            finally:
                await queue.aclose()
        arrived = [event["id"] for event in await listener.events(2)]
    assert arrived == ids
    await until(lambda: _none_left(pool, ids), what="the alerts to be marked published")
    return arrived


async def _none_left(pool: asyncpg.Pool, ids: list[int]) -> bool:
    return await _unpublished(pool, ids) == 0


def _restarts(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    found = (RESTART_WARNING.search(record.getMessage()) for record in caplog.records)
    return [match for match in found if match is not None]


async def test_the_serve_worker_keeps_relaying_across_a_redis_restart(
    private_settings: engine.Settings,
    redis_server: PrivateRedis,
    system_pool: asyncpg.Pool,
    org_id: int,
    clock: Clock,
) -> None:
    # The app and worker exactly as `wafi serve` wires them, on a Redis of the test's own.
    app = create_app(private_settings, clock=clock, worker=in_process_worker(private_settings))
    async with LifespanManager(app, shutdown_timeout=15):
        await _relayed(system_pool, redis_server.url, org_id, enqueue=True, first=10)
        # Redis restarted, in a thread so the worker's loop keeps running through the outage,
        # which lasts many polls: a stale connection alone is reconnected by redis-py, a refused
        # one is what ended arq's loop.
        await asyncio.to_thread(redis_server.stop)
        await asyncio.sleep(OUTAGE_S)  # the outage itself, not a wait for a result
        await asyncio.to_thread(redis_server.start)
        await _relayed(system_pool, redis_server.url, org_id, enqueue=True, first=20)
        # And the queue really drains: the enqueued relay job is gone, not just swept around.
        client = Redis.from_url(redis_server.url)
        try:

            async def drained() -> bool:
                queued: int = await client.zcard(NAMESPACE.queue)
                return queued == 0

            await until(drained, what="the relay job to be taken")
        finally:
            await client.aclose()


class Made:
    """Workers built for `supervise`, on a Redis without retries: any outage ends them."""

    def __init__(
        self,
        settings: engine.Settings,
        redis_url: str,
        clock: Clock,
        *,
        kind: type[Worker] = Worker,
    ) -> None:
        self.kind = kind
        self.settings = settings
        self.redis_url = redis_url
        self.clock = clock
        self.workers: list[Worker] = []

    def __call__(self) -> Worker:
        worker = self.kind(
            functions=jobs_worker.FUNCTIONS[:1],
            cron_jobs=[jobs_worker.CRON_JOBS[0]],  # the relay sweep
            redis_settings=replace(RedisSettings.from_dsn(self.redis_url), conn_retries=0),
            queue_name=NAMESPACE.queue,
            on_startup=jobs_worker.startup,
            on_shutdown=jobs_worker.shutdown,
            after_job_end=alert_jobs.relay_after_job,
            poll_delay=0.05,
            handle_signals=False,
            ctx={"settings": self.settings, "clock": self.clock},
        )
        self.workers.append(worker)
        return worker


@contextlib.asynccontextmanager
async def _supervised(made: Made) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(jobs_worker.supervise(made, first_delay=0.05, max_delay=0.2))
    try:
        yield task
    finally:
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_worker_ended_by_an_outage_is_started_again_with_a_capped_backoff(
    private_settings: engine.Settings,
    redis_server: PrivateRedis,
    system_pool: asyncpg.Pool,
    org_id: int,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="jobs.worker")
    made = Made(private_settings, redis_server.url, clock)
    async with _supervised(made) as task:
        await _relayed(system_pool, redis_server.url, org_id, enqueue=False, first=30)
        assert _restarts(caplog) == []

        await asyncio.to_thread(redis_server.stop)

        async def four_failures() -> bool:
            return len(_restarts(caplog)) >= 4

        await until(four_failures, what="the worker to fail and be started again")
        delays = [float(match.group("delay")) for match in _restarts(caplog)[:4]]
        assert delays == [0.05, 0.1, 0.2, 0.2]  # doubling, capped
        assert all("Error" in match.group("reason") for match in _restarts(caplog))

        await asyncio.to_thread(redis_server.start)
        await _relayed(system_pool, redis_server.url, org_id, enqueue=True, first=40)
        assert not task.done()
    # Shutdown is a cancellation that ends it, not one more restart.
    assert task.cancelled()
    restarts = len(_restarts(caplog))
    await asyncio.sleep(0)
    assert len(_restarts(caplog)) == restarts
    # Every worker it made was closed, job pools included.
    assert made.workers
    assert all("db" not in worker.ctx for worker in made.workers)


async def test_a_cancellation_from_inside_arq_is_a_failure_to_restart_from_not_a_shutdown(
    private_settings: engine.Settings,
    redis_server: PrivateRedis,
    system_pool: asyncpg.Pool,
    org_id: int,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="jobs.worker")
    made = Made(private_settings, redis_server.url, clock)
    async with _supervised(made) as task:

        async def started() -> bool:
            return bool(made.workers) and made.workers[0].main_task is not None

        await until(started, what="the first worker")
        # arq cancels its own main task on a signal; here that is not our shutdown.
        made.workers[0].handle_sig(signal.SIGUSR1)

        async def second() -> bool:
            return len(made.workers) >= 2

        await until(second, what="a second worker")
        [restart] = _restarts(caplog)
        assert "cancelled from inside" in restart.group("reason")
        await _relayed(system_pool, redis_server.url, org_id, enqueue=True, first=50)
    assert task.cancelled()


def test_a_failure_message_never_shows_a_url_password() -> None:
    error = ConnectionError("cannot use redis://:hunter22@10.0.0.1:6379/0 right now")
    assert "hunter22" not in jobs_worker._describe(error)
    assert "redis://:***@10.0.0.1:6379/0" in jobs_worker._describe(error)


async def test_wafi_worker_keeps_relaying_across_a_redis_outage_and_stops_on_sigterm(
    redis_server: PrivateRedis, system_pool: asyncpg.Pool, org_id: int, database_url: str
) -> None:
    from tests.test_cli import ROOT, WAFI, _env

    process = await asyncio.create_subprocess_exec(
        *WAFI,
        "worker",
        cwd=ROOT,
        env=_env(
            WAFI_DATABASE_URL=database_url,
            WAFI_REDIS_URL=redis_server.url,
            WAFI_REDIS_PREFIX=NAMESPACE.prefix,
        ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await _relayed(system_pool, redis_server.url, org_id, enqueue=False, first=60)
        await asyncio.to_thread(redis_server.stop)
        await asyncio.sleep(OUTAGE_S)  # the outage itself, not a wait for a result
        await asyncio.to_thread(redis_server.start)
        await _relayed(system_pool, redis_server.url, org_id, enqueue=True, first=70)
        assert process.returncode is None
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    stderr = err.decode()
    assert process.returncode == 143, stderr
    # Whether arq noticed the outage (and the worker was started again) depends on where its
    # poll loop was when Redis went away; what is promised is the relaying after it, above.
    for line in stderr.splitlines():
        if "the worker stopped" in line:
            assert RESTART_WARNING.search(line), line
    assert "Traceback" not in stderr


async def _waiting_on_marks_lock(pool: asyncpg.Pool) -> bool:
    async with pool.acquire() as conn:
        waiting: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query ILIKE '%alert_relay_marks%' AND pid <> pg_backend_pid()"
            " AND datname = current_database()"
        )
    return waiting > 0


async def _none_waiting_on_marks_lock(pool: asyncpg.Pool) -> bool:
    return not await _waiting_on_marks_lock(pool)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
async def test_wafi_worker_stops_on_a_signal_while_a_job_waits_in_a_query(
    stop: signal.Signals,
    redis_server: PrivateRedis,
    system_pool: asyncpg.Pool,
    org_id: int,
    database_url: str,
) -> None:
    """A signal arriving while a job's query waits (here on a lock the test holds) still ends
    the worker promptly and cleanly: the job is cancelled, its connection given back or cut,
    and the exit code is the signal's."""
    from tests.test_cli import ROOT, WAFI, _env

    process = await asyncio.create_subprocess_exec(
        *WAFI,
        "worker",
        cwd=ROOT,
        env=_env(
            WAFI_DATABASE_URL=database_url,
            WAFI_REDIS_URL=redis_server.url,
            WAFI_REDIS_PREFIX=NAMESPACE.prefix,
        ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await _relayed(system_pool, redis_server.url, org_id, enqueue=False, first=80)
        async with system_pool.acquire() as holder:
            transaction = holder.transaction()
            await transaction.start()
            try:
                await holder.execute("LOCK TABLE alert_relay_marks IN ACCESS EXCLUSIVE MODE")
                # The relay sweep (every 2 s) now waits in its first query.
                await until(
                    lambda: _waiting_on_marks_lock(system_pool),
                    what="the worker's relay to wait on the marks' lock",
                )
                process.send_signal(stop)
                _, err = await asyncio.wait_for(process.communicate(), 30)
                # Its query was cancelled, not left waiting for the lock to go away.
                await until(
                    lambda: _none_waiting_on_marks_lock(system_pool),
                    what="the worker's query to be cancelled while the lock is still held",
                )
            finally:
                await transaction.rollback()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = err.decode()
    assert process.returncode == 128 + stop, stderr
    assert "Traceback" not in stderr


class DropsOneCancellation(Worker):
    """arq's worker whose main loop drops the first cancellation it is sent and polls on, as
    it does on Python 3.11 when the cancellation lands in the loop step that completes a Redis
    command's write (asyncio.wait_for, which redis-py sends each command through)."""

    dropped = 0

    async def main(self) -> None:
        loop = asyncio.ensure_future(super().main())
        while True:
            try:
                await asyncio.shield(loop)
                return
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if DropsOneCancellation.dropped or task is None:
                    await shutdown.cancel_until_done(loop, every=1.0)
                    raise
                DropsOneCancellation.dropped += 1
                task.uncancel()


async def test_a_shutdown_ends_a_worker_whose_loop_dropped_a_cancellation(
    private_settings: engine.Settings,
    redis_server: PrivateRedis,
    system_pool: asyncpg.Pool,
    org_id: int,
    clock: Clock,
) -> None:
    made = Made(private_settings, redis_server.url, clock, kind=DropsOneCancellation)
    DropsOneCancellation.dropped = 0
    task = asyncio.create_task(jobs_worker.supervise(made, first_delay=0.05, max_delay=0.2))
    try:
        await _relayed(system_pool, redis_server.url, org_id, enqueue=True, first=90)
        task.cancel()
        await asyncio.wait({task}, timeout=10)
        assert task.done(), "the shutdown waited on a worker that dropped its cancellation"
    finally:
        await shutdown.cancel_until_done(task, every=1.0)
    assert DropsOneCancellation.dropped == 1
    assert task.cancelled()
    [worker] = made.workers
    assert worker.main_task is not None
    assert worker.main_task.done()
    assert "db" not in worker.ctx  # closed, job pools included


async def test_cancel_until_done_repeats_a_lost_cancellation_and_lets_cleanup_finish() -> None:
    cleaned: list[str] = []

    async def drops_one() -> None:
        with contextlib.suppress(asyncio.CancelledError):  # lost, as on Python 3.11's wait_for
            await asyncio.sleep(3600)
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.01)  # a short cleanup, well within `every`
            cleaned.append("done")

    task = asyncio.create_task(drops_one())
    await asyncio.sleep(0)
    await asyncio.wait_for(shutdown.cancel_until_done(task, every=0.2), 5)
    assert task.cancelled()
    assert cleaned == ["done"]

    async def fails() -> None:
        raise ValueError("boom")

    failed = asyncio.create_task(fails())
    await asyncio.sleep(0)
    assert failed.done()
    await shutdown.cancel_until_done(failed, every=0.2)  # done already: nothing to cancel
    assert isinstance(failed.exception(), ValueError)


class LosesACancellationWhileClosing(Worker):
    """A worker whose loop fails at once and whose close drops the cancellation that arrives
    meanwhile (as a Redis call on Python 3.11 can): the shutdown lands between two workers."""

    closing: asyncio.Event
    lost = 0

    async def main(self) -> None:
        raise RuntimeError("this worker fails at once")

    async def close(self) -> None:
        if not LosesACancellationWhileClosing.lost:
            LosesACancellationWhileClosing.closing.set()
            try:
                await asyncio.sleep(1.0)
            except asyncio.CancelledError:
                LosesACancellationWhileClosing.lost += 1  # and dropped, as in 3.11's wait_for
        await super().close()


async def test_a_cancellation_lost_while_a_failed_worker_closes_still_ends_supervise(
    private_settings: engine.Settings, redis_server: PrivateRedis, clock: Clock
) -> None:
    made = Made(private_settings, redis_server.url, clock, kind=LosesACancellationWhileClosing)
    LosesACancellationWhileClosing.closing = asyncio.Event()
    LosesACancellationWhileClosing.lost = 0
    task = asyncio.create_task(jobs_worker.supervise(made, first_delay=0.05, max_delay=0.2))
    try:
        await asyncio.wait_for(LosesACancellationWhileClosing.closing.wait(), 10)
        task.cancel()
        await asyncio.wait({task}, timeout=5)
        assert task.done(), "supervise started another worker instead of stopping"
    finally:
        await shutdown.cancel_until_done(task, every=1.0)
    assert task.cancelled()
    assert LosesACancellationWhileClosing.lost == 1
    assert len(made.workers) == 1


async def test_an_in_process_worker_that_dies_is_logged_at_once_without_secrets(
    private_settings: engine.Settings, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(resources: object) -> None:
        raise RuntimeError("cannot reach redis://:hunter22@10.0.0.1:6379/0")

    caplog.set_level(logging.ERROR, logger="wafi")
    app = create_app(private_settings, clock=clock, worker=broken)
    async with LifespanManager(app, shutdown_timeout=15):

        async def logged() -> bool:
            return any("stopped for good" in r.getMessage() for r in caplog.records)

        await until(logged, what="the worker's end to be logged")
    [record] = [r for r in caplog.records if "stopped for good" in r.getMessage()]
    assert "RuntimeError: cannot reach redis://:***@10.0.0.1:6379/0" in record.getMessage()
    assert "hunter22" not in record.getMessage()
