"""docs/rules.md §1 and §2.4 through the GraphQL API: first-response drafts, approval first."""

from __future__ import annotations

from typing import Any

import pytest

from domain.roles import Role
from tests.factories import Org, new_customer, open_ticket, support_snapshot

AR = {
    "P0": "وصلني بلاغك الآن. نتعامل معه كأولوية حرجة. سأرد عليك خلال 30 دقيقة بتفاصيل ما حدث + الإجراءات المتخذة. إذا اكتشفت أي إرسال غير معتمد أو تسريب بيانات، سأتواصل معك مباشرة.",  # noqa: E501
    "P1": "وصلني بلاغك. نتعامل معه كأولوية عالية. سأرد بتفاصيل خلال ساعتين كحد أقصى.",
    "P2": "وصلني سؤالك حول الـ connector / Proof Pack. سأتابع خلال 8 ساعات عمل وأرسل لك حل أو خطوات تالية.",  # noqa: E501
    "P3": "شاكر لك على ملاحظتك. سأرد عليك خلال 24 ساعة عمل. إذا الأمر عاجل، اكتب 'حرج' في رسالة جديدة وأرفعها للأولوية.",  # noqa: E501
}
TEXTS = {"P0": "outage", "P1": "urgent", "P2": "connector", "P3": "hello"}

RESULT = (
    "__typename ... on DraftPayload { draft { id version status decidedAt sentAt "
    "approvalRequired liveSendAllowed } } ... on UserError { field code message }"
)
APPROVE = f"mutation($i: ApproveDraftInput!) {{ approveDraft(input: $i) {{ {RESULT} }} }}"
REJECT = f"mutation($i: RejectDraftInput!) {{ rejectDraft(input: $i) {{ {RESULT} }} }}"
SENT = f"mutation($i: MarkDraftSentInput!) {{ markDraftSent(input: $i) {{ {RESULT} }} }}"


async def run(org: Org, mutation: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
    data = await org.data(mutation, {"i": payload}, **kw)
    result: dict[str, Any] = next(iter(data.values()))
    return result


async def refused(
    org: Org, mutation: str, payload: dict[str, Any], expected: tuple[str, str, str], **kw: Any
) -> None:
    before = await support_snapshot(org)
    result = await run(org, mutation, payload, **kw)
    assert (result["__typename"], result["field"], result["code"]) == expected, result
    assert await support_snapshot(org) == before


@pytest.mark.parametrize("priority", ["P0", "P1", "P2", "P3"])
async def test_opening_drafts_the_exact_arabic_first_response(org: Org, priority: str) -> None:
    customer = await new_customer(org)
    draft = (await open_ticket(org, customer, TEXTS[priority]))["draft"]
    assert draft == {
        "id": draft["id"],
        "version": 1,
        "kind": "FIRST_RESPONSE",
        "locale": "ar",
        "body": AR[priority],
        "status": "DRAFT",
        "approvalRequired": True,
        "liveSendAllowed": False,
    }


@pytest.mark.parametrize(
    ("priority", "numbers"),
    [("P0", "30 minutes"), ("P1", "2 hours"), ("P2", "8 business hours"), ("P3", "24 business")],
)
async def test_an_english_customer_gets_the_english_body_with_the_same_numbers(
    org: Org, priority: str, numbers: str
) -> None:
    customer = await new_customer(org, locale="EN")
    draft = (await open_ticket(org, customer, TEXTS[priority]))["draft"]
    assert draft["locale"] == "en"
    assert numbers in draft["body"]
    assert draft["body"].isascii() or priority == "P3"  # P3 names the Arabic keyword too


async def test_approve_then_mark_sent_records_the_first_response(org: Org) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, "outage")
    draft_id = opened["draft"]["id"]
    org.clock.advance(minutes=5)
    approved = await run(org, APPROVE, {"id": draft_id, "version": 1})
    assert approved["draft"]["status"] == "APPROVED"
    assert approved["draft"]["decidedAt"] == "2026-11-01T09:05:00+00:00"
    org.clock.advance(minutes=3)
    sent = await run(org, SENT, {"id": draft_id, "version": 2})
    assert sent["draft"]["status"] == "SENT"
    assert sent["draft"]["sentAt"] == "2026-11-01T09:08:00+00:00"
    assert (sent["draft"]["approvalRequired"], sent["draft"]["liveSendAllowed"]) == (True, False)
    data = await org.data(
        "query($id: ID!) { ticket(id: $id) { version firstResponseAt "
        "sla { firstResponse { state } } history { event detail } "
        "firstResponseDraft { status } } }",
        {"id": opened["ticket"]["id"]},
    )
    found = data["ticket"]
    assert found["firstResponseAt"] == "2026-11-01T09:08:00+00:00"
    assert found["sla"]["firstResponse"]["state"] == "MET"
    assert [h["event"] for h in found["history"]] == ["OPENED", "FIRST_RESPONSE"]
    assert '"via": "draft"' in found["history"][1]["detail"]
    assert found["firstResponseDraft"] == {"status": "SENT"}
    actions = [row["action"] for row in (await support_snapshot(org))["ledger"]]
    assert actions == ["createCustomer", "openTicket", "approveDraft", "markDraftSent"]


async def test_reject_leaves_the_ticket_unanswered(org: Org) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, "hello")
    rejected = await run(org, REJECT, {"id": opened["draft"]["id"], "version": 1})
    assert rejected["draft"]["status"] == "REJECTED"
    data = await org.data(
        "query($id: ID!) { ticket(id: $id) { firstResponseAt } }", {"id": opened["ticket"]["id"]}
    )
    assert data["ticket"]["firstResponseAt"] is None


async def test_refuses_marking_sent_before_approval(org: Org) -> None:
    customer = await new_customer(org)
    draft_id = (await open_ticket(org, customer, "hello"))["draft"]["id"]
    await refused(
        org, SENT, {"id": draft_id, "version": 1}, ("RuleError", "status", "INVALID_TRANSITION")
    )


async def test_refuses_rejecting_an_approved_draft(org: Org) -> None:
    customer = await new_customer(org)
    draft_id = (await open_ticket(org, customer, "hello"))["draft"]["id"]
    await run(org, APPROVE, {"id": draft_id, "version": 1})
    await refused(
        org, REJECT, {"id": draft_id, "version": 2}, ("RuleError", "status", "INVALID_TRANSITION")
    )


async def test_a_viewer_approves_nothing(org: Org) -> None:
    customer = await new_customer(org)
    draft_id = (await open_ticket(org, customer, "hello"))["draft"]["id"]
    for mutation, field in ((APPROVE, "approveDraft"), (REJECT, "rejectDraft")):
        await refused(
            org,
            mutation,
            {"id": draft_id, "version": 1},
            ("ForbiddenError", field, "FORBIDDEN"),
            role=Role.VIEWER,
        )


async def test_a_frozen_organisation_approves_nothing_but_may_reject(org: Org) -> None:
    customer = await new_customer(org)
    first = (await open_ticket(org, customer, "hello"))["draft"]["id"]
    second = (await open_ticket(org, customer, "hello"))["draft"]["id"]
    async with org.pool.acquire() as conn:
        await conn.execute(
            "UPDATE organisations SET frozen_at = $2, frozen_reason = 'SLA health critical' "
            "WHERE id = $1",
            org.id,
            org.clock(),
        )
    await refused(org, APPROVE, {"id": first, "version": 1}, ("ForbiddenError", "status", "FROZEN"))
    rejected = await run(org, REJECT, {"id": second, "version": 1})
    assert rejected["draft"]["status"] == "REJECTED"


async def test_refuses_a_stale_draft_version(org: Org) -> None:
    customer = await new_customer(org)
    draft_id = (await open_ticket(org, customer, "hello"))["draft"]["id"]
    await run(org, APPROVE, {"id": draft_id, "version": 1})
    await refused(
        org, SENT, {"id": draft_id, "version": 1}, ("ConflictError", "version", "CONFLICT")
    )


async def test_another_organisations_draft_is_not_found(org: Org, other_org: Org) -> None:
    customer = await new_customer(other_org)
    draft_id = (await open_ticket(other_org, customer, "hello"))["draft"]["id"]
    await refused(
        org, APPROVE, {"id": draft_id, "version": 1}, ("NotFoundError", "id", "NOT_FOUND")
    )
    body = await org.gql("query($id: ID!) { draft(id: $id) { id } }", {"id": draft_id})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_draft_query_carries_the_approval_flags_and_customer(org: Org) -> None:
    customer = await new_customer(org, name="شركة النور")
    draft_id = (await open_ticket(org, customer, "hello"))["draft"]["id"]
    data = await org.data(
        "query($id: ID!) { draft(id: $id) { kind subjectType approvalRequired liveSendAllowed "
        "customer { id name } } }",
        {"id": draft_id},
        role=Role.VIEWER,
    )
    assert data["draft"] == {
        "kind": "FIRST_RESPONSE",
        "subjectType": "ticket",
        "approvalRequired": True,
        "liveSendAllowed": False,
        "customer": {"id": customer, "name": "شركة النور"},
    }
