"""§4.1 high: when the customer-success scans see a customer's at-risk severity rise to high,
the founder's personal email (QBR this week) is drafted once per rise, in the customer's
locale, approval first (§1): never again at the same severity, again after a fall and a rise."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from domain import outreach
from domain.roles import Role
from jobs import success as success_jobs
from resolvers.store import drafts, engine
from schema.types.relay import to_global_id
from tests.api.success_support import add_drafts, customer, pk
from tests.factories import T0, Org

PROOF = "mutation($i: DeliverProofPackInput!) { deliverProofPack(input: $i) { __typename } }"
DRAFT = """query($id: ID!) { draft(id: $id) { id version kind subjectType subjectId locale body
  status approvalRequired liveSendAllowed customer { id } } }"""
DECIDED = "__typename ... on DraftPayload { draft { status version } } ... on UserError { code }"
APPROVE = f"mutation($i: ApproveDraftInput!) {{ approveDraft(input: $i) {{ {DECIDED} }} }}"
SENT = f"mutation($i: MarkDraftSentInput!) {{ markDraftSent(input: $i) {{ {DECIDED} }} }}"


@pytest.fixture
def ctx(system_pool: asyncpg.Pool, org: Org, settings: engine.Settings) -> dict[str, Any]:
    return {"db": system_pool, "clock": org.clock, "settings": settings}


async def emails(org: Org) -> list[dict[str, Any]]:
    """The org's at-risk email drafts, oldest first, with the alert each one is for."""
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT d.id, d.subject_type, d.subject_id, a.occurrence, a.payload->'reasons' "
            "AS reasons FROM drafts d LEFT JOIN alerts a ON a.org_id = d.org_id "
            "AND a.id = d.subject_id WHERE d.org_id = $1 AND d.kind = 'at_risk_email' "
            "ORDER BY d.id",
            org.id,
        )
    return [dict(row) for row in rows]


async def high_customer(org: Org, **fields: Any) -> str:
    """Inactive 14 days (+40) with 10 pending drafts (+25), proof pack fresh: 65, high."""
    c = await customer(org, last_activity=T0 - timedelta(days=14), **fields)
    await org.data(PROOF, {"i": {"customerId": c, "title": "PP", "deliveredAt": T0.isoformat()}})
    await add_drafts(org, c, "draft", 10)
    return c


async def draft_of(org: Org, draft_id: int) -> dict[str, Any]:
    found: dict[str, Any] = (await org.data(DRAFT, {"id": to_global_id("Draft", draft_id)}))[
        "draft"
    ]
    return found


async def test_a_rise_to_high_drafts_the_founders_arabic_email_once(
    org: Org, ctx: dict[str, Any]
) -> None:
    c = await high_customer(org)
    result = await success_jobs.snapshot_health(ctx)
    assert result["at_risk_emails"] >= 1  # the scans are across organisations
    [email] = await emails(org)
    reasons = ["العميل غير نشط منذ 14 يوم.", "10 مسودة معلقة بدون اعتماد."]
    assert (email["occurrence"], email["reasons"]) == ("2026-11-01:high", reasons)
    draft = await draft_of(org, email["id"])
    assert draft == {
        "id": to_global_id("Draft", email["id"]),
        "version": 1,
        "kind": "AT_RISK_EMAIL",
        "subjectType": "alert",
        "subjectId": to_global_id("Alert", email["subject_id"]),
        "locale": "ar",
        "body": outreach.at_risk_email("ar", "شركة الأفق", reasons),
        "status": "DRAFT",
        "approvalRequired": True,
        "liveSendAllowed": False,
        "customer": {"id": c},
    }
    assert draft["body"].startswith("مرحباً فريق شركة الأفق،")
    assert "- العميل غير نشط منذ 14 يوم.\n- 10 مسودة معلقة بدون اعتماد." in draft["body"]
    assert "QBR) هذا الأسبوع" in draft["body"]
    # Every later scan at the same severity drafts nothing: the same day, the customer scan,
    # and the next days (still high).
    await success_jobs.snapshot_health(ctx)
    await success_jobs.scan_customers(ctx)
    org.clock.advance(days=1)
    await success_jobs.snapshot_health(ctx)
    org.clock.advance(days=1)
    await success_jobs.scan_customers(ctx)
    assert await emails(org) == [email]


async def test_an_english_customer_gets_the_english_email(org: Org, ctx: dict[str, Any]) -> None:
    await high_customer(org, name="Horizon Co", locale="EN")
    await success_jobs.snapshot_health(ctx)
    [email] = await emails(org)
    draft = await draft_of(org, email["id"])
    assert draft["locale"] == "en"
    assert draft["body"] == outreach.at_risk_email("en", "Horizon Co", email["reasons"])
    assert draft["body"].startswith("Hello Horizon Co team,")
    assert "- We have not seen your team in Wafi for 14 days." in draft["body"]
    assert "- 10 drafts are waiting for your approval." in draft["body"]
    assert "quarterly business review (QBR) with you this week" in draft["body"]


async def test_medium_drafts_nothing_and_a_rise_from_medium_to_high_drafts_it(
    org: Org, ctx: dict[str, Any]
) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=14))
    await org.data(PROOF, {"i": {"customerId": c, "title": "PP", "deliveredAt": T0.isoformat()}})
    await success_jobs.snapshot_health(ctx)  # 40: medium, alerted
    assert await emails(org) == []
    org.clock.advance(days=1)
    await add_drafts(org, c, "draft", 10)  # 15 days inactive (+40) + 10 pending (+25): high
    await success_jobs.snapshot_health(ctx)
    [email] = await emails(org)
    assert email["occurrence"] == "2026-11-02:high"
    assert email["reasons"][0] == "العميل غير نشط منذ 15 يوم."


async def test_a_fall_then_a_rise_drafts_a_new_email(org: Org, ctx: dict[str, Any]) -> None:
    c = await high_customer(org)
    await success_jobs.snapshot_health(ctx)
    async with org.pool.acquire() as conn:
        await conn.execute(
            "UPDATE customers SET last_activity_at = $1 WHERE org_id = $2", T0, org.id
        )
    org.clock.advance(days=1)
    await success_jobs.snapshot_health(ctx)  # 25: low
    assert len(await emails(org)) == 1
    org.clock.advance(days=13)  # 14 days inactive again: 40 + 25 → high
    await org.data(
        PROOF, {"i": {"customerId": c, "title": "PP2", "deliveredAt": org.clock.now.isoformat()}}
    )
    await success_jobs.snapshot_health(ctx)
    assert [e["occurrence"] for e in await emails(org)] == ["2026-11-01:high", "2026-11-15:high"]
    assert len({e["subject_id"] for e in await emails(org)}) == 2


async def rise_alerts(org: Org) -> list[int]:
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT id FROM alerts WHERE org_id = $1 AND kind = 'AT_RISK' ORDER BY id", org.id
        )
    return [row["id"] for row in rows]


async def test_overlapping_scans_alert_and_draft_a_rise_once(org: Org, ctx: dict[str, Any]) -> None:
    await high_customer(org)
    pool = await engine.create_system_pool(ctx["settings"].database_url, size=8)
    try:  # each run holds two connections: a reader and a writer
        await asyncio.gather(*(success_jobs.snapshot_health({**ctx, "db": pool}) for _ in range(4)))
    finally:
        await pool.close()
    [alert] = await rise_alerts(org)
    assert [e["subject_id"] for e in await emails(org)] == [alert]


async def test_a_rise_is_never_alerted_without_its_email(org: Org, ctx: dict[str, Any]) -> None:
    """The alert and the email commit together: when the email cannot be written the rise is
    not alerted either, and the next run does both."""
    await high_customer(org)
    refuse = f"wafi_test_refuse_email_{org.id}"
    async with ctx["db"].acquire() as conn:
        await conn.execute(
            f"CREATE FUNCTION {refuse}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.org_id = {org.id} AND NEW.kind = 'at_risk_email' THEN "
            "RAISE EXCEPTION 'email refused'; END IF; RETURN NEW; END $$"
        )
        await conn.execute(
            f"CREATE TRIGGER {refuse} BEFORE INSERT ON drafts FOR EACH ROW EXECUTE FUNCTION "
            f"{refuse}()"
        )
    try:
        with pytest.raises(asyncpg.RaiseError, match="email refused"):
            await success_jobs.snapshot_health(ctx)
    finally:
        async with ctx["db"].acquire() as conn:
            await conn.execute(f"DROP TRIGGER {refuse} ON drafts")
            await conn.execute(f"DROP FUNCTION {refuse}()")
    assert (await rise_alerts(org), await emails(org)) == ([], [])
    await success_jobs.snapshot_health(ctx)
    [alert] = await rise_alerts(org)
    assert [e["subject_id"] for e in await emails(org)] == [alert]


async def test_the_database_refuses_a_second_email_for_the_same_rise(
    org: Org, ctx: dict[str, Any]
) -> None:
    await high_customer(org)
    await success_jobs.snapshot_health(ctx)
    [email] = await emails(org)
    async with org.pool.acquire() as conn:
        customer_id = await conn.fetchval(
            "SELECT customer_id FROM drafts WHERE org_id = $1 AND id = $2", org.id, email["id"]
        )
    again = drafts.NewDraft(
        org_id=org.id,
        customer_id=customer_id,
        subject_id=email["subject_id"],
        locale="ar",
        body="x",
    )
    async with ctx["db"].acquire() as conn:
        assert await drafts.insert_at_risk_emails(conn, drafts=[again], now=org.clock.now) == 0
    assert await emails(org) == [email]


async def test_the_renewal_alert_is_high_but_is_not_a_rise(org: Org, ctx: dict[str, Any]) -> None:
    c = await high_customer(org)
    await success_jobs.snapshot_health(ctx)
    async with org.pool.acquire() as conn:
        await conn.execute(
            "DELETE FROM drafts WHERE org_id = $1 AND kind = 'at_risk_email'", org.id
        )
        await conn.execute("DELETE FROM alerts WHERE org_id = $1", org.id)
        await conn.execute(
            "INSERT INTO alerts (org_id, kind, subject, subject_id, occurrence, customer_id, "
            "for_role, payload, created_at) VALUES ($1, 'AT_RISK', 'Customer', $2, "
            "'renewal:2026-11-08', $2, 'owner', "
            """'{"severity": "high", "reason": "renewal_7_day"}', $3)""",
            org.id,
            pk(c),
            T0,
        )
    await success_jobs.scan_customers(ctx)
    assert await emails(org) == []


async def test_the_email_is_approved_and_sent_by_an_operator_never_while_frozen(
    org: Org, ctx: dict[str, Any]
) -> None:
    await high_customer(org)
    await success_jobs.snapshot_health(ctx)
    draft_id = to_global_id("Draft", (await emails(org))[0]["id"])
    viewer = await org.data(APPROVE, {"i": {"id": draft_id, "version": 1}}, role=Role.VIEWER)
    assert viewer["approveDraft"] == {"__typename": "ForbiddenError", "code": "FORBIDDEN"}
    async with org.pool.acquire() as conn:
        await conn.execute(
            "UPDATE organisations SET frozen_at = $2, frozen_reason = 'SLA health critical' "
            "WHERE id = $1",
            org.id,
            T0,
        )
    frozen = await org.data(APPROVE, {"i": {"id": draft_id, "version": 1}})
    assert frozen["approveDraft"] == {"__typename": "ForbiddenError", "code": "FROZEN"}
    async with org.pool.acquire() as conn:
        await conn.execute(
            "UPDATE organisations SET frozen_at = NULL, frozen_reason = NULL WHERE id = $1", org.id
        )
    approved = await org.data(APPROVE, {"i": {"id": draft_id, "version": 1}})
    assert approved["approveDraft"]["draft"] == {"status": "APPROVED", "version": 2}
    sent = await org.data(SENT, {"i": {"id": draft_id, "version": 2}})
    assert sent["markDraftSent"]["draft"] == {"status": "SENT", "version": 3}
