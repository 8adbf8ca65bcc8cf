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
from arq.connections import RedisSettings
from arq.worker import Worker
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from jobs import alerts
from jobs import incidents as incident_jobs
from jobs import playbooks as playbook_jobs
from jobs import sla as sla_jobs
from jobs import success as success_jobs
from jobs import webhooks as webhook_jobs
from resolvers.store import engine, outbox

logger = logging.getLogger(__name__)

FUNCTIONS: list[Any] = [
    # No result kept: its job id frees as soon as it ends, so the next commit can enqueue it.
    func(alerts.relay_outbox, name=outbox.RELAY_JOB, keep_result=0),
    incident_jobs.scan_incident_updates,
    incident_jobs.scan_pdpl_deadlines,
    sla_jobs.scan_sla_breaches,
    success_jobs.snapshot_health,
    success_jobs.scan_customers,
    playbook_jobs.scan_playbooks,
    func(webhook_jobs.deliver_webhooks, name=webhook_jobs.DELIVER_JOB, keep_result=0),
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
    # Playbooks: every minute, so a red flag's hour is checked to the minute and a pilot's day
    # starts with its drafts (each step once; the scan reads only pilots of the last 31 days).
    cron(playbook_jobs.scan_playbooks, second=30, unique=True),
    # Webhook retries fall due on their own: a sweep every 5 s (new messages are enqueued by
    # the relay at once).
    cron(webhook_jobs.deliver_webhooks, second=set(range(1, 60, 5)), unique=True),
]


async def startup(ctx: dict[str, Any]) -> None:
    """Open the job pools: jobs scan across organisations, so they connect as the owner role."""
    settings: engine.Settings = ctx.get("settings") or engine.Settings.from_env()
    if not settings.database_url:
        raise SystemExit("WAFI_DATABASE_URL is not set: the worker needs PostgreSQL.")
    ctx["settings"] = settings
    ctx["db"] = await engine.create_system_pool(settings.database_url)
    ctx.setdefault("clock", lambda: datetime.now(UTC))


async def shutdown(ctx: dict[str, Any]) -> None:
    pool = ctx.pop("db", None)  # popped: a second call (see `stop`) is a no-op
    if pool is not None:
        await pool.close()


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


class WorkerSettings:
    """For `arq jobs.worker.WorkerSettings`; `wafi worker` builds the same thing."""

    functions = FUNCTIONS
    cron_jobs = CRON_JOBS
    on_startup = startup
    on_shutdown = shutdown
    after_job_end = alerts.relay_after_job


def build(
    settings: engine.Settings, *, redis_pool: Any = None, burst: bool = False, **ctx: Any
) -> Worker:
    """A worker with every function and (unless burst) every cron job."""
    return Worker(
        functions=FUNCTIONS,
        cron_jobs=None if burst else CRON_JOBS,
        redis_settings=None if redis_pool is not None else redis_settings(settings),
        redis_pool=redis_pool,
        on_startup=startup,
        on_shutdown=shutdown,
        after_job_end=alerts.relay_after_job,
        burst=burst,
        # How long an enqueued job may wait to be seen: alerts' latency rides on it, and a poll
        # is one cheap Redis call.
        poll_delay=0.05,
        handle_signals=False,
        ctx={"settings": settings, **ctx},
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
        try:
            await worker.async_run()
            reason = "its main loop returned"
        except asyncio.CancelledError:
            if _cancelled_from_outside():
                raise
            reason = "its main loop was cancelled from inside"
        except Exception as error:
            reason = _describe(error)
        finally:
            await stop(worker)
        if time.monotonic() - started >= max_delay:
            delay = first_delay
        logger.warning("the worker stopped (%s); starting a new one in %g s", reason, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)
