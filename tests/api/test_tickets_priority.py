"""docs/rules.md §2.2–§2.4 through the GraphQL API: Latin keywords glued to Arabic, raises that go
nowhere, and the pending first-response draft following the priority."""

from __future__ import annotations

from typing import Any

import pytest

from domain.tickets import Priority, first_response_draft
from tests.api.test_tickets import ESCALATE, RAISE, RECORD, refused, run
from tests.factories import Org, new_customer, open_ticket, support_snapshot

P0_AR = (
    "وصلني بلاغك الآن. نتعامل معه كأولوية حرجة. سأرد عليك خلال 30 دقيقة بتفاصيل ما حدث + "
    "الإجراءات المتخذة. إذا اكتشفت أي إرسال غير معتمد أو تسريب بيانات، سأتواصل معك مباشرة."
)
P1_AR = "وصلني بلاغك. نتعامل معه كأولوية عالية. سأرد بتفاصيل خلال ساعتين كحد أقصى."
P2_AR = (
    "وصلني سؤالك حول الـ connector / Proof Pack. سأتابع خلال 8 ساعات عمل وأرسل لك حل أو خطوات "
    "تالية."
)
P3_AR = (
    "شاكر لك على ملاحظتك. سأرد عليك خلال 24 ساعة عمل. إذا الأمر عاجل، اكتب 'حرج' في رسالة "
    "جديدة وأرفعها للأولوية."
)

TICKET = """
query($id: ID!) { ticket(id: $id) {
  version priority history { event detail }
  firstResponseDraft { id version locale body status }
} }
"""
EDIT = (
    "mutation($i: EditTicketInput!) { editTicket(input: $i) { __typename "
    "... on TicketPayload { ticket { priority } } ... on UserError { field code message } } }"
)
APPROVE = (
    "mutation($i: ApproveDraftInput!) { approveDraft(input: $i) { __typename "
    "... on DraftPayload { draft { status version } } ... on UserError { field code } } }"
)


async def ticket(org: Org, ticket_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await org.data(TICKET, {"id": ticket_id}))["ticket"]
    return found


# §2.2: only Latin letters and digits bound a Latin keyword.
@pytest.mark.parametrize(
    ("subject", "body", "priority", "keyword"),
    [
        ("", "مشكلة في الـconnector", "P2", "connector"),
        ("بالـGmail", "", "P2", "Gmail"),
        ("عندنا outageاليوم", "", "P0", "outage"),
        ("الـsecretary سألت", "", "P3", None),
    ],
)
async def test_open_ticket_finds_a_latin_keyword_glued_to_arabic(
    org: Org, subject: str, body: str, priority: str, keyword: str | None
) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, subject, body)
    assert (opened["ticket"]["priority"], opened["ticket"]["matchedKeyword"]) == (
        priority,
        keyword,
    )
    assert opened["draft"]["body"] == first_response_draft(Priority(priority), "ar")


# §2.3: a raise must go up; the same priority is refused like a lowering, changing nothing.
async def test_raising_to_the_current_priority_is_refused(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "connector"))["ticket"]["id"]
    await refused(
        org,
        RAISE,
        {"id": tid, "version": 1, "priority": "P2"},
        ("RuleError", "priority", "PRIORITY_LOWERED"),
    )
    result = await run(org, RAISE, {"id": tid, "version": 1, "priority": "P2"})
    assert result["message"] == "P2 is already the current priority; priority may only go up."
    # After a raise to P1, P1 again is refused the same way.
    await run(org, RAISE, {"id": tid, "version": 1, "priority": "P1"})
    await refused(
        org,
        RECORD,
        {"id": tid, "version": 2, "event": "escalated", "priority": "P1"},
        ("RuleError", "priority", "PRIORITY_LOWERED"),
    )


@pytest.mark.parametrize("priority", [None, "P0"])
async def test_escalating_a_p0_ticket_is_refused(org: Org, priority: str | None) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "outage"))["ticket"]["id"]
    payload = {"id": tid, "version": 1, "note": "again", "priority": priority}
    await refused(org, ESCALATE, payload, ("RuleError", "priority", "PRIORITY_LOWERED"))
    result = await run(org, ESCALATE, payload)
    assert result["message"] == (
        "P0 is already the current priority, the highest; priority may only go up."
    )
    found = await ticket(org, tid)
    assert (found["version"], [h["event"] for h in found["history"]]) == (1, ["OPENED"])


# §2.4: while unapproved, the first-response draft promises the current priority's times.
@pytest.mark.parametrize(
    ("action", "mutation", "extra", "priority", "body"),
    [
        ("raiseTicketPriority", RAISE, {"priority": "P0"}, "P0", P0_AR),
        ("escalateTicket", ESCALATE, {"note": "VIP"}, "P2", P2_AR),
        ("recordTicketEvent", RECORD, {"event": "escalated", "priority": "P1"}, "P1", P1_AR),
        ("editTicket", EDIT, {"body": "data leak"}, "P0", P0_AR),
    ],
)
async def test_a_priority_change_rewrites_the_pending_first_response(
    org: Org, action: str, mutation: str, extra: dict[str, Any], priority: str, body: str
) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, "hello")
    assert opened["draft"]["body"] == P3_AR
    tid = opened["ticket"]["id"]
    changed = await run(org, mutation, {"id": tid, "version": 1, **extra})
    assert changed["ticket"]["priority"] == priority
    found = await ticket(org, tid)
    draft = found["firstResponseDraft"]
    assert (draft["id"], draft["version"], draft["status"], draft["locale"], draft["body"]) == (
        opened["draft"]["id"],
        2,
        "DRAFT",
        "ar",
        body,
    )
    assert '"firstResponseDraftRewritten"' in found["history"][-1]["detail"]
    # The mutation's one ledger row shows the ticket and the draft it rewrote.
    row = (await support_snapshot(org))["ledger"][-1]
    assert (row["action"], row["entity"]) == (action, "Ticket")
    assert row["before"]["lifecycle"]["status"] == "open"
    drafts = (row["before"]["firstResponseDraft"], row["after"]["firstResponseDraft"])
    assert [(d["body"], d["version"]) for d in drafts] == [(P3_AR, 1), (body, 2)]
    # An approval of the text the operator read before the rewrite conflicts.
    stale = await org.data(APPROVE, {"i": {"id": draft["id"], "version": 1}})
    assert stale["approveDraft"] == {
        "__typename": "ConflictError",
        "field": "version",
        "code": "CONFLICT",
    }


async def test_the_rewrite_keeps_the_customers_locale_and_stops_once_approved(org: Org) -> None:
    customer = await new_customer(org, locale="EN")
    opened = await open_ticket(org, customer, "a question")
    tid = opened["ticket"]["id"]
    assert opened["draft"]["body"] == first_response_draft(Priority.P3, "en")
    await run(org, EDIT, {"id": tid, "version": 1, "body": "my connector"})
    draft = (await ticket(org, tid))["firstResponseDraft"]
    assert (draft["locale"], draft["version"]) == ("en", 2)
    assert draft["body"] == first_response_draft(Priority.P2, "en")
    assert "8 business hours" in draft["body"]

    # An edit that keeps the priority leaves the draft alone.
    await run(org, EDIT, {"id": tid, "version": 2, "subject": "still the connector"})
    assert (await ticket(org, tid))["firstResponseDraft"]["version"] == 2

    approved = await org.data(APPROVE, {"i": {"id": draft["id"], "version": 2}})
    assert approved["approveDraft"]["draft"] == {"status": "APPROVED", "version": 3}
    before = (await support_snapshot(org))["drafts"]
    await run(org, RAISE, {"id": tid, "version": 3, "priority": "P0"})
    after = await ticket(org, tid)
    assert after["priority"] == "P0"
    assert (await support_snapshot(org))["drafts"] == before
    assert "firstResponseDraftRewritten" not in after["history"][-1]["detail"]
