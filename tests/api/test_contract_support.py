"""DOMAIN.md §1 and §2 through the GraphQL API, for what the other API tests leave unpinned:
every §2.2 keyword, its normalisation and word-ending rules, the scan order, the §2.5 rule that
only a *sent* reply is a first response, §2.6 counting a double breach once, and the §2.7
per-priority averages with their rounding."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.factories import T0, Org, new_customer, open_ticket

P0_KEYWORDS = [
    "أمان",
    "تسريب",
    "إرسال خاطئ",
    "إرسال بدون موافقة",
    "بدون موافقتي",
    "أرسل رسالة بدون",
    "أرسل بدون",
    "secret",
    "leak",
    "data breach",
    "outage",
    "completely down",
    "live charge",
    "charge بدون موافقة",
    "unauthorized",
]
P1_KEYWORDS = [
    "service down",
    "خدمة معطلة",
    "service failed",
    "Pilot stopped",
    "Proof Pack مفقود",
    "حرج",
    "urgent",
]
P2_KEYWORDS = ["connector", "Gmail", "Calendar", "Sheets", "WhatsApp setup", "Moyasar invoice"]
REASONS = {
    "P0": "كلمة حرجة مطابقة: {kw}",
    "P1": "خدمة مهمة معطلة: {kw}",
    "P2": "connector أو Proof Pack: {kw}",
}
DEFAULT_REASON = "افتراضي — سؤال أو تحسين."

KEYWORD_CASES = [
    *(("P0", kw) for kw in P0_KEYWORDS),
    *(("P1", kw) for kw in P1_KEYWORDS),
    *(("P2", kw) for kw in P2_KEYWORDS),
]


# §2.2: every keyword, in the subject and in the body ------------------------------------------


@pytest.mark.parametrize(("priority", "keyword"), KEYWORD_CASES)
async def test_every_listed_keyword_in_the_subject_gives_its_tier_and_reason(
    org: Org, priority: str, keyword: str
) -> None:
    customer = await new_customer(org)
    ticket = (await open_ticket(org, customer, f"عندي مشكلة: {keyword} اليوم"))["ticket"]
    assert (ticket["priority"], ticket["classifiedPriority"]) == (priority, priority)
    assert ticket["matchedKeyword"] == keyword
    assert ticket["reasonAr"] == REASONS[priority].format(kw=keyword)


@pytest.mark.parametrize(("priority", "keyword"), KEYWORD_CASES)
async def test_every_listed_keyword_in_the_body_alone_classifies_too(
    org: Org, priority: str, keyword: str
) -> None:
    customer = await new_customer(org)
    ticket = (await open_ticket(org, customer, "سؤال", f"التفاصيل: {keyword}."))["ticket"]
    assert (ticket["priority"], ticket["matchedKeyword"]) == (priority, keyword)


# §2.2: normalisation, case and word endings ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "priority", "keyword"),
    [
        # The two normalisation examples of §2.2.
        ("التسريب حصل أمس", "P0", "تسريب"),
        ("مشكلة امان في الحساب", "P0", "أمان"),
        # Tashkeel and tatweel are stripped before matching.
        ("يوجد تَسْرِيب للبيانات", "P0", "تسريب"),
        ("يوجد تسـريب للبيانات", "P0", "تسريب"),
        ("مشكلة أَمَان", "P0", "أمان"),
        # أ إ آ fold to ا on both sides.
        ("ارسل بدون علمي", "P0", "أرسل بدون"),
        ("اِرسال خاطئ للعميل", "P0", "إرسال خاطئ"),
        ("آمان", "P0", "أمان"),
        # White space collapses on both sides; matching ignores case.
        ("خدمة   معطلة منذ الصباح", "P1", "خدمة معطلة"),
        ("we had a data\n  breach", "P0", "data breach"),
        ("SERVICE DOWN", "P1", "service down"),
        ("UNAUTHORIZED login", "P0", "unauthorized"),
        ("gmail sync", "P2", "Gmail"),
        ("live CHARGE on my card", "P0", "live charge"),
        ("CHARGE بدون موافقة", "P0", "charge بدون موافقة"),
        ("proof pack مفقود", "P1", "Proof Pack مفقود"),
        ("whatsapp SETUP help", "P2", "WhatsApp setup"),
        # The last word may carry s, es, ed or ing.
        ("our keys leaks", "P0", "leak"),
        ("the token leaked", "P0", "leak"),
        ("it keeps leaking", "P0", "leak"),
        ("two connectors fail", "P2", "connector"),
        ("several outages today", "P0", "outage"),
        ("the pilot stopped", "P1", "Pilot stopped"),
        ("services failed", "P3", None),
        ("Moyasar invoices are wrong", "P2", "Moyasar invoice"),
        ("our secrets", "P0", "secret"),
        ("shared Calendars", "P2", "Calendar"),
        # Latin keywords match whole words only.
        ("The secretary asked", "P3", None),
        ("a leakage in the pipe", "P3", None),
        ("reconnector", "P3", None),
        ("unauthorizedly", "P3", None),
    ],
)
async def test_normalisation_case_and_word_endings(
    org: Org, text: str, priority: str, keyword: str | None
) -> None:
    customer = await new_customer(org)
    ticket = (await open_ticket(org, customer, "", text))["ticket"]
    assert (ticket["priority"], ticket["matchedKeyword"]) == (priority, keyword)


# §2.2: scan order ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body", "priority", "keyword"),
    [
        # P0 is scanned before P1 and P2, whatever the order in the text.
        ("urgent: Gmail connector", "and a data breach", "P0", "data breach"),
        ("connector", "service down", "P1", "service down"),
        # Within a tier the list order wins, not the position in the text.
        ("outage then a leak", "", "P0", "leak"),
        ("unauthorized outage", "", "P0", "outage"),
        ("urgent: service failed", "", "P1", "service failed"),
        ("Sheets and Gmail", "", "P2", "Gmail"),
        ("Moyasar invoice via connector", "", "P2", "connector"),
        # The P3 first response invites `حرج`: writing it raises to P1.
        ("حرج", "", "P1", "حرج"),
    ],
)
async def test_p0_then_p1_then_p2_and_the_first_listed_keyword_wins(
    org: Org, subject: str, body: str, priority: str, keyword: str
) -> None:
    customer = await new_customer(org)
    ticket = (await open_ticket(org, customer, subject, body))["ticket"]
    assert (ticket["priority"], ticket["matchedKeyword"]) == (priority, keyword)
    assert ticket["reasonAr"] == REASONS[priority].format(kw=keyword)


async def test_no_keyword_is_p3_with_the_default_reason(org: Org) -> None:
    customer = await new_customer(org)
    ticket = (await open_ticket(org, customer, "سؤال بسيط", "كم سعر الباقة؟"))["ticket"]
    assert (ticket["priority"], ticket["matchedKeyword"], ticket["reasonAr"]) == (
        "P3",
        None,
        DEFAULT_REASON,
    )


# §2.5: the first response is a *sent* reply ---------------------------------------------------


async def test_an_approved_but_unsent_draft_is_not_a_first_response(org: Org) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, "outage")
    org.clock.advance(minutes=10)
    approved = await org.data(
        "mutation($i: ApproveDraftInput!) { approveDraft(input: $i) { __typename } }",
        {"i": {"id": opened["draft"]["id"], "version": 1}},
    )
    assert approved["approveDraft"]["__typename"] == "DraftPayload"
    org.clock.advance(minutes=21)
    data = await org.data(
        "query($id: ID!) { ticket(id: $id) { firstResponseAt history { event } "
        "sla { firstResponse { state breached message } } } }",
        {"id": opened["ticket"]["id"]},
    )
    found = data["ticket"]
    assert found["firstResponseAt"] is None
    assert [h["event"] for h in found["history"]] == ["OPENED"]
    assert found["sla"]["firstResponse"] == {
        "state": "BREACHED",
        "breached": True,
        "message": "first_response: 31 > 30 min",
    }


async def test_the_four_sla_events_and_no_others_are_flagged(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    steps = [
        ("editTicket", "EditTicketInput", {"body": "more"}),
        ("escalateTicket", "EscalateTicketInput", {}),
        ("logReply", "TicketStepInput", {}),
        ("resolveTicket", "TicketStepInput", {}),
        ("reopenTicket", "TicketStepInput", {}),
        ("resolveTicket", "TicketStepInput", {}),
        ("confirmTicketClosed", "ConfirmTicketClosedInput", {"confirmedBy": "Sara"}),
    ]
    for version, (name, input_type, extra) in enumerate(steps, start=1):
        result = await org.data(
            f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ __typename }} }}",
            {"i": {"id": tid, "version": version, **extra}},
        )
        assert result[name]["__typename"] == "TicketPayload", (name, result)
    data = await org.data(
        "query($id: ID!) { ticket(id: $id) { history { event slaEvent } } }", {"id": tid}
    )
    assert [(h["event"], h["slaEvent"]) for h in data["ticket"]["history"]] == [
        ("OPENED", True),
        ("EDITED", False),
        ("ESCALATED", True),
        ("FIRST_RESPONSE", True),
        ("RESOLVED", True),
        ("REOPENED", False),
        ("RESOLVED", True),
        ("CLOSED", False),
    ]


# §2.6 / §2.7: a double breach counts once; averages and their rounding -------------------------

REPORT = """
query($s: DateTime!, $e: DateTime!) { slaHealth(periodStart: $s, periodEnd: $e) {
  total breached breachRate verdict
  byPriority { priority count breaches avgFirstResponseMinutes avgResolutionHours } } }"""


async def step(org: Org, mutation: str, ticket_id: str, version: int) -> None:
    result = await org.data(
        f"mutation($i: TicketStepInput!) {{ {mutation}(input: $i) {{ __typename }} }}",
        {"i": {"id": ticket_id, "version": version}},
    )
    assert result[mutation]["__typename"] == "TicketPayload", result


async def report(org: Org) -> dict[str, Any]:
    data = await org.data(REPORT, {"s": T0.isoformat(), "e": (T0 + timedelta(days=2)).isoformat()})
    found: dict[str, Any] = data["slaHealth"]
    return found


async def test_a_ticket_that_breached_both_targets_counts_once(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "outage"))["ticket"]["id"]
    org.clock.now = T0 + timedelta(minutes=120)
    await step(org, "logReply", tid, 1)
    org.clock.now = T0 + timedelta(hours=10)
    await step(org, "resolveTicket", tid, 2)
    data = await org.data(
        "query($id: ID!) { ticket(id: $id) { sla { breached messages } } }", {"id": tid}
    )
    assert data["ticket"]["sla"] == {
        "breached": True,
        "messages": ["first_response: 120 > 30 min", "resolution: 10.0h > 4h"],
    }
    found = await report(org)
    assert (found["total"], found["breached"], found["breachRate"], found["verdict"]) == (
        1,
        1,
        1.0,
        "CRITICAL",
    )
    assert found["byPriority"][0] == {
        "priority": "P0",
        "count": 1,
        "breaches": 1,
        "avgFirstResponseMinutes": 120.0,
        "avgResolutionHours": 10.0,
    }


async def test_averages_are_over_responded_and_resolved_tickets_with_their_rounding(
    org: Org,
) -> None:
    customer = await new_customer(org)
    ids = [(await open_ticket(org, customer, "urgent"))["ticket"]["id"] for _ in range(4)]
    # Replies after 10, 11 and 11 minutes (the fourth is never answered): 32/3 = 10.67 → 10.7.
    for tid, minutes in zip(ids[:3], (10, 11, 11), strict=True):
        org.clock.now = T0 + timedelta(minutes=minutes)
        await step(org, "logReply", tid, 1)
    # Two resolved, after 1 h 05 min and 2 h: 3.0833 h / 2 = 1.5417 → 1.54.
    org.clock.now = T0 + timedelta(hours=1, minutes=5)
    await step(org, "resolveTicket", ids[0], 2)
    org.clock.now = T0 + timedelta(hours=2)
    await step(org, "resolveTicket", ids[1], 2)
    found = await report(org)
    assert found["byPriority"][1] == {
        "priority": "P1",
        "count": 4,
        "breaches": 0,
        "avgFirstResponseMinutes": 10.7,
        "avgResolutionHours": 1.54,
    }
    assert (found["total"], found["breached"], found["breachRate"], found["verdict"]) == (
        4,
        0,
        0.0,
        "HEALTHY",
    )


async def test_the_breach_rate_is_rounded_to_three_places(org: Org) -> None:
    customer = await new_customer(org)
    ids = [(await open_ticket(org, customer, "hello"))["ticket"]["id"] for _ in range(6)]
    org.clock.now = T0 + timedelta(minutes=5)
    for tid in ids[1:]:
        await step(org, "logReply", tid, 1)
    org.clock.now = T0 + timedelta(hours=24, minutes=1)  # the unanswered P3 is past 1440 min
    found = await report(org)
    assert (found["total"], found["breached"], found["breachRate"], found["verdict"]) == (
        6,
        1,
        0.167,
        "WATCH",
    )


# §1: Wafi has no live-send path ----------------------------------------------------------------


async def test_the_only_sending_mutation_records_a_send_done_by_an_operator(org: Org) -> None:
    data = await org.data('{ __type(name: "Mutation") { fields { name } } }')
    names = [f["name"] for f in data["__type"]["fields"]]
    assert [n for n in names if any(w in n.lower() for w in ("send", "sent", "deliver"))] == [
        "deliverProofPack",
        "markDraftSent",
        "redeliverWebhook",  # sends a webhook to the organisation's own receiver, not a customer
    ]
    draft = await org.data('{ __type(name: "Draft") { fields { name } } }')
    fields = {f["name"] for f in draft["__type"]["fields"]}
    assert {"approvalRequired", "liveSendAllowed"} <= fields
