"""docs/rules.md §4 through the GraphQL API, for what the other API tests leave unpinned: the
at-risk severity boundary at 60 and the cap at 100, the latest Proof Pack counting, the health
formula's csat, approval rate, summed meetings, whole days, clamp at 100 and rounding, the cadence
types, talking-point rounding, the renewal offer as an approval-first draft, connector percentages
and refused moves, CSAT % and NPS boundaries, and the lifecycle stages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest

from domain.roles import Role
from jobs import success as success_jobs
from resolvers.store import engine
from tests.api.success_support import (
    add_drafts,
    add_incident,
    add_ticket,
    customer,
    gid,
    snapshot,
)
from tests.factories import T0, Org

SCORES = """
query($id: ID!) { customer(id: $id) {
  health { value band contributions { factor input points } }
  atRisk { score severity reasons recommendedAction } } }"""
CHECK_IN = """
mutation($i: RecordCheckInMetricsInput!) { recordCheckInMetrics(input: $i) { __typename } }"""
RATE = "mutation($i: RateTicketInput!) { rateTicket(input: $i) { __typename } }"
NPS = "mutation($i: RecordNpsInput!) { recordNps(input: $i) { __typename } }"
PROOF = "mutation($i: DeliverProofPackInput!) { deliverProofPack(input: $i) { __typename } }"

HIGH = "أرسل إيميل personal من المؤسس + احجز QBR هذا الأسبوع."
MEDIUM = "أرسل Proof Pack ملخص + اقترح ديمو لخدمة جديدة."
LOW = "متابعة weekly check-in عادية."


async def scores(org: Org, customer_id: str) -> dict[str, Any]:
    data = await org.data(SCORES, {"id": customer_id})
    found: dict[str, Any] = data["customer"]
    return found


async def deliver(org: Org, c: str, days_ago: float) -> None:
    at = (T0 - timedelta(days=days_ago)).isoformat()
    data = await org.data(PROOF, {"i": {"customerId": c, "title": "PP", "deliveredAt": at}})
    assert data["deliverProofPack"]["__typename"] == "ProofPackPayload"


async def record_week(
    org: Org, c: str, week_of: str, *, pipeline: float = 0, meetings: int = 0, **extra: int
) -> None:
    i = {
        "customerId": c,
        "weekOf": week_of,
        "draftsApproved": extra.get("draftsApproved", 0),
        "replies": extra.get("replies", 0),
        "meetings": meetings,
        "risksBlocked": extra.get("risksBlocked", 0),
        "pipelineSar": pipeline,
    }
    data = await org.data(CHECK_IN, {"i": i})
    assert data["recordCheckInMetrics"]["__typename"] == "CheckInPayload"


async def rate(org: Org, c: str, rating: int) -> None:
    ticket = await add_ticket(org, c, status="closed")
    data = await org.data(RATE, {"i": {"ticketId": gid("Ticket", ticket), "rating": rating}})
    assert data["rateTicket"]["__typename"] == "CsatRatingPayload"


async def enum_values(org: Org, name: str) -> list[str]:
    data = await org.data(
        "query($n: String!) { __type(name: $n) { enumValues { name } } }", {"n": name}
    )
    return [value["name"] for value in data["__type"]["enumValues"]]


# §4.1 at-risk -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inactive", "pending", "proof_age", "score", "severity", "action", "reasons"),
    [
        (
            7,
            5,
            14,
            60,
            "HIGH",
            HIGH,
            [
                "انخفاض النشاط منذ 7 يوم.",
                "تراكم 5 مسودة بدون اعتماد.",
                "آخر Proof Pack قبل 14 يوم — يتجاوز SLA.",
            ],
        ),
        (
            0,
            10,
            14,
            55,
            "MEDIUM",
            MEDIUM,
            ["10 مسودة معلقة بدون اعتماد.", "آخر Proof Pack قبل 14 يوم — يتجاوز SLA."],
        ),
        (
            13,
            9,
            13,
            30,
            "MEDIUM",
            MEDIUM,
            ["انخفاض النشاط منذ 13 يوم.", "تراكم 9 مسودة بدون اعتماد."],
        ),
        (6, 9, 0, 10, "LOW", LOW, ["تراكم 9 مسودة بدون اعتماد."]),
    ],
)
async def test_at_risk_tier_edges_and_the_high_boundary_at_60(
    org: Org,
    inactive: int,
    pending: int,
    proof_age: int,
    score: int,
    severity: str,
    action: str,
    reasons: list[str],
) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=inactive))
    await add_drafts(org, c, "draft", pending)
    await deliver(org, c, proof_age)
    assert (await scores(org, c))["atRisk"] == {
        "score": score,
        "severity": severity,
        "reasons": reasons,
        "recommendedAction": action,
    }


async def test_the_at_risk_score_is_capped_at_100(org: Org) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=20))  # +40
    await add_drafts(org, c, "draft", 15)  # +25
    await deliver(org, c, 21)  # +30
    await add_incident(org, c, severity="SEV1", status="open")  # signal
    due = T0 - timedelta(days=1)
    await add_ticket(  # a breached P0 (signal)
        org,
        c,
        status="open",
        priority="P0",
        opened_at=due - timedelta(minutes=30),
        first_response_due_at=due,
        resolution_due_at=due + timedelta(hours=4),
    )
    at_risk = (await scores(org, c))["atRisk"]
    assert (at_risk["score"], at_risk["severity"], at_risk["recommendedAction"]) == (
        100,
        "HIGH",
        HIGH,
    )


async def test_the_latest_proof_pack_sets_the_age(org: Org) -> None:
    c = await customer(org, last_activity=T0)
    await deliver(org, c, 30)
    await deliver(org, c, 2)
    assert (await scores(org, c))["atRisk"]["score"] == 0
    other = await customer(org, last_activity=T0)
    await deliver(org, other, 2)
    await deliver(org, other, 30)  # recorded later but older: the age stays 2 days
    assert (await scores(org, other))["atRisk"]["score"] == 0


# §4.2 health ------------------------------------------------------------------------------------


async def test_health_csat_is_the_average_rating_doubled_and_approval_over_decided(
    org: Org,
) -> None:
    c = await customer(org, last_activity=T0)
    for rating in (4, 5):  # 4.5 → 9.0 × 5 = 45
        await rate(org, c, rating)
    await add_drafts(org, c, "approved", 3, decided_at=T0 - timedelta(days=1))
    await add_drafts(org, c, "rejected", 1, decided_at=T0 - timedelta(days=29))
    await add_drafts(org, c, "rejected", 4, decided_at=T0 - timedelta(days=31))  # outside
    await add_drafts(org, c, "draft", 3)  # pending now: −3
    health = (await scores(org, c))["health"]
    assert health["contributions"] == [
        {"factor": "csat", "input": 9.0, "points": 45.0},
        {"factor": "pipeline_sar", "input": 0.0, "points": 0.0},
        {"factor": "meetings", "input": 0.0, "points": 0.0},
        {"factor": "approval_rate", "input": 0.75, "points": 37.5},
        {"factor": "days_inactive", "input": 0.0, "points": 0.0},
        {"factor": "drafts_pending", "input": 3.0, "points": -3.0},
    ]
    assert (health["value"], health["band"]) == (79.5, "HEALTHY")


async def test_health_sums_meetings_takes_the_latest_pipeline_whole_days_and_rounds(
    org: Org,
) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=3, hours=20))  # 3 whole days
    await record_week(org, c, "2026-10-19", pipeline=30_000, meetings=2)
    await record_week(org, c, "2026-10-26", pipeline=12_576, meetings=3)
    health = (await scores(org, c))["health"]
    assert health["contributions"][1:3] == [
        {"factor": "pipeline_sar", "input": 12576.0, "points": 12.58},
        {"factor": "meetings", "input": 5.0, "points": 40.0},
    ]
    assert health["contributions"][4] == {"factor": "days_inactive", "input": 3.0, "points": -6.0}
    # 12.576 + 40 − 6 = 46.576 → 46.6
    assert (health["value"], health["band"]) == (46.6, "AT_RISK")


async def test_health_is_clamped_at_100(org: Org) -> None:
    c = await customer(org, last_activity=T0)
    await record_week(org, c, "2026-10-26", pipeline=250_000, meetings=2)
    health = (await scores(org, c))["health"]
    assert (health["value"], health["band"]) == (100.0, "HEALTHY")


# §4.3 cadences and the weekly check-in ----------------------------------------------------------


async def test_the_six_cadence_types(org: Org) -> None:
    assert await enum_values(org, "CadenceType") == [
        "WEEKLY_CHECK_IN",
        "MONTHLY_PROOF_REVIEW",
        "QUARTERLY_BUSINESS_REVIEW",
        "AT_RISK_ALERT",
        "RENEWAL_30_DAY",
        "RENEWAL_7_DAY",
    ]


async def test_talking_points_round_the_pipeline_to_whole_riyals(org: Org) -> None:
    c = await customer(org)
    await record_week(org, c, "2026-10-26", pipeline=1234.7)
    data = await org.data(
        "query($c: ID!, $w: Date!) { weeklyCheckIn(customerId: $c, weekOf: $w) "
        "{ talkingPoints totalMinutes } }",
        {"c": c, "w": "2026-10-26"},
    )
    assert data["weeklyCheckIn"] == {
        "talkingPoints": [
            "اعتمدتم 0 رسالة هذا الأسبوع، ووصلكم 0 رد.",
            "تم تجهيز 0 اجتماع.",
            "تم منع 0 مخاطر تلقائياً.",
            "Pipeline متأثر بقيمة 1235 ريال.",
        ],
        "totalMinutes": 25,
    }


async def test_the_renewal_offer_is_a_draft_awaiting_approval(
    org: Org, system_pool: asyncpg.Pool, settings: engine.Settings
) -> None:
    renews = T0 + timedelta(days=45)
    c = await customer(org, last_activity=T0, renewsAt=renews.isoformat())
    started = await org.data(
        "mutation($i: StartSuccessPlanInput!) { startSuccessPlan(input: $i) { __typename } }",
        {"i": {"customerId": c}},
    )
    assert started["startSuccessPlan"]["__typename"] == "SuccessPlanPayload"
    org.clock.now = renews - timedelta(days=7)
    await success_jobs.scan_customers({"db": system_pool, "clock": org.clock, "settings": settings})
    plan = await org.data(
        "query($id: ID!) { customer(id: $id) { successPlan { items { kind dueOn "
        "renewalOfferDraftId } } } }",
        {"id": c},
    )
    offers = [
        item["renewalOfferDraftId"]
        for item in plan["customer"]["successPlan"]["items"]
        if item["renewalOfferDraftId"] is not None
    ]
    assert len(offers) == 1
    draft = await org.data(
        "query($id: ID!) { draft(id: $id) { kind status body approvalRequired liveSendAllowed "
        "customer { id } } }",
        {"id": offers[0]},
    )
    assert draft["draft"]["kind"] == "RENEWAL_OFFER"
    assert draft["draft"]["status"] == "DRAFT"
    assert (draft["draft"]["approvalRequired"], draft["draft"]["liveSendAllowed"]) == (True, False)
    assert draft["draft"]["customer"] == {"id": c}
    assert "15%" in draft["draft"]["body"]
    before = await snapshot(org)
    viewer = await org.data(
        "mutation($i: ApproveDraftInput!) { approveDraft(input: $i) { __typename "
        "... on UserError { field code } } }",
        {"i": {"id": offers[0], "version": 1}},
        role=Role.VIEWER,
    )
    assert viewer["approveDraft"] == {
        "__typename": "ForbiddenError",
        "field": "approveDraft",
        "code": "FORBIDDEN",
    }
    assert await snapshot(org) == before


# §4.5 connectors ---------------------------------------------------------------------------------

SUMMARY = "connected connectedPct blockingMissing readyForFirstService"
MOVE = f"""
mutation($i: MoveConnectorInput!) {{ moveConnector(input: $i) {{ __typename
  ... on ConnectorPayload {{ summary {{ {SUMMARY} }} }}
  ... on ConnectorTransitionError {{ fromState toState code }} }} }}"""
KEYS = [
    "GMAIL",
    "GOOGLE_CALENDAR",
    "GOOGLE_SHEETS",
    "MOYASAR",
    "WHATSAPP_CLOUD",
    "WEBSITE_FORMS",
    "LINKEDIN_LEAD_FORMS",
    "GOOGLE_BUSINESS_PROFILE",
    "CRM_GENERIC",
    "GOOGLE_MEET",
    "INSTAGRAM_GRAPH",
]


async def move(org: Org, c: str, key: str, *states: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for state in states:
        data = await org.data(MOVE, {"i": {"customerId": c, "key": key, "to": state}})
        result = data["moveConnector"]
    return result


async def test_connected_pct_is_over_eleven_to_one_decimal(org: Org) -> None:
    c = await customer(org)
    pcts = []
    for key in KEYS:
        result = await move(org, c, key, "CONFIGURING", "CONNECTED_DRAFT_ONLY")
        pcts.append(result["summary"]["connectedPct"])
    assert pcts == [9.1, 18.2, 27.3, 36.4, 45.5, 54.5, 63.6, 72.7, 81.8, 90.9, 100.0]
    assert result["summary"] == {
        "connected": 11,
        "connectedPct": 100.0,
        "blockingMissing": [],
        "readyForFirstService": True,
    }


@pytest.mark.parametrize("state", ["FAILED", "SKIPPED"])
async def test_a_failed_or_skipped_blocking_connector_is_missing(org: Org, state: str) -> None:
    c = await customer(org)
    await move(org, c, "GMAIL", "CONFIGURING", "CONNECTED_APPROVED_EXECUTE")
    result = await move(org, c, "WHATSAPP_CLOUD", "CONFIGURING", state)
    assert result["summary"] == {
        "connected": 1,
        "connectedPct": 9.1,
        "blockingMissing": ["WHATSAPP_CLOUD"],
        "readyForFirstService": False,
    }


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], "SKIPPED"),
        ([], "CONNECTED_APPROVED_EXECUTE"),
        (["CONFIGURING"], "CONFIGURING"),
        (["CONFIGURING", "CONNECTED_DRAFT_ONLY"], "SKIPPED"),
        (["CONFIGURING", "CONNECTED_APPROVED_EXECUTE"], "CONNECTED_DRAFT_ONLY"),
        (["CONFIGURING", "CONNECTED_APPROVED_EXECUTE"], "NOT_STARTED"),
        (["CONFIGURING", "FAILED"], "SKIPPED"),
        (["CONFIGURING", "SKIPPED"], "CONNECTED_APPROVED_EXECUTE"),
        (["CONFIGURING", "FAILED"], "NOT_STARTED"),
    ],
)
async def test_moves_outside_the_state_machine_are_refused(
    org: Org, path: list[str], target: str
) -> None:
    c = await customer(org)
    await move(org, c, "WHATSAPP_CLOUD", *path)
    before = await snapshot(org)
    refused = await move(org, c, "WHATSAPP_CLOUD", target)
    assert refused == {
        "__typename": "ConnectorTransitionError",
        "fromState": path[-1] if path else "NOT_STARTED",
        "toState": target,
        "code": "INVALID_TRANSITION",
    }
    assert await snapshot(org) == before


# §4.6 stages and metrics -------------------------------------------------------------------------

METRICS = """
query($from: DateTime!, $to: DateTime!) { supportMetrics(from: $from, to: $to) { csatPct nps } }"""


async def metrics(org: Org, start: datetime, end: datetime) -> dict[str, Any]:
    data = await org.data(METRICS, {"from": start.isoformat(), "to": end.isoformat()})
    found: dict[str, Any] = data["supportMetrics"]
    return found


async def test_csat_is_the_share_of_ratings_of_4_or_5(org: Org) -> None:
    c = await customer(org)
    for rating in (4, 3, 5, 1, 2, 4):  # 3 of 6 → 50.0; then with one more 4: 4 of 7 → 57.1
        await rate(org, c, rating)
    found = await metrics(org, T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert found["csatPct"] == 50.0
    await rate(org, c, 4)
    found = await metrics(org, T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert found["csatPct"] == 57.1


async def test_nps_counts_9_and_10_as_promoters_and_0_to_6_as_detractors(org: Org) -> None:
    c = await customer(org)
    # promoters 10, 9, 9; passives 8, 7; detractors 6 → 3/6 − 1/6 = 33.3
    for score in (10, 9, 9, 8, 7, 6):
        data = await org.data(NPS, {"i": {"customerId": c, "score": score}})
        assert data["recordNps"]["__typename"] == "NpsPayload"
    found = await metrics(org, T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert found["nps"] == 33.3
    data = await org.data(NPS, {"i": {"customerId": c, "score": 0}})
    assert data["recordNps"]["__typename"] == "NpsPayload"
    # 3/7 − 2/7 = 14.3
    assert (await metrics(org, T0 - timedelta(days=1), T0 + timedelta(days=1)))["nps"] == 14.3


async def test_the_lifecycle_stages(org: Org) -> None:
    assert await enum_values(org, "Stage") == [
        "ONBOARDING",
        "ADOPTION",
        "EXPANSION",
        "ADVOCACY",
        "CHURNED",
    ]


async def test_the_stages_advance_in_order_to_advocacy(org: Org) -> None:
    c = await customer(org)
    stages = []
    for version, stage in enumerate(("ADOPTION", "EXPANSION", "ADVOCACY"), start=1):
        data = await org.data(
            "mutation($i: ChangeCustomerStageInput!) { changeCustomerStage(input: $i) { "
            "__typename ... on CustomerPayload { customer { stage } } } }",
            {"i": {"id": c, "version": version, "stage": stage}},
        )
        stages.append(data["changeCustomerStage"]["customer"]["stage"])
    assert stages == ["ADOPTION", "EXPANSION", "ADVOCACY"]
