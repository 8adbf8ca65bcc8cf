"""The weekly CS review scan (docs/rules.md §8.4): at Friday 17:00 local each organisation's
review is stored with its drafts, once per week however often (or however concurrently) the scan
runs: the review's unique week and its drafts are written in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from domain import reviews
from domain.drafts import DraftKind
from resolvers.store import reviews as store


async def scan_cs_reviews(ctx: dict[str, Any], now: datetime | None = None) -> dict[str, int]:
    """§8.4: store the review of every organisation whose Friday 17:00 has come (until Monday)
    and that has none for the week yet; returns how many were stored."""
    at = now if now is not None else ctx["clock"]()
    stored = 0
    async with ctx["db"].acquire() as conn:
        for clock in await store.clocks(conn, now=at):
            friday = reviews.week_of(clock.local_now)
            if friday is None:
                continue
            async with conn.transaction():
                stored += await _review(conn, clock, friday, at)
    return {"reviews": stored}


async def _review(conn: asyncpg.Connection, clock: store.Clock, friday: Any, now: datetime) -> int:
    org = clock.org_id
    start, end = reviews.window(friday)
    candidates = await store.candidates(conn, org_id=org, until=friday)
    review: dict[str, Any] = {
        "weekOf": friday.isoformat(),
        "windowStart": _utc(start, clock.time_zone),
        "windowEnd": _utc(end, clock.time_zone),
        "activeCustomers": await store.active_customers(conn, org_id=org),
        "objections": [
            {"category": o.category.value, "count": o.count, "latest": o.latest}
            for o in reviews.top_objections(
                await store.objections(conn, org_id=org, start=start, end=end)
            )
        ],
        "positiveThreads": await store.positive_threads(
            conn, org_id=org, start=start, end=end, limit=reviews.TOP_THREADS
        ),
    }
    review_id = await store.store(conn, org_id=org, week_of=friday, review=review, now=now)
    if review_id is None:
        return 0

    async def draft(who: reviews.Candidate, kind: DraftKind) -> int:
        body = reviews.draft_text(kind, name=who.name, locale=who.locale)
        return await store.add_draft(
            conn,
            org_id=org,
            customer_id=who.customer_id,
            kind=kind.value,
            review_id=review_id,
            locale=who.locale,
            body=body,
            now=now,
        )

    risky = reviews.top_at_risk(candidates)
    review["atRisk"] = None
    if risky is not None:
        review["atRisk"] = {
            "customerId": risky.customer_id,
            "riskScore": risky.risk_score,
            "health": risky.health,
            "draftId": await draft(risky, DraftKind.CS_OUTREACH),
            "dueAt": _utc(reviews.outreach_due(friday), clock.time_zone),
        }
    happy = reviews.top_delighted(candidates)
    review["delighted"] = None
    if happy is not None:
        review["delighted"] = {
            "customerId": happy.customer_id,
            "health": happy.health,
            "testimonialDraftId": await draft(happy, DraftKind.TESTIMONIAL_ASK),
            "referralDraftId": await draft(happy, DraftKind.REFERRAL_ASK),
        }
    await store.set_review(conn, org_id=org, review_id=review_id, review=review)
    return 1


def _utc(local: datetime, zone: str) -> str:
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).isoformat()
