"""Migration 0008: its SQL agrees with `search_key`; it recomputes stored keys both ways."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import asyncpg
import pytest
from alembic import command

from domain.text import normalise, search_key
from resolvers.store import engine, migrate
from tests.scratch import database_at

MIGRATION = (
    Path(__file__).resolve().parents[2]
    / "migrations"
    / "versions"
    / "2026-11-27_0008_name_search_hamza.py"
)

TRICKY_NAMES = [
    "مؤسسة النور",
    "هيئة الاتصالات",
    "المسؤول",
    "إنشاء ئ ؤ ة",
    "مُؤَسَّسَةٌ",
    "مـؤسـسـة",
    "ء",
    "ءءء ءء",
    "شركة ء النور",
    "ء شركة",
    "شركة ء",
    "  سماء\t\n الخليج\u00a0 ",
    "أإآٱى",
    "ةةة",
    "Straße ÄRZTE",  # casefold gives "ss"; PostgreSQL's lower() would not
    "ΣΟΦΟΣ",  # casefold gives a medial sigma at the end
    "İstanbul",
    "ﬁne",
    "50% off_now \\ 'quoted'",
    "",
]


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0008", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_sql_folding_equals_search_key_on_tricky_names(
    system_pool: asyncpg.Pool,
) -> None:
    fold_sql = _migration().fold_sql
    async with system_pool.acquire() as conn:
        for name in TRICKY_NAMES:
            folded = await conn.fetchval(f"SELECT {fold_sql('$1::text')}", normalise(name))
            assert folded == search_key(name), name


@pytest.fixture
async def at_0007(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    """A database of its own, migrated only to 0007 (before the search folds)."""
    async with database_at(server_urls[0], "0007") as url:
        yield url


async def _keys(conn: asyncpg.Connection) -> dict[tuple[int, int], tuple[str, str]]:
    rows = await conn.fetch("SELECT org_id, id, name, name_search FROM customers")
    return {(row["org_id"], row["id"]): (row["name"], row["name_search"]) for row in rows}


async def test_upgrade_folds_existing_keys_and_downgrade_restores_them(at_0007: str) -> None:
    # More rows than one downgrade batch, across two organisations, keyed as the 0007 store did.
    names = [TRICKY_NAMES[index % len(TRICKY_NAMES)] for index in range(1_100)]
    conn = await asyncpg.connect(engine.asyncpg_dsn(at_0007))
    try:
        orgs = [
            await conn.fetchval(
                "INSERT INTO organisations (slug, name, created_at) "
                "VALUES ($1, $1, now()) RETURNING id",
                slug,
            )
            for slug in ("first", "second")
        ]
        await conn.executemany(
            "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
            "subscription_status, subscription_started_at, created_at, updated_at) "
            "VALUES ($1, $2, $3, 'ar', 'growth_starter', 'onboarding', 'pilot', now(), now(), "
            "now())",
            [(orgs[index % 2], name, normalise(name)) for index, name in enumerate(names)],
        )
        before = await _keys(conn)
        assert len(before) == len(names)
        assert any(name_search != search_key(name) for name, name_search in before.values())

        await asyncio.to_thread(command.upgrade, migrate.config(at_0007), "0008")
        upgraded = await _keys(conn)
        assert upgraded.keys() == before.keys()
        assert all(key == search_key(name) for name, key in upgraded.values())

        await asyncio.to_thread(command.downgrade, migrate.config(at_0007), "0007")
        assert await _keys(conn) == before
    finally:
        await conn.close()
