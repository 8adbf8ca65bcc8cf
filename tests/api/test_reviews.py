"""docs/rules.md §8.4 through the GraphQL API and the real scan: objections, and the weekly CS
review stored at Friday 17:00 local once per week, queryable for past weeks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from jobs import reviews as review_jobs
from schema.types.relay import pk_of
from tests.api.success_support import add_ticket, customer, gid
from tests.factories import Org, open_ticket

LOG = """mutation($i: LogObjectionInput!) { logObjection(input: $i) { __typename
  ... on ObjectionPayload { category text customerId ticketId }
  ... on UserError { field code message } } }"""
REVIEWS = """query($w: Date, $n: Int!) { csReviews(weekOf: $w, last: $n) {
  weekOf windowStart windowEnd createdAt activeCustomers
  atRisk { customerId riskScore health draftId dueAt }
  delighted { customerId health testimonialDraftId referralDraftId }
  objections { category count latest } positiveThreads { ticketId customerId subject } } }"""
# Riyadh (UTC+3): Friday 6 November 2026 17:00 local is 14:00 UTC.
DUE = datetime(2026, 11, 6, 14, 0, tzinfo=UTC)


async def log(org: Org, **fields: Any) -> dict[str, Any]:
    data = await org.data(LOG, {"i": fields})
    result: dict[str, Any] = data["logObjection"]
    return result


async def snapshots(org: Org, rows: list[tuple[str, float, int]]) -> None:
    async with org.pool.acquire() as conn:
        for customer_id, health, risk in rows:
            await conn.execute(
                "INSERT INTO health_snapshots (org_id, customer_id, day, value, band, "
                "risk_score, severity, computed_at) VALUES ($1, $2, $3, $4, 'watch', $5, "
                "'high', $6)",
                org.id,
                pk_of(customer_id, "Customer"),
                DUE.date(),
                health,
                risk,
                DUE,
            )


async def scan(pool: asyncpg.Pool, at: datetime) -> dict[str, int]:
    found: dict[str, int] = await review_jobs.scan_cs_reviews({"db": pool}, now=at)
    return found


async def stored(org: Org) -> int:
    async with org.pool.acquire() as conn:
        found: int = await conn.fetchval(
            "SELECT count(*) FROM cs_reviews WHERE org_id = $1", org.id
        )
    return found


async def test_objections_are_logged_per_customer_or_ticket(org: Org) -> None:
    a = await customer(org, name="أ")
    ticket = await open_ticket(org, a, "hello")
    by_customer = await log(org, category="PRICE", text=" غالي ", customer=a)
    assert by_customer == {"__typename": "ObjectionPayload", "category": "PRICE", "text": "غالي",
                           "customerId": a, "ticketId": None}  # fmt: skip
    by_ticket = await log(org, category="PRIVACY", text="PDPL؟", ticket=ticket["ticket"]["id"])
    assert (by_ticket["customerId"], by_ticket["ticketId"]) == (a, ticket["ticket"]["id"])
    async with org.pool.acquire() as conn:
        before = [dict(r) for r in await conn.fetch("SELECT * FROM objections ORDER BY id")]
        ledger = await conn.fetchval("SELECT count(*) FROM ledger WHERE org_id = $1", org.id)
    for fields, field, code in [
        ({"category": "PRICE", "text": " "}, "text", "REQUIRED"),
        ({"category": "PRICE", "text": "x"}, "customer", "REQUIRED"),
        ({"category": "PRICE", "text": "x", "ticket": gid("Ticket", 999)}, "ticket", "NOT_FOUND"),
        ({"category": "PRICE", "text": "x", "customer": gid("Customer", 999)}, "customer",
         "NOT_FOUND"),
    ]:  # fmt: skip
        refused = await log(org, **fields)
        assert (refused["field"], refused["code"]) == (field, code)
    async with org.pool.acquire() as conn:
        assert [dict(r) for r in await conn.fetch("SELECT * FROM objections ORDER BY id")] == before
        assert (
            await conn.fetchval("SELECT count(*) FROM ledger WHERE org_id = $1", org.id) == ledger
        )


async def test_the_review_is_stored_once_at_friday_17_local(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    a = await customer(org, name="أ")
    b = await customer(org, name="ب", locale="EN")
    happy = await customer(org, name="سعيد")
    await customer(org, name="بلا نقاط")
    await snapshots(org, [(a, 40, 65), (b, 30, 65), (happy, 90, 0)])
    await org.data(
        "mutation($i: RecordNpsInput!) { recordNps(input: $i) { __typename } }",
        {"i": {"customerId": happy, "score": 9}},
    )
    rated = await add_ticket(org, happy, status="closed")
    await org.data(
        "mutation($i: RateTicketInput!) { rateTicket(input: $i) { __typename } }",
        {"i": {"ticketId": gid("Ticket", rated), "rating": 5}},
    )
    for category, text in [("TIMING", "بعدين"), ("PRICE", "غالي"), ("ARABIC_QUALITY", "ركيك"),
                           ("PRIVACY", "PDPL"), ("PRICE", "غالي جداً")]:  # fmt: skip
        await log(org, category=category, text=text, customer=a)

    await scan(system_pool, DUE - timedelta(seconds=1))
    assert await stored(org) == 0
    # Two scans at once, and a third on Sunday night: one review.
    await asyncio.gather(scan(system_pool, DUE), scan(system_pool, DUE))
    await scan(system_pool, DUE + timedelta(days=2, hours=6, minutes=59))
    assert await stored(org) == 1
    await scan(system_pool, DUE + timedelta(days=2, hours=7))  # Monday 00:00: no longer due
    assert await stored(org) == 1

    data = await org.data(REVIEWS, {"w": None, "n": 4})
    (review,) = data["csReviews"]
    at_risk, delighted = review.pop("atRisk"), review.pop("delighted")
    assert review == {
        "weekOf": "2026-11-06",
        "windowStart": "2026-10-30T14:00:00+00:00",
        "windowEnd": "2026-11-06T14:00:00+00:00",
        "createdAt": DUE.isoformat(),
        "activeCustomers": 4,
        "objections": [
            {"category": "PRICE", "count": 2, "latest": "غالي جداً"},
            {"category": "PRIVACY", "count": 1, "latest": "PDPL"},
            {"category": "ARABIC_QUALITY", "count": 1, "latest": "ركيك"},
        ],
        "positiveThreads": [
            {"ticketId": gid("Ticket", rated), "customerId": happy, "subject": "s"}
        ],
    }
    assert {k: at_risk[k] for k in ("customerId", "riskScore", "health", "dueAt")} == {
        "customerId": b, "riskScore": 65, "health": 30.0, "dueAt": "2026-11-08T21:00:00+00:00",
    }  # fmt: skip
    assert {k: delighted[k] for k in ("customerId", "health")} == {"customerId": happy,
                                                                   "health": 90.0}  # fmt: skip
    drafts = {}
    for draft_id in (at_risk["draftId"], delighted["testimonialDraftId"],
                     delighted["referralDraftId"]):  # fmt: skip
        found = await org.data(
            "query($id: ID!) { draft(id: $id) { kind status locale body approvalRequired } }",
            {"id": draft_id},
        )
        drafts[found["draft"]["kind"]] = found["draft"]
    assert drafts["CS_OUTREACH"] == {
        "kind": "CS_OUTREACH", "status": "DRAFT", "locale": "en", "approvalRequired": True,
        "body": "Hi ب, we noticed this week did not go as well as we would like for you. Could we "
        "have a short call before Monday to look at what is in the way and agree the next step?",
    }  # fmt: skip
    assert drafts["TESTIMONIAL_ASK"]["body"] == (
        "شكراً سعيد على ثقتك! هل تسمح لنا بكلمة قصيرة عن تجربتك معنا ننشرها مع اسمك؟"
    )
    assert drafts["REFERRAL_ASK"]["body"] == (
        "سعداء أن التجربة أعجبتك يا سعيد. هل تعرف شركة قد تستفيد منا؟ نرحب بتعريفنا بها."
    )
    async with org.pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM drafts WHERE org_id = $1 AND subject_type = 'CsReview'",
                org.id,
            )
            == 3
        )

    # The next week's review is a second row; the past week stays queryable.
    await scan(system_pool, DUE + timedelta(days=7))
    assert await stored(org) == 2
    weeks = await org.data(REVIEWS, {"w": None, "n": 4})
    assert [r["weekOf"] for r in weeks["csReviews"]] == ["2026-11-13", "2026-11-06"]
    past = await org.data(REVIEWS, {"w": "2026-11-06", "n": 1})
    assert past["csReviews"][0]["objections"][0]["count"] == 2
    refused = await org.gql(REVIEWS, {"w": None, "n": 53})
    assert refused["errors"][0]["extensions"] == {"code": "OUT_OF_RANGE", "field": "last"}
