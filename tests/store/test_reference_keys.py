"""Composite foreign keys keep every reference inside its organisation, even under RLS."""

from __future__ import annotations

import asyncpg
import pytest

from resolvers.store import engine
from tests.factories import Org

_INSERT_LEDGER = (
    "INSERT INTO ledger (org_id, operator_id, role, action, entity, entity_id, at) "
    "VALUES ($1, $2, 'owner', 'test.reference', 'Customer', 1, now())"
)


async def _owner_id(system_pool: asyncpg.Pool, org: Org) -> int:
    operator_id = await system_pool.fetchval(
        "SELECT id FROM operators WHERE org_id = $1 ORDER BY id LIMIT 1", org.id
    )
    assert isinstance(operator_id, int)
    return operator_id


async def test_a_ledger_row_cannot_name_another_organisations_operator(
    org: Org, other_org: Org, system_pool: asyncpg.Pool, database_url: str
) -> None:
    ours = await _owner_id(system_pool, org)
    theirs = await _owner_id(system_pool, other_org)
    pool = await engine.create_read_pool(database_url, size=1)
    try:
        async with engine.scoped(pool, org.id) as conn:
            # The row itself is ours, so RLS lets it through: only the foreign key refuses it.
            with pytest.raises(asyncpg.ForeignKeyViolationError) as refused:
                await conn.execute(_INSERT_LEDGER, org.id, theirs)
            assert refused.value.constraint_name == "ledger_operator_id_fk"
        async with engine.scoped(pool, org.id) as conn:
            # Our own operator, and no operator at all (MATCH SIMPLE), are both accepted.
            await conn.execute(_INSERT_LEDGER, org.id, ours)
            await conn.execute(_INSERT_LEDGER, org.id, None)
    finally:
        await pool.close()
    written = await system_pool.fetch(
        "SELECT operator_id FROM ledger WHERE org_id = $1 AND action = 'test.reference' "
        "ORDER BY id",
        org.id,
    )
    assert [row["operator_id"] for row in written] == [ours, None]
