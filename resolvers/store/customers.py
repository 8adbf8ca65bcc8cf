"""Customers: the only place that speaks SQL about them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from domain import text
from domain.customers import Bundle, Customer, Locale, Stage, SubscriptionStatus
from resolvers.store import paging
from resolvers.store.tables import CustomerRow

_COLUMNS = (
    "id, version, name, locale, bundle, stage, subscription_status, subscription_started_at, "
    "renews_at, contact_email, last_activity_at, archived_at"
)


@dataclass(frozen=True, slots=True)
class Filter:
    stage: Stage | None = None
    bundle: Bundle | None = None
    search: str | None = None
    include_archived: bool = False


def _from_record(row: asyncpg.Record | CustomerRow) -> Customer:
    return Customer(
        id=row["id"] if isinstance(row, asyncpg.Record) else row.id,
        version=_get(row, "version"),
        name=_get(row, "name"),
        locale=Locale(_get(row, "locale")),
        bundle=Bundle(_get(row, "bundle")),
        stage=Stage(_get(row, "stage")),
        subscription_status=SubscriptionStatus(_get(row, "subscription_status")),
        subscription_started_at=_get(row, "subscription_started_at"),
        renews_at=_get(row, "renews_at"),
        contact_email=_get(row, "contact_email"),
        last_activity_at=_get(row, "last_activity_at"),
        archived_at=_get(row, "archived_at"),
    )


def _get(row: asyncpg.Record | CustomerRow, key: str) -> Any:
    value: Any = row[key] if isinstance(row, asyncpg.Record) else getattr(row, key)
    return value


# The sort keys of `page`'s orderings: (SQL, type, the key of a customer never scored when
# ascending, when descending). Health and at-risk order by the last daily snapshot (what
# `healthHistory` shows last), not the live scores: those are computed per page and cannot be
# ordered on in SQL. A customer never scanned sorts last either way.
_ORDERS = {
    "HEALTH_SCORE": ("coalesce(s.value, {missing})", "numeric", "1000", "-1"),
    "AT_RISK_SCORE": ("coalesce(s.risk_score, {missing})", "int", "1000", "-1"),
    "NAME": ("x.name", "text", "", ""),
    "CREATED_AT": ("x.created_at", "timestamptz", "", ""),
}
_LAST_SNAPSHOT = (
    " LEFT JOIN LATERAL (SELECT h.value, h.risk_score FROM health_snapshots h "
    "WHERE h.org_id = x.org_id AND h.customer_id = x.id ORDER BY h.day DESC LIMIT 1) s ON true"
)


def _where(filter: Filter, org_id: int, bind: paging.Params) -> list[str]:
    search = None if not filter.search else "%" + _like_escape(text.search_key(filter.search)) + "%"
    stage, bundle, like = bind(filter.stage), bind(filter.bundle), bind(search)
    return [
        f"x.org_id = {bind(org_id)}",
        f"({stage}::text IS NULL OR x.stage = {stage})",
        f"({bundle}::text IS NULL OR x.bundle = {bundle})",
        f"({like}::text IS NULL OR x.name_search LIKE {like})",
        f"({bind(filter.include_archived)} OR x.archived_at IS NULL)",
    ]


async def page(
    conn: asyncpg.Connection,
    *,
    org_id: int,
    filter: Filter,
    keyset: paging.Keyset,
    order: str | None = None,
) -> list[tuple[Any, Customer]]:
    """One page, each customer with its sort key: by id (oldest first) or by `order` (a key of
    `_ORDERS`), ties by id; `keyset.limit` rows, read backward for `last`."""
    joins = ""
    if order is not None:
        sql, cast, missing_asc, missing_desc = _ORDERS[order]
        missing = missing_desc if keyset.descending else missing_asc
        keyset = replace(keyset, key=sql.format(missing=missing), cast=cast)
        joins = _LAST_SNAPSHOT if "s." in sql else ""
    bind = paging.Params()
    where = _where(filter, org_id, bind)
    more, tail = paging.clauses(keyset, id_sql="x.id", bind=bind)
    columns = ", ".join(f"x.{c}" for c in _COLUMNS.split(", "))
    rows = await conn.fetch(
        f"SELECT {columns}, {keyset.key or 'NULL'} AS sort_key FROM customers x{joins} "
        f"WHERE {' AND '.join(where + more)}{tail}",
        *bind.values,
    )
    return [(row["sort_key"], _from_record(row)) for row in rows]


async def count(conn: asyncpg.Connection, *, org_id: int, filter: Filter) -> int:
    """How many customers `page` would list with `filter`, over all pages."""
    bind = paging.Params()
    where = _where(filter, org_id, bind)
    total: int = await conn.fetchval(
        f"SELECT count(*) FROM customers x WHERE {' AND '.join(where)}", *bind.values
    )
    return total


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def by_ids(conn: asyncpg.Connection, *, org_id: int, ids: Sequence[int]) -> list[Customer]:
    """Batch load for DataLoaders: one query for any number of ids."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM customers WHERE org_id = $1 AND id = ANY($2::bigint[])",
        org_id,
        list(ids),
    )
    return [_from_record(row) for row in rows]


async def insert(
    session: AsyncSession, *, org_id: int, customer: Customer, now: datetime
) -> Customer:
    row = CustomerRow(
        org_id=org_id,
        name=customer.name,
        name_search=customer.name_search,
        locale=customer.locale.value,
        bundle=customer.bundle.value,
        stage=customer.stage.value,
        subscription_status=customer.subscription_status.value,
        subscription_started_at=customer.subscription_started_at,
        renews_at=customer.renews_at,
        contact_email=customer.contact_email,
        last_activity_at=customer.last_activity_at,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    return replace(customer, id=row.id, version=1)


async def get_for_update(
    session: AsyncSession, *, org_id: int, customer_id: int
) -> Customer | None:
    """The current customer, locked until the transaction ends."""
    row = await session.get(CustomerRow, (org_id, customer_id), with_for_update=True)
    return None if row is None else _from_record(row)


async def save(session: AsyncSession, *, org_id: int, customer: Customer, now: datetime) -> None:
    """Write a changed customer; the caller has checked its version under the row lock."""
    row = await session.get(CustomerRow, (org_id, customer.id))
    assert row is not None
    row.name = customer.name
    row.name_search = customer.name_search
    row.locale = customer.locale.value
    row.bundle = customer.bundle.value
    row.stage = customer.stage.value
    row.subscription_status = customer.subscription_status.value
    row.subscription_started_at = customer.subscription_started_at
    row.renews_at = customer.renews_at
    row.contact_email = customer.contact_email
    row.last_activity_at = customer.last_activity_at
    row.archived_at = customer.archived_at
    row.version = customer.version
    row.updated_at = now
    await session.flush()
