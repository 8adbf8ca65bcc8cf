"""`Customer.health` (§4.2) and `Customer.atRisk` (§4.1) through the API, and what a page of them
costs in SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from schema.context import Context
from tests.api.success_support import (
    add_drafts,
    add_incident,
    add_ticket,
    customer,
    gid,
)
from tests.factories import T0, Org

SCORES = """
query($id: ID!) { customer(id: $id) {
  health { value band contributions { factor input points } explanation }
  atRisk { score severity reasons recommendedAction } } }"""

CHECK_IN = """
mutation($i: RecordCheckInMetricsInput!) { recordCheckInMetrics(input: $i) { __typename } }"""
RATE = "mutation($i: RateTicketInput!) { rateTicket(input: $i) { __typename } }"
PROOF = "mutation($i: DeliverProofPackInput!) { deliverProofPack(input: $i) { __typename } }"

HIGH = "أرسل إيميل personal من المؤسس + احجز QBR هذا الأسبوع."
MEDIUM = "أرسل Proof Pack ملخص + اقترح ديمو لخدمة جديدة."
LOW = "متابعة weekly check-in عادية."


async def scores(org: Org, customer_id: str) -> dict[str, Any]:
    data = await org.data(SCORES, {"id": customer_id})
    result: dict[str, Any] = data["customer"]
    return result


async def record_week(org: Org, c: str, week_of: str, *, pipeline: float, meetings: int) -> None:
    i = {
        "customerId": c,
        "weekOf": week_of,
        "draftsApproved": 0,
        "replies": 0,
        "meetings": meetings,
        "risksBlocked": 0,
        "pipelineSar": pipeline,
    }
    assert (await org.data(CHECK_IN, {"i": i}))["recordCheckInMetrics"]["__typename"] == (
        "CheckInPayload"
    )


async def deliver(org: Org, c: str, days_ago: int) -> None:
    at = (T0 - timedelta(days=days_ago)).isoformat()
    data = await org.data(PROOF, {"i": {"customerId": c, "title": "PP", "deliveredAt": at}})
    assert data["deliverProofPack"]["__typename"] == "ProofPackPayload"


# --- §4.2 health --------------------------------------------------------------------------


async def test_health_of_the_domain_example_is_83_healthy(org: Org) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=3))
    for rating in (3, 5):
        ticket = await add_ticket(org, c, status="closed")
        await org.data(RATE, {"i": {"ticketId": gid("Ticket", ticket), "rating": rating}})
    await record_week(org, c, "2026-10-12", pipeline=5_000, meetings=0)
    await record_week(org, c, "2026-10-26", pipeline=18_000, meetings=1)
    await record_week(org, c, "2026-09-21", pipeline=90_000, meetings=9)  # before the 30 days
    await add_drafts(org, c, "approved", 1, decided_at=T0 - timedelta(days=2))
    await add_drafts(org, c, "rejected", 1, decided_at=T0 - timedelta(days=2))
    await add_drafts(org, c, "approved", 3, decided_at=T0 - timedelta(days=31))
    await add_drafts(org, c, "draft", 2)
    health = (await scores(org, c))["health"]
    assert health == {
        "value": 83.0,
        "band": "HEALTHY",
        "contributions": [
            {"factor": "csat", "input": 8.0, "points": 40.0},
            {"factor": "pipeline_sar", "input": 18000.0, "points": 18.0},
            {"factor": "meetings", "input": 1.0, "points": 8.0},
            {"factor": "approval_rate", "input": 0.5, "points": 25.0},
            {"factor": "days_inactive", "input": 3.0, "points": -6.0},
            {"factor": "drafts_pending", "input": 2.0, "points": -2.0},
        ],
        "explanation": [
            "CSAT average 4.0/5 → 8.0/10 × 5 = +40.0",
            "Pipeline 18,000 SAR / 1000 = +18.0",
            "1 meeting(s) × 8 = +8.0",
            "Approval rate 1/2 = 0.50 × 50 = +25.0",
            "3 day(s) inactive × 2 = -6.0",
            "2 draft(s) pending = -2.0",
        ],
    }


@pytest.mark.parametrize(
    ("pipeline", "value", "band"),
    [
        (75_000, 75.0, "HEALTHY"),
        (74_900, 74.9, "WATCH"),
        (50_000, 50.0, "WATCH"),
        (49_900, 49.9, "AT_RISK"),
    ],
)
async def test_health_bands_at_75_and_50(
    org: Org, pipeline: float, value: float, band: str
) -> None:
    c = await customer(org, last_activity=T0)
    await record_week(org, c, "2026-10-26", pipeline=pipeline, meetings=0)
    health = (await scores(org, c))["health"]
    assert (health["value"], health["band"]) == (value, band)


async def test_health_without_ratings_or_decisions_says_so_and_clamps_at_0(org: Org) -> None:
    c = await customer(org, started=T0 - timedelta(days=60))  # never active: 60 days
    health = (await scores(org, c))["health"]
    assert (health["value"], health["band"]) == (0.0, "AT_RISK")
    assert health["explanation"][0] == "No ticket rating in the period: CSAT counts 0 (+0.0)."
    assert health["explanation"][3] == (
        "No drafts decided in the period: approval rate counts 0 (+0.0)."
    )
    assert health["explanation"][-1] == "Total -120.0 clamped to 0.0."


# --- §4.1 at-risk -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inactive", "pending", "proof_age", "score", "severity", "action"),
    [
        (20, 15, 21, 95, "HIGH", HIGH),
        (2, 1, 3, 0, "LOW", LOW),
        (7, 0, 0, 20, "LOW", LOW),
        (14, 0, 0, 40, "MEDIUM", MEDIUM),
        (0, 5, 0, 10, "LOW", LOW),
        (0, 10, 0, 25, "LOW", LOW),
        (0, 0, 14, 30, "MEDIUM", MEDIUM),
        (0, 0, 13, 0, "LOW", LOW),
        (7, 5, 0, 30, "MEDIUM", MEDIUM),
        (7, 10, 0, 45, "MEDIUM", MEDIUM),
        (14, 10, 0, 65, "HIGH", HIGH),
        (14, 0, 14, 70, "HIGH", HIGH),
        (6, 4, 13, 0, "LOW", LOW),
    ],
)
async def test_at_risk_grid(
    org: Org,
    inactive: int,
    pending: int,
    proof_age: int,
    score: int,
    severity: str,
    action: str,
) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=inactive))
    await add_drafts(org, c, "draft", pending)
    await deliver(org, c, proof_age)
    at_risk = (await scores(org, c))["atRisk"]
    assert (at_risk["score"], at_risk["severity"], at_risk["recommendedAction"]) == (
        score,
        severity,
        action,
    )


async def test_at_risk_reasons_in_factor_order(org: Org) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=20))
    await add_drafts(org, c, "draft", 15)
    await deliver(org, c, 21)
    assert (await scores(org, c))["atRisk"]["reasons"] == [
        "العميل غير نشط منذ 20 يوم.",
        "15 مسودة معلقة بدون اعتماد.",
        "آخر Proof Pack قبل 21 يوم — يتجاوز SLA.",
    ]


async def test_lower_tier_reasons(org: Org) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=7))
    await add_drafts(org, c, "draft", 5)
    await deliver(org, c, 0)
    assert (await scores(org, c))["atRisk"]["reasons"] == [
        "انخفاض النشاط منذ 7 يوم.",
        "تراكم 5 مسودة بدون اعتماد.",
    ]


async def test_without_a_proof_pack_its_age_counts_from_the_subscription_start(
    org: Org,
) -> None:
    c = await customer(org, started=T0 - timedelta(days=20), last_activity=T0)
    at_risk = (await scores(org, c))["atRisk"]
    assert (at_risk["score"], at_risk["severity"]) == (30, "MEDIUM")
    assert at_risk["reasons"] == ["آخر Proof Pack قبل 20 يوم — يتجاوز SLA."]


async def test_open_sev1_and_breached_p0_add_20_each(org: Org) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=14))  # 40, medium
    await deliver(org, c, 0)
    await add_incident(org, c, severity="SEV1", status="mitigated")
    due = T0 - timedelta(days=13)
    await add_ticket(
        org,
        c,
        status="open",
        priority="P0",
        opened_at=due - timedelta(minutes=30),
        first_response_due_at=due,
        resolution_due_at=due + timedelta(hours=4),
    )
    at_risk = (await scores(org, c))["atRisk"]
    assert (at_risk["score"], at_risk["severity"]) == (80, "HIGH")
    assert at_risk["reasons"] == [
        "العميل غير نشط منذ 14 يوم.",
        "حادثة SEV1 مفتوحة تؤثر على العميل.",
        "تجاوز SLA لتذكرة P0 خلال آخر 14 يوم.",
    ]


async def test_resolved_sev1_old_p0_breach_and_met_p0_do_not_count(org: Org) -> None:
    c = await customer(org, last_activity=T0)
    await deliver(org, c, 0)
    await add_incident(org, c, severity="SEV1", status="resolved")
    await add_incident(org, c, severity="SEV2", status="open")
    old_due = T0 - timedelta(days=15)
    await add_ticket(
        org,
        c,
        priority="P0",
        opened_at=old_due - timedelta(minutes=30),
        first_response_at=old_due + timedelta(hours=1),
        first_response_due_at=old_due,
        resolved_at=old_due + timedelta(hours=2),
        resolution_due_at=old_due + timedelta(hours=4),
    )
    opened = T0 - timedelta(days=1)
    await add_ticket(
        org,
        c,
        priority="P0",
        opened_at=opened,
        first_response_at=opened + timedelta(minutes=30),
        first_response_due_at=opened + timedelta(minutes=30),
        resolved_at=opened + timedelta(hours=4),
        resolution_due_at=opened + timedelta(hours=4),
    )
    assert (await scores(org, c))["atRisk"] == {
        "score": 0,
        "severity": "LOW",
        "reasons": [],
        "recommendedAction": LOW,
    }


# --- a page costs a fixed number of queries ---------------------------------------------------

PAGE = """
query($first: Int!) { customers(first: $first) { edges { node { id
  health { value band } atRisk { score severity reasons }
  onboarding { progress currentStep done }
  connectorSummary { connected connectedPct readyForFirstService } } } } }"""


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL the request's resolvers send on its connection (asyncpg query logger)."""
    seen: list[str] = []
    original = Context.db

    def log(record: Any) -> None:
        seen.append(record.query)

    @asynccontextmanager
    async def db(self: Context) -> AsyncIterator[asyncpg.Connection]:
        async with original(self) as conn:
            conn.add_query_logger(log)
            try:
                yield conn
            finally:
                conn.remove_query_logger(log)

    monkeypatch.setattr(Context, "db", db)
    return seen


async def test_a_page_of_scores_costs_the_same_queries_at_10_and_50(
    org: Org, queries: list[str]
) -> None:
    ids = [await customer(org, last_activity=T0 - timedelta(days=n % 20)) for n in range(50)]
    for c in ids[:5]:
        await add_drafts(org, c, "draft", 6)
        await deliver(org, c, 3)
    queries.clear()
    ten = await org.data(PAGE, {"first": 10})
    at_10 = list(queries)
    queries.clear()
    fifty = await org.data(PAGE, {"first": 50})
    at_50 = list(queries)
    assert len(ten["customers"]["edges"]) == 10
    assert len(fifty["customers"]["edges"]) == 50
    # customers page, scores (health + atRisk share it), onboarding, connectors
    assert len(at_10) == len(at_50) == 4, at_50


# --- the check-in window ends on the organisation's day ---------------------------------------


@pytest.mark.parametrize(
    ("zone", "pipeline", "meetings"),
    [("Asia/Riyadh", 18_000.0, 1.0), ("UTC", 90_000.0, 9.0)],
)
async def test_the_check_in_window_is_the_organisations_30_days(
    org: Org, zone: str, pipeline: float, meetings: float
) -> None:
    if zone != "Asia/Riyadh":  # the default; no API sets the time zone yet
        async with org.pool.acquire() as conn:
            await conn.execute(
                "UPDATE organisations SET time_zone = $1 WHERE id = $2", zone, org.id
            )
    c = await customer(org, last_activity=T0)
    await record_week(org, c, "2026-10-03", pipeline=90_000, meetings=9)
    await record_week(org, c, "2026-11-02", pipeline=18_000, meetings=1)
    # 22:30 UTC on 1 November is 01:30 on 2 November in Riyadh: its 30 days are 4 October to
    # 2 November; UTC's are 3 October to 1 November.
    org.clock.now = datetime(2026, 11, 1, 22, 30, tzinfo=UTC)
    inputs = {x["factor"]: x["input"] for x in (await scores(org, c))["health"]["contributions"]}
    assert (inputs["pipeline_sar"], inputs["meetings"]) == (pipeline, meetings)


# --- both languages (README: Language) ----------------------------------------------------

BILINGUAL = """
query($id: ID!) { customer(id: $id) {
  health { explanation explanationAr }
  atRisk { reasons reasonsEn recommendedAction recommendedActionEn } } }"""


async def test_health_explanation_and_at_risk_reasons_come_in_arabic_and_english(
    org: Org,
) -> None:
    c = await customer(org, started=T0 - timedelta(days=60))  # never active: 60 days
    await add_drafts(org, c, "draft", 5)
    found = (await org.data(BILINGUAL, {"id": c}))["customer"]
    assert found["health"] == {
        "explanation": [
            "No ticket rating in the period: CSAT counts 0 (+0.0).",
            "Pipeline 0 SAR / 1000 = +0.0",
            "0 meeting(s) × 8 = +0.0",
            "No drafts decided in the period: approval rate counts 0 (+0.0).",
            "60 day(s) inactive × 2 = -120.0",
            "5 draft(s) pending = -5.0",
            "Total -125.0 clamped to 0.0.",
        ],
        "explanationAr": [
            "لا تقييم للتذاكر في الفترة: يُحسب CSAT صفرًا (+0.0).",
            "الـ pipeline 0 ريال / 1000 = +0.0",
            "0 اجتماع × 8 = +0.0",
            "لم يُبتّ في أي مسودة خلال الفترة: تُحسب نسبة الاعتماد صفرًا (+0.0).",
            "60 يوم بلا نشاط × 2 = -120.0",
            "5 مسودة معلقة = -5.0",
            "المجموع -125.0 حُصر عند 0.0.",
        ],
    }
    assert found["atRisk"] == {
        "reasons": [
            "العميل غير نشط منذ 60 يوم.",
            "تراكم 5 مسودة بدون اعتماد.",
            "آخر Proof Pack قبل 60 يوم — يتجاوز SLA.",
        ],
        "reasonsEn": [
            "Customer inactive for 60 days.",
            "5 drafts building up without approval.",
            "Last Proof Pack 60 days ago — past the SLA.",
        ],
        "recommendedAction": HIGH,
        "recommendedActionEn": "Send a personal email from the founder + book a QBR this week.",
    }
