"""arq WorkerSettings: cron scans and on-demand jobs (`wafi worker`, or inside `wafi serve`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from arq import cron, func
from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix
from arq.cron import CronJob
from arq.worker import Worker
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from jobs import alerts
from jobs import imports as import_jobs
from jobs import incidents as incident_jobs
from jobs import playbooks as playbook_jobs
from jobs import reviews as review_jobs
from jobs import sequences as sequence_jobs
from jobs import sla as sla_jobs
from jobs import success as success_jobs
from jobs import webhooks as webhook_jobs
from resolvers.store import engine, namespaces, outbox
from resolvers.store import shutdown as ending

logger = logging.getLogger(__name__)

FUNCTIONS: list[Any] = [
    # No result kept: its job id frees as soon as it ends, so the next commit can enqueue it.
    func(alerts.relay_outbox, name=outbox.RELAY_JOB, keep_result=0),
    incident_jobs.scan_incident_updates,
    incident_jobs.scan_pdpl_deadlines,
    sla_jobs.scan_sla_breaches,
    success_jobs.snapshot_health,
    success_jobs.scan_customers,
    sequence_jobs.scan_sequences,
    review_jobs.scan_cs_reviews,
    playbook_jobs.scan_playbooks,
    func(webhook_jobs.deliver_webhooks, name=webhook_jobs.DELIVER_JOB, keep_result=0),
    func(import_jobs.import_csv, name=import_jobs.IMPORT_JOB),
]
CRON_JOBS: list[Any] = [
    # The sweep: publishes what an enqueue after commit missed (Redis was down, a worker died).
    cron(alerts.relay_outbox, second=set(range(0, 60, 2)), unique=True, run_at_startup=True),
    cron(incident_jobs.scan_incident_updates, second=0, unique=True),
    cron(incident_jobs.scan_pdpl_deadlines, second=0, unique=True),
    cron(sla_jobs.scan_sla_breaches, second=0, unique=True),
    # Customer success: hourly, so an at-risk rise is alerted within the hour; the day's
    # snapshot is rewritten in place (one point per customer per day).
    cron(success_jobs.snapshot_health, minute=5, second=0, unique=True),
    cron(success_jobs.scan_customers, minute=35, second=0, unique=True),
    # §8.3 sequences: hourly, so each step is drafted within the hour its local day begins.
    cron(sequence_jobs.scan_sequences, minute=45, second=0, unique=True),
    # The weekly CS review (docs/rules.md §8.4): due Friday 17:00 in each organisation's zone;
    # every quarter hour so zones offset by :30 or :45 are on time too.
    cron(review_jobs.scan_cs_reviews, minute={0, 15, 30, 45}, second=0, unique=True),
    # Playbooks: every minute, so a red flag's hour is checked to the minute and a pilot's day
    # starts with its drafts (each step once; the scan reads only pilots of the last 31 days).
    cron(playbook_jobs.scan_playbooks, second=30, unique=True),
    # Webhook retries fall due on their own: a sweep every 5 s (new messages are enqueued by
    # the relay at once).
    cron(webhook_jobs.deliver_webhooks, second=set(range(1, 60, 5)), unique=True),
]


async def startup(ctx: dict[str, Any]) -> None:
    """Open the job pools: jobs scan across organisations, so they connect as the owner role.
    The relay publishes in the deployment's namespace: `build` passes it, else it is read here."""
    settings: engine.Settings = ctx.get("settings") or engine.Settings.from_env()
    if not settings.database_url:
        raise SystemExit("WAFI_DATABASE_URL is not set: the worker needs PostgreSQL.")
    ctx["settings"] = settings
    if "namespace" not in ctx:
        ctx["namespace"] = await namespaces.resolve(
            settings.redis_prefix, settings.database_url, wait_s=settings.statement_timeout_s
        )
    ctx["db"] = await engine.create_system_pool(settings.database_url)
    ctx.setdefault("clock", lambda: datetime.now(UTC))


async def shutdown(ctx: dict[str, Any]) -> None:
    pool = ctx.pop("db", None)  # popped: a second call (see `stop`) is a no-op
    if pool is not None:
        await ending.close_pool(pool)


def redis_settings(settings: engine.Settings) -> RedisSettings:
    """The queue's Redis. A command on a dropped connection is retried with backoff (≈ 30 s);
    a connection Redis refuses is not (redis-py retries only its own errors there), so an outage
    still ends arq's loop: `supervise` starts a new worker then."""
    if not settings.redis_url:
        raise SystemExit("WAFI_REDIS_URL is not set: the worker needs Redis.")
    return replace(
        RedisSettings.from_dsn(settings.redis_url),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=20),
    )


def redis_pool(settings: engine.Settings, namespace: namespaces.Namespace) -> ArqRedis:
    """The queue's Redis in the deployment's namespace, with `redis_settings`' retries and a
    read timeout (a frozen Redis fails a call instead of stalling the worker for good)."""
    arq_settings = redis_settings(settings)
    assert settings.redis_url
    return namespaces.queue_pool(
        settings.redis_url,
        namespace,
        timeout=settings.redis_timeout_s,
        retry_on_error=arq_settings.retry_on_error,
        retry=arq_settings.retry,
    )


def cron_jobs(namespace: namespaces.Namespace) -> list[CronJob]:
    """CRON_JOBS named in the namespace: arq makes each tick's job id from the name, and a
    unique tick id taken by another deployment's worker would skip ours."""
    return [replace(job, name=namespace.cron_name(job.coroutine.__qualname__)) for job in CRON_JOBS]


# How long a job's in-progress mark lives without being renewed. arq sets it to the longest job
# timeout + 10 s (310 s by default) and never renews it, so a worker killed mid-job (kill -9, a
# lost machine) left the job unstartable for five minutes; a live worker renews it every third
# of this, so a dead one's job is started again by another worker within LEASE_S (+ a poll).
LEASE_S = 15.0
# How long an enqueued job may wait to be seen: a live alert's latency rides on it (the relay is
# a job). Measured (tests/bench/bench_alert_latency.py, 1,000 subscribers): p99 commit → client
# 104 ms at 50 ms, 84-98 ms at 20 ms, 75-84 ms at 10 ms; an idle worker's CPU is 2.4% of a core
# at 50 ms and 5.5-7% at 10 ms (a poll is one Redis call and arq's loop around it).
POLL_S = 0.01
# arq's default; a job running longer is cancelled (its lease no longer bounds anything else).
JOB_TIMEOUT_S = 300.0


class LeasedWorker(Worker):
    """arq's Worker with a short in-progress mark that it renews while each job runs."""

    def __init__(self, *args: Any, lease_s: float = LEASE_S, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lease_s = lease_s
        self.in_progress_timeout_s = lease_s  # what start_jobs sets the mark to

    async def main(self) -> None:
        renewing = asyncio.create_task(self._renew_leases(), name="wafi-job-leases")
        try:
            await super().main()
        finally:
            await ending.cancel_until_done(renewing, every=0.1)  # it talks to Redis too

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            running = list(self.job_tasks)  # jobs whose function runs now; finished ones drop out
            if not running or self._pool is None:
                continue
            try:
                # PEXPIRE leaves a deleted mark deleted: a job ending meanwhile is not revived.
                async with self._pool.pipeline(transaction=False) as pipe:
                    for job_id in running:
                        pipe.pexpire(in_progress_key_prefix + job_id, int(self.lease_s * 1000))
                    await pipe.execute()
            except (RedisError, OSError) as error:
                logger.warning("renewing the running jobs' leases: %s", _describe(error))


class WorkerSettings:
    """For `arq jobs.worker.WorkerSettings`, on arq's default queue and names: it is not in a
    deployment's namespace and has no leases, so run `wafi worker` (which builds a `LeasedWorker`
    with both) beside `wafi serve`."""

    functions = FUNCTIONS
    cron_jobs = CRON_JOBS
    on_startup = startup
    on_shutdown = shutdown
    after_job_end = alerts.relay_after_job


def build(
    settings: engine.Settings,
    *,
    namespace: namespaces.Namespace,
    burst: bool = False,
    lease_s: float = LEASE_S,
    **ctx: Any,
) -> Worker:
    """A worker with every function and (unless burst) every cron job, on the deployment's
    queue and names."""
    return LeasedWorker(
        functions=FUNCTIONS,
        cron_jobs=None if burst else cron_jobs(namespace),
        queue_name=namespace.queue,
        redis_pool=redis_pool(settings, namespace),
        lease_s=lease_s,
        job_timeout=JOB_TIMEOUT_S,
        on_startup=startup,
        on_shutdown=shutdown,
        after_job_end=alerts.relay_after_job,
        burst=burst,
        poll_delay=POLL_S,
        handle_signals=False,
        ctx={"settings": settings, "namespace": namespace, **ctx},
    )


# Closing a worker may touch a Redis that is down (arq deletes its health key first, with the
# retries above): bounded, so a shutdown during an outage does not hang.
CLOSE_S = 5.0


def _describe(error: BaseException) -> str:
    return engine.without_secrets(f"{type(error).__name__}: {error}")


def _cancelled_from_outside() -> bool:
    """Whether the running task itself is being cancelled (a shutdown), as opposed to a
    CancelledError that escaped from inside arq (a job task cancelled on the way out)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def stop(worker: Worker) -> None:
    """Worker.close, and when that fails (Redis down, a job that raised) still close the job
    pools and the worker's Redis connections."""
    redis = worker.pool  # None when it never connected
    try:
        async with asyncio.timeout(CLOSE_S):
            await worker.close()
    except (Exception, asyncio.CancelledError) as error:
        if isinstance(error, asyncio.CancelledError) and _cancelled_from_outside():
            raise
        # During an outage this is expected (and the failure itself is logged by `supervise`).
        outage = isinstance(error, RedisError | OSError | TimeoutError)
        level = logging.INFO if outage else logging.WARNING
        logger.log(level, "the worker did not close cleanly: %s", _describe(error))
    finally:
        # Jobs still running when close() gave up (it waits for them): ended here, within a
        # bound, or `asyncio.run` would wait for them at exit with no bound at all.
        running = [task for task in worker.tasks.values() if not task.done()]
        if running:
            try:
                async with asyncio.timeout(CLOSE_S):
                    await asyncio.gather(
                        *(ending.cancel_until_done(task, every=0.1) for task in running)
                    )
            except TimeoutError:
                logger.warning(
                    "%d job(s) did not end within %g s of the stop", len(running), CLOSE_S
                )
        try:
            await shutdown(worker.ctx)  # a no-op when close() ran it
        except Exception as error:
            logger.warning("closing the worker's job pools: %s", _describe(error))
        if redis is not None:
            try:
                await redis.aclose(close_connection_pool=True)
            except Exception as error:
                logger.warning("closing the worker's Redis connections: %s", _describe(error))


async def supervise(
    make_worker: Callable[[], Worker],
    *,
    first_delay: float = 0.5,
    max_delay: float = 30.0,
) -> None:
    """Run a worker for good: arq's main loop ends on the first Redis error its retries do not
    ride out, so a fresh worker is started after a capped exponential backoff (the delay starts
    over once a worker has run for `max_delay` without failing). Returns only by cancellation,
    which is never taken for a failure."""
    delay = first_delay
    while True:
        worker = make_worker()
        started = time.monotonic()
        running = asyncio.ensure_future(worker.async_run())
        try:
            # Shielded: our cancellation reaches us at once, and we then end arq's loop, again
            # if it drops one (resolvers/store/shutdown.py says how it can).
            await asyncio.shield(running)
            reason = "its main loop returned"
        except asyncio.CancelledError:
            if _cancelled_from_outside():
                await ending.cancel_until_done(running, every=0.1)
                raise
            reason = "its main loop was cancelled from inside"
        except Exception as error:
            reason = _describe(error)
        finally:
            await stop(worker)
        if _cancelled_from_outside():
            # Our cancellation was lost inside a Redis call before arq's loop took it (see
            # resolvers/store/shutdown.py): a shutdown all the same, not a failure to restart.
            raise asyncio.CancelledError
        if time.monotonic() - started >= max_delay:
            delay = first_delay
        logger.warning("the worker stopped (%s); starting a new one in %g s", reason, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)
