"""History import: owners and managers record a reply or a resolution at its real time."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from domain.roles import Role
from tests.api.test_ticket_pauses import REPLY, RESOLVE, ok, step
from tests.api.test_working_time import run
from tests.factories import T0, Org, new_customer, open_ticket, support_snapshot

RECORD = step("recordTicketEvent", "RecordTicketEventInput")
REOPEN = step("reopenTicket")
DETAIL = """
query($id: ID!) { ticket(id: $id) { firstResponseAt resolvedAt
  sla { firstResponse { state } resolution { state } } history { event detail at } } }
"""
LEDGER = "{ ledger(first: 1) { edges { node { action after } } } }"


def iso(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


async def opened_three_days_ago(org: Org) -> dict[str, Any]:
    customer = await new_customer(org)
    made: dict[str, Any] = (await open_ticket(org, customer, "outage"))["ticket"]  # P0, 24/7
    org.clock.advance(days=3)
    return made


async def refused(
    org: Org, mutation: str, payload: dict[str, Any], expected: tuple[str, str, str], **kw: Any
) -> None:
    before = await support_snapshot(org)
    result = await run(org, mutation, payload, **kw)
    assert (result["__typename"], result["field"], result["code"]) == expected, result
    assert await support_snapshot(org) == before


async def test_a_manager_imports_a_reply_and_a_resolution_at_their_real_times(org: Org) -> None:
    made = await opened_three_days_ago(org)
    answered = await ok(org, REPLY, made, at=iso(20))
    resolved = await ok(org, RESOLVE, answered, at=iso(180))
    assert resolved["status"] == "RESOLVED"
    found = (await org.data(DETAIL, {"id": made["id"]}))["ticket"]
    assert (found["firstResponseAt"], found["resolvedAt"]) == (iso(20), iso(180))
    # Judged at their real times: met, not breached three days late.
    assert found["sla"] == {"firstResponse": {"state": "MET"}, "resolution": {"state": "MET"}}
    history = found["history"]
    assert [(h["event"], h["at"]) for h in history] == [
        ("OPENED", iso(0)),
        ("FIRST_RESPONSE", iso(20)),
        ("RESOLVED", iso(180)),
    ]
    recorded_at = (T0 + timedelta(days=3)).isoformat()
    assert json.loads(history[2]["detail"]) == {"backdated": True, "recordedAt": recorded_at}
    entry = (await org.data(LEDGER))["ledger"]["edges"][0]["node"]
    assert (entry["action"], entry["after"]["backdatedTo"]) == (
        "resolveTicket",
        iso(180),
    )


async def test_record_ticket_event_takes_at_for_first_response(org: Org) -> None:
    made = await opened_three_days_ago(org)
    payload = {"id": made["id"], "version": made["version"], "event": "first_response"}
    result = await run(org, RECORD, {**payload, "at": iso(45)}, role=Role.MANAGER)
    answered = result["ticket"]
    found = (await org.data(DETAIL, {"id": answered["id"]}))["ticket"]
    assert found["firstResponseAt"] == iso(45)
    assert found["sla"]["firstResponse"]["state"] == "BREACHED"  # 45 > 30 min


async def test_refuses_agents_the_future_out_of_order_and_other_steps(org: Org) -> None:
    made = await opened_three_days_ago(org)
    ids = {"id": made["id"], "version": made["version"]}
    await refused(
        org, REPLY, {**ids, "at": iso(20)}, ("ForbiddenError", "at", "FORBIDDEN"), role=Role.AGENT
    )
    future = (T0 + timedelta(days=3, seconds=1)).isoformat()
    await refused(org, REPLY, {**ids, "at": future}, ("ValidationError", "at", "OUT_OF_RANGE"))
    await refused(org, REPLY, {**ids, "at": iso(-1)}, ("ValidationError", "at", "OUT_OF_RANGE"))
    await refused(
        org,
        RECORD,
        {**ids, "event": "escalated", "at": iso(5)},
        ("ValidationError", "at", "INVALID"),
    )
    answered = await ok(org, REPLY, made, at=iso(20))
    later = {"id": answered["id"], "version": answered["version"]}
    # Monotone per ticket: nothing before the last recorded event.
    await refused(org, RESOLVE, {**later, "at": iso(19)}, ("ValidationError", "at", "OUT_OF_RANGE"))
    resolved = await ok(org, RESOLVE, answered, at=iso(60))
    await refused(
        org,
        REOPEN,
        {"id": resolved["id"], "version": resolved["version"], "at": iso(70)},
        ("ValidationError", "at", "INVALID"),
    )
