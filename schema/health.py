"""Readiness: PostgreSQL and Redis answer, each within the probe timeout.

A frozen server (a stopped process, a dead network path) accepts a connection or a command and
never answers; a probe awaiting it would hang `/readyz` and the load balancer behind it. So each
probe runs as a task of its own that is abandoned (cancelled, its clean-up left to finish in the
background) once its time is up, and the answer names it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from resolvers.store import engine
from schema.context import Resources

_ABANDONED: set[asyncio.Task[None]] = set()  # probes given up on, kept until they end


async def probe(check: Callable[[], Awaitable[None]], *, within: float) -> str:
    """ "ok", or the name of what went wrong ("TimeoutError" when no answer came in time)."""
    task = asyncio.create_task(_run(check))
    done, _ = await asyncio.wait({task}, timeout=within)
    if not done:
        task.cancel()
        _ABANDONED.add(task)
        task.add_done_callback(_ABANDONED.discard)
        return "TimeoutError"
    error = task.exception()
    return "ok" if error is None else type(error).__name__


async def _run(check: Callable[[], Awaitable[None]]) -> None:
    await check()


async def readiness(resources: Resources) -> dict[str, str]:
    """Each server's state, probed at once; ready when every value is "ok"."""

    async def postgres() -> None:
        async with engine.scoped(resources.pool, None) as conn:
            await conn.fetchval("SELECT 1")

    async def redis() -> None:
        if resources.queue is None:  # the app always holds one; only `wafi demo` has none
            raise ConnectionError("no queue")
        await resources.queue.ping()

    within = resources.settings.ready_timeout_s
    states = await asyncio.gather(probe(postgres, within=within), probe(redis, within=within))
    return dict(zip(("postgres", "redis"), states, strict=True))
