"""Customer-success signals: check-ins, CSAT ratings, NPS answers, Proof Packs, stage changes.

The only place that speaks SQL about them. CSAT ratings live in their own table keyed by ticket
id (not on the ticket row): a rating has its own time, which §4.2's trailing period needs, and
this keeps every rating write in one module while the ticket store keeps every ticket write.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.customers import Stage
from domain.signals import CheckIn, CsatRating, NpsResponse, ProofPack
from resolvers.store.tables import (
    CheckInRow,
    NpsResponseRow,
    ProofPackRow,
    StageChangeRow,
)

_WEEK = timedelta(days=7)


def _check_in(row: asyncpg.Record | CheckInRow) -> CheckIn:
    if isinstance(row, CheckInRow):
        assert row.id is not None
        return CheckIn(
            id=row.id,
            customer_id=row.customer_id,
            week_of=row.week_of,
            drafts_approved=row.drafts_approved,
            replies=row.replies,
            meetings=row.meetings,
            risks_blocked=row.risks_blocked,
            pipeline_sar=float(row.pipeline_sar),
        )
    return CheckIn(
        id=row["id"],
        customer_id=row["customer_id"],
        week_of=row["week_of"],
        drafts_approved=row["drafts_approved"],
        replies=row["replies"],
        meetings=row["meetings"],
        risks_blocked=row["risks_blocked"],
        pipeline_sar=float(row["pipeline_sar"]),
    )


async def nearest_check_in(
    session: AsyncSession, *, org_id: int, customer_id: int, on: date
) -> date | None:
    """The recorded check-in week closest to `on` (either side), for the 7-day rule (§4.3).

    The caller holds the customer's row lock, so two check-ins cannot race past the rule."""
    result = await session.execute(
        text(
            "SELECT week_of FROM check_ins WHERE org_id = :org AND customer_id = :customer "
            "AND week_of > :low AND week_of < :high ORDER BY abs(week_of - :on) LIMIT 1"
        ),
        {"org": org_id, "customer": customer_id, "low": on - _WEEK, "high": on + _WEEK, "on": on},
    )
    found: date | None = result.scalar_one_or_none()
    return found


async def add_check_in(
    session: AsyncSession, *, org_id: int, check_in: CheckIn, now: datetime
) -> CheckIn:
    row = CheckInRow(
        org_id=org_id,
        customer_id=check_in.customer_id,
        week_of=check_in.week_of,
        drafts_approved=check_in.drafts_approved,
        replies=check_in.replies,
        meetings=check_in.meetings,
        risks_blocked=check_in.risks_blocked,
        pipeline_sar=Decimal(str(check_in.pipeline_sar)),
        recorded_at=now,
    )
    session.add(row)
    await session.flush()
    return _check_in(row)


async def check_in_for_week(
    conn: asyncpg.Connection, *, org_id: int, customer_id: int, week_of: date
) -> CheckIn | None:
    """The check-in recorded for the week starting `week_of` (at most one, §4.3)."""
    row = await conn.fetchrow(
        "SELECT id, customer_id, week_of, drafts_approved, replies, meetings, risks_blocked, "
        "pipeline_sar FROM check_ins WHERE org_id = $1 AND customer_id = $2 "
        "AND week_of >= $3 AND week_of < $4 ORDER BY week_of LIMIT 1",
        org_id,
        customer_id,
        week_of,
        week_of + _WEEK,
    )
    return None if row is None else _check_in(row)


async def rating_of(session: AsyncSession, *, org_id: int, ticket_id: int) -> CsatRating | None:
    result = await session.execute(
        text(
            "SELECT ticket_id, customer_id, rating, rated_at FROM csat_ratings "
            "WHERE org_id = :org AND ticket_id = :ticket FOR UPDATE"
        ),
        {"org": org_id, "ticket": ticket_id},
    )
    row = result.mappings().one_or_none()
    return None if row is None else CsatRating(**row)


async def put_rating(session: AsyncSession, *, org_id: int, rating: CsatRating) -> None:
    """Store a ticket's rating; a later rating of the same ticket replaces it."""
    await session.execute(
        text(
            "INSERT INTO csat_ratings (org_id, ticket_id, customer_id, rating, rated_at) "
            "VALUES (:org, :ticket, :customer, :rating, :at) "
            "ON CONFLICT (org_id, ticket_id) DO UPDATE SET rating = excluded.rating, "
            "rated_at = excluded.rated_at"
        ),
        {
            "org": org_id,
            "ticket": rating.ticket_id,
            "customer": rating.customer_id,
            "rating": rating.rating,
            "at": rating.rated_at,
        },
    )


async def add_nps(session: AsyncSession, *, org_id: int, response: NpsResponse) -> NpsResponse:
    row = NpsResponseRow(
        org_id=org_id,
        customer_id=response.customer_id,
        score=response.score,
        responded_at=response.responded_at,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    return NpsResponse(
        id=row.id, customer_id=row.customer_id, score=row.score, responded_at=row.responded_at
    )


async def add_proof_pack(session: AsyncSession, *, org_id: int, pack: ProofPack) -> ProofPack:
    row = ProofPackRow(
        org_id=org_id,
        customer_id=pack.customer_id,
        title=pack.title,
        delivered_at=pack.delivered_at,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    return ProofPack(
        id=row.id, customer_id=row.customer_id, title=row.title, delivered_at=row.delivered_at
    )


async def nps_by_id(session: AsyncSession, *, org_id: int, nps_id: int) -> NpsResponse | None:
    """An NPS answer as stored (an idempotent repeat returns the first one)."""
    row = await session.get(NpsResponseRow, (org_id, nps_id))
    if row is None:
        return None
    assert row.id is not None
    return NpsResponse(
        id=row.id, customer_id=row.customer_id, score=row.score, responded_at=row.responded_at
    )


async def proof_pack_by_id(session: AsyncSession, *, org_id: int, pack_id: int) -> ProofPack | None:
    """A Proof Pack as stored (an idempotent repeat returns the first one)."""
    row = await session.get(ProofPackRow, (org_id, pack_id))
    if row is None:
        return None
    assert row.id is not None
    return ProofPack(
        id=row.id, customer_id=row.customer_id, title=row.title, delivered_at=row.delivered_at
    )


async def first_proof_pack_delivered(
    session: AsyncSession, *, org_id: int, customer_id: int
) -> bool:
    """§4.3: whether any Proof Pack has been delivered to the customer."""
    result = await session.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM proof_packs WHERE org_id = :org "
            "AND customer_id = :customer)"
        ),
        {"org": org_id, "customer": customer_id},
    )
    return bool(result.scalar_one())


async def add_stage_change(
    session: AsyncSession,
    *,
    org_id: int,
    customer_id: int,
    before: Stage,
    after: Stage,
    now: datetime,
) -> None:
    session.add(
        StageChangeRow(
            org_id=org_id,
            customer_id=customer_id,
            from_stage=before.value,
            to_stage=after.value,
            changed_at=now,
        )
    )
    await session.flush()


# §4.6 alert scans, as candidates for alerts.insert_from_select ($1 is now).
_TS = "to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

# No activity for 7 days ($2 = now - 7 days): once per last activity (or start if never).
INACTIVE_CANDIDATES = f"""
SELECT c.org_id, 'INACTIVE_CUSTOMER'::text AS kind, 'Customer'::text AS subject,
       c.id AS subject_id, {_TS.format(col="a.since")} AS occurrence, c.id AS customer_id,
       'manager'::text AS for_role,
       jsonb_build_object('customerId', c.id, 'lastActivityAt', c.last_activity_at,
                          'inactiveSince', a.since) AS payload
FROM customers c
CROSS JOIN LATERAL (SELECT coalesce(c.last_activity_at, c.subscription_started_at) AS since) a
WHERE a.since <= $2 AND c.archived_at IS NULL AND c.stage <> 'churned'
"""

# Subscription past due: once per billing period (the renewal date it fell due on).
PAST_DUE_CANDIDATES = f"""
SELECT c.org_id, 'PAYMENT_PAST_DUE'::text AS kind, 'Customer'::text AS subject,
       c.id AS subject_id, coalesce({_TS.format(col="c.renews_at")}, 'no-renewal-date')
         AS occurrence,
       c.id AS customer_id, 'owner'::text AS for_role,
       jsonb_build_object('customerId', c.id, 'renewsAt', c.renews_at) AS payload
FROM customers c
WHERE c.subscription_status = 'past_due' AND c.archived_at IS NULL
"""


async def check_in_for_week_in(
    session: AsyncSession, *, org_id: int, customer_id: int, week_of: date
) -> CheckIn | None:
    """`check_in_for_week` inside the caller's transaction."""
    result = await session.execute(
        text(
            "SELECT id, customer_id, week_of, drafts_approved, replies, meetings, risks_blocked, "
            "pipeline_sar FROM check_ins WHERE org_id = :org AND customer_id = :customer "
            "AND week_of >= :low AND week_of < :high ORDER BY week_of LIMIT 1"
        ),
        {"org": org_id, "customer": customer_id, "low": week_of, "high": week_of + _WEEK},
    )
    row = result.mappings().first()
    if row is None:
        return None
    return CheckIn(
        id=row["id"],
        customer_id=row["customer_id"],
        week_of=row["week_of"],
        drafts_approved=row["drafts_approved"],
        replies=row["replies"],
        meetings=row["meetings"],
        risks_blocked=row["risks_blocked"],
        pipeline_sar=float(row["pipeline_sar"]),
    )
