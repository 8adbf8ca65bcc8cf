"""arq WorkerSettings: cron scans and on-demand jobs (`wafi worker`, or inside `wafi serve`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Worker

from jobs import alerts
from resolvers.store import engine

FUNCTIONS: list[Any] = [alerts.relay_outbox]
CRON_JOBS: list[Any] = [
    cron(alerts.relay_outbox, second=set(range(0, 60, 5)), unique=True, run_at_startup=True),
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
    pool = ctx.get("db")
    if pool is not None:
        await pool.close()


def redis_settings(settings: engine.Settings) -> RedisSettings:
    if not settings.redis_url:
        raise SystemExit("WAFI_REDIS_URL is not set: the worker needs Redis.")
    return RedisSettings.from_dsn(settings.redis_url)


class WorkerSettings:
    """For `arq jobs.worker.WorkerSettings`; `wafi worker` builds the same thing."""

    functions = FUNCTIONS
    cron_jobs = CRON_JOBS
    on_startup = startup
    on_shutdown = shutdown


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
        burst=burst,
        poll_delay=0.05 if burst else 0.5,
        handle_signals=False,
        ctx={"settings": settings, **ctx},
    )
