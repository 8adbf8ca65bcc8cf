"""The inputs of the support and success metrics over a period (docs/rules.md §4.6), one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

# A customer's stage at an instant: the last change before it; before its first change, the
# stage that change left; never changed, its stage now. Live unless that stage is churned (a
# customer created as churned is never live).
_LIVE_AT = """coalesce(
      (SELECT s.to_stage FROM stage_changes s WHERE s.org_id = c.org_id AND s.customer_id = c.id
        AND s.changed_at < {at} ORDER BY s.changed_at DESC, s.id DESC LIMIT 1),
      (SELECT s.from_stage FROM stage_changes s WHERE s.org_id = c.org_id AND s.customer_id = c.id
        AND s.changed_at >= {at} ORDER BY s.changed_at, s.id LIMIT 1),
      c.stage) IS DISTINCT FROM 'churned'"""

# Live at the period's start ($2): the churn rate's denominator, and the only churn it counts.
_AT_START = f"""c.org_id = $1 AND c.subscription_started_at < $2
      AND (c.archived_at IS NULL OR c.archived_at >= $2) AND {_LIVE_AT.format(at="$2")}"""

# $1 org · $2 period start (inclusive) · $3 period end (exclusive)
_INPUTS = f"""
SELECT
  (SELECT coalesce(array_agg(extract(epoch FROM t.first_response_at - t.opened_at) / 60), '{{}}')
     FROM tickets t WHERE t.org_id = $1 AND t.opened_at >= $2 AND t.opened_at < $3
      AND t.first_response_at IS NOT NULL)::float8[] AS first_response_minutes,
  (SELECT coalesce(array_agg(extract(epoch FROM t.resolved_at - t.opened_at) / 3600), '{{}}')
     FROM tickets t WHERE t.org_id = $1 AND t.opened_at >= $2 AND t.opened_at < $3
      AND t.resolved_at IS NOT NULL)::float8[] AS resolution_hours,
  (SELECT count(*) FROM tickets t WHERE t.org_id = $1 AND t.opened_at >= $2
      AND t.opened_at < $3)::int AS tickets,
  (SELECT coalesce(array_agg(r.rating), '{{}}') FROM csat_ratings r WHERE r.org_id = $1
      AND r.rated_at >= $2 AND r.rated_at < $3)::int[] AS ratings,
  (SELECT coalesce(array_agg(n.score), '{{}}') FROM nps_responses n WHERE n.org_id = $1
      AND n.responded_at >= $2 AND n.responded_at < $3)::int[] AS nps,
  (SELECT count(*) FROM customers c WHERE {_AT_START})::int AS customers_at_start,
  (SELECT count(*) FROM customers c WHERE {_AT_START} AND EXISTS (SELECT 1 FROM stage_changes s
      WHERE s.org_id = c.org_id AND s.customer_id = c.id AND s.to_stage = 'churned'
      AND s.changed_at >= $2 AND s.changed_at < $3))::int AS churned,
  (SELECT count(*) FROM customers c WHERE c.org_id = $1 AND c.subscription_started_at < $3
      AND (c.archived_at IS NULL OR c.archived_at >= $2)
      AND {_LIVE_AT.format(at="$2")})::int AS active_customers
"""


@dataclass(frozen=True, slots=True)
class Inputs:
    """What domain.metrics.support_metrics needs for one organisation and period."""

    first_response_minutes: list[float]
    resolution_hours: list[float]
    ratings: list[int]
    nps: list[int]
    customers_at_start: int
    churned: int
    tickets: int
    active_customers: int


async def inputs(
    conn: asyncpg.Connection, *, org_id: int, start: datetime, end: datetime
) -> Inputs:
    """Tickets opened, ratings given and NPS answered in [start, end); customers live at the
    start, those of them churned during it (stage changes), and customers live at some point
    in it."""
    row = await conn.fetchrow(_INPUTS, org_id, start, end)
    assert row is not None
    return Inputs(**dict(row))
