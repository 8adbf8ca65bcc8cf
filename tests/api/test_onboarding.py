"""The onboarding checklist through the API (§4.4): eight steps, 27 minutes, 12.5 a step."""

from __future__ import annotations

from typing import Any

import pytest

from domain.roles import Role
from tests.api.success_support import customer, snapshot
from tests.factories import Org

STATE = """steps { step labelAr minutes needsApproval done } progress currentStep done
  totalMinutes"""
READ = f"query($id: ID!) {{ customer(id: $id) {{ onboarding {{ {STATE} }} }} }}"
COMPLETE = f"""
mutation($i: OnboardingStepInput!) {{ completeOnboardingStep(input: $i) {{ __typename
  ... on OnboardingPayload {{ customerId onboarding {{ {STATE} }} }}
  ... on UserError {{ field code message }} }} }}"""
REOPEN = COMPLETE.replace("completeOnboardingStep", "reopenOnboardingStep")

ORDER = [
    "SELECT_GOAL",
    "SELECT_BUNDLE",
    "COMPANY_INTAKE",
    "CONNECT_CHANNELS",
    "UPLOAD_OR_SOURCE",
    "RISK_REVIEW",
    "FIRST_SERVICE_RUN",
    "FIRST_PROOF_PACK",
]


async def complete(org: Org, c: str, step: str, query: str = COMPLETE) -> dict[str, Any]:
    data = await org.data(query, {"i": {"customerId": c, "step": step}})
    result: dict[str, Any] = next(iter(data.values()))
    return result


async def test_a_new_customer_has_eight_steps_in_order(org: Org) -> None:
    c = await customer(org)
    onboarding = (await org.data(READ, {"id": c}, role=Role.VIEWER))["customer"]["onboarding"]
    assert [
        (s["step"], s["labelAr"], s["minutes"], s["needsApproval"], s["done"])
        for s in onboarding["steps"]
    ] == [
        ("SELECT_GOAL", "اختيار الهدف الأساسي", 2, False, False),
        ("SELECT_BUNDLE", "اختيار الباقة المناسبة", 3, True, False),
        ("COMPANY_INTAKE", "بيانات الشركة", 5, False, False),
        ("CONNECT_CHANNELS", "ربط القنوات (Gmail/Calendar/Sheets — drafts فقط)", 8, True, False),
        ("UPLOAD_OR_SOURCE", "رفع قائمة أو ربط مصدر leads", 5, True, False),
        ("RISK_REVIEW", "مراجعة المخاطر (PDPL + سمعة القناة)", 4, True, False),
        ("FIRST_SERVICE_RUN", "تشغيل أول خدمة", None, True, False),
        ("FIRST_PROOF_PACK", "استلام أول Proof Pack", None, False, False),
    ]
    assert (onboarding["progress"], onboarding["currentStep"], onboarding["done"]) == (
        0.0,
        "SELECT_GOAL",
        False,
    )
    assert onboarding["totalMinutes"] == 27


async def test_each_step_adds_12_5_and_all_eight_are_done(org: Org) -> None:
    c = await customer(org)
    progress = []
    for step in ORDER:
        result = await complete(org, c, step)
        progress.append(result["onboarding"]["progress"])
    assert progress == [12.5, 25.0, 37.5, 50.0, 62.5, 75.0, 87.5, 100.0]
    assert (result["onboarding"]["currentStep"], result["onboarding"]["done"]) == (None, True)


async def test_the_current_step_is_the_first_not_done(org: Org) -> None:
    c = await customer(org)
    await complete(org, c, "SELECT_GOAL")
    result = await complete(org, c, "COMPANY_INTAKE")
    assert (result["onboarding"]["progress"], result["onboarding"]["currentStep"]) == (
        25.0,
        "SELECT_BUNDLE",
    )


async def test_reopening_a_done_step_takes_it_back(org: Org) -> None:
    c = await customer(org)
    await complete(org, c, "SELECT_GOAL")
    await complete(org, c, "SELECT_BUNDLE")
    result = await complete(org, c, "SELECT_GOAL", REOPEN)
    assert (result["onboarding"]["progress"], result["onboarding"]["currentStep"]) == (
        12.5,
        "SELECT_GOAL",
    )


LEDGER = "{ ledger(first: 10) { edges { node { action entity entityId before after } } } }"


async def newest_entry(org: Org) -> dict[str, Any]:
    data = await org.data(LEDGER)
    found: dict[str, Any] = data["ledger"]["edges"][0]["node"]
    return found


async def test_the_ledger_keeps_the_checklist_before_and_after_each_change(org: Org) -> None:
    c = await customer(org)
    await complete(org, c, "SELECT_GOAL")
    assert await newest_entry(org) == {
        "action": "completeOnboardingStep",
        "entity": "Customer",
        "entityId": c,
        "before": {"step": "select_goal", "done": [], "progress": 0.0},
        "after": {"step": "select_goal", "done": ["select_goal"], "progress": 12.5},
    }
    await complete(org, c, "COMPANY_INTAKE")
    entry = await newest_entry(org)
    assert (entry["before"], entry["after"]) == (
        {"step": "company_intake", "done": ["select_goal"], "progress": 12.5},
        {"step": "company_intake", "done": ["select_goal", "company_intake"], "progress": 25.0},
    )
    await complete(org, c, "SELECT_GOAL", REOPEN)
    assert await newest_entry(org) == {
        "action": "reopenOnboardingStep",
        "entity": "Customer",
        "entityId": c,
        "before": {
            "step": "select_goal",
            "done": ["select_goal", "company_intake"],
            "progress": 25.0,
        },
        "after": {"step": "select_goal", "done": ["company_intake"], "progress": 12.5},
    }


@pytest.mark.parametrize(("query", "done_first"), [(COMPLETE, True), (REOPEN, False)])
async def test_refuses_completing_a_done_step_or_reopening_an_open_one(
    org: Org, query: str, done_first: bool
) -> None:
    c = await customer(org)
    if done_first:
        await complete(org, c, "SELECT_GOAL")
    before = await snapshot(org)
    refused = await complete(org, c, "SELECT_GOAL", query)
    assert (refused["__typename"], refused["code"]) == ("RuleError", "INVALID_TRANSITION")
    assert await snapshot(org) == before


async def test_viewer_and_other_organisation_cannot_change_the_checklist(
    org: Org, other_org: Org
) -> None:
    c = await customer(org)
    before = await snapshot(org)
    viewer = await org.data(
        COMPLETE, {"i": {"customerId": c, "step": "SELECT_GOAL"}}, role=Role.VIEWER
    )
    assert viewer["completeOnboardingStep"]["__typename"] == "ForbiddenError"
    foreign = await other_org.data(COMPLETE, {"i": {"customerId": c, "step": "SELECT_GOAL"}})
    assert foreign["completeOnboardingStep"]["__typename"] == "NotFoundError"
    assert await snapshot(org) == before
