"""Alembic environment: async engine, models as target metadata, one migrator at a time."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import resolvers.store.tables  # noqa: F401  (registers every row on the metadata)
from resolvers.store.engine import sqlalchemy_url

# Any number: it names the lock every `wafi migrate` takes, so two migrators run one after another.
MIGRATION_LOCK = 7_201_947

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    url = config.attributes.get("url") or os.environ.get("WAFI_DATABASE_URL")
    if not url:
        raise SystemExit("WAFI_DATABASE_URL is not set: say which PostgreSQL to migrate.")
    return sqlalchemy_url(str(url))


def _run(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
    connection.commit()
    try:
        context.configure(
            connection=connection, target_metadata=target_metadata, compare_server_default=False
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
        connection.commit()


async def _run_async() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `wafi migrate`.")
asyncio.run(_run_async())
