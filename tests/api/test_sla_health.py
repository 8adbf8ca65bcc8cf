"""docs/rules.md §2.7 through the GraphQL API: the SLA health report, the freeze and its lift."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.roles import Role
from jobs import sla as sla_jobs
from tests.factories import T0, Org, new_customer, open_ticket, support_snapshot, unpublished

REPORT = """
query($s: DateTime!, $e: DateTime!, $c: ID) {
  slaHealth(periodStart: $s, periodEnd: $e, customer: $c) {
    total breached breachRate verdict liveActionsFrozen
    byPriority { priority count breaches avgFirstResponseMinutes avgResolutionHours }
  }
}
"""
LIFT = (
    "mutation { liftFreeze { __typename ... on LiftFreezePayload { liftedReason "
    "liveActionsFrozen } ... on UserError { field code } } }"
)
TEXTS = {"P0": "outage", "P1": "urgent", "P2": "connector", "P3": "hello"}


async def report(org: Org, customer: str | None = None) -> dict[str, Any]:
    data = await org.data(
        REPORT,
        {"s": T0.isoformat(), "e": (T0 + timedelta(days=1)).isoformat(), "c": customer},
    )
    found: dict[str, Any] = data["slaHealth"]
    return found


async def arrange(org: Org, cases: list[tuple[str, float, float]]) -> str:
    """Tickets opened at T0, each answered after `minutes` and resolved after `hours`."""
    org.clock.now = T0
    customer = await new_customer(org)
    steps: list[tuple[timedelta, str, str]] = []
    for priority, minutes, hours in cases:
        tid = (await open_ticket(org, customer, TEXTS[priority]))["ticket"]["id"]
        steps.append((timedelta(minutes=minutes), "logReply", tid))
        steps.append((timedelta(hours=hours), "resolveTicket", tid))
    versions: dict[str, int] = {}
    for at, mutation, tid in sorted(steps):
        org.clock.now = T0 + at
        version = versions.get(tid, 1)
        result = await org.data(
            f"mutation($i: TicketStepInput!) {{ {mutation}(input: $i) {{ __typename }} }}",
            {"i": {"id": tid, "version": version}},
        )
        assert result[mutation]["__typename"] == "TicketPayload"
        versions[tid] = version + 1
    return customer


def line(priority: str, count: int, breaches: int, fr: float | None, res: float | None) -> Any:
    return {
        "priority": priority,
        "count": count,
        "breaches": breaches,
        "avgFirstResponseMinutes": fr,
        "avgResolutionHours": res,
    }


async def test_reference_three_tickets_one_breach_is_critical(org: Org) -> None:
    await arrange(org, [("P0", 12, 2), ("P1", 90, 18), ("P3", 1500, 200)])
    assert await report(org) == {
        "total": 3,
        "breached": 1,
        "breachRate": 0.333,
        "verdict": "CRITICAL",
        "liveActionsFrozen": False,
        "byPriority": [
            line("P0", 1, 0, 12.0, 2.0),
            line("P1", 1, 0, 90.0, 18.0),
            line("P2", 0, 0, None, None),
            line("P3", 1, 1, 1500.0, 200.0),
        ],
    }


async def test_reference_one_breach_in_four_is_critical_at_the_boundary(org: Org) -> None:
    await arrange(org, [("P0", 12, 2.5), ("P1", 90, 18), ("P2", 600, 70), ("P3", 1200, 100)])
    found = await report(org)
    assert (found["total"], found["breached"], found["breachRate"]) == (4, 1, 0.25)
    assert found["verdict"] == "CRITICAL"
    assert found["byPriority"][0] == line("P0", 1, 0, 12.0, 2.5)
    assert found["byPriority"][2] == line("P2", 1, 1, 600.0, 70.0)


async def test_one_breach_in_ten_is_watch_and_in_twenty_healthy(org: Org, other_org: Org) -> None:
    for target, size in ((org, 10), (other_org, 20)):
        target.clock.now = T0
        customer = await new_customer(target)
        ids = [(await open_ticket(target, customer, "hello"))["ticket"]["id"] for _ in range(size)]
        target.clock.now = T0 + timedelta(minutes=10)
        for tid in ids[1:]:
            await target.data(
                "mutation($i: TicketStepInput!) { logReply(input: $i) { __typename } }",
                {"i": {"id": tid, "version": 1}},
            )
        # The unanswered P3 is past its 1440 min at 25 h: breached while still open.
        target.clock.now = T0 + timedelta(hours=25)
    watch = await report(org)
    assert (watch["total"], watch["breached"], watch["breachRate"]) == (10, 1, 0.1)
    assert watch["verdict"] == "WATCH"
    healthy = await report(other_org)
    assert (healthy["total"], healthy["breached"], healthy["breachRate"]) == (20, 1, 0.05)
    assert healthy["verdict"] == "HEALTHY"


async def test_report_for_one_customer_and_an_empty_period(org: Org) -> None:
    breached = await arrange(org, [("P0", 45, 2)])
    await arrange(org, [("P0", 10, 2)])
    found = await report(org, breached)
    assert (found["total"], found["breached"], found["breachRate"]) == (1, 1, 1.0)
    empty = await org.data(
        REPORT,
        {"s": "2020-01-01T00:00:00+00:00", "e": "2020-02-01T00:00:00+00:00", "c": None},
    )
    assert empty["slaHealth"]["total"] == 0
    assert empty["slaHealth"]["breachRate"] == 0.0
    assert empty["slaHealth"]["verdict"] == "HEALTHY"


async def test_report_refuses_an_inverted_period(org: Org) -> None:
    body = await org.gql(
        REPORT, {"s": T0.isoformat(), "e": (T0 - timedelta(days=1)).isoformat(), "c": None}
    )
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "periodEnd"}


async def test_critical_verdict_freezes_approvals_until_an_owner_lifts_it(
    org: Org, system_pool: Any
) -> None:
    customer = await new_customer(org)
    breached = await open_ticket(org, customer, "outage")
    waiting = await open_ticket(org, customer, "hello")
    org.clock.now = T0 + timedelta(minutes=31)
    await sla_jobs.scan_sla_breaches({"db": system_pool, "clock": org.clock})
    async with system_pool.acquire() as conn:
        alerts = await conn.fetch(
            "SELECT kind, subject, subject_id, for_role, payload FROM alerts "
            "WHERE org_id = $1 AND kind = 'SLA_HEALTH_CRITICAL'",
            org.id,
        )
    assert [(a["subject"], a["subject_id"], a["for_role"]) for a in alerts] == [
        ("Organisation", org.id, "owner")
    ]
    assert alerts[0]["payload"]["breachRate"] == 0.5
    assert (await report(org))["liveActionsFrozen"] is True

    approve = (
        "mutation($i: ApproveDraftInput!) { approveDraft(input: $i) { __typename "
        "... on UserError { field code } } }"
    )
    before = await support_snapshot(org)
    refused = await org.data(approve, {"i": {"id": waiting["draft"]["id"], "version": 1}})
    assert refused["approveDraft"] == {
        "__typename": "ForbiddenError",
        "field": "status",
        "code": "FROZEN",
    }
    assert await support_snapshot(org) == before

    # Scanning again neither alerts again nor re-freezes after a lift: the verdict did not turn.
    manager = await org.data(LIFT, role=Role.MANAGER)
    assert manager["liftFreeze"] == {
        "__typename": "ForbiddenError",
        "field": "liftFreeze",
        "code": "FORBIDDEN",
    }
    lifted = await org.data(LIFT)
    assert lifted["liftFreeze"]["__typename"] == "LiftFreezePayload"
    assert lifted["liftFreeze"]["liftedReason"].startswith("SLA health critical")
    assert lifted["liftFreeze"]["liveActionsFrozen"] is False
    org.clock.now = T0 + timedelta(hours=5)
    await sla_jobs.scan_sla_breaches({"db": system_pool, "clock": org.clock})
    approved = await org.data(approve, {"i": {"id": waiting["draft"]["id"], "version": 1}})
    assert approved["approveDraft"] == {"__typename": "DraftPayload"}
    snapshot = await support_snapshot(org)
    assert [a["kind"] for a in snapshot["alerts"]].count("SLA_HEALTH_CRITICAL") == 1
    assert [row["action"] for row in snapshot["ledger"]][-2:] == ["liftFreeze", "approveDraft"]
    assert breached["ticket"]["priority"] == "P0"


async def test_lift_freeze_refuses_when_nothing_is_frozen(org: Org) -> None:
    before = await support_snapshot(org)
    result = await org.data(LIFT)
    assert result["liftFreeze"] == {
        "__typename": "RuleError",
        "field": "liftFreeze",
        "code": "PRECONDITION_FAILED",
    }
    assert await support_snapshot(org) == before


RAISE = (
    "mutation($i: RaiseTicketPriorityInput!) { raiseTicketPriority(input: $i) { __typename "
    "... on TicketPayload { ticket { priority sla { breached } } } } }"
)


async def scan(system_pool: Any, org: Org) -> None:
    await sla_jobs.scan_sla_breaches({"db": system_pool, "clock": org.clock})


async def health_rows(system_pool: Any, org: Org) -> dict[str, Any]:
    """What the scan writes for one organisation: its stored verdict, its freeze, its health
    alerts (and how many of them wait for the relay)."""
    async with system_pool.acquire() as conn:
        verdict = await conn.fetchrow(
            "SELECT verdict, changed_at, evaluated_at FROM sla_verdicts WHERE org_id = $1", org.id
        )
        frozen = await conn.fetchrow(
            "SELECT frozen_at, frozen_reason FROM organisations WHERE id = $1", org.id
        )
        alerts = await conn.fetch(
            "SELECT id, occurrence, payload FROM alerts WHERE org_id = $1 "
            "AND kind = 'SLA_HEALTH_CRITICAL' ORDER BY id",
            org.id,
        )
        waiting = await unpublished(conn, org.id)
    return {
        "verdict": None if verdict is None else dict(verdict),
        "frozen": dict(frozen or {}),
        "alerts": [dict(a) for a in alerts],
        "waiting": waiting,
    }


async def test_a_breach_a_mutation_records_is_judged_by_the_next_scan(
    org: Org, system_pool: Any
) -> None:
    # One old P3 ticket, raised to P0 an hour after it opened: its 30-min first response is
    # breached at once, flagged and alerted by the mutation itself, never by the scan.
    customer = await new_customer(org)
    old = await open_ticket(org, customer, "hello")
    org.clock.now = T0 + timedelta(hours=1)
    raised = await org.data(
        RAISE, {"i": {"id": old["ticket"]["id"], "version": 1, "priority": "P0"}}
    )
    assert raised["raiseTicketPriority"]["ticket"] == {"priority": "P0", "sla": {"breached": True}}
    assert (await health_rows(system_pool, org))["verdict"] is None

    await scan(system_pool, org)
    first = await health_rows(system_pool, org)
    assert first["verdict"]["verdict"] == "critical"
    assert first["frozen"]["frozen_at"] == T0 + timedelta(hours=1)
    assert first["frozen"]["frozen_reason"].startswith("SLA health critical: breach rate 1.000")
    assert [(a["occurrence"], a["payload"]["breachRate"]) for a in first["alerts"]] == [
        ("2026-11-01T10:00:00.000000Z", 1.0)
    ]
    assert (await report(org))["liveActionsFrozen"] is True

    # Scanning again writes nothing: not the verdict row, not an alert, not an event.
    org.clock.now = T0 + timedelta(hours=1, minutes=1)
    await scan(system_pool, org)
    assert await health_rows(system_pool, org) == first

    # The owner lifts the freeze; nine fresh P3 tickets bring the rate to 1 in 10: `watch`. The
    # scan stores the recovery, with no alert and no new freeze.
    assert (await org.data(LIFT))["liftFreeze"]["liveActionsFrozen"] is False
    org.clock.now = T0 + timedelta(hours=2)
    fresh = [(await open_ticket(org, customer, "hello"))["ticket"]["id"] for _ in range(9)]
    await scan(system_pool, org)
    recovered = await health_rows(system_pool, org)
    assert recovered["verdict"]["verdict"] == "watch"
    assert recovered["verdict"]["changed_at"] == T0 + timedelta(hours=2)
    assert recovered["frozen"] == {"frozen_at": None, "frozen_reason": None}
    assert len(recovered["alerts"]) == 1

    # Two of them raised to P0 an hour later breach in the mutation again: 3 in 10 is critical,
    # a new turn, so the scan freezes again and alerts once more.
    org.clock.now = T0 + timedelta(hours=3)
    for tid in fresh[:2]:
        await org.data(RAISE, {"i": {"id": tid, "version": 1, "priority": "P0"}})
    await scan(system_pool, org)
    await scan(system_pool, org)
    again = await health_rows(system_pool, org)
    assert again["verdict"]["verdict"] == "critical"
    assert again["frozen"]["frozen_at"] == T0 + timedelta(hours=3)
    assert [(a["occurrence"], a["payload"]["breachRate"]) for a in again["alerts"]] == [
        ("2026-11-01T10:00:00.000000Z", 1.0),
        ("2026-11-01T12:00:00.000000Z", 0.3),
    ]
    assert (await report(org))["liveActionsFrozen"] is True


async def test_a_verdict_recovers_when_its_tickets_leave_the_window(
    org: Org, system_pool: Any
) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, "outage")
    org.clock.now = T0 + timedelta(minutes=45)
    await org.data(
        "mutation($i: TicketStepInput!) { logReply(input: $i) { __typename } }",
        {"i": {"id": opened["ticket"]["id"], "version": 1}},
    )
    await scan(system_pool, org)
    assert (await health_rows(system_pool, org))["verdict"]["verdict"] == "critical"
    # 30 days on, the breached ticket is outside the trailing window: nothing is breached.
    org.clock.now = T0 + timedelta(days=30, minutes=1)
    await scan(system_pool, org)
    healthy = await health_rows(system_pool, org)
    assert healthy["verdict"]["verdict"] == "healthy"
    assert healthy["verdict"]["changed_at"] == org.clock.now
    assert len(healthy["alerts"]) == 1
