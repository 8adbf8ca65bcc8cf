"""docs/rules.md §7 pause and explain through the GraphQL API on the real database."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from typing import Any

import asyncpg

from jobs import sla as sla_jobs
from tests.api.test_working_time import ADD_HOLIDAYS, office, riyadh, run, use, utc
from tests.factories import Org, new_customer, open_ticket, support_snapshot

STEP = (
    "__typename ... on TicketPayload { ticket { id version status resolutionDueAt "
    "sla { resolution { paused elapsedSeconds state calendar } } } } "
    "... on UserError { field code message }"
)


def step(name: str, input_type: str = "TicketStepInput") -> str:
    return f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {STEP} }} }}"


AWAIT, REPLIED = step("awaitCustomer"), step("logCustomerReply")
REPLY, RESOLVE = step("logReply"), step("resolveTicket")
CLOSE = step("confirmTicketClosed", "ConfirmTicketClosedInput")
HISTORY = "query($id: ID!) { ticket(id: $id) { history { event detail } } }"
EXPLAIN = """
query($id: ID!) { ticket(id: $id) { sla {
  firstResponse { calendar explain { dueAt timeZone sentenceEn } }
  resolution { calendar explain { dueAt timeZone spans { kind start end minutes holiday }
    sentenceAr sentenceEn } } } } }
"""


async def ok(org: Org, mutation: str, ticket: dict[str, Any], **extra: Any) -> dict[str, Any]:
    result = await run(org, mutation, {"id": ticket["id"], "version": ticket["version"], **extra})
    assert result["__typename"] == "TicketPayload", result
    found: dict[str, Any] = result["ticket"]
    return found


async def refused(
    org: Org, mutation: str, ticket: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    before = await support_snapshot(org)
    result = await run(org, mutation, {"id": ticket["id"], "version": ticket["version"]})
    assert (result["__typename"], result["field"], result["code"]) == expected, result
    assert await support_snapshot(org) == before


async def p2_on_sunday(org: Org) -> dict[str, Any]:
    """A P2 ticket in the office calendar, opened Sunday 09:00 Riyadh and answered at 10:00."""
    await use(org, "P2", await office(org))
    customer = await new_customer(org)
    org.clock.now = riyadh(6, 9).astimezone(UTC)
    made = (await open_ticket(org, customer, "My Gmail connector"))["ticket"]
    # 72 working hours: nine working days, Sunday the 6th to Wednesday the 16th, 17:00.
    assert made["resolutionDueAt"] == utc(riyadh(16, 17))
    org.clock.now = riyadh(6, 10).astimezone(UTC)
    return await ok(org, REPLY, made)


async def test_waiting_on_the_customer_moves_the_resolution_due_time(org: Org) -> None:
    answered = await p2_on_sunday(org)
    org.clock.now = riyadh(6, 11).astimezone(UTC)
    waiting = await ok(org, AWAIT, answered)
    assert waiting["status"] == "WAITING_ON_CUSTOMER"
    async with org.pool.acquire() as conn:
        stored = await conn.fetchrow(
            "SELECT resolution_due_at, pauses FROM tickets WHERE org_id = $1", org.id
        )
    # The scan's input: no due time while the clock stands still.
    assert stored["resolution_due_at"] is None
    assert stored["pauses"] == [[riyadh(6, 11).astimezone(UTC).isoformat(), None]]
    org.clock.now = riyadh(7, 11).astimezone(UTC)
    held = (
        await org.data(
            "query($id: ID!) { ticket(id: $id) { resolutionDueAt sla { resolution { paused "
            "elapsedSeconds state } } } }",
            {"id": answered["id"]},
        )
    )["ticket"]
    # Two working hours counted (09:00–11:00 Sunday); shown due as if the customer replied now.
    assert held["sla"]["resolution"] == {
        "paused": True,
        "elapsedSeconds": 7200.0,
        "state": "ON_TRACK",
    }
    assert held["resolutionDueAt"] == utc(riyadh(17, 17))
    resumed = await ok(org, REPLIED, waiting)
    assert resumed["status"] == "OPEN"
    # Paused Sunday 11:00–17:00 and Monday 09:00–11:00: 8 working hours, one working day later.
    assert resumed["resolutionDueAt"] == utc(riyadh(17, 17))
    assert resumed["sla"]["resolution"]["paused"] is False
    history = (await org.data(HISTORY, {"id": answered["id"]}))["ticket"]["history"]
    assert [h["event"] for h in history][-2:] == ["AWAITING_CUSTOMER", "CUSTOMER_REPLIED"]
    assert json.loads(history[-1]["detail"]) == {
        "pausedFrom": riyadh(6, 11).astimezone(UTC).isoformat(),
        "pausedMinutes": 480.0,
    }
    async with org.pool.acquire() as conn:
        assert await conn.fetchval(
            "SELECT resolution_due_at FROM tickets WHERE org_id = $1", org.id
        ) == riyadh(17, 17)


async def test_the_scan_never_breaches_a_paused_resolution_clock(
    system_pool: asyncpg.Pool, org: Org
) -> None:
    customer = await new_customer(org)
    made = (await open_ticket(org, customer, "outage"))["ticket"]  # P0, 24/7: resolve in 4 h
    opened = org.clock.now
    org.clock.advance(minutes=10)
    waiting = await ok(org, AWAIT, await ok(org, REPLY, made))
    later = opened + timedelta(hours=5)
    await sla_jobs.scan_sla_breaches({"db": system_pool, "clock": lambda: later})
    async with system_pool.acquire() as conn:
        flags = await conn.fetchrow(
            "SELECT first_response_breached, resolution_breached FROM tickets WHERE org_id = $1",
            org.id,
        )
    assert tuple(flags) == (False, False)
    org.clock.now = later
    resumed = await ok(org, REPLIED, waiting)
    # 10 minutes counted before the pause: 3 h 50 min left from now.
    assert resumed["resolutionDueAt"] == (later + timedelta(hours=3, minutes=50)).isoformat()
    assert resumed["sla"]["resolution"]["state"] == "ON_TRACK"


async def test_the_first_response_clock_never_pauses(org: Org) -> None:
    customer = await new_customer(org)
    made = (await open_ticket(org, customer, "outage"))["ticket"]
    await refused(org, AWAIT, made, ("RuleError", "status", "PRECONDITION_FAILED"))


async def test_a_closed_ticket_cannot_wait_and_an_open_one_takes_no_customer_reply(
    org: Org,
) -> None:
    customer = await new_customer(org)
    made = (await open_ticket(org, customer, "outage"))["ticket"]
    answered = await ok(org, REPLY, made)
    await refused(org, REPLIED, answered, ("RuleError", "status", "INVALID_TRANSITION"))
    resolved = await ok(org, RESOLVE, answered)
    closed = await ok(org, CLOSE, resolved, confirmedBy="Huda")
    assert closed["status"] == "CLOSED"
    await refused(org, AWAIT, closed, ("RuleError", "status", "INVALID_TRANSITION"))


async def test_explain_through_graphql(org: Org) -> None:
    calendar = await office(org)
    await use(org, "P1", calendar)
    await run(
        org,
        ADD_HOLIDAYS,
        {
            "calendar": calendar["id"],
            "version": 1,
            "holidays": [{"day": "2026-12-07", "name": "عيد"}],
        },
    )
    customer = await new_customer(org)
    org.clock.now = riyadh(4, 11).astimezone(UTC)
    made = (await open_ticket(org, customer, "urgent"))["ticket"]
    found = (await org.data(EXPLAIN, {"id": made["id"]}))["ticket"]["sla"]
    resolution = found["resolution"]
    assert resolution["calendar"] == "office"
    assert resolution["explain"]["dueAt"] == utc(riyadh(9, 17))
    assert resolution["explain"]["sentenceEn"] == (
        "Due Wednesday 2026-12-09 17:00 (Asia/Riyadh): 24h of working time counted from "
        "Friday 2026-12-04 11:00; skipped 41h outside working hours, 37h weekend, "
        "24h holiday (عيد)."
    )
    assert resolution["explain"]["sentenceAr"].startswith(
        "موعد الاستحقاق الأربعاء 2026-12-09 17:00"
    )
    spans = resolution["explain"]["spans"]
    assert [(s["kind"], s["minutes"], s["holiday"]) for s in spans] == [
        ("WEEKEND", 37 * 60, None),
        ("OUTSIDE_HOURS", 9 * 60, None),
        ("COUNTED", 8 * 60, None),
        ("OUTSIDE_HOURS", 7 * 60, None),
        ("HOLIDAY", 24 * 60, "عيد"),
        ("OUTSIDE_HOURS", 9 * 60, None),
        ("COUNTED", 8 * 60, None),
        ("OUTSIDE_HOURS", 16 * 60, None),
        ("COUNTED", 8 * 60, None),
    ]
    assert (spans[0]["start"], spans[-1]["end"]) == (utc(riyadh(4, 11)), utc(riyadh(9, 17)))
    # P1 first response: 2 working hours → Sunday 11:00.
    assert found["firstResponse"]["explain"]["dueAt"] == utc(riyadh(6, 11))
