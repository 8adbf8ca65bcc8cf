"""Customer-success scans: daily health snapshots, AT_RISK on a rise only, stalled onboarding,
inactivity, past due, and the 7-day renewal offer — set-based and idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from domain import success_plans
from jobs import success as success_jobs
from jobs import worker
from resolvers.store import engine
from tests.api.success_support import add_drafts, customer, pk
from tests.factories import T0, Org

PROOF = "mutation($i: DeliverProofPackInput!) { deliverProofPack(input: $i) { __typename } }"
START = "mutation($i: StartSuccessPlanInput!) { startSuccessPlan(input: $i) { __typename } }"
STEP = "mutation($i: OnboardingStepInput!) { completeOnboardingStep(input: $i) { __typename } }"
HISTORY = "query($id: ID!) { customer(id: $id) { healthHistory(days: 7) { day value band "
HISTORY += "riskScore severity } } }"


@pytest.fixture
def ctx(system_pool: asyncpg.Pool, org: Org, settings: engine.Settings) -> dict[str, Any]:
    return {"db": system_pool, "clock": org.clock, "settings": settings}


async def alerts_of(org: Org, kind: str) -> list[dict[str, Any]]:
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT subject_id, occurrence, for_role, payload "
            "FROM alerts a WHERE org_id = $1 AND kind = $2 ORDER BY id",
            org.id,
            kind,
        )
    return [dict(row) for row in rows]


async def snapshots_of(org: Org) -> list[tuple[Any, ...]]:
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT customer_id, day, value::float8, band, risk_score, severity "
            "FROM health_snapshots WHERE org_id = $1 ORDER BY customer_id, day",
            org.id,
        )
    return [tuple(row) for row in rows]


async def deliver(org: Org, c: str, at: datetime) -> None:
    await org.data(PROOF, {"i": {"customerId": c, "title": "PP", "deliveredAt": at.isoformat()}})


# --- snapshots and at-risk rises -------------------------------------------------------------


async def test_one_health_point_per_customer_per_day(org: Org, ctx: dict[str, Any]) -> None:
    a = await customer(org, last_activity=T0)
    b = await customer(org, started=T0 - timedelta(days=10))
    await success_jobs.snapshot_health(ctx)
    await success_jobs.snapshot_health(ctx)
    day1 = T0.date()
    assert await snapshots_of(org) == [
        (pk(a), day1, 0.0, "at_risk", 30, "medium"),
        (pk(b), day1, 0.0, "at_risk", 20, "low"),
    ]
    org.clock.advance(days=1)
    await success_jobs.snapshot_health(ctx)
    assert len(await snapshots_of(org)) == 4
    history = (await org.data(HISTORY, {"id": a}))["customer"]["healthHistory"]
    assert [(p["day"], p["riskScore"], p["severity"]) for p in history] == [
        ("2026-11-01", 30, "MEDIUM"),
        ("2026-11-02", 30, "MEDIUM"),
    ]


async def test_the_day_is_the_organisations_day(org: Org, ctx: dict[str, Any]) -> None:
    await customer(org, last_activity=T0)
    # 22:30 UTC is already the next day in Riyadh (UTC+3).
    await success_jobs.snapshot_health(ctx, now=datetime(2026, 11, 1, 22, 30, tzinfo=UTC))
    assert [row[1].isoformat() for row in await snapshots_of(org)] == ["2026-11-02"]


async def test_at_risk_alerts_when_severity_rises_not_on_every_scan(
    org: Org, ctx: dict[str, Any]
) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=14))
    await deliver(org, c, T0)
    await success_jobs.snapshot_health(ctx)
    await success_jobs.snapshot_health(ctx)
    org.clock.advance(days=1)  # still medium
    await success_jobs.snapshot_health(ctx)
    found = await alerts_of(org, "AT_RISK")
    assert [(x["subject_id"], x["occurrence"], x["for_role"]) for x in found] == [
        (pk(c), "2026-11-01:medium", "manager")
    ]
    assert found[0]["payload"] == {
        "severity": "medium",
        "previousSeverity": None,
        "score": 40,
        "reasons": ["العميل غير نشط منذ 14 يوم."],
        "recommendedAction": "أرسل Proof Pack ملخص + اقترح ديمو لخدمة جديدة.",
    }
    await add_drafts(org, c, "draft", 10)  # 40 + 25 → high
    await success_jobs.snapshot_health(ctx)
    found = await alerts_of(org, "AT_RISK")
    assert [(x["occurrence"], x["for_role"]) for x in found] == [
        ("2026-11-01:medium", "manager"),
        ("2026-11-02:high", "owner"),
    ]
    assert found[1]["payload"]["previousSeverity"] == "medium"


async def test_a_low_customer_raises_nothing(org: Org, ctx: dict[str, Any]) -> None:
    c = await customer(org, last_activity=T0)
    await deliver(org, c, T0)
    await success_jobs.snapshot_health(ctx)
    assert await alerts_of(org, "AT_RISK") == []


async def test_a_fall_then_a_rise_alerts_again(org: Org, ctx: dict[str, Any]) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=14))
    await deliver(org, c, T0)
    await success_jobs.snapshot_health(ctx)
    async with org.pool.acquire() as conn:
        await conn.execute(
            "UPDATE customers SET last_activity_at = $1 WHERE org_id = $2", T0, org.id
        )
    org.clock.advance(days=1)
    await success_jobs.snapshot_health(ctx)  # low
    org.clock.advance(days=13)  # 14 days inactive again → medium
    await deliver(org, c, org.clock.now)
    await success_jobs.snapshot_health(ctx)
    assert [x["occurrence"] for x in await alerts_of(org, "AT_RISK")] == [
        "2026-11-01:medium",
        "2026-11-15:medium",
    ]


# --- onboarding, inactivity, past due ---------------------------------------------------------


async def test_onboarding_stalled_after_3_days_once(org: Org, ctx: dict[str, Any]) -> None:
    c = await customer(org, started=T0 - timedelta(days=2, hours=23), last_activity=T0)
    await success_jobs.scan_customers(ctx)
    assert await alerts_of(org, "ONBOARDING_STALLED") == []
    org.clock.advance(hours=1)
    await success_jobs.scan_customers(ctx)
    await success_jobs.scan_customers(ctx)
    found = await alerts_of(org, "ONBOARDING_STALLED")
    assert [(x["subject_id"], x["for_role"]) for x in found] == [(pk(c), "manager")]
    assert (found[0]["payload"]["stepsDone"], found[0]["payload"]["stepsTotal"]) == (0, 8)


async def test_complete_onboarding_does_not_stall(org: Org, ctx: dict[str, Any]) -> None:
    c = await customer(org, started=T0 - timedelta(days=5), last_activity=T0)
    for step in (
        "SELECT_GOAL",
        "SELECT_BUNDLE",
        "COMPANY_INTAKE",
        "CONNECT_CHANNELS",
        "UPLOAD_OR_SOURCE",
        "RISK_REVIEW",
        "FIRST_SERVICE_RUN",
        "FIRST_PROOF_PACK",
    ):
        await org.data(STEP, {"i": {"customerId": c, "step": step}})
    await success_jobs.scan_customers(ctx)
    assert await alerts_of(org, "ONBOARDING_STALLED") == []


async def test_inactive_for_7_days_alerts_once_per_quiet_spell(
    org: Org, ctx: dict[str, Any]
) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=6, hours=23))
    await success_jobs.scan_customers(ctx)
    assert await alerts_of(org, "INACTIVE_CUSTOMER") == []
    org.clock.advance(hours=1)
    await success_jobs.scan_customers(ctx)
    await success_jobs.scan_customers(ctx)
    found = await alerts_of(org, "INACTIVE_CUSTOMER")
    assert [(x["subject_id"], x["occurrence"]) for x in found] == [(pk(c), "2026-10-25T10:00:00Z")]


async def test_past_due_subscription_alerts_once(org: Org, ctx: dict[str, Any]) -> None:
    c = await customer(
        org,
        last_activity=T0,
        subscriptionStatus="PAST_DUE",
        renewsAt=(T0 - timedelta(days=2)).isoformat(),
    )
    await customer(org, last_activity=T0)
    await success_jobs.scan_customers(ctx)
    await success_jobs.scan_customers(ctx)
    found = await alerts_of(org, "PAYMENT_PAST_DUE")
    assert [(x["subject_id"], x["occurrence"], x["for_role"]) for x in found] == [
        (pk(c), "2026-10-30T09:00:00Z", "owner")
    ]


# --- renewals (§4.3) ---------------------------------------------------------------------------


async def renewal_drafts(org: Org) -> list[dict[str, Any]]:
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT kind, subject_type, locale, body, status FROM drafts WHERE org_id = $1",
            org.id,
        )
    return [dict(row) for row in rows]


async def test_7_days_before_renewal_the_founder_offer_is_drafted_once(
    org: Org, ctx: dict[str, Any]
) -> None:
    renews = T0 + timedelta(days=45)  # 2026-12-16
    c = await customer(org, last_activity=T0, renewsAt=renews.isoformat())
    await org.data(START, {"i": {"customerId": c}})
    org.clock.now = datetime(2026, 11, 16, 9, tzinfo=UTC)  # the 30-day item: no offer
    await success_jobs.scan_customers(ctx)
    assert await renewal_drafts(org) == []
    org.clock.now = datetime(2026, 12, 9, 9, tzinfo=UTC)
    await success_jobs.scan_customers(ctx)
    again = await success_jobs.scan_customers(ctx)
    assert again["renewal_offers"] == 0  # the scan is across organisations: none left anywhere
    assert await renewal_drafts(org) == [
        {
            "kind": "renewal_offer",
            "subject_type": "success_plan_item",
            "locale": "ar",
            "body": success_plans.renewal_offer_draft("ar", "شركة الأفق"),
            "status": "draft",
        }
    ]
    assert "خصم 15%" in (await renewal_drafts(org))[0]["body"]
    found = await alerts_of(org, "AT_RISK")
    assert [(x["subject_id"], x["occurrence"], x["for_role"]) for x in found] == [
        (pk(c), "renewal:2026-12-16", "owner")
    ]
    assert found[0]["payload"]["severity"] == "high"


async def test_a_renewed_customer_gets_no_offer_and_new_renewal_items(
    org: Org, ctx: dict[str, Any]
) -> None:
    c = await customer(org, last_activity=T0, renewsAt=(T0 + timedelta(days=45)).isoformat())
    await org.data(START, {"i": {"customerId": c}})
    renewed = (T0 + timedelta(days=45 + 365)).isoformat()
    await org.data(
        "mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { __typename } }",
        {"i": {"id": c, "version": 1, "renewsAt": renewed}},
    )
    org.clock.now = datetime(2026, 12, 9, 9, tzinfo=UTC)
    await success_jobs.scan_customers(ctx)
    assert await renewal_drafts(org) == []
    async with org.pool.acquire() as conn:
        dues = await conn.fetch(
            "SELECT due_on FROM success_plan_items WHERE org_id = $1 AND kind = 'renewal' "
            "ORDER BY due_on",
            org.id,
        )
    assert [row["due_on"].isoformat() for row in dues] == [
        "2026-11-16",
        "2026-12-09",
        "2027-11-16",
        "2027-12-09",
    ]


def test_the_scans_are_registered_as_unique_cron_jobs() -> None:
    names = {getattr(f, "__name__", getattr(f, "name", None)) for f in worker.FUNCTIONS}
    assert {"snapshot_health", "scan_customers"} <= names
    crons = {job.name: job for job in worker.CRON_JOBS}
    for name in ("cron:snapshot_health", "cron:scan_customers"):
        assert crons[name].unique is True


# --- renewal days are the organisation's (Asia/Riyadh, UTC+3, by default) -----------------------

RENEWS_LATE = datetime(2026, 12, 15, 22, tzinfo=UTC)  # 01:00 on 16 December in Riyadh


async def renewal_dues(org: Org) -> list[str]:
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT due_on FROM success_plan_items WHERE org_id = $1 AND kind = 'renewal' "
            "ORDER BY due_on",
            org.id,
        )
    return [row["due_on"].isoformat() for row in rows]


async def test_the_offer_goes_on_the_organisations_day_7_days_before_its_renewal_day(
    org: Org, ctx: dict[str, Any]
) -> None:
    c = await customer(org, last_activity=T0, renewsAt=RENEWS_LATE.isoformat())
    await org.data(START, {"i": {"customerId": c}})
    assert await renewal_dues(org) == ["2026-11-16", "2026-12-09"]
    # 20:30 UTC on 8 December is 23:30 in Riyadh: the 7-day item (9 December) is not due yet.
    await success_jobs.scan_customers(ctx, now=datetime(2026, 12, 8, 20, 30, tzinfo=UTC))
    assert await renewal_drafts(org) == []
    # The scan dates renewal items as the plan did: it adds none on other days.
    assert await renewal_dues(org) == ["2026-11-16", "2026-12-09"]
    # 22:30 UTC on 8 December is 01:30 on 9 December in Riyadh: due.
    await success_jobs.scan_customers(ctx, now=datetime(2026, 12, 8, 22, 30, tzinfo=UTC))
    assert [d["kind"] for d in await renewal_drafts(org)] == ["renewal_offer"]
    found = await alerts_of(org, "AT_RISK")
    assert [(x["subject_id"], x["occurrence"]) for x in found] == [(pk(c), "renewal:2026-12-16")]
    assert found[0]["payload"]["renewsOn"] == "2026-12-16"


async def test_a_new_renewal_date_gets_items_on_the_organisations_days(
    org: Org, ctx: dict[str, Any]
) -> None:
    c = await customer(org, last_activity=T0, renewsAt=RENEWS_LATE.isoformat())
    await org.data(START, {"i": {"customerId": c}})
    await org.data(
        "mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { __typename } }",
        {"i": {"id": c, "version": 1, "renewsAt": (RENEWS_LATE + timedelta(365)).isoformat()}},
    )
    await success_jobs.scan_customers(ctx)
    assert await renewal_dues(org) == ["2026-11-16", "2026-12-09", "2027-11-16", "2027-12-09"]
