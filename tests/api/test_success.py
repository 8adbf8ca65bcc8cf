"""Customer-success signals through the API: check-ins and the weekly agenda (§4.3), CSAT
ratings, NPS answers, Proof Packs and customer activity; every refusal leaves no trace."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.roles import Role
from tests.api.success_support import (
    add_ticket,
    count,
    customer,
    gid,
    pk,
    snapshot,
)
from tests.factories import T0, Org

CHECK_IN = """
mutation($i: RecordCheckInMetricsInput!) { recordCheckInMetrics(input: $i) { __typename
  ... on CheckInPayload { checkIn { id customerId weekOf draftsApproved replies meetings
    risksBlocked pipelineSar } }
  ... on UserError { field code message } } }"""

WEEKLY = """
query($c: ID!, $w: Date!) { weeklyCheckIn(customerId: $c, weekOf: $w) {
  weekOf agenda { title minutes } talkingPoints totalMinutes } }"""

RATE = """
mutation($i: RateTicketInput!) { rateTicket(input: $i) { __typename
  ... on CsatRatingPayload { ticketId customerId rating ratedAt }
  ... on UserError { field code message } } }"""

NPS = """
mutation($i: RecordNpsInput!) { recordNps(input: $i) { __typename
  ... on NpsPayload { customerId score respondedAt } ... on UserError { field code message } } }"""

PROOF = """
mutation($i: DeliverProofPackInput!) { deliverProofPack(input: $i) { __typename
  ... on ProofPackPayload { title deliveredAt } ... on UserError { field code message } } }"""

ACTIVITY = """
mutation($i: RecordCustomerActivityInput!) { recordCustomerActivity(input: $i) { __typename
  ... on CustomerPayload { customer { version lastActivityAt } }
  ... on UserError { field code message } } }"""


def week(customer_id: str, week_of: str, **metrics: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"draftsApproved": 12, "replies": 4, "meetings": 2, "risksBlocked": 3}
    values.update(metrics)
    values.setdefault("pipelineSar", 18_000.4)
    return {"i": {"customerId": customer_id, "weekOf": week_of, **values}}


async def check_in(org: Org, customer_id: str, week_of: str, **metrics: Any) -> dict[str, Any]:
    data = await org.data(CHECK_IN, week(customer_id, week_of, **metrics))
    result: dict[str, Any] = data["recordCheckInMetrics"]
    return result


# --- check-ins and the weekly agenda (§4.3) --------------------------------------------------


async def test_weekly_check_in_builds_the_agenda_and_exact_talking_points(org: Org) -> None:
    c = await customer(org)
    recorded = await check_in(org, c, "2026-10-26")
    assert recorded["__typename"] == "CheckInPayload"
    assert recorded["checkIn"]["pipelineSar"] == 18_000.4
    data = await org.data(WEEKLY, {"c": c, "w": "2026-10-26"}, role=Role.VIEWER)
    assert data["weeklyCheckIn"] == {
        "weekOf": "2026-10-26",
        "agenda": [
            {"title": "مراجعة آخر Proof Pack", "minutes": 5},
            {"title": "أبرز فرصة في الـ pipeline", "minutes": 5},
            {"title": "أبرز خطر في القنوات", "minutes": 5},
            {"title": "خطة الأسبوع القادم", "minutes": 5},
            {"title": "أي مساعدة من فريقنا؟", "minutes": 5},
        ],
        "talkingPoints": [
            "اعتمدتم 12 رسالة هذا الأسبوع، ووصلكم 4 رد.",
            "تم تجهيز 2 اجتماع.",
            "تم منع 3 مخاطر تلقائياً.",
            "Pipeline متأثر بقيمة 18000 ريال.",
        ],
        "totalMinutes": 25,
    }


async def test_weekly_check_in_without_a_recorded_week_is_not_found(org: Org) -> None:
    c = await customer(org)
    body = await org.gql(WEEKLY, {"c": c, "w": "2026-10-26"})
    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "weekOf"}


async def test_refuses_a_second_check_in_within_7_days(org: Org) -> None:
    c = await customer(org)
    await check_in(org, c, "2026-10-26")
    before = await snapshot(org)
    refused = await check_in(org, c, "2026-11-01")
    assert refused["__typename"] == "ConflictError"
    assert refused["field"] == "weekOf"
    assert "at most one check-in per 7 days" in refused["message"]
    earlier = await check_in(org, c, "2026-10-20")
    assert earlier["__typename"] == "ConflictError"
    assert await snapshot(org) == before


async def test_a_check_in_exactly_7_days_later_is_allowed(org: Org) -> None:
    c = await customer(org)
    await check_in(org, c, "2026-10-26")
    assert (await check_in(org, c, "2026-11-02"))["__typename"] == "CheckInPayload"
    assert await count(org, "check_ins") == 2


@pytest.mark.parametrize("field", ["draftsApproved", "replies", "meetings", "risksBlocked"])
async def test_refuses_negative_check_in_counts(org: Org, field: str) -> None:
    c = await customer(org)
    before = await snapshot(org)
    refused = await check_in(org, c, "2026-10-26", **{field: -1})
    assert (refused["__typename"], refused["field"], refused["code"]) == (
        "ValidationError",
        field,
        "OUT_OF_RANGE",
    )
    assert await snapshot(org) == before


async def test_viewer_and_other_organisation_cannot_record_a_check_in(
    org: Org, other_org: Org
) -> None:
    c = await customer(org)
    before = await snapshot(org)
    viewer = await org.data(CHECK_IN, week(c, "2026-10-26"), role=Role.VIEWER)
    assert viewer["recordCheckInMetrics"]["__typename"] == "ForbiddenError"
    foreign = await other_org.data(CHECK_IN, week(c, "2026-10-26"))
    assert foreign["recordCheckInMetrics"]["__typename"] == "NotFoundError"
    assert await snapshot(org) == before


async def test_a_check_in_writes_one_ledger_row(org: Org) -> None:
    c = await customer(org)
    ledger_before = await count(org, "ledger")
    await check_in(org, c, "2026-10-26")
    assert await count(org, "ledger") == ledger_before + 1


# --- CSAT, NPS, Proof Packs, activity ------------------------------------------------------


async def test_rates_a_closed_ticket_and_a_new_rating_replaces_it(org: Org) -> None:
    c = await customer(org)
    ticket = await add_ticket(org, c, status="closed")
    first = (await org.data(RATE, {"i": {"ticketId": gid("Ticket", ticket), "rating": 2}}))[
        "rateTicket"
    ]
    assert first == {
        "__typename": "CsatRatingPayload",
        "ticketId": gid("Ticket", ticket),
        "customerId": c,
        "rating": 2,
        "ratedAt": T0.isoformat(),
    }
    again = await org.data(RATE, {"i": {"ticketId": gid("Ticket", ticket), "rating": 5}})
    assert again["rateTicket"]["rating"] == 5
    assert await count(org, "csat_ratings") == 1


@pytest.mark.parametrize(
    ("status", "rating", "typename", "code"),
    [
        ("open", 4, "RuleError", "PRECONDITION_FAILED"),
        ("resolved", 4, "RuleError", "PRECONDITION_FAILED"),
        ("closed", 0, "ValidationError", "OUT_OF_RANGE"),
        ("closed", 6, "ValidationError", "OUT_OF_RANGE"),
    ],
)
async def test_refuses_rating_an_unclosed_ticket_or_out_of_1_to_5(
    org: Org, status: str, rating: int, typename: str, code: str
) -> None:
    c = await customer(org)
    ticket = await add_ticket(org, c, status=status)
    before = await snapshot(org)
    refused = await org.data(RATE, {"i": {"ticketId": gid("Ticket", ticket), "rating": rating}})
    assert (refused["rateTicket"]["__typename"], refused["rateTicket"]["code"]) == (typename, code)
    assert await snapshot(org) == before


async def test_another_organisations_ticket_is_not_found(org: Org, other_org: Org) -> None:
    c = await customer(org)
    ticket = await add_ticket(org, c)
    await org.data(RATE, {"i": {"ticketId": gid("Ticket", ticket), "rating": 2}})
    before, theirs = await snapshot(org), await snapshot(other_org)
    refused = await other_org.data(RATE, {"i": {"ticketId": gid("Ticket", ticket), "rating": 4}})
    assert (refused["rateTicket"]["__typename"], refused["rateTicket"]["field"]) == (
        "NotFoundError",
        "ticketId",
    )
    assert (await snapshot(org), await snapshot(other_org)) == (before, theirs)
    assert before["csat_ratings"][0]["rating"] == 2


@pytest.mark.parametrize("score", [0, 10])
async def test_records_nps_from_0_to_10(org: Org, score: int) -> None:
    c = await customer(org)
    data = await org.data(NPS, {"i": {"customerId": c, "score": score}})
    assert data["recordNps"] == {
        "__typename": "NpsPayload",
        "customerId": c,
        "score": score,
        "respondedAt": T0.isoformat(),
    }


@pytest.mark.parametrize("score", [-1, 11])
async def test_refuses_nps_outside_0_to_10(org: Org, score: int) -> None:
    c = await customer(org)
    before = await snapshot(org)
    data = await org.data(NPS, {"i": {"customerId": c, "score": score}})
    assert (data["recordNps"]["__typename"], data["recordNps"]["field"]) == (
        "ValidationError",
        "nps",
    )
    assert await snapshot(org) == before


NPS_ONCE = """
mutation($i: RecordNpsInput!) { recordNps(input: $i) { __typename
  ... on NpsPayload { id customerId score respondedAt }
  ... on UserError { field code message } } }"""
PROOF_ONCE = """
mutation($i: DeliverProofPackInput!) { deliverProofPack(input: $i) { __typename
  ... on ProofPackPayload { id customerId title deliveredAt }
  ... on UserError { field code message } } }"""


@pytest.mark.parametrize(
    ("query", "name", "first", "second", "table"),
    [
        (NPS_ONCE, "recordNps", {"score": 9}, {"score": 2}, "nps_responses"),
        (
            PROOF_ONCE,
            "deliverProofPack",
            {"title": "Proof Pack v1"},
            {"title": "Proof Pack v2"},
            "proof_packs",
        ),
    ],
)
async def test_a_repeat_with_the_same_idempotency_key_returns_the_first_and_stores_nothing(
    org: Org,
    query: str,
    name: str,
    first: dict[str, Any],
    second: dict[str, Any],
    table: str,
) -> None:
    c = await customer(org)
    made = (await org.data(query, {"i": {"customerId": c, "idempotencyKey": "k-1", **first}}))[name]
    assert made["__typename"] in {"NpsPayload", "ProofPackPayload"}
    assert made["customerId"] == c
    assert await count(org, table) == 1
    before = await snapshot(org)
    org.clock.advance(minutes=5)
    # The same key and input: the first answer, nothing stored, no second ledger row. The same
    # key with another input: refused, nothing stored.
    repeat = await org.data(query, {"i": {"customerId": c, "idempotencyKey": "k-1", **first}})
    assert repeat[name] == made
    reused = await org.data(query, {"i": {"customerId": c, "idempotencyKey": "k-1", **second}})
    assert (reused[name]["__typename"], reused[name]["field"], reused[name]["code"]) == (
        "ConflictError",
        "idempotencyKey",
        "IDEMPOTENCY_KEY_REUSED",
    )
    assert await snapshot(org) == before
    assert await count(org, "idempotency_keys") == 1
    # Another key is another answer.
    other = await org.data(query, {"i": {"customerId": c, "idempotencyKey": "k-2", **second}})
    assert other[name]["id"] != made["id"]
    assert await count(org, table) == 2


async def test_an_idempotency_key_of_another_call_or_over_200_characters_is_refused(
    org: Org,
) -> None:
    c = await customer(org)
    await org.data(NPS_ONCE, {"i": {"customerId": c, "score": 9, "idempotencyKey": "shared"}})
    before, keys = await snapshot(org), await count(org, "idempotency_keys")
    reused = await org.data(
        PROOF_ONCE, {"i": {"customerId": c, "title": "v1", "idempotencyKey": "shared"}}
    )
    assert {k: reused["deliverProofPack"][k] for k in ("__typename", "field", "code")} == {
        "__typename": "ValidationError",
        "field": "idempotencyKey",
        "code": "DUPLICATE",
    }
    too_long = await org.data(
        NPS_ONCE, {"i": {"customerId": c, "score": 9, "idempotencyKey": "k" * 201}}
    )
    assert (too_long["recordNps"]["field"], too_long["recordNps"]["code"]) == (
        "idempotencyKey",
        "TOO_LONG",
    )
    assert (await snapshot(org), await count(org, "idempotency_keys")) == (before, keys)


async def test_delivers_a_proof_pack(org: Org) -> None:
    c = await customer(org)
    at = (T0 - timedelta(days=2)).isoformat()
    data = await org.data(
        PROOF, {"i": {"customerId": c, "title": " Proof Pack v1 ", "deliveredAt": at}}
    )
    assert data["deliverProofPack"] == {
        "__typename": "ProofPackPayload",
        "title": "Proof Pack v1",
        "deliveredAt": at,
    }


@pytest.mark.parametrize(
    ("title", "delivered_at", "field", "code"),
    [
        ("  ", None, "title", "REQUIRED"),
        ("x" * 121, None, "title", "TOO_LONG"),
        ("v1", (T0 + timedelta(minutes=1)).isoformat(), "deliveredAt", "OUT_OF_RANGE"),
    ],
)
async def test_refuses_a_proof_pack_without_title_or_from_the_future(
    org: Org, title: str, delivered_at: str | None, field: str, code: str
) -> None:
    c = await customer(org)
    before = await snapshot(org)
    data = await org.data(
        PROOF, {"i": {"customerId": c, "title": title, "deliveredAt": delivered_at}}
    )
    result = data["deliverProofPack"]
    assert (result["__typename"], result["field"], result["code"]) == (
        "ValidationError",
        field,
        code,
    )
    assert await snapshot(org) == before


async def test_activity_moves_last_activity_forward_only(org: Org) -> None:
    c = await customer(org, last_activity=T0 - timedelta(days=3))
    newer = await org.data(ACTIVITY, {"i": {"customerId": c}})
    assert newer["recordCustomerActivity"]["customer"] == {
        "version": 2,
        "lastActivityAt": T0.isoformat(),
    }
    older = await org.data(
        ACTIVITY, {"i": {"customerId": c, "at": (T0 - timedelta(days=1)).isoformat()}}
    )
    assert older["recordCustomerActivity"]["customer"] == {
        "version": 2,
        "lastActivityAt": T0.isoformat(),
    }


async def test_refuses_activity_from_the_future_or_by_a_viewer(org: Org) -> None:
    c = await customer(org)
    before = await snapshot(org)
    future = (T0 + timedelta(hours=1)).isoformat()
    data = await org.data(ACTIVITY, {"i": {"customerId": c, "at": future}})
    assert data["recordCustomerActivity"]["__typename"] == "ValidationError"
    viewer = await org.data(ACTIVITY, {"i": {"customerId": c}}, role=Role.VIEWER)
    assert viewer["recordCustomerActivity"]["__typename"] == "ForbiddenError"
    assert await snapshot(org) == before


# --- health history range (§4.2) -----------------------------------------------------------

HISTORY = "query($id: ID!, $d: Int!) { customer(id: $id) { healthHistory(days: $d) { day } } }"


@pytest.mark.parametrize("days", [0, -1, 367, 2**31 - 1])
async def test_health_history_outside_1_to_366_days_is_refused(org: Org, days: int) -> None:
    c = await customer(org)
    before = await snapshot(org)
    body = await org.gql(HISTORY, {"id": c, "d": days})
    assert [e["extensions"] for e in body["errors"]] == [{"code": "OUT_OF_RANGE", "field": "days"}]
    assert body["errors"][0]["path"] == ["customer", "healthHistory"]
    assert await snapshot(org) == before


@pytest.mark.parametrize(
    ("days", "expected"),
    [(1, ["2026-11-01"]), (366, ["2025-11-01", "2026-10-31", "2026-11-01"])],
)
async def test_health_history_at_the_bounds_is_answered(
    org: Org, days: int, expected: list[str]
) -> None:
    c = await customer(org)
    async with org.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO health_snapshots (org_id, customer_id, day, value, band, risk_score, "
            "severity, computed_at) SELECT $1, $2, d::date, 80, 'healthy', 0, 'low', $3 "
            "FROM unnest($4::date[]) AS d",
            org.id,
            pk(c),
            T0,
            [(T0 - timedelta(days=n)).date() for n in (0, 1, 365, 366)],
        )
    data = await org.data(HISTORY, {"id": c, "d": days}, role=Role.VIEWER)
    assert [point["day"] for point in data["customer"]["healthHistory"]] == expected


@pytest.mark.parametrize(
    ("zone", "expected"), [("Asia/Riyadh", ["2026-11-02"]), ("UTC", ["2026-11-01", "2026-11-02"])]
)
async def test_health_history_days_are_the_organisations(
    org: Org, zone: str, expected: list[str]
) -> None:
    """Snapshots are dated by the organisation's day; so is the window `days` counts back."""
    if zone != "Asia/Riyadh":  # the default; no API sets the time zone yet
        async with org.pool.acquire() as conn:
            await conn.execute(
                "UPDATE organisations SET time_zone = $1 WHERE id = $2", zone, org.id
            )
    c = await customer(org)
    async with org.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO health_snapshots (org_id, customer_id, day, value, band, risk_score, "
            "severity, computed_at) SELECT $1, $2, d::date, 80, 'healthy', 0, 'low', $3 "
            "FROM unnest($4::date[]) AS d",
            org.id,
            pk(c),
            T0,
            [date(2026, 11, 1), date(2026, 11, 2)],
        )
    # 22:30 UTC on 1 November: in Riyadh already 2 November, so its one day is 2 November; the
    # UTC organisation's one day is 1 November (a row dated later is answered too).
    org.clock.now = datetime(2026, 11, 1, 22, 30, tzinfo=UTC)
    data = await org.data(HISTORY, {"id": c, "d": 1})
    assert [point["day"] for point in data["customer"]["healthHistory"]] == expected
