"""Queries narrowed to one customer answer NOT_FOUND for another organisation's customer or a
missing one, instead of an empty answer."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest

from tests.factories import T0, Org, new_customer, open_ticket

SLA = """
query($s: DateTime!, $e: DateTime!, $c: ID) {
  slaHealth(periodStart: $s, periodEnd: $e, customer: $c) { total breached }
}"""
WEEKLY = "query($c: ID!, $w: Date!) { weeklyCheckIn(customerId: $c, weekOf: $w) { totalMinutes } }"
MISSING = base64.urlsafe_b64encode(b"Customer:987654321").decode()


def period(customer: str | None) -> dict[str, Any]:
    return {"s": T0.isoformat(), "e": (T0 + timedelta(days=1)).isoformat(), "c": customer}


def not_found(body: dict[str, Any], field: str) -> None:
    assert body["data"] is None
    assert [error["extensions"] for error in body["errors"]] == [
        {"code": "NOT_FOUND", "field": field}
    ]


async def test_sla_health_of_another_organisations_customer_is_not_found(
    org: Org, other_org: Org
) -> None:
    theirs = await new_customer(other_org)
    await open_ticket(other_org, theirs, "outage")
    not_found(await org.gql(SLA, period(theirs)), "customer")
    not_found(await org.gql(SLA, period(MISSING)), "customer")
    # Their own report of that customer still counts its ticket.
    assert (await other_org.data(SLA, period(theirs)))["slaHealth"] == {
        "total": 1,
        "breached": 0,
    }


async def test_sla_health_of_an_own_customer_without_tickets_is_empty(org: Org) -> None:
    mine = await new_customer(org)
    assert (await org.data(SLA, period(mine)))["slaHealth"] == {"total": 0, "breached": 0}


async def test_the_weekly_check_in_of_another_organisations_customer_is_not_found(
    org: Org, other_org: Org
) -> None:
    theirs = await new_customer(other_org)
    recorded = await other_org.data(
        "mutation($i: RecordCheckInMetricsInput!) { recordCheckInMetrics(input: $i) "
        "{ __typename } }",
        {
            "i": {
                "customerId": theirs,
                "weekOf": "2026-10-26",
                "draftsApproved": 1,
                "replies": 1,
                "meetings": 1,
                "risksBlocked": 0,
                "pipelineSar": 10,
            }
        },
    )
    assert recorded["recordCheckInMetrics"]["__typename"] == "CheckInPayload"
    not_found(await org.gql(WEEKLY, {"c": theirs, "w": "2026-10-26"}), "customerId")
    not_found(await org.gql(WEEKLY, {"c": MISSING, "w": "2026-10-26"}), "customerId")
    assert (await other_org.data(WEEKLY, {"c": theirs, "w": "2026-10-26"}))["weeklyCheckIn"]


async def test_the_weekly_check_in_of_an_own_customer_without_one_is_not_found_by_week(
    org: Org,
) -> None:
    mine = await new_customer(org)
    not_found(await org.gql(WEEKLY, {"c": mine, "w": "2026-10-26"}), "weekOf")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (
            "query($c: ID!) { tickets(filter: {customer: $c}) { edges { node { id } } } }",
            "filter.customer",
        ),
        (
            "query($c: ID!) { alerts(filter: {customer: $c}) { edges { node { id } } } }",
            "filter.customer",
        ),
        (
            "query($c: ID!) { incidents(filter: {customer: $c}) { edges { node { id } } } }",
            "filter.customer",
        ),
    ],
)
async def test_list_filters_refuse_a_customer_that_is_not_yours(
    org: Org, other_org: Org, query: str, field: str
) -> None:
    theirs = await new_customer(other_org)
    await open_ticket(other_org, theirs, "outage")
    not_found(await org.gql(query, {"c": theirs}), field)
    not_found(await org.gql(query, {"c": MISSING}), field)
    mine = await new_customer(org)
    assert "errors" not in await org.gql(query, {"c": mine})
