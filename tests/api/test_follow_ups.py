"""docs/rules.md §7 escalation follow-ups through the GraphQL API, and their overdue alert (§5)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import asyncpg
import pytest

from domain.roles import Role
from jobs import sla as sla_jobs
from tests.api.test_working_time import office, riyadh, run, use, utc
from tests.factories import Org, new_customer, open_ticket, support_snapshot

ADD = (
    "mutation($i: AddTicketFollowUpInput!) { addTicketFollowUp(input: $i) { __typename "
    "... on TicketFollowUpPayload { followUp { id ticketId kind note dueAt doneAt overdue } } "
    "... on UserError { field code message } } }"
)
COMPLETE = (
    "mutation($id: ID!) { completeTicketFollowUp(id: $id) { __typename "
    "... on TicketFollowUpPayload { followUp { id doneAt overdue } } "
    "... on UserError { field code message } } }"
)
LIST = "query($t: ID!) { ticketFollowUps(ticket: $t) { kind dueAt doneAt overdue } }"


async def p1_on_thursday(org: Org) -> dict[str, Any]:
    """A P1 ticket in the office calendar, opened Thursday 15:00 Riyadh."""
    await use(org, "P1", await office(org))
    customer = await new_customer(org)
    org.clock.now = riyadh(3, 15).astimezone(UTC)
    ticket: dict[str, Any] = (await open_ticket(org, customer, "urgent"))["ticket"]
    return ticket


async def snapshot(org: Org) -> dict[str, Any]:
    found = await support_snapshot(org)
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM ticket_follow_ups WHERE org_id = $1 ORDER BY id", org.id
        )
    found["ticket_follow_ups"] = [dict(row) for row in rows]
    return found


@pytest.mark.parametrize(
    ("kind", "due"),
    [
        # A personal call within 1 working day: Thursday 15:00–17:00, Sunday 09:00–15:00.
        ("COMPLAINT_OR_CHURN", riyadh(6, 15)),
        # An answer within 3 working days.
        ("LEGAL_QUESTION", riyadh(8, 15)),
        # Recovery and root cause within 48 h.
        ("TECHNICAL_FAILURE", riyadh(5, 15)),
    ],
)
async def test_follow_ups_are_due_in_the_business_calendar(org: Org, kind: str, due: Any) -> None:
    ticket = await p1_on_thursday(org)
    result = await run(org, ADD, {"ticket": ticket["id"], "kind": kind, "note": "اتصال"})
    follow_up = result["followUp"]
    assert (follow_up["kind"], follow_up["dueAt"], follow_up["overdue"]) == (kind, utc(due), False)
    listed = await org.data(LIST, {"t": ticket["id"]})
    assert listed["ticketFollowUps"] == [
        {"kind": kind, "dueAt": utc(due), "doneAt": None, "overdue": False}
    ]


async def test_an_overdue_follow_up_is_alerted_once_through_the_outbox(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    ticket = await p1_on_thursday(org)
    late = (await run(org, ADD, {"ticket": ticket["id"], "kind": "COMPLAINT_OR_CHURN"}))["followUp"]
    kept = (await run(org, ADD, {"ticket": ticket["id"], "kind": "LEGAL_QUESTION"}))["followUp"]
    org.clock.now = riyadh(6, 14).astimezone(UTC)
    done = await org.data(COMPLETE, {"id": kept["id"]})
    assert done["completeTicketFollowUp"]["followUp"]["overdue"] is False
    after = riyadh(6, 15, 1).astimezone(UTC)
    scans = [
        await sla_jobs.scan_sla_breaches({"db": system_pool, "clock": lambda: after})
        for _ in range(2)
    ]
    # The scan crosses organisations: this one's follow-up is alerted by the first scan only.
    assert scans[0]["follow_ups_overdue"] >= 1
    assert scans[1]["follow_ups_overdue"] == 0
    async with system_pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT a.kind, a.subject, a.for_role, a.payload "
            "FROM alerts a WHERE a.org_id = $1 AND a.kind = 'FOLLOW_UP_OVERDUE'",
            org.id,
        )
    assert len(rows) == 1
    row = rows[0]
    assert (row["kind"], row["subject"], row["for_role"]) == (
        "FOLLOW_UP_OVERDUE",
        "Ticket",
        "owner",
    )
    assert row["payload"]["followUpKind"] == "complaint_or_churn"
    org.clock.now = after
    listed = await org.data(LIST, {"t": ticket["id"]})
    assert [(f["kind"], f["overdue"]) for f in listed["ticketFollowUps"]] == [
        ("COMPLAINT_OR_CHURN", True),
        ("LEGAL_QUESTION", False),
    ]
    assert late["dueAt"] == utc(riyadh(6, 15))


async def test_refusals_change_nothing(org: Org) -> None:
    ticket = await p1_on_thursday(org)
    made = (await run(org, ADD, {"ticket": ticket["id"], "kind": "TECHNICAL_FAILURE"}))["followUp"]
    await org.data(COMPLETE, {"id": made["id"]})
    before = await snapshot(org)
    again = (await org.data(COMPLETE, {"id": made["id"]}))["completeTicketFollowUp"]
    assert (again["__typename"], again["field"], again["code"]) == (
        "RuleError",
        "id",
        "INVALID_TRANSITION",
    )
    viewer = await run(
        org, ADD, {"ticket": ticket["id"], "kind": "TECHNICAL_FAILURE"}, role=Role.VIEWER
    )
    assert (viewer["__typename"], viewer["field"]) == ("ForbiddenError", "addTicketFollowUp")
    long_note = await run(
        org, ADD, {"ticket": ticket["id"], "kind": "TECHNICAL_FAILURE", "note": "x" * 2001}
    )
    assert (long_note["__typename"], long_note["field"], long_note["code"]) == (
        "ValidationError",
        "note",
        "TOO_LONG",
    )
    assert await snapshot(org) == before
