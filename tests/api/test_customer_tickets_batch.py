"""`Customer.tickets(first, after)` over a page of customers (one batched statement) answers as
the tickets list filtered to each customer does: the same tickets newest first, cursors, page
info, totals, and clocks counted in each priority's calendar (docs/rules.md §2, §7)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from tests.api.test_ticket_pauses import AWAIT, REPLY, ok
from tests.api.test_working_time import office, riyadh, use
from tests.factories import Org, new_customer, open_ticket

TICKET = """
  id version subject body channel priority classifiedPriority manualPriority matchedKeyword
  reasonAr status openedAt firstResponseAt resolvedAt closedAt closedConfirmedBy
  firstResponseDueAt resolutionDueAt supportMode { mode reason setBy targetMinutes }
  sla { breached messages firstResponse { state dueAt elapsedSeconds calendar }
        resolution { state dueAt paused remainingSeconds calendar } }
"""
PAGE = f"""
  totalCount edges {{ cursor node {{ {TICKET} }} }}
  pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
"""
NESTED = (
    "query($n: Int, $a: String) { customers(first: 10) { edges { node { id "
    f"tickets(first: $n, after: $a) {{ {PAGE} }} }} }} }} }}"
)
LISTED = (
    "query($c: ID!, $n: Int, $a: String) { "
    f"tickets(first: $n, after: $a, filter: {{ customer: $c }}) {{ {PAGE} }} }}"
)
SUBJECTS = [
    "urgent: outage since the morning",  # P1, in the office calendar
    "My Gmail connector won't sync",  # a support mode
    "hello",
    "billing question",
    "urgent: payment failed",
    "hello again",
    "a question",
]


async def _customers(org: Org) -> list[str]:
    calendar = await office(org)
    for priority in ("P1", "P2"):
        await use(org, priority, calendar)
    org.clock.now = riyadh(6, 9).astimezone(UTC)
    customers = [await new_customer(org, name=f"c{n}") for n in range(4)]
    for customer, count in zip(customers, (7, 1, 0, 3), strict=True):
        for subject in SUBJECTS[:count]:
            org.clock.advance(minutes=37, microseconds=123)
            made = await open_ticket(org, customer, subject, body=f"{subject} — التفاصيل")
            if subject == "hello again":  # answered, then waiting on the customer (a pause)
                org.clock.advance(minutes=5)
                answered = await ok(org, REPLY, made["ticket"])
                org.clock.advance(minutes=5)
                await ok(org, AWAIT, answered)
    org.clock.advance(hours=30)  # some clocks at risk or breached by now
    return customers


async def _nested(org: Org, first: int | None, after: str | None) -> dict[str, Any]:
    data = await org.data(NESTED, {"n": first, "a": after})
    return {e["node"]["id"]: e["node"]["tickets"] for e in data["customers"]["edges"]}


async def _listed(org: Org, customer: str, first: int | None, after: str | None) -> Any:
    return (await org.data(LISTED, {"c": customer, "n": first, "a": after}))["tickets"]


async def test_each_customers_tickets_page_by_page_as_the_filtered_list_has_them(org: Org) -> None:
    customers = await _customers(org)
    for first in (None, 1, 2, 3, 7):
        nested = await _nested(org, first, None)
        assert list(nested) == customers
        for customer in customers:
            # Page on through this customer's tickets: the same `after` for the whole page of
            # customers (one batched statement with the cursor's bound).
            page, after = nested[customer], None
            while True:
                assert page == await _listed(org, customer, first, after), (first, after)
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
                page = (await _nested(org, first, after))[customer]
    shown = await _nested(org, 20, None)
    assert [len(shown[c]["edges"]) for c in customers] == [7, 1, 0, 3]
    assert [shown[c]["totalCount"] for c in customers] == [7, 1, 0, 3]
    nodes = [e["node"] for e in shown[customers[0]]["edges"]]
    assert [n["subject"] for n in nodes] == SUBJECTS[::-1]  # newest first
    assert {n["sla"]["firstResponse"]["calendar"] for n in nodes} == {"office", "24/7"}
    assert any(n["sla"]["resolution"]["paused"] for n in nodes)
    assert any(n["supportMode"] for n in nodes)
