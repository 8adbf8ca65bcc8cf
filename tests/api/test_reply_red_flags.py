"""§8.2 text flags in a logged reply's text (docs/rules.md §8.2): `logReply` and
`logCustomerReply` take the reply's `text`, keep it in the ticket's history and read it for red
flags like a ticket's own text; once per ticket and category."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.api.success_support import customer
from tests.api.test_red_flags import alerts, flags
from tests.factories import T0, Org, support_snapshot

STEP = (
    "__typename ... on TicketPayload { ticket { id version status } } "
    "... on UserError { field code message }"
)
OPENED = """mutation($i: OpenTicketInput!) { openTicket(input: $i) {
  ... on OpenTicketPayload { ticket { id version } } } }"""
HISTORY = "query($id: ID!) { ticket(id: $id) { version history { event detail } } }"


def step(name: str) -> str:
    return f"mutation($i: TicketStepInput!) {{ {name}(input: $i) {{ {STEP} }} }}"


REPLY, AWAIT, REPLIED = step("logReply"), step("awaitCustomer"), step("logCustomerReply")
RESOLVE, REOPEN = step("resolveTicket"), step("reopenTicket")


async def opened(org: Org, c: str) -> dict[str, Any]:
    """A ticket whose text raises no flag."""
    result = await org.data(
        OPENED, {"i": {"customer": c, "subject": "سؤال", "body": "كيف أضيف مستخدم؟"}}
    )
    ticket: dict[str, Any] = result["openTicket"]["ticket"]
    return ticket


async def run(org: Org, mutation: str, ticket: dict[str, Any], **extra: Any) -> dict[str, Any]:
    name = mutation.split("{ ", 1)[1].split("(", 1)[0]
    variables = {"i": {"id": ticket["id"], "version": ticket["version"], **extra}}
    result: dict[str, Any] = (await org.data(mutation, variables))[name]
    return result


async def ok(org: Org, mutation: str, ticket: dict[str, Any], **extra: Any) -> dict[str, Any]:
    result = await run(org, mutation, ticket, **extra)
    assert result["__typename"] == "TicketPayload", result
    found: dict[str, Any] = result["ticket"]
    return found


async def history(org: Org, ticket: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    lines = (await org.data(HISTORY, {"id": ticket["id"]}))["ticket"]["history"]
    return [(line["event"], json.loads(line["detail"])) for line in lines]


async def test_a_logged_reply_with_a_churn_threat_raises_a_red_flag(org: Org) -> None:
    c = await customer(org)
    ticket = await opened(org, c)
    assert await flags(org, c) == []
    await ok(org, REPLY, ticket, text="سألغي الاشتراك إذا ما انحلت")
    due = (T0 + timedelta(hours=1)).isoformat()
    [flag] = await flags(org, c)
    assert flag == {
        "id": flag["id"],
        "category": "CHURN",
        "source": "TICKET",
        "reason": "Churn threat: “سألغي”",
        "raisedAt": T0.isoformat(),
        "dueAt": due,
    }
    [alert] = await alerts(org)
    assert (alert["kind"], alert["subject"], alert["severity"]) == ("RED_FLAG", "Customer", "HIGH")
    assert alert["payload"] == {
        "__typename": "RedFlagDetails",
        "customerId": c,
        "redFlagId": flag["id"],
        "category": "churn",
        "dueAt": due,
    }
    assert (await history(org, ticket))[-1] == (
        "FIRST_RESPONSE",
        {"via": "reply", "text": "سألغي الاشتراك إذا ما انحلت"},
    )


async def test_the_same_category_twice_on_one_ticket_raises_once(org: Org) -> None:
    c = await customer(org)
    ticket = await opened(org, c)
    first = await ok(org, REPLY, ticket, text="I will cancel subscription")
    second = await ok(org, REPLY, first, text="سألغي\nالاشتراك")
    assert second["version"] == first["version"] + 1
    assert [f["category"] for f in await flags(org, c)] == ["CHURN"]
    assert [a["kind"] for a in await alerts(org)] == ["RED_FLAG"]
    # A later reply changes no clock; with its text it is a `replied` history line.
    assert (await history(org, ticket))[-1] == ("REPLIED", {"text": "سألغي\nالاشتراك"})


async def test_a_reply_without_text_raises_nothing_and_keeps_no_text(org: Org) -> None:
    c = await customer(org)
    ticket = await opened(org, c)
    first = await ok(org, REPLY, ticket)
    later = await ok(org, REPLY, first)
    assert later["version"] == first["version"]  # a later reply without text changes nothing
    blank = await ok(org, REPLY, later, text="   ")
    assert blank["version"] == later["version"]  # a blank text is no text
    assert await flags(org, c) == []
    assert await alerts(org) == []
    assert (await history(org, ticket))[-1] == ("FIRST_RESPONSE", {"via": "reply"})


async def test_an_english_expectation_in_a_reply_raises_the_expectation_flag(org: Org) -> None:
    c = await customer(org)
    ticket = await opened(org, c)
    await ok(org, REPLY, ticket, text="Honestly this is Not What I Expected.")
    assert [(f["category"], f["reason"]) for f in await flags(org, c)] == [
        ("EXPECTATION", "Not what the customer expected: “not what i expected”")
    ]


async def test_the_customers_reply_that_resumes_a_ticket_is_read(org: Org) -> None:
    c = await customer(org)
    ticket = await opened(org, c)
    answered = await ok(org, REPLY, ticket)
    waiting = await ok(org, AWAIT, answered)
    org.clock.now = T0 + timedelta(minutes=30)
    resumed = await ok(org, REPLIED, waiting, text="العربي غلط في ردودكم")
    assert resumed["status"] == "OPEN"
    assert [f["category"] for f in await flags(org, c)] == ["ARABIC_QUALITY"]
    event, detail = (await history(org, ticket))[-1]
    assert (event, detail["text"]) == ("CUSTOMER_REPLIED", "العربي غلط في ردودكم")


async def test_an_over_long_text_is_refused_and_changes_nothing(org: Org) -> None:
    c = await customer(org)
    ticket = await opened(org, c)
    answered = await ok(org, REPLY, ticket)
    waiting = await ok(org, AWAIT, answered)
    before = (await support_snapshot(org), await flags(org, c))
    too_long = "سألغي " + "x" * 10_000
    for mutation, current in ((REPLY, answered), (REPLY, waiting), (REPLIED, waiting)):
        result = await run(org, mutation, current, text=too_long)
        assert (result["__typename"], result["field"], result["code"], result["message"]) == (
            "ValidationError",
            "text",
            "TOO_LONG",
            "at most 10000 characters",
        )
    assert (await support_snapshot(org), await flags(org, c)) == before
    exactly = await ok(org, REPLIED, waiting, text="x" * 10_000)
    assert exactly["version"] == waiting["version"] + 1


async def test_text_is_refused_on_the_other_steps_and_checked_for_hygiene(org: Org) -> None:
    c = await customer(org)
    ticket = await opened(org, c)
    answered = await ok(org, REPLY, ticket)
    before = await support_snapshot(org)
    for mutation in (RESOLVE, AWAIT, REOPEN):
        result = await run(org, mutation, answered, text="سألغي")
        assert (result["__typename"], result["field"], result["code"], result["message"]) == (
            "ValidationError",
            "text",
            "INVALID",
            "only logReply and logCustomerReply take text",
        )
    unsafe = await run(org, REPLY, answered, text="سألغي\u202e")
    assert (unsafe["__typename"], unsafe["field"], unsafe["code"]) == (
        "ValidationError",
        "text",
        "INVALID",
    )
    assert await support_snapshot(org) == before
    assert await flags(org, c) == []
