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


async def page(
    conn: asyncpg.Connection, *, org_id: int, filter: Filter, after_id: int | None, first: int
) -> list[Customer]:
    """Oldest first by id; `first + 1` rows so the caller can tell whether there is more."""
    search = None if not filter.search else "%" + _like_escape(text.search_key(filter.search)) + "%"
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM customers WHERE org_id = $1 "
        "AND ($2::text IS NULL OR stage = $2) AND ($3::text IS NULL OR bundle = $3) "
        "AND ($4::text IS NULL OR name_search LIKE $4) AND ($5 OR archived_at IS NULL) "
        "AND ($6::bigint IS NULL OR id > $6) ORDER BY id LIMIT $7",
        org_id,
        filter.stage,
        filter.bundle,
        search,
        filter.include_archived,
        after_id,
        first + 1,
    )
    return [_from_record(row) for row in rows]


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
