"""Onboarding checklists (docs/rules.md §4.4): the only place that speaks SQL about them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.onboarding import STEPS, Step

ALL_STEPS = len(STEPS)


async def done_steps(
    session: AsyncSession, *, org_id: int, customer_id: int
) -> dict[Step, datetime]:
    """The steps done and when, read under the customer's row lock the caller holds."""
    result = await session.execute(
        text("SELECT step, done_at FROM onboarding_steps WHERE org_id = :org AND customer_id = :c"),
        {"org": org_id, "c": customer_id},
    )
    return {Step(row.step): row.done_at for row in result}


async def mark_done(
    session: AsyncSession, *, org_id: int, customer_id: int, step: Step, by: int, now: datetime
) -> None:
    await session.execute(
        text(
            "INSERT INTO onboarding_steps (org_id, customer_id, step, done_at, done_by) "
            "VALUES (:org, :c, :step, :at, :by)"
        ),
        {"org": org_id, "c": customer_id, "step": step.value, "at": now, "by": by},
    )


async def reopen(session: AsyncSession, *, org_id: int, customer_id: int, step: Step) -> None:
    await session.execute(
        text(
            "DELETE FROM onboarding_steps WHERE org_id = :org AND customer_id = :c AND step = :step"
        ),
        {"org": org_id, "c": customer_id, "step": step.value},
    )


async def by_customers(
    conn: asyncpg.Connection, *, org_id: int, customer_ids: Sequence[int]
) -> dict[int, dict[Step, datetime]]:
    """Batch load: each customer's done steps and when, one query for any page size."""
    rows = await conn.fetch(
        "SELECT customer_id, step, done_at FROM onboarding_steps "
        "WHERE org_id = $1 AND customer_id = ANY($2::bigint[])",
        org_id,
        list(customer_ids),
    )
    found: dict[int, dict[Step, datetime]] = {pk: {} for pk in customer_ids}
    for row in rows:
        found[row["customer_id"]][Step(row["step"])] = row["done_at"]
    return found


# §4.4: onboarding not complete 3 days after the subscription start. One alert per customer
# per subscription start; the step count is a correlated count on the primary key.
STALLED_CANDIDATES = """
SELECT c.org_id, 'ONBOARDING_STALLED'::text AS kind, 'Customer'::text AS subject,
       c.id AS subject_id,
       to_char(c.subscription_started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
         AS occurrence,
       c.id AS customer_id, 'manager'::text AS for_role,
       jsonb_build_object('customerId', c.id, 'stepsDone', s.done, 'stepsTotal', $3::int,
                          'subscriptionStartedAt', c.subscription_started_at) AS payload
FROM customers c
CROSS JOIN LATERAL (SELECT count(*)::int AS done FROM onboarding_steps o
                    WHERE o.org_id = c.org_id AND o.customer_id = c.id) AS s
WHERE c.subscription_started_at <= $2 AND c.archived_at IS NULL AND c.stage <> 'churned'
  AND s.done < $3
"""
