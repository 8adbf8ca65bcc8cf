"""What /metrics reads from PostgreSQL: the outbox backlog (alerts the relay has not published
yet), across organisations.

The API runs as the app role under row-level security, which sees one organisation's rows at a
time; `wafi_outbox_backlog()` (migrations 0016 and 0025, SECURITY DEFINER) returns only two
numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True, slots=True)
class Backlog:
    pending: int
    oldest: datetime | None


async def outbox_backlog(conn: asyncpg.Connection) -> Backlog:
    row = await conn.fetchrow("SELECT pending, oldest FROM wafi_outbox_backlog()")
    assert row is not None
    return Backlog(pending=row["pending"], oldest=row["oldest"])
