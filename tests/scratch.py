"""Scratch databases on the tests' PostgreSQL server: the run's own (tests/conftest.py) and the
migration tests', each migrated only to the revision before the one under test."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from alembic import command

from resolvers.store import engine, migrate


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database (keeps ?host=... for sockets)."""
    head, sep, query = url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}{sep}{query}"


@asynccontextmanager
async def database_at(admin_url: str, revision: str) -> AsyncIterator[str]:
    """A database of its own, migrated to `revision` only; dropped at the end."""
    admin = await asyncpg.connect(engine.asyncpg_dsn(admin_url))
    name = f"wafi_test_at_{revision}_{secrets.token_hex(4)}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = with_database(admin_url, name)
        await asyncio.to_thread(command.upgrade, migrate.config(url), revision)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
