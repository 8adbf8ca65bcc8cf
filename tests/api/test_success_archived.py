"""An archived customer's success record is closed: every customer-success, onboarding,
connector and plan mutation on it is refused with a typed error and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.success_support import customer, snapshot
from tests.factories import Org

ARCHIVE = """
mutation($i: ArchiveCustomerInput!) { archiveCustomer(input: $i) { __typename
  ... on CustomerPayload { customer { version archivedAt } } } }"""
START = """
mutation($i: StartSuccessPlanInput!) { startSuccessPlan(input: $i) { __typename
  ... on SuccessPlanPayload { plan { id version items { id kind } } } } }"""
CHECK_IN = """
mutation($i: RecordCheckInMetricsInput!) { recordCheckInMetrics(input: $i) { __typename } }"""
STEP = """
mutation($i: OnboardingStepInput!) { completeOnboardingStep(input: $i) { __typename } }"""
CONSENT = {"consentRecorded": True, "consentGivenBy": "Nora", "consentNote": "by phone, 30 Oct"}


def week(customer_id: str, week_of: str) -> dict[str, Any]:
    return {
        "customerId": customer_id,
        "weekOf": week_of,
        "draftsApproved": 1,
        "replies": 1,
        "meetings": 1,
        "risksBlocked": 0,
        "pipelineSar": 1000,
    }


async def archived(org: Org) -> dict[str, Any]:
    """A customer with a plan, a recorded week and a done step, then archived."""
    c = await customer(org)
    plan = (await org.data(START, {"i": {"customerId": c}}))["startSuccessPlan"]["plan"]
    assert (await org.data(CHECK_IN, {"i": week(c, "2026-10-26")}))["recordCheckInMetrics"][
        "__typename"
    ] == "CheckInPayload"
    step = await org.data(STEP, {"i": {"customerId": c, "step": "SELECT_GOAL"}})
    assert step["completeOnboardingStep"]["__typename"] == "OnboardingPayload"
    gone = (await org.data(ARCHIVE, {"i": {"id": c, "version": 1}}))["archiveCustomer"]
    assert gone["customer"]["archivedAt"] is not None
    kickoff = next(i for i in plan["items"] if i["kind"] == "KICKOFF")
    return {
        "customer": c,
        "version": gone["customer"]["version"],
        "plan": plan["id"],
        "item": kickoff["id"],
    }


def _customer(s: dict[str, Any]) -> dict[str, Any]:
    return {"customerId": s["customer"]}


CASES: list[tuple[str, str, Any, str]] = [
    (
        "recordCheckInMetrics",
        "RecordCheckInMetricsInput",
        lambda s: week(s["customer"], "2026-11-02"),
        "customerId",
    ),
    ("recordNps", "RecordNpsInput", lambda s: {**_customer(s), "score": 9}, "customerId"),
    (
        "deliverProofPack",
        "DeliverProofPackInput",
        lambda s: {**_customer(s), "title": "v1"},
        "customerId",
    ),
    ("recordCustomerActivity", "RecordCustomerActivityInput", _customer, "customerId"),
    (
        "changeCustomerStage",
        "ChangeCustomerStageInput",
        lambda s: {"id": s["customer"], "version": s["version"], "stage": "ADOPTION"},
        "id",
    ),
    (
        "draftCheckInNote",
        "DraftCheckInNoteInput",
        lambda s: {**_customer(s), "weekOf": "2026-10-26"},
        "customerId",
    ),
    ("startSuccessPlan", "StartSuccessPlanInput", _customer, "customerId"),
    ("completePlanItem", "CompletePlanItemInput", lambda s: {"id": s["item"]}, "id"),
    (
        "changePlanCadence",
        "ChangePlanCadenceInput",
        lambda s: {"id": s["plan"], "version": 1, "cadence": "MONTHLY_PROOF_REVIEW", **CONSENT},
        "id",
    ),
    (
        "completeOnboardingStep",
        "OnboardingStepInput",
        lambda s: {**_customer(s), "step": "SELECT_BUNDLE"},
        "customerId",
    ),
    (
        "reopenOnboardingStep",
        "OnboardingStepInput",
        lambda s: {**_customer(s), "step": "SELECT_GOAL"},
        "customerId",
    ),
    (
        "moveConnector",
        "MoveConnectorInput",
        lambda s: {**_customer(s), "key": "GMAIL", "to": "CONFIGURING"},
        "customerId",
    ),
]


@pytest.mark.parametrize(
    ("name", "input_type", "variables", "field"), CASES, ids=[case[0] for case in CASES]
)
async def test_a_mutation_on_an_archived_customer_is_refused_and_changes_nothing(
    org: Org, name: str, input_type: str, variables: Any, field: str
) -> None:
    arranged = await archived(org)
    query = (
        f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ __typename "
        "... on UserError { field code message } } }"
    )
    before = await snapshot(org)
    refused = (await org.data(query, {"i": variables(arranged)}))[name]
    assert refused == {
        "__typename": "RuleError",
        "field": field,
        "code": "INVALID_TRANSITION",
        "message": "customer is archived",
    }
    assert await snapshot(org) == before
