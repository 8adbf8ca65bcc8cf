"""SLA health verdicts and the organisation-wide freeze they trigger (DOMAIN.md §2.7).

Jobs only: they run across organisations on the system pool, set-based.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import asyncpg

from domain.sla import Verdict
from resolvers.store import alerts

FREEZE_REASON = "SLA health critical: breach rate {rate:.3f} over the trailing 30 days"

# Upsert each organisation's verdict; report those whose verdict has just turned critical. All
# CTEs read one snapshot, so `previous` is the verdict before this upsert (a FOR UPDATE there
# would skip the rows the upsert changes); cron's unique=True runs one scan at a time.
_RECORD = """
WITH given AS (
    SELECT * FROM unnest($2::bigint[], $3::text[], $4::float8[]) AS g(org_id, verdict, rate)
), previous AS (
    SELECT v.org_id, v.verdict FROM sla_verdicts v JOIN given USING (org_id)
), upserted AS (
    INSERT INTO sla_verdicts AS v (org_id, verdict, changed_at, evaluated_at)
    SELECT org_id, verdict, $1, $1 FROM given
    ON CONFLICT (org_id) DO UPDATE SET evaluated_at = $1, verdict = excluded.verdict,
        changed_at = CASE WHEN v.verdict = excluded.verdict THEN v.changed_at ELSE $1 END
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
    """Store each organisation's verdict; those that turned critical freeze and alert the
    owner once (the occurrence is when the verdict turned). Returns the organisations frozen."""
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
