"""Success plans through the API (§4.3): made from the bundle, QBR at 90 days, renewal items at
30 and 7 days, upsells only after the first Proof Pack, cadence only with consent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.roles import Role
from tests.api.success_support import count, customer, snapshot
from tests.factories import T0, Org

QBR = "quarterly business review (90 days into the subscription)"
PLAN = """id customerId version bundle startedOn cadence
  items { id dayOffset title kind isUpgradeOrUpsell dueOn doneOn }"""
PLAN_FIELDS = f"plan {{ {PLAN} }}"

START = f"""
mutation($i: StartSuccessPlanInput!) {{ startSuccessPlan(input: $i) {{ __typename
  ... on SuccessPlanPayload {{ {PLAN_FIELDS} }} ... on UserError {{ field code message }} }} }}"""
COMPLETE = f"""
mutation($i: CompletePlanItemInput!) {{ completePlanItem(input: $i) {{ __typename
  ... on SuccessPlanPayload {{ {PLAN_FIELDS} }} ... on UserError {{ field code message }} }} }}"""
CADENCE = f"""
mutation($i: ChangePlanCadenceInput!) {{ changePlanCadence(input: $i) {{ __typename
  ... on SuccessPlanPayload {{ {PLAN_FIELDS} }} ... on UserError {{ field code message }} }} }}"""
PROOF = "mutation($i: DeliverProofPackInput!) { deliverProofPack(input: $i) { __typename } }"
ON_CUSTOMER = f"query($id: ID!) {{ customer(id: $id) {{ successPlan {{ {PLAN} }} }} }}"


async def start(org: Org, c: str, **extra: Any) -> dict[str, Any]:
    data = await org.data(START, {"i": {"customerId": c, **extra}})
    result: dict[str, Any] = data["startSuccessPlan"]
    return result


def rows(plan: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (i["dayOffset"], i["title"], i["kind"], i["isUpgradeOrUpsell"], i["dueOn"])
        for i in plan["items"]
    ]


def item(plan: dict[str, Any], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in plan["items"] if i["kind"] == kind)
    return found


async def test_growth_starter_plan_with_qbr_at_90_days_and_renewals_at_30_and_7(
    org: Org,
) -> None:
    c = await customer(
        org, started=T0 - timedelta(days=60), renewsAt=(T0 + timedelta(days=45)).isoformat()
    )
    result = await start(org, c)
    assert result["__typename"] == "SuccessPlanPayload"
    plan = result["plan"]
    assert (plan["bundle"], plan["startedOn"], plan["cadence"], plan["version"]) == (
        "GROWTH_STARTER",
        "2026-11-01",
        "WEEKLY_CHECK_IN",
        1,
    )
    assert rows(plan) == [
        (1, "kick-off call + intake", "KICKOFF", False, "2026-11-02"),
        (3, "review first 3 opportunities + drafts", "REVIEW", False, "2026-11-04"),
        (7, "deliver Proof Pack v1", "PROOF_PACK", False, "2026-11-08"),
        (14, "weekly check-in + upsell offer", "CHECK_IN", True, "2026-11-15"),
        (
            15,
            "renewal 30 days out: monthly Proof Pack + friendly note",
            "RENEWAL",
            False,
            "2026-11-16",
        ),
        (
            30,
            "monthly proof review + renewal/upgrade decision",
            "MONTHLY_REVIEW",
            True,
            "2026-12-01",
        ),
        (30, QBR, "QBR", False, "2026-12-01"),
        (38, "renewal 7 days out: founder email if not renewed", "RENEWAL", False, "2026-12-09"),
    ]
    assert all(i["doneOn"] is None for i in plan["items"])
    shown = await org.data(ON_CUSTOMER, {"id": c})
    assert shown["customer"]["successPlan"] == plan


@pytest.mark.parametrize(
    ("bundle", "expected"),
    [
        (
            "EXECUTIVE_GROWTH_OS",
            [
                (1, "onboarding + connect channels", "KICKOFF", False),
                (7, "first weekly Proof Pack", "PROOF_PACK", False),
                (14, "weekly check-in + Founder Shadow Board v1", "CHECK_IN", False),
                (21, "monthly proof review", "MONTHLY_REVIEW", False),
                (30, "QBR + annual upgrade conversation", "QBR", True),
                (90, QBR, "QBR", False),
            ],
        ),
        (
            "PARTNERSHIP_GROWTH",
            [
                (1, "partner ICP intake", "KICKOFF", False),
                (5, "20 partners list + 10 outreach drafts", "MILESTONE", False),
                (10, "5 partner meetings booked", "MILESTONE", False),
                (14, "weekly check-in", "CHECK_IN", False),
                (30, "partner scorecard + revenue share setup", "SCORECARD", False),
                (90, QBR, "QBR", False),
            ],
        ),
    ],
)
async def test_plans_of_the_other_bundles(
    org: Org, bundle: str, expected: list[tuple[Any, ...]]
) -> None:
    c = await customer(org, started=T0, bundle=bundle)
    plan = (await start(org, c))["plan"]
    assert [r[:4] for r in rows(plan)] == expected


async def test_refuses_a_second_plan_and_repeats_by_idempotency_key(org: Org) -> None:
    c = await customer(org)
    first = await start(org, c, idempotencyKey="plan-1")
    repeat = await start(org, c, idempotencyKey="plan-1")
    assert repeat == first
    before = await snapshot(org)
    again = await start(org, c)
    assert (again["__typename"], again["field"]) == ("ConflictError", "customerId")
    assert await snapshot(org) == before


async def test_viewer_and_other_organisation_cannot_start_a_plan(org: Org, other_org: Org) -> None:
    c = await customer(org)
    before = await snapshot(org)
    viewer = await org.data(START, {"i": {"customerId": c}}, role=Role.VIEWER)
    assert viewer["startSuccessPlan"]["__typename"] == "ForbiddenError"
    assert (await other_org.data(START, {"i": {"customerId": c}}))["startSuccessPlan"][
        "__typename"
    ] == "NotFoundError"
    assert await snapshot(org) == before


# §4.3: every upgrade or upsell item of every bundle's plan (partnership_growth has none).
UPSELLS = {
    "GROWTH_STARTER": [
        (14, "weekly check-in + upsell offer"),
        (30, "monthly proof review + renewal/upgrade decision"),
    ],
    "EXECUTIVE_GROWTH_OS": [(30, "QBR + annual upgrade conversation")],
    "PARTNERSHIP_GROWTH": [],
}


@pytest.mark.parametrize("bundle", list(UPSELLS))
async def test_the_upsell_items_of_each_bundle(org: Org, bundle: str) -> None:
    c = await customer(org, bundle=bundle)
    plan = (await start(org, c))["plan"]
    flagged = [(i["dayOffset"], i["title"]) for i in plan["items"] if i["isUpgradeOrUpsell"]]
    assert flagged == UPSELLS[bundle]


@pytest.mark.parametrize(
    ("bundle", "day", "title"),
    [(bundle, day, title) for bundle, items in UPSELLS.items() for day, title in items],
)
async def test_no_upsell_before_the_first_proof_pack(
    org: Org, bundle: str, day: int, title: str
) -> None:
    c = await customer(org, bundle=bundle)
    plan = (await start(org, c))["plan"]
    upsell = next(i for i in plan["items"] if (i["dayOffset"], i["title"]) == (day, title))
    before = await snapshot(org)
    refused = (await org.data(COMPLETE, {"i": {"id": upsell["id"]}}))["completePlanItem"]
    assert (refused["__typename"], refused["field"], refused["code"]) == (
        "RuleError",
        "item",
        "PRECONDITION_FAILED",
    )
    assert title in refused["message"]
    assert await snapshot(org) == before
    proof = await org.data(PROOF, {"i": {"customerId": c, "title": "Proof Pack v1"}})
    assert proof["deliverProofPack"]["__typename"] == "ProofPackPayload"
    done = (await org.data(COMPLETE, {"i": {"id": upsell["id"]}}))["completePlanItem"]
    assert next(i for i in done["plan"]["items"] if i["id"] == upsell["id"])["doneOn"] == (
        "2026-11-01"
    )


async def test_a_plain_item_completes_on_the_given_day_once(org: Org) -> None:
    c = await customer(org)
    kickoff = item((await start(org, c))["plan"], "KICKOFF")
    done = await org.data(COMPLETE, {"i": {"id": kickoff["id"], "doneOn": "2026-11-02"}})
    assert item(done["completePlanItem"]["plan"], "KICKOFF")["doneOn"] == "2026-11-02"
    before = await snapshot(org)
    again = (await org.data(COMPLETE, {"i": {"id": kickoff["id"]}}))["completePlanItem"]
    assert again["__typename"] == "ConflictError"
    assert await snapshot(org) == before


async def test_another_organisations_item_is_not_found(org: Org, other_org: Org) -> None:
    c = await customer(org)
    kickoff = item((await start(org, c))["plan"], "KICKOFF")
    before, theirs = await snapshot(org), await snapshot(other_org)
    refused = await other_org.data(COMPLETE, {"i": {"id": kickoff["id"]}})
    assert (refused["completePlanItem"]["__typename"], refused["completePlanItem"]["field"]) == (
        "NotFoundError",
        "id",
    )
    assert (await snapshot(org), await snapshot(other_org)) == (before, theirs)


CONSENT = {
    "consentRecorded": True,
    "consentGivenBy": " nora@alofoq.example ",
    "consentNote": " agreed by email on 31 Oct ",
}
LEDGER = "{ ledger(first: 1) { edges { node { action entity entityId before after } } } }"


async def test_cadence_changes_with_recorded_consent_kept_in_the_ledger(org: Org) -> None:
    c = await customer(org)
    plan = (await start(org, c))["plan"]
    change = {"id": plan["id"], "version": 1, "cadence": "MONTHLY_PROOF_REVIEW"}
    ledger_before = await count(org, "ledger")
    done = await org.data(CADENCE, {"i": {**change, **CONSENT}})
    changed = done["changePlanCadence"]["plan"]
    assert (changed["cadence"], changed["version"]) == ("MONTHLY_PROOF_REVIEW", 2)
    assert await count(org, "ledger") == ledger_before + 1
    entry = (await org.data(LEDGER))["ledger"]["edges"][0]["node"]
    assert entry == {
        "action": "changePlanCadence",
        "entity": "SuccessPlan",
        "entityId": plan["id"],
        "before": {"cadence": "weekly_check_in", "version": 1},
        "after": {
            "cadence": "monthly_proof_review",
            "version": 2,
            "consent": {
                "recorded": True,
                "givenBy": "nora@alofoq.example",
                "note": "agreed by email on 31 Oct",
                "recordedAt": T0.isoformat(),
            },
        },
    }


@pytest.mark.parametrize(
    ("consent", "typename", "field", "code"),
    [
        ({"consentRecorded": False}, "RuleError", "consentRecorded", "PRECONDITION_FAILED"),
        (
            {**CONSENT, "consentRecorded": False},
            "RuleError",
            "consentRecorded",
            "PRECONDITION_FAILED",
        ),
        ({"consentRecorded": True}, "ValidationError", "consentGivenBy", "REQUIRED"),
        (
            {**CONSENT, "consentGivenBy": None},
            "ValidationError",
            "consentGivenBy",
            "REQUIRED",
        ),
        ({**CONSENT, "consentGivenBy": "  "}, "ValidationError", "consentGivenBy", "REQUIRED"),
        ({**CONSENT, "consentNote": None}, "ValidationError", "consentNote", "REQUIRED"),
        ({**CONSENT, "consentNote": " \n "}, "ValidationError", "consentNote", "REQUIRED"),
        (
            {**CONSENT, "consentGivenBy": "x" * 255},
            "ValidationError",
            "consentGivenBy",
            "TOO_LONG",
        ),
        ({**CONSENT, "consentNote": "x" * 501}, "ValidationError", "consentNote", "TOO_LONG"),
    ],
)
async def test_cadence_refuses_a_change_without_consent_or_its_details(
    org: Org, consent: dict[str, Any], typename: str, field: str, code: str
) -> None:
    c = await customer(org)
    plan = (await start(org, c))["plan"]
    change = {"id": plan["id"], "version": 1, "cadence": "MONTHLY_PROOF_REVIEW"}
    before = await snapshot(org)
    refused = (await org.data(CADENCE, {"i": {**change, **consent}}))["changePlanCadence"]
    assert (refused["__typename"], refused["field"], refused["code"]) == (typename, field, code)
    assert await snapshot(org) == before


@pytest.mark.parametrize(
    ("version", "cadence", "typename"),
    [(9, "MONTHLY_PROOF_REVIEW", "ConflictError"), (1, "WEEKLY_CHECK_IN", "ValidationError")],
)
async def test_cadence_refuses_a_stale_version_or_no_change(
    org: Org, version: int, cadence: str, typename: str
) -> None:
    c = await customer(org)
    plan = (await start(org, c))["plan"]
    before = await snapshot(org)
    data = await org.data(
        CADENCE,
        {"i": {"id": plan["id"], "version": version, "cadence": cadence, **CONSENT}},
    )
    assert data["changePlanCadence"]["__typename"] == typename
    assert await snapshot(org) == before


async def test_another_organisations_plan_cadence_is_not_found(org: Org, other_org: Org) -> None:
    c = await customer(org)
    plan = (await start(org, c))["plan"]
    before, theirs = await snapshot(org), await snapshot(other_org)
    refused = await other_org.data(
        CADENCE,
        {"i": {"id": plan["id"], "version": 1, "cadence": "MONTHLY_PROOF_REVIEW", **CONSENT}},
    )
    assert (refused["changePlanCadence"]["__typename"], refused["changePlanCadence"]["field"]) == (
        "NotFoundError",
        "id",
    )
    assert (await snapshot(org), await snapshot(other_org)) == (before, theirs)


# --- days are the organisation's (its time zone) ------------------------------------------------

# 22:30 UTC on 1 November is 01:30 on 2 November in Riyadh (UTC+3): the UTC day is one behind.
LATE = datetime(2026, 11, 1, 22, 30, tzinfo=UTC)


async def set_time_zone(org: Org, zone: str) -> None:
    """No API sets an organisation's time zone yet: the administrator's SQL does."""
    async with org.pool.acquire() as conn:
        await conn.execute("UPDATE organisations SET time_zone = $1 WHERE id = $2", zone, org.id)


@pytest.mark.parametrize(
    ("zone", "today", "qbr", "renewals"),
    [
        ("Asia/Riyadh", "2026-11-02", "2026-12-01", ["2026-11-16", "2026-12-09"]),
        ("UTC", "2026-11-01", "2026-11-30", ["2026-11-15", "2026-12-08"]),
    ],
)
async def test_plan_dates_are_the_organisations_days(
    org: Org, zone: str, today: str, qbr: str, renewals: list[str]
) -> None:
    if zone != "Asia/Riyadh":  # the default
        await set_time_zone(org, zone)
    org.clock.now = LATE
    # Subscribed 01:00 on 2 September and renewing 01:00 on 16 December, Riyadh time.
    c = await customer(
        org,
        started=datetime(2026, 9, 1, 22, tzinfo=UTC),
        renewsAt=datetime(2026, 12, 15, 22, tzinfo=UTC).isoformat(),
    )
    plan = (await start(org, c))["plan"]
    assert plan["startedOn"] == today
    assert item(plan, "KICKOFF")["dueOn"] == (date.fromisoformat(today) + timedelta(1)).isoformat()
    assert item(plan, "QBR")["dueOn"] == qbr
    assert [i["dueOn"] for i in plan["items"] if i["kind"] == "RENEWAL"] == renewals
    kickoff = item(plan, "KICKOFF")
    done = (await org.data(COMPLETE, {"i": {"id": kickoff["id"]}}))["completePlanItem"]
    assert item(done["plan"], "KICKOFF")["doneOn"] == today
    shown = await org.data(ON_CUSTOMER, {"id": c})
    assert item(shown["customer"]["successPlan"], "KICKOFF")["doneOn"] == today
