"""Alerts (DOMAIN.md §5): stored once per subject, kind and occurrence, with their outbox event.

Two ways in, both writing the alert and its outbox row in the same transaction:
- `raise_alert` inside a mutation's session;
- `insert_from_select` for set-based scans: a SELECT that yields candidate alerts becomes one
  INSERT ... ON CONFLICT DO NOTHING, so running a scan twice writes nothing new.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.store import pubsub

# The columns a scan's SELECT must yield, in this order.
CANDIDATE_COLUMNS = "org_id, kind, subject, subject_id, occurrence, customer_id, for_role, payload"

_INSERT_RETURNING = """
INSERT INTO alerts (org_id, kind, subject, subject_id, occurrence, customer_id, for_role,
                    payload, created_at)
SELECT org_id, kind, subject, subject_id, occurrence, customer_id, for_role, payload, {now}
FROM ({select}) AS candidate
ON CONFLICT ON CONSTRAINT alerts_once DO NOTHING
RETURNING org_id, id, kind, subject, subject_id, occurrence, customer_id, for_role, payload,
          created_at
"""

_OUTBOX_FROM_INSERTED = """
WITH inserted AS ({insert})
INSERT INTO outbox (org_id, channel, payload, created_at)
SELECT org_id, 'wafi:' || org_id || ':alerts',
       jsonb_build_object('id', id, 'kind', kind, 'subject', subject, 'subjectId', subject_id,
                          'occurrence', occurrence, 'customerId', customer_id,
                          'forRole', for_role, 'payload', payload, 'createdAt', created_at),
       {now}
FROM inserted
RETURNING org_id
"""


def event(alert_id: int, row: dict[str, Any]) -> dict[str, Any]:
    """The event published for an alert (the same shape the scans build in SQL)."""
    return {"id": alert_id, **row}


async def raise_alert(
    session: AsyncSession,
    *,
    org_id: int,
    kind: str,
    subject: str,
    subject_id: int,
    occurrence: str,
    customer_id: int | None,
    for_role: str,
    payload: dict[str, Any],
    now: datetime,
) -> int | None:
    """Store an alert and its outbox event in the caller's transaction.

    Returns the alert id, or None when this occurrence was already alerted.
    """
    select = (
        "SELECT CAST(:org_id AS bigint) AS org_id, CAST(:kind AS text) AS kind, "
        "CAST(:subject AS text) AS subject, CAST(:subject_id AS bigint) AS subject_id, "
        "CAST(:occurrence AS text) AS occurrence, CAST(:customer_id AS bigint) AS customer_id, "
        "CAST(:for_role AS text) AS for_role, CAST(:payload AS jsonb) AS payload"
    )
    sql = _OUTBOX_FROM_INSERTED.format(
        insert=_INSERT_RETURNING.format(select=select, now=":now"), now=":now"
    ).replace("RETURNING org_id\n", "RETURNING (payload->>'id')::bigint AS id\n")
    import json

    result = await session.execute(
        text(sql),
        {
            "org_id": org_id,
            "kind": kind,
            "subject": subject,
            "subject_id": subject_id,
            "occurrence": occurrence,
            "customer_id": customer_id,
            "for_role": for_role,
            "payload": json.dumps(payload, ensure_ascii=False, default=str),
            "now": now,
        },
    )
    alert_id = result.scalar_one_or_none()
    return None if alert_id is None else int(alert_id)


async def insert_from_select(
    conn: asyncpg.Connection, *, select_sql: str, args: tuple[Any, ...], now: datetime
) -> int:
    """Set-based: every candidate row of `select_sql` (yielding CANDIDATE_COLUMNS, using $2..)
    becomes an alert plus its outbox event, once. `$1` is bound to `now`. Returns how many."""
    sql = _OUTBOX_FROM_INSERTED.format(
        insert=_INSERT_RETURNING.format(select=select_sql, now="$1"), now="$1"
    )
    rows = await conn.fetch(sql, now, *args)
    return len(rows)


def channel(org_id: int) -> str:
    return pubsub.alerts_channel(org_id)
