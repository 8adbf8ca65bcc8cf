"""The action ledger (docs/rules.md §6): one append-only row per mutation, and its reads."""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ledger import Entry
from domain.roles import Principal
from resolvers.store import paging
from resolvers.store.tables import LedgerRow


def snapshot(value: Any) -> dict[str, Any] | None:
    """A JSON-ready picture of a domain object for the ledger's before/after."""
    if value is None:
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        raw = dataclasses.asdict(value)
    else:
        raw = dict(value)
    return {key: _plain(item) for key, item in raw.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


async def record(
    session: AsyncSession,
    *,
    principal: Principal,
    action: str,
    entity: str,
    entity_id: int,
    before: Any,
    after: Any,
    now: datetime,
) -> None:
    """Append the mutation's ledger row inside its transaction."""
    session.add(
        LedgerRow(
            org_id=principal.org_id,
            operator_id=principal.operator_id,
            role=principal.role.value,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=snapshot(before),
            after=snapshot(after),
            at=now,
        )
    )
    await session.flush()


def _where(
    org_id: int, entity: str | None, entity_id: int | None, bind: paging.Params
) -> list[str]:
    kind, pk = bind(entity), bind(entity_id)
    return [
        f"org_id = {bind(org_id)}",
        f"({kind}::text IS NULL OR entity = {kind})",
        f"({pk}::bigint IS NULL OR entity_id = {pk})",
    ]


async def page(
    conn: asyncpg.Connection,
    *,
    org_id: int,
    entity: str | None,
    entity_id: int | None,
    keyset: paging.Keyset,
) -> list[Entry]:
    """Newest first (by id); `keyset.limit` rows, read backward for `last`."""
    bind = paging.Params()
    where = _where(org_id, entity, entity_id, bind)
    more, tail = paging.clauses(keyset, id_sql="id", bind=bind)
    rows = await conn.fetch(
        "SELECT id, operator_id, role, action, entity, entity_id, before, after, at FROM ledger "
        f"WHERE {' AND '.join(where + more)}{tail}",
        *bind.values,
    )
    return [Entry(**dict(row)) for row in rows]


async def count(
    conn: asyncpg.Connection, *, org_id: int, entity: str | None, entity_id: int | None
) -> int:
    """How many entries `page` would list, over all pages."""
    bind = paging.Params()
    where = _where(org_id, entity, entity_id, bind)
    total: int = await conn.fetchval(
        f"SELECT count(*) FROM ledger WHERE {' AND '.join(where)}", *bind.values
    )
    return total


# The tables behind the ledger's entity names: `ledger(entity:)` answers NOT_FOUND for an id
# that names nothing of the caller's organisation, never an empty page.
_ENTITY_TABLES = {
    "Alert": "alerts",
    "CheckIn": "check_ins",
    "Customer": "customers",
    "Draft": "drafts",
    "Incident": "incidents",
    "NpsResponse": "nps_responses",
    "ProofPack": "proof_packs",
    "SuccessPlan": "success_plans",
    "SuccessPlanItem": "success_plan_items",
    "Ticket": "tickets",
}


async def entity_exists(
    conn: asyncpg.Connection, *, org_id: int, entity: str, entity_id: int
) -> bool:
    """Whether `entity` `entity_id` is one of the organisation's (the organisation itself too)."""
    if entity == "Organisation":
        return entity_id == org_id
    table = _ENTITY_TABLES.get(entity)
    if table is None:
        return False
    found: bool = await conn.fetchval(
        f"SELECT EXISTS (SELECT 1 FROM {table} WHERE org_id = $1 AND id = $2)", org_id, entity_id
    )
    return found
