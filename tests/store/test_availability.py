"""Telling an outage from a bug, and replacing a pooled connection the server closed."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
import sqlalchemy.exc
from sqlalchemy import text

from resolvers.store import availability, engine
from tests.live import free_port


async def test_a_connection_closed_on_its_first_statement_is_replaced_once(
    database_url: str,
) -> None:
    pool = await engine.create_read_pool(database_url, size=2)
    pids: list[int] = []

    async def first(conn: asyncpg.Connection) -> int:
        pid: int = await conn.fetchval("SELECT pg_backend_pid()")
        pids.append(pid)
        if len(pids) == 1:  # the server ends this session, as a restart would
            await conn.execute("RESET ROLE; SELECT pg_terminate_backend(pg_backend_pid())")
        return pid

    try:
        async with availability.first_use(pool, first) as (conn, pid):
            assert await conn.fetchval("SELECT pg_backend_pid()") == pid
        assert len(pids) == 2
        assert pids[0] != pids[1]
    finally:
        await pool.close()


async def test_a_statement_error_is_not_retried(database_url: str) -> None:
    pool = await engine.create_read_pool(database_url, size=1)
    calls = 0

    async def first(conn: asyncpg.Connection) -> None:
        nonlocal calls
        calls += 1
        await conn.execute("SELECT 1/0")

    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            async with availability.first_use(pool, first):
                pass  # pragma: no cover
        assert calls == 1
        assert pool.get_idle_size() == pool.get_size()  # returned to the pool
    finally:
        await pool.close()


async def test_refused_connections_are_unavailable_and_bugs_are_not(database_url: str) -> None:
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/none"
    with pytest.raises(ConnectionRefusedError) as refused:
        await asyncpg.connect(nowhere, timeout=5)
    assert availability.is_unavailable(refused.value)

    write = engine.create_write_engine(nowhere, size=1)
    try:
        with pytest.raises((ConnectionRefusedError, sqlalchemy.exc.DBAPIError)) as wrapped:
            async with engine.transaction(engine.sessions(write), 1) as session:
                await session.execute(text("SELECT 1"))
    finally:
        await write.dispose()
    assert availability.is_unavailable(wrapped.value)

    conn = await asyncpg.connect(engine.asyncpg_dsn(database_url))
    try:
        with pytest.raises(asyncpg.UndefinedTableError) as missing:
            await conn.execute("SELECT * FROM no_such_table")
    finally:
        await conn.close()
    assert not availability.is_unavailable(missing.value)
    assert not availability.is_unavailable(RuntimeError("a bug"))
    assert not availability.is_unavailable(asyncio.CancelledError())
