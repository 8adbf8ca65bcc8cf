"""Lifecycle stages through the API (§4.6): one step along the order, churn from any live stage,
every change in the ledger and in the stage history the churn rate counts."""

from __future__ import annotations

import pytest

from tests.api.success_support import customer, pk, snapshot
from tests.factories import Org

STAGE = """
mutation($i: ChangeCustomerStageInput!) { changeCustomerStage(input: $i) { __typename
  ... on CustomerPayload { customer { version stage } }
  ... on UserError { field code message } } }"""


async def test_stage_moves_one_step_and_is_recorded(org: Org) -> None:
    c = await customer(org)
    data = await org.data(STAGE, {"i": {"id": c, "version": 1, "stage": "ADOPTION"}})
    assert data["changeCustomerStage"]["customer"] == {"version": 2, "stage": "ADOPTION"}
    async with org.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT action, before, after FROM ledger WHERE org_id = $1 AND entity_id = $2 "
            "ORDER BY id DESC LIMIT 1",
            org.id,
            pk(c),
        )
        changes = await conn.fetch(
            "SELECT from_stage, to_stage FROM stage_changes WHERE org_id = $1", org.id
        )
    assert dict(row) == {
        "action": "changeCustomerStage",
        "before": {"stage": "onboarding"},
        "after": {"stage": "adoption"},
    }
    assert [tuple(r) for r in changes] == [("onboarding", "adoption")]


@pytest.mark.parametrize(
    ("stage", "version", "typename"),
    [
        ("EXPANSION", 1, "RuleError"),
        ("ONBOARDING", 1, "RuleError"),
        ("ADOPTION", 7, "ConflictError"),
    ],
)
async def test_refuses_skipping_a_stage_or_a_stale_version(
    org: Org, stage: str, version: int, typename: str
) -> None:
    c = await customer(org)
    before = await snapshot(org)
    data = await org.data(STAGE, {"i": {"id": c, "version": version, "stage": stage}})
    assert data["changeCustomerStage"]["__typename"] == typename
    assert await snapshot(org) == before


async def test_any_live_stage_may_churn_and_a_churned_customer_restarts_onboarding(
    org: Org,
) -> None:
    c = await customer(org)
    churned = await org.data(STAGE, {"i": {"id": c, "version": 1, "stage": "CHURNED"}})
    assert churned["changeCustomerStage"]["customer"]["stage"] == "CHURNED"
    back = await org.data(STAGE, {"i": {"id": c, "version": 2, "stage": "ONBOARDING"}})
    assert back["changeCustomerStage"]["customer"]["stage"] == "ONBOARDING"
