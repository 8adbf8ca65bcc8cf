"""Red flags through the API and the scan (docs/rules.md §8.2): the text flags matched like §2.2
on a ticket's text, operator-recorded flags, three missed pilot check-ins in a row, a connector
moving to `failed`; each a RED_FLAG alert due an hour later, RED_FLAG_OVERDUE when nobody
acknowledged it, shown on the customer with its reason, and +20 on the at-risk score."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from domain.roles import Role
from jobs import playbooks as playbook_jobs
from resolvers.store import engine
from tests.api.success_support import customer
from tests.api.test_pilots import CHECK_IN, local, snapshot, started
from tests.factories import T0, Org

OPEN = """mutation($i: OpenTicketInput!) { openTicket(input: $i) { __typename
  ... on UserError { field code message } } }"""
FLAGS = """query($id: ID!) { customer(id: $id) {
  redFlags { id category source reason raisedAt dueAt }
  atRisk { score reasons } } }"""
RECORD = """mutation($i: RecordRedFlagInput!) { recordRedFlag(input: $i) { __typename
  ... on RedFlagPayload { redFlag { category source reason raisedAt dueAt } }
  ... on UserError { field code message } } }"""
ALERTS = """{ alerts(first: 50) { edges { node { id kind subject severity forRole occurrence
  acknowledgedAt
  payload { __typename ... on RedFlagDetails { customerId redFlagId category dueAt } } } } } }"""
ACK = """mutation($id: ID!) { acknowledgeAlert(id: $id, action: "called") { __typename } }"""
MOVE = """mutation($i: MoveConnectorInput!) { moveConnector(input: $i) { __typename } }"""


@pytest.fixture
def ctx(system_pool: asyncpg.Pool, org: Org, settings: engine.Settings) -> dict[str, Any]:
    return {"db": system_pool, "clock": org.clock, "settings": settings}


async def flags(org: Org, c: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await org.data(FLAGS, {"id": c}))["customer"]["redFlags"]
    return found


async def alerts(org: Org) -> list[dict[str, Any]]:
    """This organisation's red-flag alerts, oldest first (the list is newest first)."""
    edges = (await org.data(ALERTS))["alerts"]["edges"]
    return [e["node"] for e in reversed(edges) if e["node"]["kind"].startswith("RED_FLAG")]


async def open_ticket(org: Org, c: str, subject: str, body: str = "") -> None:
    result = await org.data(
        OPEN, {"i": {"customer": c, "subject": subject, "body": body, "channel": "EMAIL"}}
    )
    assert result["openTicket"]["__typename"] == "OpenTicketPayload", result


@pytest.mark.parametrize(
    ("subject", "body", "category", "keyword"),
    [
        ("طلب", "سَأُلْغِي الاشتراك الشهر الجاي", "CHURN", "سألغي"),
        ("طلب", "ابغى إلغاء الاشتراك", "CHURN", "إلغاء الاشتراك"),
        ("Billing", "Please CANCEL   subscription today", "CHURN", "cancel subscription"),
        ("We might churn", "", "CHURN", "churn"),
        ("ملاحظة", "العربي غلط في الردود", "ARABIC_QUALITY", "العربي غلط"),
        ("ملاحظة", "الرد عربي ركيك", "ARABIC_QUALITY", "عربي ركيك"),
        ("Note", "your Arabic is wrong", "ARABIC_QUALITY", "arabic is wrong"),
        ("رأي", "هذا مو اللي توقعته", "EXPECTATION", "مو اللي توقعته"),
        ("رأي", "ليس ما توقعته أبداً", "EXPECTATION", "ليس ما توقعته"),
        ("Honestly", "this is Not What I Expected", "EXPECTATION", "not what i expected"),
    ],
)
async def test_a_text_flag_on_a_ticket_raises_a_red_flag_due_in_an_hour(
    org: Org, subject: str, body: str, category: str, keyword: str
) -> None:
    c = await customer(org)
    await open_ticket(org, c, subject, body)
    due = (T0 + timedelta(hours=1)).isoformat()
    [flag] = await flags(org, c)
    reasons = {
        "CHURN": f"Churn threat: “{keyword}”",
        "ARABIC_QUALITY": f"Arabic quality complaint: “{keyword}”",
        "EXPECTATION": f"Not what the customer expected: “{keyword}”",
    }
    assert flag == {
        "id": flag["id"],
        "category": category,
        "source": "TICKET",
        "reason": reasons[category],
        "raisedAt": T0.isoformat(),
        "dueAt": due,
    }
    [alert] = await alerts(org)
    assert (alert["kind"], alert["subject"], alert["severity"], alert["forRole"]) == (
        "RED_FLAG",
        "Customer",
        "HIGH",
        "manager",
    )
    assert alert["payload"] == {
        "__typename": "RedFlagDetails",
        "customerId": c,
        "redFlagId": flag["id"],
        "category": category.lower(),
        "dueAt": due,
    }


@pytest.mark.parametrize(
    "text",
    [
        "churnx",
        "cancellation of the subscription",
        "عربي جميل",
        "uncancel subscriptions",
    ],
)
async def test_text_without_a_flag_raises_none(org: Org, text: str) -> None:
    c = await customer(org)
    await open_ticket(org, c, "hello", text)
    assert await flags(org, c) == []
    assert await alerts(org) == []


async def test_the_reason_is_arabic_by_default(org: Org) -> None:
    c = await customer(org)
    await open_ticket(org, c, "x", "سألغي")
    response = await org.client.post(
        "/graphql",
        json={"query": FLAGS, "variables": {"id": c}},
        headers={"Authorization": f"Bearer {org.token}", "Accept-Language": "ar"},
    )
    [flag] = response.json()["data"]["customer"]["redFlags"]
    assert flag["reason"] == "تهديد بالإلغاء: «سألغي»"


async def test_unacknowledged_after_the_hour_is_overdue_once(org: Org, ctx: dict[str, Any]) -> None:
    c = await customer(org)
    other = await customer(org, name="شركة ثانية")
    await open_ticket(org, c, "x", "churn")
    await open_ticket(org, other, "x", "churn")
    await playbook_jobs.scan_playbooks(ctx, T0 + timedelta(minutes=59, seconds=59))
    assert [a["kind"] for a in await alerts(org)] == ["RED_FLAG", "RED_FLAG"]
    acknowledged = (await alerts(org))[1]
    assert (await org.data(ACK, {"id": acknowledged["id"]}))["acknowledgeAlert"]["__typename"] == (
        "AlertPayload"
    )
    await playbook_jobs.scan_playbooks(ctx, T0 + timedelta(hours=1))
    await playbook_jobs.scan_playbooks(ctx, T0 + timedelta(hours=2))
    found = await alerts(org)
    assert [(a["kind"], a["payload"]["customerId"]) for a in found] == [
        ("RED_FLAG", c),
        ("RED_FLAG", other),
        ("RED_FLAG_OVERDUE", c),
    ]
    assert found[2]["severity"] == "HIGH"
    assert found[2]["occurrence"] == found[0]["occurrence"]


async def test_an_operator_records_a_flag(org: Org) -> None:
    c = await customer(org)
    result = await org.data(
        RECORD, {"i": {"customerId": c, "category": "FEATURE_MISSING", "detail": " ربط سلة "}}
    )
    assert result["recordRedFlag"] == {
        "__typename": "RedFlagPayload",
        "redFlag": {
            "category": "FEATURE_MISSING",
            "source": "OPERATOR",
            "reason": "A feature not built: “ربط سلة”",
            "raisedAt": T0.isoformat(),
            "dueAt": (T0 + timedelta(hours=1)).isoformat(),
        },
    }
    assert [a["kind"] for a in await alerts(org)] == ["RED_FLAG"]


@pytest.mark.parametrize(
    ("detail", "role", "expected"),
    [
        ("  ", Role.OWNER, ("ValidationError", "detail", "REQUIRED")),
        ("x" * 501, Role.OWNER, ("ValidationError", "detail", "TOO_LONG")),
        ("ok", Role.VIEWER, ("ForbiddenError", "recordRedFlag", "FORBIDDEN")),
    ],
)
async def test_record_refusals_leave_the_database_unchanged(
    org: Org, detail: str, role: Role, expected: tuple[str, str, str]
) -> None:
    c = await customer(org)
    before = await snapshot(org)
    result = (
        await org.data(
            RECORD, {"i": {"customerId": c, "category": "CHURN", "detail": detail}}, role=role
        )
    )["recordRedFlag"]
    assert (result["__typename"], result["field"], result["code"]) == expected
    assert await snapshot(org) == before


async def test_three_missed_check_ins_in_a_row_raise_a_flag(org: Org) -> None:
    c, pilot = await started(org)
    org.clock.now = local(6, 12)
    for day, attended in ((2, False), (3, True), (4, False), (5, False)):
        payload = {"pilotId": pilot["id"], "day": day, "attended": attended}
        await org.data(CHECK_IN, {"i": payload})
    assert await flags(org, c) == []
    await org.data(CHECK_IN, {"i": {"pilotId": pilot["id"], "day": 6, "attended": False}})
    [flag] = await flags(org, c)
    assert (flag["category"], flag["source"], flag["reason"]) == (
        "MISSED_CHECK_INS",
        "PILOT",
        "3 consecutive missed daily check-ins (to day 6)",
    )
    # Recording day 6 again changes nothing: once per pilot and day.
    await org.data(CHECK_IN, {"i": {"pilotId": pilot["id"], "day": 6, "attended": False}})
    assert len(await flags(org, c)) == 1


async def test_a_connector_moving_to_failed_raises_a_flag(org: Org) -> None:
    c = await customer(org)
    for state in ("CONFIGURING", "FAILED"):
        await org.data(MOVE, {"i": {"customerId": c, "key": "GMAIL", "to": state}})
    [flag] = await flags(org, c)
    assert (flag["category"], flag["source"], flag["reason"]) == (
        "INTEGRATION_BREAK",
        "CONNECTOR",
        "Integration break: connector gmail moved to failed",
    )


async def test_a_red_flag_adds_20_to_the_at_risk_score_for_14_days(org: Org) -> None:
    c = await customer(org, last_activity=T0)
    before = (await org.data(FLAGS, {"id": c}))["customer"]["atRisk"]
    await open_ticket(org, c, "x", "churn")
    after = (await org.data(FLAGS, {"id": c}))["customer"]["atRisk"]
    # 30 for the proof pack (none in 60 days), +20 for the red flag, in §4.1's reason order.
    assert (before["score"], after["score"]) == (30, 50)
    assert after["reasons"] == [*before["reasons"], "علامة حمراء خلال آخر 14 يوم."]
    org.clock.now = T0 + timedelta(days=14)
    later = (await org.data(FLAGS, {"id": c}))["customer"]["atRisk"]
    assert "علامة حمراء خلال آخر 14 يوم." not in later["reasons"]


EDIT = """mutation($i: EditTicketInput!) { editTicket(input: $i) { __typename
  ... on TicketPayload { ticket { version } } } }"""
OPENED = """mutation($i: OpenTicketInput!) { openTicket(input: $i) {
  ... on OpenTicketPayload { ticket { id version } } } }"""


async def test_an_edit_that_adds_a_flag_raises_it_once(org: Org) -> None:
    c = await customer(org)
    opened = await org.data(
        OPENED, {"i": {"customer": c, "subject": "سؤال", "body": "", "channel": "EMAIL"}}
    )
    ticket = opened["openTicket"]["ticket"]
    assert await flags(org, c) == []
    edit = {"id": ticket["id"], "version": ticket["version"], "body": "ليس ما توقعته"}
    edited = (await org.data(EDIT, {"i": edit}))["editTicket"]
    assert edited["__typename"] == "TicketPayload"
    again = {"id": ticket["id"], "version": edited["ticket"]["version"], "body": "ليس ما توقعته!"}
    await org.data(EDIT, {"i": again})
    assert [f["category"] for f in await flags(org, c)] == ["EXPECTATION"]
