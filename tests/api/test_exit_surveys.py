"""The exit survey (docs/rules.md §8.3) through GraphQL on the real database: a churned customer
only, one per churn, refusals that change nothing, and churn reasons counted per period in
`supportMetrics`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.success_support import SUCCESS_TABLES, customer, pk
from tests.factories import T0, Org

SURVEY = """mutation($i: RecordExitSurveyInput!) { recordExitSurvey(input: $i) { __typename
  ... on ExitSurveyPayload { id customerId primaryReason reasonText couldDoBetter wouldReturn }
  ... on UserError { field code message } } }"""
STAGE = """mutation($i: ChangeCustomerStageInput!) { changeCustomerStage(input: $i) {
  ... on CustomerPayload { customer { version } } } }"""
REASONS = """query($from: DateTime!, $to: DateTime!) { supportMetrics(from: $from, to: $to) {
  churnRate churnReasons { reason count } } }"""
TABLES = (*SUCCESS_TABLES, "exit_surveys", "customer_sequences", "sequence_steps")


async def tables(org: Org) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    async with org.pool.acquire() as conn:
        for table in TABLES:
            rows = await conn.fetch(f"SELECT * FROM {table} WHERE org_id = $1", org.id)
            found[table] = sorted((dict(row) for row in rows), key=repr)
    return found


async def stage(org: Org, c: str, version: int, to: str) -> int:
    data = await org.data(STAGE, {"i": {"id": c, "version": version, "stage": to}})
    result: int = data["changeCustomerStage"]["customer"]["version"]
    return result


async def churned(org: Org, name: str = "شركة الأفق") -> str:
    c = await customer(org, name=name)
    await stage(org, c, 1, "CHURNED")
    return c


def answers(c: str, **extra: Any) -> dict[str, Any]:
    return {"customerId": c, "primaryReason": "TOO_EXPENSIVE", "wouldReturn": "MAYBE", **extra}


async def test_records_a_churned_customers_survey(org: Org) -> None:
    c = await churned(org)
    data = await org.data(
        SURVEY,
        {
            "i": answers(
                c,
                primaryReason="OTHER",
                reasonText="  نقلنا الفريق إلى نظام داخلي  ",
                couldDoBetter="ربط أسرع مع الـ CRM",
                wouldReturn="YES_DEFINITELY",
            )
        },
    )
    survey = data["recordExitSurvey"]
    assert survey["__typename"] == "ExitSurveyPayload"
    assert {k: v for k, v in survey.items() if k not in ("__typename", "id")} == {
        "customerId": c,
        "primaryReason": "OTHER",
        "reasonText": "نقلنا الفريق إلى نظام داخلي",
        "couldDoBetter": "ربط أسرع مع الـ CRM",
        "wouldReturn": "YES_DEFINITELY",
    }
    async with org.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT customer_id, churned_at, primary_reason, would_return, recorded_at "
            "FROM exit_surveys WHERE org_id = $1",
            org.id,
        )
    assert dict(row) == {
        "customer_id": pk(c),
        "churned_at": T0,
        "primary_reason": "other",
        "would_return": "yes_definitely",
        "recorded_at": T0,
    }


@pytest.mark.parametrize(
    ("churn", "extra", "field", "code", "message"),
    [
        (
            False,
            {},
            "customerId",
            "PRECONDITION_FAILED",
            "an exit survey is for a churned customer only",
        ),
        (
            True,
            {"primaryReason": "OTHER", "reasonText": "   "},
            "reasonText",
            "REQUIRED",
            "write the reason when the primary reason is other",
        ),
        (
            True,
            {"couldDoBetter": "x" * 2001},
            "couldDoBetter",
            "TOO_LONG",
            "at most 2000 characters",
        ),
    ],
)
async def test_refusals_name_the_field_and_change_nothing(
    org: Org, churn: bool, extra: dict[str, Any], field: str, code: str, message: str
) -> None:
    c = await (churned(org) if churn else customer(org))
    before = await tables(org)
    data = await org.data(SURVEY, {"i": answers(c, **extra)})
    refusal = data["recordExitSurvey"]
    assert (refusal["field"], refusal["code"]) == (field, code)
    assert message in refusal["message"]
    assert await tables(org) == before


async def test_one_survey_per_churn(org: Org) -> None:
    c = await churned(org)
    first = await org.data(SURVEY, {"i": answers(c)})
    assert first["recordExitSurvey"]["__typename"] == "ExitSurveyPayload"
    before = await tables(org)
    again = await org.data(SURVEY, {"i": answers(c, primaryReason="POOR_EXPERIENCE")})
    assert again["recordExitSurvey"] == {
        "__typename": "ConflictError",
        "field": "customerId",
        "code": "CONFLICT",
        "message": "this churn's exit survey is already recorded",
    }
    assert await tables(org) == before
    # Back, then churned again: a new churn, a new survey.
    org.clock.advance(days=3)
    version = await stage(org, c, 2, "ONBOARDING")
    await stage(org, c, version, "CHURNED")
    later = await org.data(SURVEY, {"i": answers(c, primaryReason="POOR_EXPERIENCE")})
    assert later["recordExitSurvey"]["primaryReason"] == "POOR_EXPERIENCE"


async def test_churn_reasons_are_counted_per_period(org: Org) -> None:
    reasons = ["TOO_EXPENSIVE", "FOUND_ALTERNATIVE", "TOO_EXPENSIVE"]
    for i, reason in enumerate(reasons):  # churned on days 0, 1 and 2
        org.clock.now = T0 + timedelta(days=i)
        c = await churned(org, name=f"عميل {i}")
        await org.data(SURVEY, {"i": answers(c, primaryReason=reason)})
    org.clock.now = T0 + timedelta(days=5)
    await churned(org, name="بلا استبيان")  # churned, no survey: counts no reason

    async def counts(days_from: int, days_to: int) -> dict[str, int]:
        window = {
            "from": (T0 + timedelta(days=days_from)).isoformat(),
            "to": (T0 + timedelta(days=days_to)).isoformat(),
        }
        data = await org.data(REASONS, window)
        found = data["supportMetrics"]["churnReasons"]
        assert [r["reason"] for r in found] == [
            "FOUND_ALTERNATIVE",
            "NO_LONGER_NEEDED",
            "TOO_EXPENSIVE",
            "MISSING_FEATURES",
            "POOR_EXPERIENCE",
            "OTHER",
        ]
        return {r["reason"]: r["count"] for r in found if r["count"]}

    assert await counts(0, 3) == {"TOO_EXPENSIVE": 2, "FOUND_ALTERNATIVE": 1}
    assert await counts(1, 2) == {"FOUND_ALTERNATIVE": 1}
    assert await counts(2, 10) == {"TOO_EXPENSIVE": 1}
    assert await counts(3, 10) == {}
