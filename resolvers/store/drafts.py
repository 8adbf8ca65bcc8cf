"""Drafts (docs/rules.md §1): the only place that speaks SQL about them; every slice creates its
outbound texts through `create`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.drafts import Draft, DraftKind, DraftStatus
from resolvers.store import paging
from resolvers.store.tables import DraftRow

_COLUMNS = (
    "id, version, customer_id, kind, subject_type, subject_id, locale, body, status, created_at, "
    "decided_at, decided_by, sent_at, sent_by"
)


async def create(
    session: AsyncSession,
    *,
    org_id: int,
    customer_id: int,
    kind: str,
    subject_type: str,
    subject_id: int,
    locale: str,
    body: str,
    now: datetime,
) -> int:
    """Store a new draft awaiting approval in the caller's transaction; returns its id."""
    row = DraftRow(
        org_id=org_id,
        customer_id=customer_id,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        locale=locale,
        body=body,
        status=DraftStatus.DRAFT.value,
        created_at=now,
        version=1,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    return row.id


@dataclass(frozen=True, slots=True)
class NewDraft:
    """An at-risk email a scan writes for one rise alert (see `insert_at_risk_emails`)."""

    org_id: int
    customer_id: int
    subject_id: int
    locale: str
    body: str


async def insert_at_risk_emails(
    conn: asyncpg.Connection, *, drafts: Sequence[NewDraft], now: datetime
) -> int:
    """Set-based: one at-risk email per rise alert (the subject), however many scans race.

    The unique index `drafts_at_risk_email_once` makes a repeat a no-op. Returns how many new.
    """
    rows = await conn.fetch(
        "INSERT INTO drafts (org_id, customer_id, kind, subject_type, subject_id, locale, body, "
        "status, created_at, version) "
        "SELECT d.org_id, d.customer_id, 'at_risk_email', 'alert', d.subject_id, d.locale, "
        "d.body, 'draft', $1, 1 "
        "FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[]) "
        "AS d(org_id, customer_id, subject_id, locale, body) "
        "ON CONFLICT (org_id, subject_id) WHERE kind = 'at_risk_email' DO NOTHING RETURNING id",
        now,
        [d.org_id for d in drafts],
        [d.customer_id for d in drafts],
        [d.subject_id for d in drafts],
        [d.locale for d in drafts],
        [d.body for d in drafts],
    )
    return len(rows)


@dataclass(frozen=True, slots=True)
class Filter:
    """Which drafts a page lists; None leaves that side open."""

    statuses: Sequence[DraftStatus] | None = None
    kinds: Sequence[DraftKind] | None = None
    customer_id: int | None = None


def _where(org_id: int, filter: Filter, bind: paging.Params) -> list[str]:
    statuses = bind(None if filter.statuses is None else [s.value for s in filter.statuses])
    kinds = bind(None if filter.kinds is None else [k.value for k in filter.kinds])
    customer = bind(filter.customer_id)
    return [
        f"org_id = {bind(org_id)}",
        f"({statuses}::text[] IS NULL OR status = ANY({statuses}))",
        f"({kinds}::text[] IS NULL OR kind = ANY({kinds}))",
        f"({customer}::bigint IS NULL OR customer_id = {customer})",
    ]


def _from_record(row: Any) -> Draft:
    get = row.__getitem__ if isinstance(row, asyncpg.Record) else row.__getattribute__
    return Draft(
        id=get("id"),
        version=get("version"),
        customer_id=get("customer_id"),
        kind=DraftKind(get("kind")),
        subject_type=get("subject_type"),
        subject_id=get("subject_id"),
        locale=get("locale"),
        body=get("body"),
        status=DraftStatus(get("status")),
        created_at=get("created_at"),
        decided_at=get("decided_at"),
        decided_by=get("decided_by"),
        sent_at=get("sent_at"),
        sent_by=get("sent_by"),
    )


async def by_ids(conn: asyncpg.Connection, *, org_id: int, ids: Sequence[int]) -> list[Draft]:
    """Batch load for DataLoaders: one query for any number of ids."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM drafts WHERE org_id = $1 AND id = ANY($2::bigint[])",
        org_id,
        list(ids),
    )
    return [_from_record(row) for row in rows]


async def latest_by_subjects(
    conn: asyncpg.Connection,
    *,
    org_id: int,
    kind: DraftKind,
    subject_type: str,
    subject_ids: Sequence[int],
) -> dict[int, Draft]:
    """The newest draft of `kind` for each subject, for a whole page in one query."""
    rows = await conn.fetch(
        f"SELECT DISTINCT ON (subject_id) {_COLUMNS} FROM drafts WHERE org_id = $1 "
        "AND subject_type = $2 AND subject_id = ANY($3::bigint[]) AND kind = $4 "
        "ORDER BY subject_id, id DESC",
        org_id,
        subject_type,
        list(subject_ids),
        kind.value,
    )
    return {row["subject_id"]: _from_record(row) for row in rows}


async def get_for_update(session: AsyncSession, *, org_id: int, draft_id: int) -> Draft | None:
    """The current draft, locked until the transaction ends."""
    row = await session.get(DraftRow, (org_id, draft_id), with_for_update=True)
    return None if row is None else _from_record(row)


async def save(session: AsyncSession, *, org_id: int, draft: Draft) -> None:
    """Write a decided or sent draft; the caller has checked its version under the row lock."""
    row = await session.get(DraftRow, (org_id, draft.id))
    assert row is not None
    row.status = draft.status.value
    row.body = draft.body
    row.decided_at = draft.decided_at
    row.decided_by = draft.decided_by
    row.sent_at = draft.sent_at
    row.sent_by = draft.sent_by
    row.version = draft.version
    await session.flush()


async def latest_for_subject(
    session: AsyncSession, *, org_id: int, kind: DraftKind, subject_type: str, subject_id: int
) -> Draft | None:
    """The newest draft of `kind` about one subject, in the caller's transaction."""
    result = await session.execute(
        select(DraftRow)
        .where(
            DraftRow.org_id == org_id,  # type: ignore[arg-type]
            DraftRow.subject_type == subject_type,  # type: ignore[arg-type]
            DraftRow.subject_id == subject_id,  # type: ignore[arg-type]
            DraftRow.kind == kind.value,  # type: ignore[arg-type]
        )
        .order_by(DraftRow.id.desc())  # type: ignore[union-attr]
        .limit(1)
    )
    row = result.scalars().first()
    return None if row is None else _from_record(row)


# For stores that read drafts joined to their subjects (sequences).
from_record = _from_record


async def for_subjects(
    conn: asyncpg.Connection, *, org_id: int, subject_type: str, subject_ids: Sequence[int]
) -> dict[int, list[Draft]]:
    """Every draft about each subject, oldest first, one query (a pilot's steps, §8.1)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM drafts WHERE org_id = $1 AND subject_type = $2 "
        "AND subject_id = ANY($3::bigint[]) ORDER BY id",
        org_id,
        subject_type,
        list(subject_ids),
    )
    found: dict[int, list[Draft]] = {pk: [] for pk in subject_ids}
    for row in rows:
        found[row["subject_id"]].append(_from_record(row))
    return found


async def all_for_subject(
    session: AsyncSession, *, org_id: int, subject_type: str, subject_id: int
) -> list[Draft]:
    """Every draft about one subject, oldest first, in the caller's transaction."""
    result = await session.execute(
        select(DraftRow)
        .where(
            DraftRow.org_id == org_id,  # type: ignore[arg-type]
            DraftRow.subject_type == subject_type,  # type: ignore[arg-type]
            DraftRow.subject_id == subject_id,  # type: ignore[arg-type]
        )
        .order_by(DraftRow.id)  # type: ignore[arg-type]
    )
    return [_from_record(row) for row in result.scalars()]


async def page(
    conn: asyncpg.Connection, *, org_id: int, filter: Filter, keyset: paging.Keyset
) -> list[Draft]:
    """Newest first (by id), in one statement; `keyset.limit` rows."""
    bind = paging.Params()
    where = _where(org_id, filter, bind)
    more, tail = paging.clauses(keyset, id_sql="id", bind=bind)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM drafts WHERE {' AND '.join(where + more)}{tail}", *bind.values
    )
    return [_from_record(row) for row in rows]


async def count(conn: asyncpg.Connection, *, org_id: int, filter: Filter) -> int:
    """How many drafts `page` would list with these filters, over all pages."""
    bind = paging.Params()
    where = _where(org_id, filter, bind)
    total: int = await conn.fetchval(
        f"SELECT count(*) FROM drafts WHERE {' AND '.join(where)}", *bind.values
    )
    return total
