"""SLA health verdicts and the organisation-wide freeze they trigger (docs/rules.md §2.7).

Jobs only: they run across organisations on the system pool, set-based.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.sla import Verdict
from resolvers.store import alerts
from resolvers.store import tickets as ticket_store

FREEZE_REASON = "SLA health critical: breach rate {rate:.3f} over the trailing 30 days"

# Per organisation, (tickets, breached tickets) opened in [$1, $2] and judged at $2, with its
# stored verdict; an organisation with a stored verdict and no ticket left in the window comes
# back with zero tickets. One GROUP BY every minute, across organisations, over the window only:
# `tickets_opened_window` (opening time, with the clock columns included) makes it an index-only
# range scan whose cost follows the window, not the history (tests/bench/bench_sla_verdict.py,
# 1M tickets over a year, 86k in the window: 116.6 → 19.3 ms all vacuumed; 110.6 → 53.7 ms with
# half the window updated since the last vacuum, whose rows the scan then reads from the table).
_TRAILING = (
    "WITH counts AS (SELECT org_id, count(*) AS total, count(*) FILTER (WHERE "
    + ticket_store.breached_sql("$2::timestamptz")
    + ") AS breached FROM tickets WHERE opened_at >= $1 AND opened_at <= $2 GROUP BY org_id) "
    "SELECT coalesce(c.org_id, v.org_id) AS org_id, coalesce(c.total, 0) AS total, "
    "coalesce(c.breached, 0) AS breached, v.verdict AS stored "
    "FROM counts c FULL JOIN sla_verdicts v ON v.org_id = c.org_id"
)


@dataclass(frozen=True, slots=True)
class Trailing:
    """One organisation's tickets in the trailing window and its stored verdict (if any)."""

    org_id: int
    total: int
    breached: int
    stored: Verdict | None


async def trailing_counts(
    conn: asyncpg.Connection, *, start: datetime, now: datetime
) -> list[Trailing]:
    """Each organisation's tickets opened in [start, now] and how many are breached at `now`,
    with the verdict stored for it (None before its first non-healthy verdict): every
    organisation with tickets in the window or a stored verdict."""
    rows = await conn.fetch(_TRAILING, start, now)
    return [
        Trailing(
            org_id=row["org_id"],
            total=row["total"],
            breached=row["breached"],
            stored=None if row["stored"] is None else Verdict(row["stored"]),
        )
        for row in rows
    ]


# Upsert each given organisation's verdict (a row is written only when the verdict changes);
# report those whose verdict has just turned critical. All CTEs read one snapshot, so `previous`
# is the verdict before this upsert (a FOR UPDATE there would skip the rows the upsert changes);
# cron's unique=True runs one scan at a time.
_RECORD = """
WITH given AS (
    SELECT * FROM unnest($2::bigint[], $3::text[], $4::float8[]) AS g(org_id, verdict, rate)
), previous AS (
    SELECT v.org_id, v.verdict FROM sla_verdicts v JOIN given USING (org_id)
), upserted AS (
    INSERT INTO sla_verdicts AS v (org_id, verdict, changed_at, evaluated_at)
    SELECT org_id, verdict, $1, $1 FROM given
    ON CONFLICT (org_id) DO UPDATE SET evaluated_at = $1, verdict = excluded.verdict,
        changed_at = $1
    WHERE v.verdict IS DISTINCT FROM excluded.verdict
    RETURNING org_id, changed_at
)
SELECT given.org_id, given.rate, upserted.changed_at FROM given
JOIN upserted USING (org_id) LEFT JOIN previous USING (org_id)
WHERE given.verdict = 'critical' AND previous.verdict IS DISTINCT FROM 'critical'
"""

_FREEZE = (
    "UPDATE organisations SET frozen_at = $1, frozen_reason = g.reason "
    "FROM unnest($2::bigint[], $3::text[]) AS g(org_id, reason) "
    "WHERE organisations.id = g.org_id AND organisations.frozen_at IS NULL"
)

_ALERTS = (
    "SELECT g.org_id, 'SLA_HEALTH_CRITICAL'::text AS kind, 'Organisation'::text AS subject, "
    "g.org_id AS subject_id, to_char(g.changed_at AT TIME ZONE 'UTC', "
    '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') AS occurrence, NULL::bigint AS customer_id, '
    "'owner'::text AS for_role, jsonb_build_object('breachRate', g.rate, 'verdict', 'critical', "
    "'windowDays', 30) AS payload "
    "FROM unnest($2::bigint[], $3::float8[], $4::timestamptz[]) AS g(org_id, rate, changed_at)"
)


async def record_verdicts(
    conn: asyncpg.Connection, *, verdicts: Mapping[int, tuple[Verdict, float]], now: datetime
) -> list[int]:
    """Store each organisation's changed verdict; those that turned critical freeze and alert
    the owner once (the occurrence is when the verdict turned). Returns the organisations that
    turned critical (their freeze is set unless one is already in place)."""
    if not verdicts:
        return []
    org_ids = list(verdicts)
    async with conn.transaction():
        turned = await conn.fetch(
            _RECORD,
            now,
            org_ids,
            [verdicts[org][0].value for org in org_ids],
            [verdicts[org][1] for org in org_ids],
        )
        if not turned:
            return []
        critical = [row["org_id"] for row in turned]
        await conn.execute(
            _FREEZE,
            now,
            critical,
            [FREEZE_REASON.format(rate=row["rate"]) for row in turned],
        )
        await alerts.insert_from_select(
            conn,
            select_sql=_ALERTS,
            args=(critical, [row["rate"] for row in turned], [row["changed_at"] for row in turned]),
            now=now,
        )
    return critical


async def is_frozen(conn: asyncpg.Connection, *, org_id: int) -> bool:
    """Whether the organisation's live actions are frozen now (§2.7)."""
    frozen = await conn.fetchval(
        "SELECT frozen_at IS NOT NULL FROM organisations WHERE id = $1", org_id
    )
    return bool(frozen)
