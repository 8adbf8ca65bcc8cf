"""The CS plan report's reads (docs/rules.md §8.4): the period's top matched keywords."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.cs_plan import TOP_ISSUES, Issue


async def top_issues(
    conn: asyncpg.Connection, *, org_id: int, start: datetime, end: datetime
) -> list[Issue]:
    """The most frequent matched keywords (§2.2) of tickets opened in [start, end): most
    tickets first, then the keyword's spelling."""
    rows = await conn.fetch(
        "SELECT matched_keyword, count(*)::int AS n FROM tickets WHERE org_id = $1 "
        "AND opened_at >= $2 AND opened_at < $3 AND matched_keyword IS NOT NULL "
        "GROUP BY matched_keyword ORDER BY n DESC, matched_keyword LIMIT $4",
        org_id,
        start,
        end,
        TOP_ISSUES,
    )
    return [Issue(row["matched_keyword"], row["n"]) for row in rows]
