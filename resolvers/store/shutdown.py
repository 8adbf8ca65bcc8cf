"""Ending what a process runs, in bounded time: its pools and its long-lived tasks.

A shutdown that hangs is worse than one that cuts a connection: the orchestrator waits, then
kills the process anyway (docs/operations.md, Running in production). Two things could make
ours hang:
- `asyncpg.Pool.close` waits for every connection to come back, and one held by a query that
  never answers would hold it for good;
- on Python 3.11, `asyncio.wait_for` drops a cancellation that arrives in the same loop step as
  its inner call completes (fixed in 3.12). redis-py sends every command of a client with a
  socket timeout through it, so a worker polling its queue every few milliseconds is nearly
  always inside one: a single `cancel()` may be lost, and arq's main loop then polls on forever.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg

log = logging.getLogger("wafi")

# How long closing a pool waits for its connections to come back before cutting them.
CLOSE_S = 5.0


async def close_pool(pool: asyncpg.Pool, *, within: float = CLOSE_S) -> None:
    """Close a pool; after `within` seconds the connections still out are terminated."""
    try:
        async with asyncio.timeout(within):
            await pool.close()
    except TimeoutError:
        log.warning("a connection pool did not close within %g s: its connections were cut", within)
        pool.terminate()


async def cancel_until_done(task: asyncio.Future[Any], *, every: float) -> None:
    """Cancel `task` and wait for it to end, cancelling it again each `every` seconds it runs
    on (a cancellation can be lost, see the module docstring). `every` is longer than the task
    needs to clean up once cancelled: a repeat cuts that cleanup short. Returns once the task
    is done, whatever it ended with; cancelling the caller stops the waiting, not the task."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=every)
    if not task.cancelled():
        task.exception()  # seen: an error it ended with is the caller's to log, not asyncio's
