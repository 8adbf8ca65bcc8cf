"""Score inputs, daily health snapshots and last severities: the SQL behind §4.1 and §4.2.

One query gathers every input of both scores for a set of customers — the request's page (for
`Customer.health` / `Customer.atRisk`) or a batch of the daily scan — so the cost per request is
fixed and the scan's cost grows with customers, one batch at a time.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from domain import scores
from domain.scores import AtRisk, Health, HealthBand, RiskSignal, Severity
from domain.signals import CustomerScores, HealthPoint
from resolvers.store import alerts, drafts

PERIOD = timedelta(days=30)  # §4.2: the trailing 30 days
P0_BREACH_WINDOW = timedelta(days=14)  # domain.scores.P0_SLA_BREACHED_14_DAYS

# Each customer with its organisation's day at $1 (its time zone): the check-in window's end.
_CUSTOMER_COLUMNS = (
    "SELECT x.org_id, x.id, x.name, x.locale, x.subscription_started_at, x.last_activity_at, "
    "($1::timestamptz AT TIME ZONE o.time_zone)::date AS today "
    "FROM customers x JOIN organisations o ON o.id = x.org_id "
)
_REQUEST_CUSTOMERS = _CUSTOMER_COLUMNS + "WHERE x.org_id = $6 AND x.id = ANY($7::bigint[])"
_LIVE_CUSTOMERS = _CUSTOMER_COLUMNS + "WHERE x.archived_at IS NULL AND x.stage <> 'churned'"
_JOIN_C = "JOIN c ON c.org_id = x.org_id AND c.id = x.customer_id"

# $1 now · $2 now - 30 days · $3, $4 the last and first days any time zone's period can hold
# (the UTC day ± 1; each customer's own window is its organisation's 30 days to `c.today`) ·
# $5 now - 14 days
_INPUTS = f"""
WITH c AS MATERIALIZED ({{customers}}),
r AS (SELECT x.org_id, x.customer_id, avg(x.rating)::float8 AS csat_avg
      FROM csat_ratings x {_JOIN_C} WHERE x.rated_at > $2 AND x.rated_at <= $1 GROUP BY 1, 2),
k AS (SELECT x.org_id, x.customer_id, sum(x.meetings)::int AS meetings,
             (array_agg(x.pipeline_sar ORDER BY x.week_of DESC))[1]::float8 AS pipeline
      FROM check_ins x {_JOIN_C} WHERE x.week_of >= $4 AND x.week_of <= $3
        AND x.week_of > c.today - {PERIOD.days} AND x.week_of <= c.today GROUP BY 1, 2),
d AS (SELECT x.org_id, x.customer_id,
             count(*) FILTER (WHERE x.status = 'draft')::int AS pending,
             count(*) FILTER (WHERE x.status IN ('approved', 'sent')
                              AND x.decided_at > $2 AND x.decided_at <= $1)::int AS approved,
             count(*) FILTER (WHERE x.status = 'rejected'
                              AND x.decided_at > $2 AND x.decided_at <= $1)::int AS rejected
      FROM drafts x {_JOIN_C} WHERE x.status = 'draft' OR x.decided_at > $2 GROUP BY 1, 2),
p AS (SELECT x.org_id, x.customer_id, max(x.delivered_at) AS last_proof_pack
      FROM proof_packs x {_JOIN_C} WHERE x.delivered_at <= $1 GROUP BY 1, 2),
i AS (SELECT DISTINCT x.org_id, x.customer_id FROM incident_customers x {_JOIN_C}
      JOIN incidents n ON n.org_id = x.org_id AND n.id = x.incident_id
      WHERE n.severity = 'SEV1' AND n.status NOT IN ('resolved', 'closed')),
t AS (SELECT DISTINCT x.org_id, x.customer_id FROM tickets x {_JOIN_C}
      WHERE x.priority = 'P0' AND (
        (coalesce(x.first_response_at, $1) > x.first_response_due_at
         AND x.first_response_due_at > $5)
        OR (coalesce(x.resolved_at, $1) > x.resolution_due_at AND x.resolution_due_at > $5))),
f AS (SELECT DISTINCT x.org_id, x.customer_id FROM red_flags x {_JOIN_C}
      WHERE x.raised_at > $5 AND x.raised_at <= $1)
SELECT c.org_id, c.id, c.name, c.locale, c.subscription_started_at, c.last_activity_at,
       r.csat_avg,
       coalesce(k.meetings, 0) AS meetings, coalesce(k.pipeline, 0) AS pipeline,
       coalesce(d.pending, 0) AS pending, coalesce(d.approved, 0) AS approved,
       coalesce(d.rejected, 0) AS rejected, p.last_proof_pack,
       i.customer_id IS NOT NULL AS sev1_open, t.customer_id IS NOT NULL AS p0_breached,
       s.severity AS last_severity, f.customer_id IS NOT NULL AS red_flag
FROM c
LEFT JOIN r ON r.org_id = c.org_id AND r.customer_id = c.id
LEFT JOIN k ON k.org_id = c.org_id AND k.customer_id = c.id
LEFT JOIN d ON d.org_id = c.org_id AND d.customer_id = c.id
LEFT JOIN p ON p.org_id = c.org_id AND p.customer_id = c.id
LEFT JOIN i ON i.org_id = c.org_id AND i.customer_id = c.id
LEFT JOIN t ON t.org_id = c.org_id AND t.customer_id = c.id
LEFT JOIN f ON f.org_id = c.org_id AND f.customer_id = c.id
LEFT JOIN risk_severities s ON s.org_id = c.org_id AND s.customer_id = c.id
"""


@dataclass(frozen=True, slots=True)
class Signals:
    """Everything §4.1 and §4.2 read about one customer at one instant."""

    org_id: int
    customer_id: int
    name: str
    locale: str
    now: datetime
    subscription_started_at: datetime
    last_activity_at: datetime | None
    csat_avg: float | None
    pipeline_sar: float
    meetings: int
    approved: int
    rejected: int
    drafts_pending: int
    last_proof_pack_at: datetime | None
    sev1_open: bool
    p0_breached: bool
    last_severity: Severity | None
    red_flag: bool = False  # §8.2: a red flag raised in the last 14 days

    @property
    def days_inactive(self) -> int:
        """§4.2: whole days since the last activity (since the subscription start if none)."""
        since = self.last_activity_at or self.subscription_started_at
        return scores.days_between(since, self.now)

    @property
    def proof_pack_age_days(self) -> int:
        """§4.1: days since the last Proof Pack (since the subscription start if none yet)."""
        since = self.last_proof_pack_at or self.subscription_started_at
        return scores.days_between(since, self.now)

    def health(self) -> Health:
        """§4.2 from these inputs."""
        return scores.health(
            self.csat_avg,
            self.pipeline_sar,
            self.meetings,
            self.approved,
            self.rejected,
            self.days_inactive,
            self.drafts_pending,
        )

    def at_risk(self) -> AtRisk:
        """§4.1 from these inputs, with the open-SEV1 and breached-P0 signals."""
        extra: list[RiskSignal] = []
        if self.sev1_open:
            extra.append(scores.SEV1_INCIDENT_OPEN)
        if self.p0_breached:
            extra.append(scores.P0_SLA_BREACHED_14_DAYS)
        if self.red_flag:
            extra.append(scores.RED_FLAG_14_DAYS)
        return scores.at_risk(
            self.days_inactive, self.drafts_pending, self.proof_pack_age_days, extra=extra
        )

    def scores(self) -> CustomerScores:
        """Both scores."""
        return CustomerScores(self.health(), self.at_risk())


def _args(now: datetime) -> tuple[Any, ...]:
    # Every time zone's day is within one day of UTC's: the bounds let the scan skip old weeks.
    utc_today, one = now.astimezone(UTC).date(), timedelta(days=1)
    return (now, now - PERIOD, utc_today + one, utc_today - PERIOD, now - P0_BREACH_WINDOW)


def _signals(row: asyncpg.Record, now: datetime) -> Signals:
    last = row["last_severity"]
    return Signals(
        org_id=row["org_id"],
        customer_id=row["id"],
        name=row["name"],
        locale=row["locale"],
        now=now,
        subscription_started_at=row["subscription_started_at"],
        last_activity_at=row["last_activity_at"],
        csat_avg=row["csat_avg"],
        pipeline_sar=row["pipeline"],
        meetings=row["meetings"],
        approved=row["approved"],
        rejected=row["rejected"],
        drafts_pending=row["pending"],
        last_proof_pack_at=row["last_proof_pack"],
        sev1_open=row["sev1_open"],
        p0_breached=row["p0_breached"],
        last_severity=None if last is None else Severity(last),
        red_flag=row["red_flag"],
    )


async def for_customers(
    conn: asyncpg.Connection, *, org_id: int, ids: Sequence[int], now: datetime
) -> dict[int, Signals]:
    """Batch load for DataLoaders: both scores' inputs for any number of customers, one query."""
    rows = await conn.fetch(
        _INPUTS.format(customers=_REQUEST_CUSTOMERS), *_args(now), org_id, list(ids)
    )
    return {row["id"]: _signals(row, now) for row in rows}


async def stream(
    conn: asyncpg.Connection, *, now: datetime, size: int
) -> AsyncGenerator[list[Signals], None]:
    """For the daily scan: every live customer of every organisation, `size` at a time.

    One query over whole tables (hash aggregates, one pass each) read through a cursor in a
    read-only snapshot, so the cost is one scan of each signal table, not one per batch."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(_INPUTS.format(customers=_LIVE_CUSTOMERS), *_args(now))
        while rows := await cursor.fetch(size):
            yield [_signals(row, now) for row in rows]


@dataclass(frozen=True, slots=True)
class Scored:
    """One customer's scores as the scan stores them, with the founder's at-risk email (§4.1
    high) when the severity rose to high: drafted only if the rise is alerted now."""

    signals: Signals
    health: Health
    at_risk: AtRisk
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Stored:
    """What one batch of the scan wrote that was new."""

    alerts: int
    emails: int


_SNAPSHOT = """
INSERT INTO health_snapshots (org_id, customer_id, day, value, band, risk_score, severity,
                              computed_at)
SELECT s.org_id, s.customer_id, ($1 AT TIME ZONE o.time_zone)::date,
       s.value::numeric(4, 1), s.band, s.score, s.severity, $1
FROM unnest($2::bigint[], $3::bigint[], $4::float8[], $5::text[], $6::int[], $7::text[])
     AS s(org_id, customer_id, value, band, score, severity)
JOIN organisations o ON o.id = s.org_id
ON CONFLICT (org_id, customer_id, day) DO UPDATE SET value = excluded.value,
    band = excluded.band, risk_score = excluded.risk_score, severity = excluded.severity,
    computed_at = excluded.computed_at
"""

_SEVERITIES = """
INSERT INTO risk_severities (org_id, customer_id, severity, score, scored_at)
SELECT org_id, customer_id, severity, score, $1
FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::int[])
     AS s(org_id, customer_id, severity, score)
ON CONFLICT (org_id, customer_id) DO UPDATE SET severity = excluded.severity,
    score = excluded.score, scored_at = excluded.scored_at
"""

# One AT_RISK alert per customer per (organisation's) day and severity reached (§5).
_RISE_ALERTS = """
SELECT a.org_id, 'AT_RISK'::text AS kind, 'Customer'::text AS subject, a.customer_id AS subject_id,
       ($1 AT TIME ZONE o.time_zone)::date::text || ':' || a.severity AS occurrence,
       a.customer_id, CASE WHEN a.severity = 'high' THEN 'owner' ELSE 'manager' END AS for_role,
       a.payload
FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::jsonb[])
     AS a(org_id, customer_id, severity, payload)
JOIN organisations o ON o.id = a.org_id
"""


async def store_scan(
    conn: asyncpg.Connection, *, scored: Sequence[Scored], now: datetime
) -> Stored:
    """Write a batch's snapshots and last severities, alert each rise (§4.2, §5) and draft the
    founder's email for each rise to high (§4.1), in one transaction: a rise is never alerted
    without its email. Rerunning it the same day rewrites the same rows and adds nothing."""
    risen = [s for s in scored if scores.severity_rose(s.signals.last_severity, s.at_risk.severity)]
    async with conn.transaction():
        await conn.execute(
            _SNAPSHOT,
            now,
            [s.signals.org_id for s in scored],
            [s.signals.customer_id for s in scored],
            [s.health.value for s in scored],
            [s.health.band.value for s in scored],
            [s.at_risk.score for s in scored],
            [s.at_risk.severity.value for s in scored],
        )
        alerted: list[alerts.Inserted] = []
        if risen:
            alerted = await alerts.insert_returning(
                conn,
                select_sql=_RISE_ALERTS,
                args=(
                    [s.signals.org_id for s in risen],
                    [s.signals.customer_id for s in risen],
                    [s.at_risk.severity.value for s in risen],
                    [_rise_payload(s) for s in risen],
                ),
                now=now,
            )
        emails = 0
        if alerted:
            # Only the alerts this run inserted: a rise another run already alerted (and
            # drafted for) returns nothing here, so the email is never written twice.
            written = {
                (s.signals.org_id, s.signals.customer_id): (s.signals.locale, s.email)
                for s in risen
                if s.email is not None
            }
            new = [
                drafts.NewDraft(
                    org_id=a.org_id,
                    customer_id=a.subject_id,
                    subject_id=a.id,
                    locale=written[a.org_id, a.subject_id][0],
                    body=written[a.org_id, a.subject_id][1],
                )
                for a in alerted
                if (a.org_id, a.subject_id) in written
            ]
            if new:
                emails = await drafts.insert_at_risk_emails(conn, drafts=new, now=now)
        await conn.execute(
            _SEVERITIES,
            now,
            [s.signals.org_id for s in scored],
            [s.signals.customer_id for s in scored],
            [s.at_risk.severity.value for s in scored],
            [s.at_risk.score for s in scored],
        )
    return Stored(alerts=len(alerted), emails=emails)


def _rise_payload(scored: Scored) -> dict[str, Any]:
    previous = scored.signals.last_severity
    return {
        "severity": scored.at_risk.severity.value,
        "previousSeverity": None if previous is None else previous.value,
        "score": scored.at_risk.score,
        "reasons": list(scored.at_risk.reasons),
        "recommendedAction": scored.at_risk.recommended_action,
    }


async def history(
    conn: asyncpg.Connection,
    *,
    org_id: int,
    customer_ids: Sequence[int],
    now: datetime,
    days: int,
) -> dict[int, list[HealthPoint]]:
    """Batch load: each customer's daily points of the organisation's last `days` days (today
    included, the organisation's day as the snapshots are), oldest first."""
    rows = await conn.fetch(
        "SELECT customer_id, day, value::float8 AS value, band, risk_score, severity "
        "FROM health_snapshots WHERE org_id = $1 AND customer_id = ANY($2::bigint[]) "
        "AND day >= (SELECT ($3 AT TIME ZONE o.time_zone)::date - ($4::int - 1) "
        "            FROM organisations o WHERE o.id = $1) "
        "ORDER BY customer_id, day",
        org_id,
        list(customer_ids),
        now,
        days,
    )
    found: dict[int, list[HealthPoint]] = {pk: [] for pk in customer_ids}
    for row in rows:
        found[row["customer_id"]].append(
            HealthPoint(
                day=row["day"],
                value=row["value"],
                band=HealthBand(row["band"]),
                risk_score=row["risk_score"],
                severity=Severity(row["severity"]),
            )
        )
    return found
