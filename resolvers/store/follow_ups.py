"""Escalation follow-ups on tickets and their overdue scan (docs/rules.md §7, §5)."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.follow_ups import FollowUp, FollowUpKind
from resolvers.store import alerts
from resolvers.store.tables import TicketFollowUpRow


def _from_row(row: TicketFollowUpRow) -> FollowUp:
    assert row.id is not None
    return FollowUp(
        row.id,
        row.ticket_id,
        FollowUpKind(row.kind),
        row.note,
        row.due_at,
        row.done_at,
        row.created_at,
    )


async def insert(
    session: AsyncSession,
    *,
    org_id: int,
    ticket_id: int,
    kind: FollowUpKind,
    note: str | None,
    due_at: datetime,
    now: datetime,
) -> FollowUp:
    row = TicketFollowUpRow(
        org_id=org_id,
        ticket_id=ticket_id,
        kind=kind.value,
        note=note,
        due_at=due_at,
        overdue_alerted=False,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return _from_row(row)


async def get_for_update(
    session: AsyncSession, *, org_id: int, follow_up_id: int
) -> FollowUp | None:
    row = await session.get(TicketFollowUpRow, (org_id, follow_up_id), with_for_update=True)
    return None if row is None else _from_row(row)


async def mark_done(session: AsyncSession, *, org_id: int, follow_up_id: int, at: datetime) -> None:
    await session.execute(
        text("UPDATE ticket_follow_ups SET done_at = :at WHERE org_id = :org AND id = :id"),
        {"at": at, "org": org_id, "id": follow_up_id},
    )


async def of_ticket(session: AsyncSession, *, org_id: int, ticket_id: int) -> list[FollowUp]:
    rows = await session.execute(
        text("SELECT * FROM ticket_follow_ups WHERE org_id = :org AND ticket_id = :t ORDER BY id"),
        {"org": org_id, "t": ticket_id},
    )
    return [_from_row(TicketFollowUpRow(**row)) for row in rows.mappings()]


# One UPDATE flags every follow-up newly past its due time across organisations; one INSERT
# writes their alerts (once per follow-up and due time).
_SCAN = (
    "UPDATE ticket_follow_ups SET overdue_alerted = true WHERE done_at IS NULL "
    "AND NOT overdue_alerted AND due_at < $1 RETURNING org_id, id"
)
_ALERTS = (
    "SELECT f.org_id, 'FOLLOW_UP_OVERDUE'::text AS kind, 'Ticket'::text AS subject, "
    "f.ticket_id AS subject_id, f.id::text || '@' || to_char(f.due_at AT TIME ZONE 'UTC', "
    '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') AS occurrence, t.customer_id, '
    "CASE WHEN f.kind = 'technical_failure' THEN 'agent' ELSE 'owner' END AS for_role, "
    "jsonb_build_object('ticketId', f.ticket_id, 'followUpId', f.id, 'followUpKind', f.kind, "
    "'dueAt', to_char(f.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')) "
    "AS payload FROM unnest($2::bigint[], $3::bigint[]) AS k(org_id, id) "
    "JOIN ticket_follow_ups f ON f.org_id = k.org_id AND f.id = k.id "
    "JOIN tickets t ON t.org_id = f.org_id AND t.id = f.ticket_id"
)


async def scan_overdue(conn: asyncpg.Connection, *, now: datetime) -> int:
    """§7/§5: alert each follow-up past its due time once (FOLLOW_UP_OVERDUE); returns how many."""
    async with conn.transaction():
        rows = await conn.fetch(_SCAN, now)
        if not rows:
            return 0
        return await alerts.insert_from_select(
            conn,
            select_sql=_ALERTS,
            args=([row["org_id"] for row in rows], [row["id"] for row in rows]),
            now=now,
        )
