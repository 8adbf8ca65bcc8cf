"""Success plans and their items (docs/rules.md §4.3): the only place that speaks SQL about them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.success_plans import (
    Bundle,
    CadenceType,
    ItemKind,
    PlanEntry,
    PlanItem,
    SuccessPlan,
)
from resolvers.store.tables import SuccessPlanItemRow, SuccessPlanRow

_PLAN = "id, customer_id, bundle, started_on, cadence, version"
_ITEM = "id, plan_id, day_offset, title, kind, is_upgrade_or_upsell, due_on, done_on, draft_id"


def _entry(row: Any) -> PlanEntry:
    return PlanEntry(
        id=row["id"],
        item=PlanItem(
            day_offset=row["day_offset"],
            title=row["title"],
            kind=ItemKind(row["kind"]),
            is_upgrade_or_upsell=row["is_upgrade_or_upsell"],
            due_on=row["due_on"],
            done_on=row["done_on"],
        ),
        draft_id=row["draft_id"],
    )


def _plan(row: Any, entries: Sequence[PlanEntry]) -> SuccessPlan:
    return SuccessPlan(
        id=row["id"],
        customer_id=row["customer_id"],
        bundle=Bundle(row["bundle"]),
        started_on=row["started_on"],
        cadence=CadenceType(row["cadence"]),
        version=row["version"],
        entries=tuple(entries),
    )


async def insert(
    session: AsyncSession,
    *,
    org_id: int,
    customer_id: int,
    bundle: Bundle,
    started_on: date,
    items: Sequence[PlanItem],
    now: datetime,
) -> SuccessPlan:
    plan = SuccessPlanRow(
        org_id=org_id,
        customer_id=customer_id,
        bundle=bundle.value,
        started_on=started_on,
        cadence=CadenceType.WEEKLY_CHECK_IN.value,
        version=1,
        created_at=now,
    )
    session.add(plan)
    await session.flush()
    assert plan.id is not None
    rows = [
        SuccessPlanItemRow(
            org_id=org_id,
            plan_id=plan.id,
            customer_id=customer_id,
            day_offset=item.day_offset,
            title=item.title,
            kind=item.kind.value,
            is_upgrade_or_upsell=item.is_upgrade_or_upsell,
            due_on=item.due_on,
        )
        for item in items
    ]
    session.add_all(rows)
    await session.flush()
    entries = [
        PlanEntry(id=row.id, item=item) for row, item in zip(rows, items, strict=True) if row.id
    ]
    return _plan(plan.model_dump(), entries)


async def local_days(
    session: AsyncSession, *, org_id: int, instants: Sequence[datetime | None]
) -> list[date | None]:
    """Each instant's day in the organisation's time zone (None stays None), in one query."""
    result = await session.execute(
        text(
            "SELECT (u.t AT TIME ZONE o.time_zone)::date AS day FROM organisations o "
            "CROSS JOIN unnest(CAST(:ts AS timestamptz[])) WITH ORDINALITY AS u(t, n) "
            "WHERE o.id = :org ORDER BY u.n"
        ),
        {"ts": list(instants), "org": org_id},
    )
    days: list[date | None] = list(result.scalars())
    assert len(days) == len(instants), "the organisation is not visible"
    return days


async def exists_for_customer(session: AsyncSession, *, org_id: int, customer_id: int) -> bool:
    result = await session.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM success_plans WHERE org_id = :org AND customer_id = :c)"
        ),
        {"org": org_id, "c": customer_id},
    )
    return bool(result.scalar_one())


async def _entries(session: AsyncSession, org_id: int, plan_id: int) -> list[PlanEntry]:
    result = await session.execute(
        text(
            f"SELECT {_ITEM} FROM success_plan_items WHERE org_id = :org AND plan_id = :plan "
            "ORDER BY due_on, day_offset, id"
        ),
        {"org": org_id, "plan": plan_id},
    )
    return [_entry(row) for row in result.mappings()]


async def get_for_update(session: AsyncSession, *, org_id: int, plan_id: int) -> SuccessPlan | None:
    """The plan with its items, locked until the transaction ends."""
    result = await session.execute(
        text(f"SELECT {_PLAN} FROM success_plans WHERE org_id = :org AND id = :id FOR UPDATE"),
        {"org": org_id, "id": plan_id},
    )
    row = result.mappings().one_or_none()
    if row is None:
        return None
    return _plan(row, await _entries(session, org_id, plan_id))


async def plan_of_item(
    session: AsyncSession, *, org_id: int, item_id: int
) -> tuple[int, int] | None:
    """The item's plan and customer ids (unlocked: the caller locks the customer, then the
    plan, in that order, as every plan write does)."""
    result = await session.execute(
        text(
            "SELECT plan_id, customer_id FROM success_plan_items WHERE org_id = :org AND id = :id"
        ),
        {"org": org_id, "id": item_id},
    )
    row = result.one_or_none()
    return None if row is None else (row.plan_id, row.customer_id)


async def customer_of_plan(session: AsyncSession, *, org_id: int, plan_id: int) -> int | None:
    """The plan's customer id (unlocked, as `plan_of_item`)."""
    result = await session.execute(
        text("SELECT customer_id FROM success_plans WHERE org_id = :org AND id = :id"),
        {"org": org_id, "id": plan_id},
    )
    found: int | None = result.scalar_one_or_none()
    return found


async def save_cadence(
    session: AsyncSession, *, org_id: int, plan: SuccessPlan, consent_at: datetime
) -> None:
    await session.execute(
        text(
            "UPDATE success_plans SET cadence = :cadence, version = :version, "
            "consent_recorded_at = :at WHERE org_id = :org AND id = :id"
        ),
        {
            "cadence": plan.cadence.value,
            "version": plan.version,
            "at": consent_at,
            "org": org_id,
            "id": plan.id,
        },
    )


async def save_done(
    session: AsyncSession, *, org_id: int, item_id: int, done_on: date, done_by: int
) -> None:
    await session.execute(
        text(
            "UPDATE success_plan_items SET done_on = :on, done_by = :by "
            "WHERE org_id = :org AND id = :id"
        ),
        {"on": done_on, "by": done_by, "org": org_id, "id": item_id},
    )


async def by_customers(
    conn: asyncpg.Connection, *, org_id: int, customer_ids: Sequence[int]
) -> dict[int, SuccessPlan]:
    """Batch load: each customer's plan with its items, in two queries for any page size."""
    plans = await conn.fetch(
        f"SELECT {_PLAN} FROM success_plans WHERE org_id = $1 AND customer_id = ANY($2::bigint[])",
        org_id,
        list(customer_ids),
    )
    if not plans:
        return {}
    items = await conn.fetch(
        f"SELECT {_ITEM} FROM success_plan_items WHERE org_id = $1 AND plan_id = ANY($2::bigint[]) "
        "ORDER BY due_on, day_offset, id",
        org_id,
        [row["id"] for row in plans],
    )
    by_plan: dict[int, list[PlanEntry]] = {row["id"]: [] for row in plans}
    for row in items:
        by_plan[row["plan_id"]].append(_entry(row))
    return {row["customer_id"]: _plan(row, by_plan[row["id"]]) for row in plans}


# --- the renewal scan (§4.3): set-based, idempotent ------------------------------------------

# A renewal item for each lead time, for every plan whose customer renews on a date not yet
# covered (a renewed customer's new date gets its own items). Dates are the organisation's days.
_MISSING_RENEWALS = """
INSERT INTO success_plan_items (org_id, plan_id, customer_id, day_offset, title, kind,
                                is_upgrade_or_upsell, due_on)
SELECT p.org_id, p.id, p.customer_id, d.due_on - p.started_on, l.title, 'renewal', false,
       d.due_on
FROM success_plans p
JOIN customers c ON c.org_id = p.org_id AND c.id = p.customer_id
JOIN organisations o ON o.id = p.org_id
CROSS JOIN unnest($1::int[], $2::text[]) AS l(days, title)
CROSS JOIN LATERAL (SELECT (c.renews_at AT TIME ZONE o.time_zone)::date - l.days AS due_on) AS d
WHERE c.renews_at IS NOT NULL AND c.renews_at > $3 AND c.archived_at IS NULL
ON CONFLICT ON CONSTRAINT success_plan_items_once DO NOTHING
"""


async def add_missing_renewal_items(
    conn: asyncpg.Connection, *, lead_days: Sequence[int], titles: Sequence[str], now: datetime
) -> int:
    result: str = await conn.execute(_MISSING_RENEWALS, list(lead_days), list(titles), now)
    return int(result.rsplit(" ", 1)[-1])


@dataclass(frozen=True, slots=True)
class DueOffer:
    """A 7-day renewal item due with no renewal yet and no offer drafted."""

    org_id: int
    item_id: int
    customer_id: int
    customer_name: str
    locale: str
    renews_on: date


async def due_offers(conn: asyncpg.Connection, *, lead_days: int, now: datetime) -> list[DueOffer]:
    """Every open `lead_days` renewal item due by the organisation's day at `now` whose customer
    still renews on the item's date (no renewal since) and has no offer drafted yet, across
    organisations (each day in its organisation's time zone)."""
    rows = await conn.fetch(
        "SELECT i.org_id, i.id AS item_id, i.customer_id, c.name AS customer_name, c.locale, "
        "(c.renews_at AT TIME ZONE o.time_zone)::date AS renews_on FROM success_plan_items i "
        "JOIN customers c ON c.org_id = i.org_id AND c.id = i.customer_id "
        "JOIN organisations o ON o.id = i.org_id "
        "WHERE i.kind = 'renewal' AND i.done_on IS NULL AND i.draft_id IS NULL "
        "AND i.due_on <= ($1::timestamptz AT TIME ZONE o.time_zone)::date "
        "AND (c.renews_at AT TIME ZONE o.time_zone)::date - $2::int = i.due_on "
        "AND c.archived_at IS NULL ORDER BY i.org_id, i.id",
        now,
        lead_days,
    )
    return [DueOffer(**dict(row)) for row in rows]


async def claim_offer(session: AsyncSession, *, org_id: int, item_id: int) -> bool:
    """Lock the item; True when no offer has been drafted for it yet (a rerun finds one)."""
    result = await session.execute(
        text(
            "SELECT draft_id IS NULL FROM success_plan_items WHERE org_id = :org AND id = :id "
            "FOR UPDATE"
        ),
        {"org": org_id, "id": item_id},
    )
    return bool(result.scalar_one_or_none())


async def attach_draft(session: AsyncSession, *, org_id: int, item_id: int, draft_id: int) -> None:
    """Record the offer drafted for an item (the caller claimed it in this transaction)."""
    await session.execute(
        text("UPDATE success_plan_items SET draft_id = :draft WHERE org_id = :org AND id = :id"),
        {"draft": draft_id, "org": org_id, "id": item_id},
    )
