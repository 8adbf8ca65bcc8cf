"""A customer's connectors through the API (§4.5): the eleven, the state machine, the summary
and readiness for the first service."""

from __future__ import annotations

from typing import Any

import pytest

from domain.roles import Role
from tests.api.success_support import customer, snapshot
from tests.factories import Org

SUMMARY = "connected connectedPct byState { state count } blockingMissing readyForFirstService"
READ = f"""query($id: ID!) {{ customer(id: $id) {{
  connectors {{ key defaultMode blocking phase state connected }}
  connectorSummary {{ {SUMMARY} }} }} }}"""
MOVE = f"""
mutation($i: MoveConnectorInput!) {{ moveConnector(input: $i) {{ __typename
  ... on ConnectorPayload {{ connector {{ key state connected }} summary {{ {SUMMARY} }} }}
  ... on ConnectorTransitionError {{ fromState toState }}
  ... on UserError {{ field code message }} }} }}"""


async def move(org: Org, c: str, key: str, *states: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for state in states:
        data = await org.data(MOVE, {"i": {"customerId": c, "key": key, "to": state}})
        result = data["moveConnector"]
    return result


async def test_a_new_customer_has_the_eleven_connectors_not_started(org: Org) -> None:
    c = await customer(org)
    data = (await org.data(READ, {"id": c}, role=Role.VIEWER))["customer"]
    assert [
        (x["key"], x["defaultMode"], x["blocking"], x["phase"]) for x in data["connectors"]
    ] == [
        ("GMAIL", "DRAFT_ONLY", False, 1),
        ("GOOGLE_CALENDAR", "DRAFT_ONLY", False, 1),
        ("GOOGLE_SHEETS", "APPROVED_EXECUTE", False, 1),
        ("MOYASAR", "MANUAL", False, 1),
        ("WHATSAPP_CLOUD", "DRAFT_ONLY", True, 1),
        ("WEBSITE_FORMS", "APPROVED_EXECUTE", False, 1),
        ("LINKEDIN_LEAD_FORMS", "INGEST_ONLY", False, 2),
        ("GOOGLE_BUSINESS_PROFILE", "DRAFT_ONLY", False, 2),
        ("CRM_GENERIC", "DRAFT_ONLY", False, 2),
        ("GOOGLE_MEET", "INGEST_ONLY", False, 2),
        ("INSTAGRAM_GRAPH", "INGEST_ONLY", False, 3),
    ]
    assert {x["state"] for x in data["connectors"]} == {"NOT_STARTED"}
    summary = data["connectorSummary"]
    assert (summary["connected"], summary["connectedPct"], summary["readyForFirstService"]) == (
        0,
        0.0,
        False,
    )
    assert summary["blockingMissing"] == ["WHATSAPP_CLOUD"]
    assert {s["state"]: s["count"] for s in summary["byState"]}["NOT_STARTED"] == 11


async def test_ready_for_first_service_needs_the_blocking_one_connected(org: Org) -> None:
    c = await customer(org)
    gmail = await move(org, c, "GMAIL", "CONFIGURING", "CONNECTED_DRAFT_ONLY")
    assert gmail["connector"] == {
        "key": "GMAIL",
        "state": "CONNECTED_DRAFT_ONLY",
        "connected": True,
    }
    assert (gmail["summary"]["connected"], gmail["summary"]["connectedPct"]) == (1, 9.1)
    assert gmail["summary"]["readyForFirstService"] is False
    assert gmail["summary"]["blockingMissing"] == ["WHATSAPP_CLOUD"]
    whatsapp = await move(org, c, "WHATSAPP_CLOUD", "CONFIGURING", "CONNECTED_APPROVED_EXECUTE")
    summary = whatsapp["summary"]
    assert (summary["connected"], summary["connectedPct"], summary["blockingMissing"]) == (
        2,
        18.2,
        [],
    )
    assert summary["readyForFirstService"] is True
    counts = {s["state"]: s["count"] for s in summary["byState"]}
    assert counts == {
        "NOT_STARTED": 9,
        "CONFIGURING": 0,
        "CONNECTED_DRAFT_ONLY": 1,
        "CONNECTED_APPROVED_EXECUTE": 1,
        "FAILED": 0,
        "SKIPPED": 0,
    }


async def test_only_the_blocking_one_connected_is_ready(org: Org) -> None:
    c = await customer(org)
    result = await move(org, c, "WHATSAPP_CLOUD", "CONFIGURING", "CONNECTED_DRAFT_ONLY")
    assert result["summary"]["readyForFirstService"] is True


STATES = [
    "NOT_STARTED",
    "CONFIGURING",
    "CONNECTED_DRAFT_ONLY",
    "CONNECTED_APPROVED_EXECUTE",
    "FAILED",
    "SKIPPED",
]
# How to reach each state from not_started.
REACH = {
    "NOT_STARTED": [],
    "CONFIGURING": ["CONFIGURING"],
    "CONNECTED_DRAFT_ONLY": ["CONFIGURING", "CONNECTED_DRAFT_ONLY"],
    "CONNECTED_APPROVED_EXECUTE": ["CONFIGURING", "CONNECTED_APPROVED_EXECUTE"],
    "FAILED": ["CONFIGURING", "FAILED"],
    "SKIPPED": ["CONFIGURING", "SKIPPED"],
}
# §4.5, every allowed move: not_started → configuring → connected_draft_only |
# connected_approved_execute | failed | skipped; failed → configuring; skipped → configuring;
# a connected state may go back to configuring or to failed.
ALLOWED = [
    ("NOT_STARTED", "CONFIGURING"),
    ("CONFIGURING", "CONNECTED_DRAFT_ONLY"),
    ("CONFIGURING", "CONNECTED_APPROVED_EXECUTE"),
    ("CONFIGURING", "FAILED"),
    ("CONFIGURING", "SKIPPED"),
    ("FAILED", "CONFIGURING"),
    ("SKIPPED", "CONFIGURING"),
    ("CONNECTED_DRAFT_ONLY", "CONFIGURING"),
    ("CONNECTED_DRAFT_ONLY", "FAILED"),
    ("CONNECTED_APPROVED_EXECUTE", "CONFIGURING"),
    ("CONNECTED_APPROVED_EXECUTE", "FAILED"),
]
REFUSED = [(a, b) for a in STATES for b in STATES if (a, b) not in ALLOWED]
LEDGER = "{ ledger(first: 1) { edges { node { action entity entityId before after } } } }"


@pytest.mark.parametrize(("current", "target"), ALLOWED)
async def test_every_allowed_move(org: Org, current: str, target: str) -> None:
    c = await customer(org)
    await move(org, c, "GMAIL", *REACH[current])
    result = await move(org, c, "GMAIL", target)
    assert result["connector"] == {
        "key": "GMAIL",
        "state": target,
        "connected": target.startswith("CONNECTED_"),
    }
    entry = (await org.data(LEDGER))["ledger"]["edges"][0]["node"]
    assert entry == {
        "action": "moveConnector",
        "entity": "Customer",
        "entityId": c,
        "before": {"connector": "gmail", "state": current.lower()},
        "after": {"connector": "gmail", "state": target.lower()},
    }


@pytest.mark.parametrize(("current", "target"), REFUSED)
async def test_refuses_any_other_move_naming_both_states(
    org: Org, current: str, target: str
) -> None:
    c = await customer(org)
    await move(org, c, "GMAIL", *REACH[current])
    before = await snapshot(org)
    refused = await move(org, c, "GMAIL", target)
    assert refused == {
        "__typename": "ConnectorTransitionError",
        "fromState": current,
        "toState": target,
        "field": "state",
        "code": "INVALID_TRANSITION",
        "message": f"a connector cannot move from {current.lower()} to {target.lower()}",
    }
    assert await snapshot(org) == before


async def test_viewer_and_other_organisation_cannot_move_a_connector(
    org: Org, other_org: Org
) -> None:
    c = await customer(org)
    before = await snapshot(org)
    variables = {"i": {"customerId": c, "key": "GMAIL", "to": "CONFIGURING"}}
    viewer = await org.data(MOVE, variables, role=Role.VIEWER)
    assert viewer["moveConnector"]["__typename"] == "ForbiddenError"
    assert (await other_org.data(MOVE, variables))["moveConnector"]["__typename"] == "NotFoundError"
    assert await snapshot(org) == before
