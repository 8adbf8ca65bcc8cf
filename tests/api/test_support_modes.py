"""docs/rules.md §7 support modes through the GraphQL API: detected from the text or set by an
operator; the earlier of the tier's and the mode's first-response due times counts."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from typing import Any

import pytest

from domain.roles import Role
from tests.api.test_working_time import (
    ADD_HOLIDAYS,
    SET_ZONE,
    TICKET,
    office,
    riyadh,
    run,
    use,
    utc,
)
from tests.factories import T0, Org, new_customer, support_snapshot

OPEN = """
mutation($i: OpenTicketInput!) { openTicket(input: $i) { ... on OpenTicketPayload { ticket {
  id version priority firstResponseDueAt supportMode { mode reason setBy targetMinutes }
  sla { firstResponse { targetMinutes } } } } } }
"""
TICKET_FIELDS = (
    "id version priority firstResponseDueAt supportMode { mode reason setBy targetMinutes }"
)
SET_MODE = (
    "mutation($i: SetTicketSupportModeInput!) { setTicketSupportMode(input: $i) { __typename "
    f"... on TicketPayload {{ ticket {{ {TICKET_FIELDS} }} }} "
    "... on UserError { field code message } } }"
)
EDIT = (
    "mutation($i: EditTicketInput!) { editTicket(input: $i) { "
    f"... on TicketPayload {{ ticket {{ {TICKET_FIELDS} }} }} }} }}"
)


async def opened(org: Org, text: str) -> dict[str, Any]:
    customer = await new_customer(org)
    data = await org.data(OPEN, {"i": {"customer": customer, "subject": text, "body": ""}})
    ticket: dict[str, Any] = data["openTicket"]["ticket"]
    return ticket


@pytest.mark.parametrize(
    ("text", "mode", "keyword", "minutes"),
    [
        ("How do I export my reports?", "PRODUCT_QUESTION", "how do i", 120),
        ("سؤال بسيط عن الأسعار", "PRICING_QUESTION", "الأسعار", 240),
        ("عندي قلق من الخصوصية", "PRIVACY_OBJECTION", "خصوصية", 60),
        ("Please send the invoice", "PAYMENT", "invoice", 15),
        ("الصياغة العربية ضعيفة", "ARABIC_QUALITY", "الصياغة العربية", 30),
        ("موعد اجتماع الانطلاق", "ONBOARDING_KICKOFF", "اجتماع الانطلاق", 240),
    ],
)
async def test_a_mode_detected_from_the_text_sets_an_earlier_first_response(
    org: Org, text: str, mode: str, keyword: str, minutes: int
) -> None:
    ticket = await opened(org, text)
    assert ticket["priority"] == "P3"
    assert ticket["supportMode"] == {
        "mode": mode,
        "reason": f"نمط دعم مطابق: {keyword}",
        "setBy": "TEXT",
        "targetMinutes": minutes,
    }
    assert ticket["firstResponseDueAt"] == (T0 + timedelta(minutes=minutes)).isoformat()
    assert ticket["sla"]["firstResponse"]["targetMinutes"] == minutes


async def test_the_tier_counts_when_it_is_earlier_and_no_mode_means_the_tier(org: Org) -> None:
    # P0 (30 min) beats the pricing mode's 4 h.
    ticket = await opened(org, "outage: what is the price now?")
    assert (ticket["priority"], ticket["supportMode"]["mode"]) == ("P0", "PRICING_QUESTION")
    assert ticket["firstResponseDueAt"] == (T0 + timedelta(minutes=30)).isoformat()
    plain = await opened(org, "ملاحظة عامة")
    assert plain["supportMode"] is None
    assert plain["firstResponseDueAt"] == (T0 + timedelta(hours=24)).isoformat()


async def test_modes_count_in_the_priority_calendar_and_follow_its_changes(org: Org) -> None:
    calendar = await office(org)
    await use(org, "P3", calendar)
    org.clock.now = riyadh(3, 15).astimezone(UTC)
    pricing = await opened(org, "سؤال بسيط عن الأسعار")
    # 4 working hours from Thursday 15:00: 2 that day, 2 on Sunday.
    assert pricing["firstResponseDueAt"] == utc(riyadh(6, 11))
    org.clock.now = riyadh(3, 10).astimezone(UTC)
    limit = await opened(org, "We hit the rate limit again")
    assert limit["supportMode"]["mode"] == "INTEGRATION_LIMIT"
    assert limit["supportMode"]["targetMinutes"] is None
    # By the end of the same working day.
    assert limit["firstResponseDueAt"] == utc(riyadh(3, 17))
    holiday = {
        "calendar": calendar["id"],
        "version": 1,
        "holidays": [{"day": "2026-12-06", "name": "يوم"}],
    }
    result = await run(org, ADD_HOLIDAYS, holiday)
    assert result["ticketsRecomputed"] == 2  # both resolution due times move too
    found = await org.data(
        "query($id: ID!) { ticket(id: $id) { firstResponseDueAt } }", {"id": pricing["id"]}
    )
    assert found["ticket"]["firstResponseDueAt"] == utc(riyadh(7, 11))


async def test_round_the_clock_the_same_working_day_ends_at_the_organisations_midnight(
    org: Org,
) -> None:
    # 22:30 UTC on Thursday is 01:30 on Friday in Riyadh (the default zone): due at Friday's
    # end there, 22 h 30 min later, not at UTC midnight 90 minutes on.
    org.clock.now = riyadh(4, 1, 30).astimezone(UTC)
    limit = await opened(org, "We hit the rate limit again")
    assert (limit["priority"], limit["supportMode"]["mode"]) == ("P3", "INTEGRATION_LIMIT")
    assert limit["firstResponseDueAt"] == utc(riyadh(5, 0))
    # The organisation moves to UTC: its open ticket's day now ends at UTC midnight.
    result = await run(org, SET_ZONE, {"timeZone": "UTC"})
    assert result["ticketsRecomputed"] == 1
    found = await org.data(TICKET, {"id": limit["id"]})
    assert found["ticket"]["firstResponseDueAt"] == utc(riyadh(4, 3))  # 00:00 UTC on Friday
    again = await opened(org, "another rate limit question")
    assert again["firstResponseDueAt"] == utc(riyadh(4, 3))


async def test_an_operator_sets_a_mode_that_edits_keep_and_can_clear_it(org: Org) -> None:
    ticket = await opened(org, "ملاحظة عامة")
    result = await run(
        org, SET_MODE, {"id": ticket["id"], "version": ticket["version"], "mode": "PAYMENT"}
    )
    set_ = result["ticket"]
    assert set_["supportMode"] == {
        "mode": "PAYMENT",
        "reason": "حدده المشغّل",
        "setBy": "OPERATOR",
        "targetMinutes": 15,
    }
    assert set_["firstResponseDueAt"] == (T0 + timedelta(minutes=15)).isoformat()
    edited = (
        await run(org, EDIT, {"id": set_["id"], "version": set_["version"], "body": "how do I"})
    )["ticket"]
    assert edited["supportMode"]["mode"] == "PAYMENT"
    cleared = (await run(org, SET_MODE, {"id": edited["id"], "version": edited["version"]}))[
        "ticket"
    ]
    assert (cleared["supportMode"], cleared["firstResponseDueAt"]) == (
        None,
        (T0 + timedelta(hours=24)).isoformat(),
    )
    history = await org.data(
        "query($id: ID!) { ticket(id: $id) { history { event detail } } }", {"id": ticket["id"]}
    )
    modes = [h for h in history["ticket"]["history"] if h["event"] == "SUPPORT_MODE_SET"]
    assert [json.loads(h["detail"]) for h in modes] == [
        {"from": None, "to": "payment"},
        {"from": "payment", "to": None},
    ]


async def test_a_viewer_cannot_set_a_mode(org: Org) -> None:
    ticket = await opened(org, "ملاحظة عامة")
    before = await support_snapshot(org)
    result = await run(
        org,
        SET_MODE,
        {"id": ticket["id"], "version": ticket["version"], "mode": "PAYMENT"},
        role=Role.VIEWER,
    )
    assert (result["__typename"], result["field"], result["code"]) == (
        "ForbiddenError",
        "setTicketSupportMode",
        "FORBIDDEN",
    )
    assert await support_snapshot(org) == before
