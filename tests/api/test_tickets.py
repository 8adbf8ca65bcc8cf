"""docs/rules.md §2.1–§2.6 through the GraphQL API: classification, priority, lifecycle, clocks."""

from __future__ import annotations

from typing import Any

import pytest

from domain.roles import Role
from resolvers.store import engine
from tests.factories import T0, Org, new_customer, open_ticket, support_snapshot

TICKET = """
query($id: ID!) { ticket(id: $id) {
  id version priority classifiedPriority manualPriority matchedKeyword reasonAr status
  openedAt firstResponseAt resolvedAt closedAt closedConfirmedBy
  firstResponseDueAt resolutionDueAt
  sla { breached messages
    firstResponse { state dueAt targetMinutes elapsedSeconds remainingSeconds breached message }
    resolution { state dueAt targetMinutes elapsedSeconds remainingSeconds breached message } }
  history { event slaEvent detail }
} }
"""

RESULT = (
    "__typename ... on TicketPayload { ticket { id version priority status } } "
    "... on UserError { field code message }"
)


def step(name: str, input_type: str) -> str:
    return f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {RESULT} }} }}"


RAISE = step("raiseTicketPriority", "RaiseTicketPriorityInput")
EDIT = step("editTicket", "EditTicketInput")
REPLY = step("logReply", "TicketStepInput")
RESOLVE = step("resolveTicket", "TicketStepInput")
CLOSE = step("confirmTicketClosed", "ConfirmTicketClosedInput")
REOPEN = step("reopenTicket", "TicketStepInput")
ESCALATE = step("escalateTicket", "EscalateTicketInput")
RECORD = step("recordTicketEvent", "RecordTicketEventInput")


async def ticket(org: Org, ticket_id: str) -> dict[str, Any]:
    data = await org.data(TICKET, {"id": ticket_id})
    found: dict[str, Any] = data["ticket"]
    return found


async def run(org: Org, mutation: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
    data = await org.data(mutation, {"i": payload}, **kw)
    result: dict[str, Any] = next(iter(data.values()))
    return result


async def refused(
    org: Org, mutation: str, payload: dict[str, Any], expected: tuple[str, str, str], **kw: Any
) -> None:
    """The mutation answers the typed error `expected` = (type, field, code), changing nothing."""
    before = await support_snapshot(org)
    result = await run(org, mutation, payload, **kw)
    assert (result["__typename"], result["field"], result["code"]) == expected, result
    assert await support_snapshot(org) == before


# §2.2 reference cases, each opened as a ticket's subject.
@pytest.mark.parametrize(
    ("text", "priority", "keyword"),
    [
        ("اكتشفت تسريب في trace logs", "P0", "تسريب"),
        ("Dealix أرسل رسالة بدون موافقتي", "P0", "بدون موافقتي"),
        ("Pilot stopped working today", "P1", "Pilot stopped"),
        ("pilot STOPPED", "P1", "Pilot stopped"),
        ("My Gmail connector won't authenticate", "P2", "connector"),
        ("Gmail outage", "P0", "outage"),
        ("calendar invite", "P2", "Calendar"),
        ("whatsapp not working", "P3", None),
        ("سؤال بسيط عن الأسعار", "P3", None),
        ("The secretary asked", "P3", None),
    ],
)
async def test_open_ticket_classifies_the_reference_texts(
    org: Org, text: str, priority: str, keyword: str | None
) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, text)
    assert opened["ticket"]["priority"] == priority
    assert opened["ticket"]["classifiedPriority"] == priority
    assert opened["ticket"]["matchedKeyword"] == keyword


@pytest.mark.parametrize(
    ("subject", "body", "reason"),
    [
        ("Gmail outage", "", "كلمة حرجة مطابقة: outage"),
        ("", "service down since 9", "خدمة مهمة معطلة: service down"),
        ("", "connector", "connector أو Proof Pack: connector"),
        ("hello", "a question", "افتراضي — سؤال أو تحسين."),
        ("  ", "\n", "لا يوجد نص — اعتبار افتراضي."),
    ],
)
async def test_open_ticket_reports_the_arabic_reason(
    org: Org, subject: str, body: str, reason: str
) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, subject, body)
    assert opened["ticket"]["reasonAr"] == reason


@pytest.mark.parametrize(
    ("text", "first_due", "resolution_due"),
    [
        ("outage", "2026-11-01T09:30:00+00:00", "2026-11-01T13:00:00+00:00"),
        ("urgent", "2026-11-01T11:00:00+00:00", "2026-11-02T09:00:00+00:00"),
        ("connector", "2026-11-01T17:00:00+00:00", "2026-11-04T09:00:00+00:00"),
        ("hello", "2026-11-02T09:00:00+00:00", "2026-11-08T09:00:00+00:00"),
    ],
)
async def test_due_times_follow_the_priority_tier(
    org: Org, text: str, first_due: str, resolution_due: str
) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, text)
    assert opened["ticket"]["firstResponseDueAt"] == first_due
    assert opened["ticket"]["resolutionDueAt"] == resolution_due


async def test_support_priorities_list_the_four_tiers(org: Org) -> None:
    data = await org.data(
        "{ supportPriorities { priority labelAr firstResponseMinutes resolutionHours owner } }"
    )
    assert data["supportPriorities"] == [
        {
            "priority": "P0",
            "labelAr": "حرج جداً — أمان / إرسال خاطئ / تعطل كامل",
            "firstResponseMinutes": 30,
            "resolutionHours": 4,
            "owner": "FOUNDER",
        },
        {
            "priority": "P1",
            "labelAr": "خدمة مهمة معطلة",
            "firstResponseMinutes": 120,
            "resolutionHours": 24,
            "owner": "OPERATOR_ONCALL",
        },
        {
            "priority": "P2",
            "labelAr": "Connector أو Proof Pack متأخر",
            "firstResponseMinutes": 480,
            "resolutionHours": 72,
            "owner": "OPERATOR_ONCALL",
        },
        {
            "priority": "P3",
            "labelAr": "سؤال عام / تحسين",
            "firstResponseMinutes": 1440,
            "resolutionHours": 168,
            "owner": "OPERATOR_TEAM",
        },
    ]


async def test_raising_priority_moves_the_due_times_and_is_in_history(org: Org) -> None:
    customer = await new_customer(org)
    opened = (await open_ticket(org, customer, "a question"))["ticket"]
    raised = await run(org, RAISE, {"id": opened["id"], "version": 1, "priority": "P1"})
    assert raised["ticket"]["priority"] == "P1"
    found = await ticket(org, opened["id"])
    assert (found["classifiedPriority"], found["manualPriority"]) == ("P3", "P1")
    assert found["firstResponseDueAt"] == "2026-11-01T11:00:00+00:00"
    assert found["resolutionDueAt"] == "2026-11-02T09:00:00+00:00"
    assert [(h["event"], h["slaEvent"]) for h in found["history"]] == [
        ("OPENED", True),
        ("ESCALATED", True),
    ]
    assert '"from": "P3"' in found["history"][1]["detail"]


async def test_refuses_lowering_priority_below_a_raise(org: Org) -> None:
    customer = await new_customer(org)
    opened = (await open_ticket(org, customer, "a question"))["ticket"]
    await run(org, RAISE, {"id": opened["id"], "version": 1, "priority": "P1"})
    await refused(
        org,
        RAISE,
        {"id": opened["id"], "version": 2, "priority": "P2"},
        ("RuleError", "priority", "PRIORITY_LOWERED"),
    )


async def test_refuses_priority_below_the_classification(org: Org) -> None:
    customer = await new_customer(org)
    opened = (await open_ticket(org, customer, "Gmail outage"))["ticket"]
    await refused(
        org,
        RAISE,
        {"id": opened["id"], "version": 1, "priority": "P3"},
        ("RuleError", "priority", "PRIORITY_LOWERED"),
    )


async def test_editing_reclassifies_and_keeps_a_higher_raise(org: Org) -> None:
    customer = await new_customer(org)
    opened = (await open_ticket(org, customer, "a question"))["ticket"]
    await run(org, RAISE, {"id": opened["id"], "version": 1, "priority": "P1"})
    # A text that classifies P0 wins over the P1 raise…
    edited = await run(org, EDIT, {"id": opened["id"], "version": 2, "body": "data leak"})
    assert edited["ticket"]["priority"] == "P0"
    # …and a text back to P3 leaves the raise as the priority.
    edited = await run(org, EDIT, {"id": opened["id"], "version": 3, "body": "thanks"})
    assert edited["ticket"]["priority"] == "P1"
    found = await ticket(org, opened["id"])
    assert found["classifiedPriority"] == "P3"
    assert found["matchedKeyword"] is None
    assert [h["event"] for h in found["history"]] == ["OPENED", "ESCALATED", "EDITED", "EDITED"]
    assert [h["slaEvent"] for h in found["history"]] == [True, True, False, False]


async def test_editing_without_a_raise_can_lower_to_the_new_classification(org: Org) -> None:
    customer = await new_customer(org)
    opened = (await open_ticket(org, customer, "Gmail outage"))["ticket"]
    edited = await run(org, EDIT, {"id": opened["id"], "version": 1, "subject": "Gmail invite"})
    assert edited["ticket"]["priority"] == "P2"


async def test_edit_refuses_a_subject_over_120_characters(org: Org) -> None:
    customer = await new_customer(org)
    opened = (await open_ticket(org, customer, "hello"))["ticket"]
    await refused(
        org,
        EDIT,
        {"id": opened["id"], "version": 1, "subject": "x" * 121},
        ("ValidationError", "subject", "TOO_LONG"),
    )


async def test_the_full_lifecycle_records_each_step(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "urgent"))["ticket"]["id"]
    org.clock.advance(minutes=10)
    await run(org, REPLY, {"id": tid, "version": 1})
    org.clock.advance(minutes=50)
    await run(org, RESOLVE, {"id": tid, "version": 2})
    org.clock.advance(minutes=5)
    closed = await run(org, CLOSE, {"id": tid, "version": 3, "confirmedBy": "Sara (customer)"})
    assert closed["ticket"]["status"] == "CLOSED"
    found = await ticket(org, tid)
    assert found["firstResponseAt"] == "2026-11-01T09:10:00+00:00"
    assert found["resolvedAt"] == "2026-11-01T10:00:00+00:00"
    assert found["closedAt"] == "2026-11-01T10:05:00+00:00"
    assert found["closedConfirmedBy"] == "Sara (customer)"
    assert [h["event"] for h in found["history"]] == [
        "OPENED",
        "FIRST_RESPONSE",
        "RESOLVED",
        "CLOSED",
    ]
    assert found["sla"]["firstResponse"]["state"] == "MET"
    assert found["sla"]["resolution"]["state"] == "MET"


async def test_a_later_reply_changes_nothing(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "urgent"))["ticket"]["id"]
    org.clock.advance(minutes=10)
    await run(org, REPLY, {"id": tid, "version": 1})
    org.clock.advance(minutes=10)
    again = await run(org, REPLY, {"id": tid, "version": 2})
    assert again["ticket"]["version"] == 2
    found = await ticket(org, tid)
    assert found["firstResponseAt"] == "2026-11-01T09:10:00+00:00"


async def test_reopening_keeps_the_clocks_from_the_opening(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "outage"))["ticket"]["id"]
    org.clock.advance(minutes=10)
    await run(org, REPLY, {"id": tid, "version": 1})
    org.clock.advance(hours=1)
    await run(org, RESOLVE, {"id": tid, "version": 2})
    org.clock.advance(hours=4)
    reopened = await run(org, REOPEN, {"id": tid, "version": 3})
    assert reopened["ticket"]["status"] == "OPEN"
    found = await ticket(org, tid)
    assert found["resolvedAt"] is None
    assert found["firstResponseAt"] == "2026-11-01T09:10:00+00:00"
    # Opened 5 h 10 min ago at P0 (4 h): the resolution clock runs on from the opening.
    assert found["sla"]["resolution"]["state"] == "BREACHED"
    assert found["sla"]["resolution"]["message"] == "resolution: 5.2h > 4h"
    assert found["sla"]["firstResponse"]["state"] == "MET"
    assert found["history"][-1]["event"] == "REOPENED"


async def test_escalating_without_a_priority_goes_one_tier_up(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "connector"))["ticket"]["id"]
    escalated = await run(org, ESCALATE, {"id": tid, "version": 1, "note": "VIP"})
    assert escalated["ticket"]["priority"] == "P1"
    found = await ticket(org, tid)
    assert found["history"][-1]["event"] == "ESCALATED"
    assert '"note": "VIP"' in found["history"][-1]["detail"]


async def test_sla_events_can_be_recorded_by_name(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    org.clock.advance(minutes=5)
    await run(org, RECORD, {"id": tid, "version": 1, "event": "first_response"})
    await run(org, RECORD, {"id": tid, "version": 2, "event": "escalated", "priority": "P1"})
    resolved = await run(org, RECORD, {"id": tid, "version": 3, "event": "resolved"})
    assert resolved["ticket"]["status"] == "RESOLVED"
    found = await ticket(org, tid)
    assert [h["event"] for h in found["history"]] == [
        "OPENED",
        "FIRST_RESPONSE",
        "ESCALATED",
        "RESOLVED",
    ]


async def test_refuses_an_unknown_event(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    await refused(
        org,
        RECORD,
        {"id": tid, "version": 1, "event": "closed"},
        ("ValidationError", "event", "INVALID"),
    )


async def test_refuses_opened_as_a_recorded_event(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    await refused(
        org,
        RECORD,
        {"id": tid, "version": 1, "event": "opened"},
        ("RuleError", "event", "INVALID_TRANSITION"),
    )


async def test_refuses_closing_before_resolving(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    await run(org, REPLY, {"id": tid, "version": 1})
    await refused(
        org,
        CLOSE,
        {"id": tid, "version": 2, "confirmedBy": "Sara"},
        ("RuleError", "status", "INVALID_TRANSITION"),
    )


async def test_refuses_resolving_before_a_first_response(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    await refused(
        org, RESOLVE, {"id": tid, "version": 1}, ("RuleError", "status", "PRECONDITION_FAILED")
    )


async def test_refuses_closing_without_who_confirmed(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    await run(org, REPLY, {"id": tid, "version": 1})
    await run(org, RESOLVE, {"id": tid, "version": 2})
    await refused(
        org,
        CLOSE,
        {"id": tid, "version": 3, "confirmedBy": "  "},
        ("ValidationError", "confirmedBy", "REQUIRED"),
    )


async def test_refuses_reopening_an_open_ticket(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    await refused(
        org, REOPEN, {"id": tid, "version": 1}, ("RuleError", "status", "INVALID_TRANSITION")
    )


async def test_refuses_escalating_a_resolved_ticket(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    await run(org, REPLY, {"id": tid, "version": 1})
    await run(org, RESOLVE, {"id": tid, "version": 2})
    await refused(
        org,
        ESCALATE,
        {"id": tid, "version": 3, "priority": "P0"},
        ("RuleError", "status", "INVALID_TRANSITION"),
    )


async def test_refuses_a_stale_version(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    await run(org, REPLY, {"id": tid, "version": 1})
    await refused(org, RESOLVE, {"id": tid, "version": 1}, ("ConflictError", "version", "CONFLICT"))


async def test_a_viewer_cannot_work_tickets(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    await refused(
        org,
        REPLY,
        {"id": tid, "version": 1},
        ("ForbiddenError", "logReply", "FORBIDDEN"),
        role=Role.VIEWER,
    )
    before = await support_snapshot(org)
    result = await org.data(
        "mutation($i: OpenTicketInput!) { openTicket(input: $i) { __typename "
        "... on UserError { field code } } }",
        {"i": {"customer": customer, "subject": "outage", "body": ""}},
        role=Role.VIEWER,
    )
    assert result["openTicket"] == {
        "__typename": "ForbiddenError",
        "field": "openTicket",
        "code": "FORBIDDEN",
    }
    assert await support_snapshot(org) == before


async def test_another_organisations_ticket_is_not_found(org: Org, other_org: Org) -> None:
    customer = await new_customer(other_org)
    tid = (await open_ticket(other_org, customer, "hello"))["ticket"]["id"]
    await refused(org, REPLY, {"id": tid, "version": 1}, ("NotFoundError", "id", "NOT_FOUND"))
    body = await org.gql(TICKET, {"id": tid})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_open_refuses_another_organisations_customer(org: Org, other_org: Org) -> None:
    customer = await new_customer(other_org)
    before = await support_snapshot(org)
    result = await org.data(
        "mutation($i: OpenTicketInput!) { openTicket(input: $i) { __typename "
        "... on UserError { field code } } }",
        {"i": {"customer": customer, "subject": "outage", "body": ""}},
    )
    assert result["openTicket"] == {
        "__typename": "NotFoundError",
        "field": "customer",
        "code": "NOT_FOUND",
    }
    assert await support_snapshot(org) == before


async def test_open_refuses_a_body_over_10000_characters(org: Org) -> None:
    customer = await new_customer(org)
    before = await support_snapshot(org)
    result = await org.data(
        "mutation($i: OpenTicketInput!) { openTicket(input: $i) { __typename "
        "... on UserError { field code } } }",
        {"i": {"customer": customer, "subject": "s", "body": "x" * 10_001}},
    )
    assert result["openTicket"] == {
        "__typename": "ValidationError",
        "field": "body",
        "code": "TOO_LONG",
    }
    assert await support_snapshot(org) == before


async def test_open_with_the_same_idempotency_key_returns_the_first_ticket(org: Org) -> None:
    customer = await new_customer(org)
    first = await open_ticket(org, customer, "outage", idempotencyKey="k-1")
    again = await open_ticket(org, customer, "outage", idempotencyKey="k-1")
    assert again["ticket"]["id"] == first["ticket"]["id"]
    assert again["draft"]["id"] == first["draft"]["id"]
    snapshot = await support_snapshot(org)
    assert len(snapshot["tickets"]) == 1
    assert len(snapshot["drafts"]) == 1
    assert [row["action"] for row in snapshot["ledger"]] == ["createCustomer", "openTicket"]


async def test_every_ticket_mutation_writes_one_ledger_row(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    await run(org, RAISE, {"id": tid, "version": 1, "priority": "P2"})
    await run(org, EDIT, {"id": tid, "version": 2, "body": "more"})
    await run(org, REPLY, {"id": tid, "version": 3})
    await run(org, RESOLVE, {"id": tid, "version": 4})
    await run(org, REOPEN, {"id": tid, "version": 5})
    await run(org, ESCALATE, {"id": tid, "version": 6})
    snapshot = await support_snapshot(org)
    assert [row["action"] for row in snapshot["ledger"]] == [
        "createCustomer",
        "openTicket",
        "raiseTicketPriority",
        "editTicket",
        "logReply",
        "resolveTicket",
        "reopenTicket",
        "escalateTicket",
    ]


# §2.6 reference cases: P0 answered/resolved at these times.
@pytest.mark.parametrize(
    ("reply_minutes", "resolve_hours", "breached", "messages"),
    [
        (20, 3, False, []),
        (120, 10, True, ["first_response: 120 > 30 min", "resolution: 10.0h > 4h"]),
        (30, 4, False, []),
    ],
)
async def test_breach_reference_cases(
    org: Org, reply_minutes: int, resolve_hours: int, breached: bool, messages: list[str]
) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "outage"))["ticket"]["id"]
    org.clock.advance(minutes=reply_minutes)
    await run(org, REPLY, {"id": tid, "version": 1})
    org.clock.now = T0.replace(hour=9 + resolve_hours)
    await run(org, RESOLVE, {"id": tid, "version": 2})
    found = await ticket(org, tid)
    assert found["sla"]["breached"] is breached
    assert found["sla"]["messages"] == messages
    state = "BREACHED" if breached else "MET"
    assert found["sla"]["firstResponse"]["state"] == state
    assert found["sla"]["resolution"]["state"] == state


@pytest.mark.parametrize(
    ("minutes", "state", "remaining"),
    [(23, "ON_TRACK", 420.0), (24, "AT_RISK", 360.0), (30, "AT_RISK", 0.0), (31, "BREACHED", 0.0)],
)
async def test_open_clock_goes_at_risk_at_80_percent_and_breaches_strictly_over(
    org: Org, minutes: int, state: str, remaining: float
) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "outage"))["ticket"]["id"]
    org.clock.advance(minutes=minutes)
    clock = (await ticket(org, tid))["sla"]["firstResponse"]
    assert (clock["state"], clock["remainingSeconds"]) == (state, remaining)
    assert clock["elapsedSeconds"] == minutes * 60
    assert clock["targetMinutes"] == 30
    assert clock["message"] == ("first_response: 31 > 30 min" if minutes == 31 else None)


async def test_tickets_filter_by_status_priority_customer_and_sla(org: Org) -> None:
    first_customer = await new_customer(org, name="أ")
    second_customer = await new_customer(org, name="ب")
    p0 = (await open_ticket(org, first_customer, "outage"))["ticket"]["id"]
    p3 = (await open_ticket(org, second_customer, "hello"))["ticket"]["id"]
    p1 = (await open_ticket(org, first_customer, "urgent"))["ticket"]["id"]
    await run(org, REPLY, {"id": p1, "version": 1})
    await run(org, RESOLVE, {"id": p1, "version": 2})
    org.clock.advance(minutes=25)  # P0 at risk (≥ 24 min of 30), P3 on track

    async def ids(filter: dict[str, Any]) -> list[str]:
        data = await org.data(
            "query($f: TicketFilter) { tickets(filter: $f) { edges { node { id } } } }",
            {"f": filter},
        )
        return [edge["node"]["id"] for edge in data["tickets"]["edges"]]

    assert await ids({}) == [p1, p3, p0]
    assert await ids({"status": "OPEN"}) == [p3, p0]
    assert await ids({"priority": "P0"}) == [p0]
    assert await ids({"customer": first_customer}) == [p1, p0]
    assert await ids({"slaState": "AT_RISK"}) == [p0]
    assert await ids({"slaState": "ON_TRACK"}) == [p3]
    assert await ids({"slaState": "MET"}) == [p1]
    assert await ids({"breached": True}) == []
    org.clock.advance(minutes=6)
    assert await ids({"breached": True}) == [p0]
    assert await ids({"slaState": "BREACHED"}) == [p0]
    assert await ids({"breached": False}) == [p1, p3]


async def test_tickets_page_with_cursors(org: Org) -> None:
    customer = await new_customer(org)
    made = [(await open_ticket(org, customer, f"q {n}"))["ticket"]["id"] for n in range(3)]
    query = (
        "query($a: String) { tickets(first: 2, after: $a) { edges { node { id } } "
        "pageInfo { hasNextPage endCursor } } }"
    )
    page = (await org.data(query, {"a": None}))["tickets"]
    assert [e["node"]["id"] for e in page["edges"]] == made[::-1][:2]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = (await org.data(query, {"a": page["pageInfo"]["endCursor"]}))["tickets"]
    assert [e["node"]["id"] for e in rest["edges"]] == [made[0]]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_customer_tickets_lists_each_customers_tickets(org: Org) -> None:
    first_customer = await new_customer(org, name="أ")
    second_customer = await new_customer(org, name="ب")
    a1 = (await open_ticket(org, first_customer, "hello"))["ticket"]["id"]
    b1 = (await open_ticket(org, second_customer, "outage"))["ticket"]["id"]
    a2 = (await open_ticket(org, first_customer, "urgent"))["ticket"]["id"]
    data = await org.data(
        "{ customers { edges { node { id tickets(first: 1) { edges { node { id priority } } "
        "pageInfo { hasNextPage } } } } } }"
    )
    by_customer = {e["node"]["id"]: e["node"]["tickets"] for e in data["customers"]["edges"]}
    assert by_customer[first_customer]["edges"] == [{"node": {"id": a2, "priority": "P1"}}]
    assert by_customer[first_customer]["pageInfo"]["hasNextPage"] is True
    assert by_customer[second_customer]["edges"] == [{"node": {"id": b1, "priority": "P0"}}]
    assert by_customer[second_customer]["pageInfo"]["hasNextPage"] is False
    assert a1 != a2


PAGE = """
query($n: Int!) { tickets(first: $n) { edges { node {
  id priority sla { breached firstResponse { state } }
  customer { id name }
  firstResponseDraft { id body status approvalRequired liveSendAllowed }
  history { event }
} } } }
"""


@pytest.mark.parametrize("size", [10, 50])
async def test_a_page_of_tickets_costs_a_fixed_number_of_queries(org: Org, size: int) -> None:
    customers = [await new_customer(org, name=f"c{n}") for n in range(5)]
    for n in range(size):
        await open_ticket(org, customers[n % 5], "outage" if n % 2 else "hello")
    before = engine.READ_QUERIES.count
    data = await org.data(PAGE, {"n": size})
    queries = engine.READ_QUERIES.count - before
    nodes = [edge["node"] for edge in data["tickets"]["edges"]]
    assert len(nodes) == size
    assert all(node["customer"] is not None for node in nodes)
    assert all(node["firstResponseDraft"]["status"] == "DRAFT" for node in nodes)
    # scope + authenticate, the page, then one query each for customers, drafts, history.
    assert queries == 5


async def test_node_fetches_tickets_and_drafts_by_global_id(org: Org) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, "outage")
    data = await org.data(
        "query($t: ID!, $d: ID!) { t: node(id: $t) { ... on Ticket { priority } } "
        "d: node(id: $d) { ... on Draft { status } } }",
        {"t": opened["ticket"]["id"], "d": opened["draft"]["id"]},
        role=Role.VIEWER,
    )
    assert data == {"t": {"priority": "P0"}, "d": {"status": "DRAFT"}}
