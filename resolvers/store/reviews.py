"""The weekly CS review (docs/rules.md §8.4): objections, the review's reads, and storing a review
with its drafts once per organisation and week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.reviews import DELIGHTED_NPS, DELIGHTED_RATING, Candidate, ObjectionCategory


async def log_objection(
    session: AsyncSession,
    *,
    org_id: int,
    customer_id: int,
    ticket_id: int | None,
    category: ObjectionCategory,
    body: str,
    by: int | None,
    now: datetime,
) -> int:
    """Store one objection; its id."""
    found = await session.execute(
        text(
            "INSERT INTO objections (org_id, customer_id, ticket_id, category, text, logged_at, "
            "logged_by) VALUES (:org, :customer, :ticket, :category, :body, :now, :by) "
            "RETURNING id"
        ),
        {
            "org": org_id,
            "customer": customer_id,
            "ticket": ticket_id,
            "category": category.value,
            "body": body,
            "now": now,
            "by": by,
        },
    )
    new_id: int = found.scalar_one()
    return new_id


async def ticket_customer(session: AsyncSession, *, org_id: int, ticket_id: int) -> int | None:
    """The customer of a ticket of the organisation, or None."""
    found = await session.execute(
        text("SELECT customer_id FROM tickets WHERE org_id = :org AND id = :id"),
        {"org": org_id, "id": ticket_id},
    )
    customer: int | None = found.scalar_one_or_none()
    return customer


@dataclass(frozen=True, slots=True)
class Clock:
    """An organisation and its wall clock at the scan's time."""

    org_id: int
    time_zone: str
    local_now: datetime


async def clocks(conn: asyncpg.Connection, *, now: datetime) -> list[Clock]:
    """Every organisation's local wall-clock time at `now`."""
    rows = await conn.fetch(
        "SELECT id, time_zone, ($1::timestamptz AT TIME ZONE time_zone) AS local "
        "FROM organisations ORDER BY id",
        now,
    )
    return [Clock(r["id"], r["time_zone"], r["local"]) for r in rows]


def _utc(local: str) -> str:
    # A local wall-clock parameter as the instant it is in the organisation's zone.
    return f"({local}::timestamp AT TIME ZONE (SELECT time_zone FROM organisations WHERE id = $1))"


async def candidates(conn: asyncpg.Connection, *, org_id: int, until: date) -> list[Candidate]:
    """Every live customer's latest health point up to `until`, and whether it ever rated a
    ticket 5 or answered NPS 9 or more."""
    rows = await conn.fetch(
        "SELECT c.id, c.name, c.locale, h.value::float8 AS health, h.risk_score, "
        f"(EXISTS (SELECT 1 FROM csat_ratings r WHERE r.org_id = c.org_id "
        f"AND r.customer_id = c.id AND r.rating = {DELIGHTED_RATING}) OR EXISTS (SELECT 1 "
        f"FROM nps_responses n WHERE n.org_id = c.org_id AND n.customer_id = c.id "
        f"AND n.score >= {DELIGHTED_NPS})) AS delighted "
        "FROM customers c JOIN LATERAL (SELECT value, risk_score FROM health_snapshots s "
        "WHERE s.org_id = c.org_id AND s.customer_id = c.id AND s.day <= $2 "
        "ORDER BY s.day DESC LIMIT 1) h ON true "
        "WHERE c.org_id = $1 AND c.archived_at IS NULL AND c.stage <> 'churned' ORDER BY c.id",
        org_id,
        until,
    )
    return [
        Candidate(r["id"], r["name"], r["locale"], r["health"], r["risk_score"], r["delighted"])
        for r in rows
    ]


async def active_customers(conn: asyncpg.Connection, *, org_id: int) -> int:
    """Customers neither archived nor churned."""
    found: int = await conn.fetchval(
        "SELECT count(*) FROM customers WHERE org_id = $1 AND archived_at IS NULL "
        "AND stage <> 'churned'",
        org_id,
    )
    return found


async def objections(
    conn: asyncpg.Connection, *, org_id: int, start: datetime, end: datetime
) -> list[tuple[ObjectionCategory, str]]:
    """The objections logged in [start, end) (local wall-clock times), oldest first."""
    rows = await conn.fetch(
        "SELECT category, text FROM objections WHERE org_id = $1 "
        f"AND logged_at >= {_utc('$2')} AND logged_at < {_utc('$3')} ORDER BY logged_at, id",
        org_id,
        start,
        end,
    )
    return [(ObjectionCategory(r["category"]), r["text"]) for r in rows]


async def positive_threads(
    conn: asyncpg.Connection, *, org_id: int, start: datetime, end: datetime, limit: int
) -> list[dict[str, Any]]:
    """Tickets rated 5 in [start, end) (local wall-clock times), the latest rated first."""
    rows = await conn.fetch(
        "SELECT t.id, t.customer_id, t.subject FROM csat_ratings r JOIN tickets t "
        "ON t.org_id = r.org_id AND t.id = r.ticket_id WHERE r.org_id = $1 "
        f"AND r.rating = {DELIGHTED_RATING} AND r.rated_at >= {_utc('$2')} "
        f"AND r.rated_at < {_utc('$3')} ORDER BY r.rated_at DESC, t.id LIMIT $4",
        org_id,
        start,
        end,
        limit,
    )
    return [
        {"ticketId": r["id"], "customerId": r["customer_id"], "subject": r["subject"]} for r in rows
    ]


async def store(
    conn: asyncpg.Connection,
    *,
    org_id: int,
    week_of: date,
    review: dict[str, Any],
    now: datetime,
) -> int | None:
    """Store the week's review unless it exists (a concurrent scan waits, then does nothing);
    its id, or None."""
    found: int | None = await conn.fetchval(
        "INSERT INTO cs_reviews (org_id, week_of, review, created_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (org_id, week_of) DO NOTHING RETURNING id",
        org_id,
        week_of,
        review,
        now,
    )
    return found


async def add_draft(
    conn: asyncpg.Connection,
    *,
    org_id: int,
    customer_id: int,
    kind: str,
    review_id: int,
    locale: str,
    body: str,
    now: datetime,
) -> int:
    """A review's draft, awaiting approval."""
    found: int = await conn.fetchval(
        "INSERT INTO drafts (org_id, customer_id, kind, subject_type, subject_id, locale, body, "
        "status, created_at, version) VALUES ($1, $2, $3, 'CsReview', $4, $5, $6, 'draft', $7, 1) "
        "RETURNING id",
        org_id,
        customer_id,
        kind,
        review_id,
        locale,
        body,
        now,
    )
    return found


async def set_review(conn: asyncpg.Connection, *, org_id: int, review_id: int, review: Any) -> None:
    """Rewrite a stored review's body (its draft ids, once they exist)."""
    await conn.execute(
        "UPDATE cs_reviews SET review = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        review_id,
        review,
    )


async def reviews(
    conn: asyncpg.Connection, *, org_id: int, week_of: date | None, limit: int
) -> list[tuple[date, dict[str, Any], datetime]]:
    """Stored reviews, the latest week first; one week's when `week_of` is given."""
    rows = await conn.fetch(
        "SELECT week_of, review, created_at FROM cs_reviews WHERE org_id = $1 "
        "AND ($2::date IS NULL OR week_of = $2) ORDER BY week_of DESC LIMIT $3",
        org_id,
        week_of,
        limit,
    )
    return [(r["week_of"], r["review"], r["created_at"]) for r in rows]
