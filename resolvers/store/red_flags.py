"""Red flags (docs/rules.md §8.2): the only place that speaks SQL about them. A flag and its
RED_FLAG alert are written in the caller's transaction; `OVERDUE_CANDIDATES` feeds the scan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain import red_flags
from domain.alerts import AlertKind
from domain.red_flags import RedFlag, RedFlagCategory, RedFlagSource
from resolvers.store import alerts

FOR_ROLE = "manager"


async def raise_flag(
    session: AsyncSession,
    *,
    org_id: int,
    customer_id: int,
    category: RedFlagCategory,
    source: RedFlagSource,
    detail: str,
    origin: str | None,
    now: datetime,
) -> int | None:
    """Store a red flag and its RED_FLAG alert (due an hour later); once per `origin` (None:
    every call is a new flag). Returns the flag's id, or None when this origin was flagged."""
    due = red_flags.due_at(now)
    result = await session.execute(
        text(
            "INSERT INTO red_flags (org_id, customer_id, category, source, reason, origin, "
            "raised_at, due_at) VALUES (:org, :c, :category, :source, :detail, :origin, :now, "
            ":due) ON CONFLICT ON CONSTRAINT red_flags_once DO NOTHING RETURNING id"
        ),
        {
            "org": org_id,
            "c": customer_id,
            "category": category.value,
            "source": source.value,
            "detail": detail,
            "origin": origin,
            "now": now,
            "due": due,
        },
    )
    flag_id = result.scalar_one_or_none()
    if flag_id is None:
        return None
    await alerts.raise_alert(
        session,
        org_id=org_id,
        kind=AlertKind.RED_FLAG.value,
        subject="Customer",
        subject_id=customer_id,
        occurrence=f"red_flag:{flag_id}",
        customer_id=customer_id,
        for_role=FOR_ROLE,
        payload={
            "customerId": customer_id,
            "redFlagId": flag_id,
            "category": category.value,
            "source": source.value,
            "dueAt": due.isoformat(),
        },
        now=now,
    )
    return int(flag_id)


async def by_customers(
    conn: asyncpg.Connection, *, org_id: int, customer_ids: Sequence[int]
) -> dict[int, list[RedFlag]]:
    """Batch load: each customer's red flags, newest first, one query."""
    rows = await conn.fetch(
        "SELECT id, customer_id, category, source, reason, raised_at, due_at FROM red_flags "
        "WHERE org_id = $1 AND customer_id = ANY($2::bigint[]) ORDER BY raised_at DESC, id DESC",
        org_id,
        list(customer_ids),
    )
    found: dict[int, list[RedFlag]] = {pk: [] for pk in customer_ids}
    for row in rows:
        found[row["customer_id"]].append(
            RedFlag(
                id=row["id"],
                customer_id=row["customer_id"],
                category=RedFlagCategory(row["category"]),
                source=RedFlagSource(row["source"]),
                detail=row["reason"],
                raised_at=row["raised_at"],
                due_at=row["due_at"],
            )
        )
    return found


# §8.2: a RED_FLAG alert still unacknowledged when its hour is up; once per flag ($1 is now).
OVERDUE_CANDIDATES = f"""
SELECT a.org_id, '{AlertKind.RED_FLAG_OVERDUE.value}'::text AS kind, a.subject, a.subject_id,
       a.occurrence, a.customer_id, a.for_role, a.payload
FROM alerts a
WHERE a.kind = '{AlertKind.RED_FLAG.value}' AND a.acknowledged_at IS NULL
  AND (a.payload->>'dueAt')::timestamptz <= $1
"""
