"""A customer's connectors (docs/rules.md §4.5): the only place that speaks SQL about them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.connectors import ConnectorKey, ConnectorState


async def state_for_update(
    session: AsyncSession, *, org_id: int, customer_id: int, key: ConnectorKey
) -> ConnectorState:
    """The connector's state (not_started when never touched); the caller holds the customer's
    row lock, so two moves of one connector queue."""
    result = await session.execute(
        text(
            "SELECT state FROM customer_connectors WHERE org_id = :org AND customer_id = :c "
            "AND key = :key"
        ),
        {"org": org_id, "c": customer_id, "key": key.value},
    )
    found = result.scalar_one_or_none()
    return ConnectorState.NOT_STARTED if found is None else ConnectorState(found)


async def save(
    session: AsyncSession,
    *,
    org_id: int,
    customer_id: int,
    key: ConnectorKey,
    state: ConnectorState,
    now: datetime,
) -> None:
    await session.execute(
        text(
            "INSERT INTO customer_connectors (org_id, customer_id, key, state, updated_at) "
            "VALUES (:org, :c, :key, :state, :at) ON CONFLICT (org_id, customer_id, key) "
            "DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at"
        ),
        {"org": org_id, "c": customer_id, "key": key.value, "state": state.value, "at": now},
    )


async def by_customers(
    conn: asyncpg.Connection, *, org_id: int, customer_ids: Sequence[int]
) -> dict[int, dict[ConnectorKey, tuple[ConnectorState, datetime]]]:
    """Batch load: each customer's touched connectors (state, since when), one query."""
    rows = await conn.fetch(
        "SELECT customer_id, key, state, updated_at FROM customer_connectors "
        "WHERE org_id = $1 AND customer_id = ANY($2::bigint[])",
        org_id,
        list(customer_ids),
    )
    found: dict[int, dict[ConnectorKey, tuple[ConnectorState, datetime]]] = {
        pk: {} for pk in customer_ids
    }
    for row in rows:
        found[row["customer_id"]][ConnectorKey(row["key"])] = (
            ConnectorState(row["state"]),
            row["updated_at"],
        )
    return found


async def states_of(
    session: AsyncSession, *, org_id: int, customer_id: int
) -> dict[ConnectorKey, tuple[ConnectorState, datetime]]:
    """One customer's touched connectors, read in the caller's transaction."""
    result = await session.execute(
        text(
            "SELECT key, state, updated_at FROM customer_connectors "
            "WHERE org_id = :org AND customer_id = :c"
        ),
        {"org": org_id, "c": customer_id},
    )
    return {ConnectorKey(row.key): (ConnectorState(row.state), row.updated_at) for row in result}
