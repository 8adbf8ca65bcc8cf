"""Stored alerts through the API: the list, and acknowledging (docs/rules.md §5, §4.1)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from domain.roles import Role
from schema.types.relay import to_global_id
from tests.factories import T0, Org, add_customers, raise_alerts

LIST = """
query ($first: Int, $after: String, $filter: AlertFilter) {
  alerts(first: $first, after: $after, filter: $filter) {
    edges { node { id kind subject subjectId occurrence customerId forRole severity
                   payload { __typename ... on FirstResponseBreachDetails { ticketId priority } }
                   createdAt acknowledgedAt acknowledgedBy actionTaken } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ACKNOWLEDGE = """
mutation ($id: ID!, $action: String) {
  acknowledgeAlert(id: $id, action: $action) {
    __typename
    ... on AlertPayload { alert { id acknowledgedAt acknowledgedBy actionTaken } }
    ... on UserError { field code message }
  }
}
"""


def gid(alert_id: int) -> str:
    return to_global_id("Alert", alert_id)


async def _ids(org: Org, filter: dict[str, Any] | None = None) -> list[str]:
    data = await org.data(LIST, {"first": 100, "filter": filter})
    return [edge["node"]["id"] for edge in data["alerts"]["edges"]]


async def _state(pool: asyncpg.Pool, org: Org, alert_id: int) -> tuple[Any, ...]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT acknowledged_at, acknowledged_by, action_taken FROM alerts "
            "WHERE org_id = $1 AND id = $2",
            org.id,
            alert_id,
        )
        ledger = await conn.fetchval("SELECT count(*) FROM ledger WHERE org_id = $1", org.id)
    assert row is not None
    return (*row.values(), ledger)


async def test_alerts_are_listed_newest_first_with_every_field(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    [customer] = await add_customers(system_pool, org.id)
    ids = await raise_alerts(
        system_pool,
        org.id,
        count=3,
        kind="SLA_FIRST_RESPONSE_BREACH",
        subject="Ticket",
        first_subject_id=40,
        customer_id=customer,
        payload={"priority": "P0"},
    )
    first = await org.data(LIST, {"first": 2})
    edges = first["alerts"]["edges"]
    assert [edge["node"]["id"] for edge in edges] == [gid(ids[2]), gid(ids[1])]
    assert edges[0]["node"] == {
        "id": gid(ids[2]),
        "kind": "SLA_FIRST_RESPONSE_BREACH",
        "subject": "Ticket",
        "subjectId": to_global_id("Ticket", 42),
        "occurrence": "o3",
        "customerId": to_global_id("Customer", customer),
        "forRole": "owner",
        "severity": "HIGH",
        "payload": {
            "__typename": "FirstResponseBreachDetails",
            "ticketId": to_global_id("Ticket", 42),
            "priority": "P0",
        },
        "createdAt": T0.isoformat(),
        "acknowledgedAt": None,
        "acknowledgedBy": None,
        "actionTaken": None,
    }
    assert first["alerts"]["pageInfo"]["hasNextPage"] is True
    rest = await org.data(LIST, {"first": 2, "after": first["alerts"]["pageInfo"]["endCursor"]})
    assert [edge["node"]["id"] for edge in rest["alerts"]["edges"]] == [gid(ids[0])]
    assert rest["alerts"]["pageInfo"]["hasNextPage"] is False


async def test_alerts_filter_by_kinds_customer_and_acknowledged(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    at_risk, breached = await add_customers(system_pool, org.id, 2)
    risk = await raise_alerts(system_pool, org.id, kind="AT_RISK", customer_id=at_risk)
    breach = await raise_alerts(
        system_pool, org.id, kind="SLA_RESOLUTION_BREACH", customer_id=breached
    )
    assert await _ids(org, {"kinds": ["AT_RISK"]}) == [gid(risk[0])]
    assert await _ids(org, {"customer": to_global_id("Customer", breached)}) == [gid(breach[0])]
    await org.data(ACKNOWLEDGE, {"id": gid(breach[0]), "action": None})
    assert await _ids(org, {"acknowledged": True}) == [gid(breach[0])]
    assert await _ids(org, {"acknowledged": False}) == [gid(risk[0])]


async def test_alerts_list_refuses_first_over_100(org: Org) -> None:
    body = await org.gql(LIST, {"first": 101})
    assert body["errors"][0]["extensions"] == {"code": "OUT_OF_RANGE", "field": "first"}


async def test_another_organisation_sees_and_touches_none_of_them(
    org: Org, other_org: Org, system_pool: asyncpg.Pool
) -> None:
    [alert_id] = await raise_alerts(system_pool, org.id)
    assert await _ids(other_org) == []
    before = await _state(system_pool, org, alert_id)
    data = await other_org.data(ACKNOWLEDGE, {"id": gid(alert_id), "action": "x"})
    assert data["acknowledgeAlert"]["__typename"] == "NotFoundError"
    assert data["acknowledgeAlert"]["code"] == "NOT_FOUND"
    assert await _state(system_pool, org, alert_id) == before


async def test_acknowledging_records_who_when_and_the_action_with_a_ledger_row(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    [alert_id] = await raise_alerts(system_pool, org.id, payload={"severity": "medium"})
    at = org.clock.advance(minutes=5)
    data = await org.data(ACKNOWLEDGE, {"id": gid(alert_id), "action": "  called them  "})
    alert = data["acknowledgeAlert"]["alert"]
    assert alert["acknowledgedAt"] == at.isoformat()
    assert alert["actionTaken"] == "called them"
    async with system_pool.acquire() as conn:
        owner = await conn.fetchval(
            "SELECT id FROM operators WHERE org_id = $1 AND role = 'owner'", org.id
        )
        ledger = await conn.fetchrow(
            "SELECT action, entity, entity_id, before, after FROM ledger "
            "WHERE org_id = $1 AND entity = 'Alert'",
            org.id,
        )
    assert alert["acknowledgedBy"] == to_global_id("Operator", owner)
    assert ledger is not None
    assert (ledger["action"], ledger["entity_id"]) == ("acknowledgeAlert", alert_id)
    assert ledger["before"]["acknowledgedAt"] is None
    assert ledger["after"]["actionTaken"] == "called them"


async def test_a_medium_at_risk_alert_may_be_acknowledged_without_an_action(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    [alert_id] = await raise_alerts(system_pool, org.id, payload={"severity": "medium"})
    data = await org.data(ACKNOWLEDGE, {"id": gid(alert_id)}, role=Role.AGENT)
    assert data["acknowledgeAlert"]["alert"]["actionTaken"] is None


@pytest.mark.parametrize("action", [None, "", "   "])
async def test_a_high_at_risk_alert_is_refused_without_a_recorded_action(
    org: Org, system_pool: asyncpg.Pool, action: str | None
) -> None:
    [alert_id] = await raise_alerts(system_pool, org.id, payload={"severity": "high"})
    before = await _state(system_pool, org, alert_id)
    data = await org.data(ACKNOWLEDGE, {"id": gid(alert_id), "action": action})
    assert data["acknowledgeAlert"] == {
        "__typename": "ValidationError",
        "field": "action",
        "code": "REQUIRED",
        "message": "a high at-risk alert needs the action taken recorded",
    }
    assert await _state(system_pool, org, alert_id) == before


async def test_a_high_at_risk_alert_is_acknowledged_with_its_action(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    [alert_id] = await raise_alerts(system_pool, org.id, payload={"severity": "high"})
    action = "أرسلت إيميل من المؤسس وحجزت QBR"
    data = await org.data(ACKNOWLEDGE, {"id": gid(alert_id), "action": action})
    assert data["acknowledgeAlert"]["alert"]["actionTaken"] == action


async def test_a_high_severity_on_another_kind_needs_no_action(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    [alert_id] = await raise_alerts(
        system_pool, org.id, kind="INACTIVE_CUSTOMER", payload={"severity": "high"}
    )
    data = await org.data(ACKNOWLEDGE, {"id": gid(alert_id)})
    assert data["acknowledgeAlert"]["__typename"] == "AlertPayload"


async def test_acknowledging_twice_is_refused(org: Org, system_pool: asyncpg.Pool) -> None:
    [alert_id] = await raise_alerts(system_pool, org.id)
    await org.data(ACKNOWLEDGE, {"id": gid(alert_id), "action": "done"})
    before = await _state(system_pool, org, alert_id)
    data = await org.data(ACKNOWLEDGE, {"id": gid(alert_id), "action": "again"})
    assert data["acknowledgeAlert"]["__typename"] == "RuleError"
    assert data["acknowledgeAlert"]["code"] == "INVALID_TRANSITION"
    assert await _state(system_pool, org, alert_id) == before


async def test_an_action_over_1000_characters_is_refused(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    [alert_id] = await raise_alerts(system_pool, org.id)
    before = await _state(system_pool, org, alert_id)
    data = await org.data(ACKNOWLEDGE, {"id": gid(alert_id), "action": "x" * 1001})
    assert data["acknowledgeAlert"]["__typename"] == "ValidationError"
    assert (data["acknowledgeAlert"]["field"], data["acknowledgeAlert"]["code"]) == (
        "action",
        "TOO_LONG",
    )
    assert await _state(system_pool, org, alert_id) == before


async def test_a_viewer_may_not_acknowledge(org: Org, system_pool: asyncpg.Pool) -> None:
    [alert_id] = await raise_alerts(system_pool, org.id)
    before = await _state(system_pool, org, alert_id)
    data = await org.data(ACKNOWLEDGE, {"id": gid(alert_id), "action": "x"}, role=Role.VIEWER)
    assert data["acknowledgeAlert"]["__typename"] == "ForbiddenError"
    assert data["acknowledgeAlert"]["code"] == "FORBIDDEN"
    assert await _state(system_pool, org, alert_id) == before


@pytest.mark.parametrize("bad", ["not-an-id", to_global_id("Customer", 1)])
async def test_an_id_that_is_not_an_alert_is_not_found(org: Org, bad: str) -> None:
    data = await org.data(ACKNOWLEDGE, {"id": bad, "action": "x"})
    assert data["acknowledgeAlert"]["__typename"] == "NotFoundError"
    assert data["acknowledgeAlert"]["field"] == "id"
