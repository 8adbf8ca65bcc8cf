"""The weekly check-in note through the API (docs/rules.md §1, §4.3): the week's agenda and talking
points drafted for the customer in its locale, approval first; every refusal leaves no trace."""

from __future__ import annotations

from typing import Any

import pytest

from domain import outreach
from domain.roles import Role
from domain.signals import CheckIn
from tests.api.success_support import customer, gid, pk, snapshot
from tests.factories import T0, Org

CHECK_IN = """
mutation($i: RecordCheckInMetricsInput!) { recordCheckInMetrics(input: $i) { __typename
  ... on CheckInPayload { checkIn { id } } } }"""

NOTE = """
mutation($i: DraftCheckInNoteInput!) { draftCheckInNote(input: $i) { __typename
  ... on DraftPayload { draft { id version kind subjectType subjectId locale body status
    createdAt approvalRequired liveSendAllowed customer { id } } }
  ... on UserError { field code message } } }"""

WEEKLY = """
query($c: ID!, $w: Date!) { weeklyCheckIn(customerId: $c, weekOf: $w) {
  agenda { title minutes } talkingPoints } }"""

DECIDED = "__typename ... on DraftPayload { draft { status version } } ... on UserError { code }"
APPROVE = f"mutation($i: ApproveDraftInput!) {{ approveDraft(input: $i) {{ {DECIDED} }} }}"
SENT = f"mutation($i: MarkDraftSentInput!) {{ markDraftSent(input: $i) {{ {DECIDED} }} }}"

LEDGER = """{ ledger(first: 5) { edges { node { action entity entityId role before after } } } }"""

METRICS = {"draftsApproved": 12, "replies": 4, "meetings": 2, "risksBlocked": 3}

AR_NOTE = """مرحباً فريق شركة الأفق، هذه ملاحظات الـ check-in الأسبوعي لأسبوع 2026-10-26.

جدول الأعمال (25 دقيقة):
1. مراجعة آخر Proof Pack (5 دقائق)
2. أبرز فرصة في الـ pipeline (5 دقائق)
3. أبرز خطر في القنوات (5 دقائق)
4. خطة الأسبوع القادم (5 دقائق)
5. أي مساعدة من فريقنا؟ (5 دقائق)

أبرز أرقام الأسبوع:
- اعتمدتم 12 رسالة هذا الأسبوع، ووصلكم 4 رد.
- تم تجهيز 2 اجتماع.
- تم منع 3 مخاطر تلقائياً.
- Pipeline متأثر بقيمة 18000 ريال."""


async def record_week(org: Org, customer_id: str, week_of: str = "2026-10-26") -> str:
    data = await org.data(
        CHECK_IN,
        {"i": {"customerId": customer_id, "weekOf": week_of, **METRICS, "pipelineSar": 18_000.4}},
    )
    check_in_id: str = data["recordCheckInMetrics"]["checkIn"]["id"]
    return check_in_id


async def note(org: Org, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await org.data(NOTE, {"i": payload}, **kw))["draftCheckInNote"]
    return result


async def test_the_note_is_the_weeks_check_in_in_arabic_awaiting_approval(org: Org) -> None:
    c = await customer(org)
    check_in_id = await record_week(org, c)
    org.clock.advance(hours=1)
    result = await note(org, {"customerId": c, "weekOf": "2026-10-26"})
    assert result["__typename"] == "DraftPayload", result
    draft = result["draft"]
    assert draft == {
        "id": draft["id"],
        "version": 1,
        "kind": "CHECK_IN",
        "subjectType": "check_in",
        "subjectId": check_in_id,
        "locale": "ar",
        "body": AR_NOTE,
        "status": "DRAFT",
        "createdAt": org.clock.now.isoformat(),
        "approvalRequired": True,
        "liveSendAllowed": False,
        "customer": {"id": c},
    }
    # The note carries exactly what the weeklyCheckIn query shows for that week.
    weekly = (await org.data(WEEKLY, {"c": c, "w": "2026-10-26"}))["weeklyCheckIn"]
    assert [a["minutes"] for a in weekly["agenda"]] == [5, 5, 5, 5, 5]
    for line in [a["title"] for a in weekly["agenda"]] + weekly["talkingPoints"]:
        assert line in draft["body"]
    entry = (await org.data(LEDGER))["ledger"]["edges"][0]["node"]
    assert (entry["action"], entry["entity"], entry["entityId"], entry["role"]) == (
        "draftCheckInNote",
        "Draft",
        draft["id"],
        "owner",
    )
    assert entry["before"] is None
    assert (entry["after"]["kind"], entry["after"]["status"]) == ("check_in", "draft")


async def test_any_day_of_the_recorded_week_finds_it(org: Org) -> None:
    c = await customer(org)
    await record_week(org, c, "2026-10-26")
    result = await note(org, {"customerId": c, "weekOf": "2026-10-24"})  # the week 24–30 Oct
    assert result["draft"]["body"] == AR_NOTE


async def test_an_english_customer_gets_the_english_note(org: Org) -> None:
    c = await customer(org, name="Horizon Co", locale="EN")
    await record_week(org, c)
    draft = (await note(org, {"customerId": c, "weekOf": "2026-10-26"}))["draft"]
    week = CheckIn(
        customer_id=pk(c),
        week_of=T0.date().replace(month=10, day=26),
        pipeline_sar=18_000.4,
        drafts_approved=12,
        replies=4,
        meetings=2,
        risks_blocked=3,
    )
    assert draft["locale"] == "en"
    assert draft["body"] == outreach.check_in_note("en", "Horizon Co", week)
    assert draft["body"].startswith("Hello Horizon Co team, here are the notes")
    assert "You approved 12 messages this week and received 4 replies." in draft["body"]
    assert draft["body"].isascii()


async def test_the_note_is_approved_then_marked_sent_by_an_operator(org: Org) -> None:
    c = await customer(org)
    await record_week(org, c)
    draft_id = (await note(org, {"customerId": c, "weekOf": "2026-10-26"}))["draft"]["id"]
    approved = await org.data(APPROVE, {"i": {"id": draft_id, "version": 1}}, role=Role.AGENT)
    assert approved["approveDraft"] == {
        "__typename": "DraftPayload",
        "draft": {"status": "APPROVED", "version": 2},
    }
    sent = await org.data(SENT, {"i": {"id": draft_id, "version": 2}}, role=Role.AGENT)
    assert sent["markDraftSent"]["draft"] == {"status": "SENT", "version": 3}


async def test_a_frozen_organisation_cannot_approve_the_note(org: Org) -> None:
    c = await customer(org)
    await record_week(org, c)
    draft_id = (await note(org, {"customerId": c, "weekOf": "2026-10-26"}))["draft"]["id"]
    async with org.pool.acquire() as conn:
        await conn.execute(
            "UPDATE organisations SET frozen_at = $2, frozen_reason = 'SLA health critical' "
            "WHERE id = $1",
            org.id,
            T0,
        )
    refused = await org.data(APPROVE, {"i": {"id": draft_id, "version": 1}})
    assert refused["approveDraft"] == {"__typename": "ForbiddenError", "code": "FROZEN"}


async def test_the_same_idempotency_key_returns_the_same_draft(org: Org) -> None:
    c = await customer(org)
    await record_week(org, c)
    payload = {"customerId": c, "weekOf": "2026-10-26", "idempotencyKey": "note-1"}
    first = await note(org, payload)
    before = await snapshot(org)
    again = await note(org, payload)
    assert again == first
    assert await snapshot(org) == before


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no metrics that week", ("RuleError", "weekOf", "PRECONDITION_FAILED")),
        ("metrics the week after", ("RuleError", "weekOf", "PRECONDITION_FAILED")),
        ("another organisation's customer", ("NotFoundError", "customerId", "NOT_FOUND")),
        ("unknown customer", ("NotFoundError", "customerId", "NOT_FOUND")),
        ("viewer", ("ForbiddenError", "draftCheckInNote", "FORBIDDEN")),
    ],
)
async def test_refusals_leave_the_database_unchanged(
    org: Org, other_org: Org, case: str, expected: tuple[str, str, str]
) -> None:
    c = await customer(org)
    theirs = await customer(other_org)
    await record_week(other_org, theirs)
    role = Role.OWNER
    payload = {"customerId": c, "weekOf": "2026-10-26"}
    if case == "metrics the week after":
        await record_week(org, c, "2026-11-02")
    elif case == "another organisation's customer":
        payload["customerId"] = theirs
    elif case == "unknown customer":
        payload["customerId"] = gid("Customer", 999_999_999)
    elif case == "viewer":
        await record_week(org, c)
        role = Role.VIEWER
    before, theirs_before = await snapshot(org), await snapshot(other_org)
    result = await note(org, payload, role=role)
    assert (result["__typename"], result["field"], result["code"]) == expected, result
    assert await snapshot(org) == before
    assert await snapshot(other_org) == theirs_before
