"""Telling "the database is down" from a bug, and surviving connections a restart closed.

While PostgreSQL is down, stopping or restarting, every request fails the same way; the API
answers 503 SERVICE_UNAVAILABLE with Retry-After for those (schema/http_errors.py) instead of a
500. A pooled connection the server closed while it sat idle is replaced once, when it is first
used, so the first request after the database returns is served.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg
import sqlalchemy.exc

T = TypeVar("T")

RETRY_AFTER_S = 5

# Refused, reset, timed out (asyncio.TimeoutError is TimeoutError, an OSError) or the socket
# file of a stopped server gone: all OSErrors. SQLSTATE classes 08 (connection exception),
# 57P01-57P03 (shutdown, crash, starting up) and 53300 (no connection slots left).
_DRIVER_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    sqlalchemy.exc.TimeoutError,  # the write pool had no connection to lend in time
    # WAFI_STATEMENT_TIMEOUT_S ran out (a frozen or overloaded server): answered 503 with
    # Retry-After like an outage, not a masked Internal error.
    asyncpg.QueryCanceledError,
    TimeoutError,
)


def is_unavailable(error: BaseException) -> bool:
    """True when `error` (or what it wraps) says the database cannot be reached or is going
    away, rather than that the statement or the code is wrong."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, _DRIVER_UNAVAILABLE) or _closed(current):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        pending += [current.__cause__, current.__context__, getattr(current, "orig", None)]
    return False


def _closed(error: BaseException) -> bool:
    """asyncpg's "connection is closed" / "connection was closed in the middle of operation"."""
    return isinstance(error, asyncpg.InterfaceError) and "connection is closed" in str(error)


def _stale(error: BaseException) -> bool:
    """The connection, not the statement, failed: closed under us, or the "terminating
    connection" notice of a server that went away while the connection sat in the pool."""
    return isinstance(
        error, asyncpg.ConnectionDoesNotExistError | asyncpg.AdminShutdownError
    ) or _closed(error)


@asynccontextmanager
async def first_use(
    pool: asyncpg.Pool, statement: Callable[[asyncpg.Connection], Awaitable[T]]
) -> AsyncIterator[tuple[asyncpg.Connection, T]]:
    """A pooled connection and the result of its first `statement`, held for the block.

    A connection the server closed while it sat in the pool (a database restart) fails on its
    first statement; it is dropped and the statement runs once more on a fresh connection.
    """
    for attempt in (1, 2):
        conn = await pool.acquire()
        try:
            result = await statement(conn)
        except BaseException as error:
            await pool.release(conn)
            if attempt == 1 and _stale(error):
                continue
            raise
        try:
            yield conn, result
        finally:
            await pool.release(conn)
        return
