"""Free-text and numeric inputs are bounded through the API: a refusal is the typed error and
leaves the database as it was; the bound itself is accepted."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from tests.factories import T0, Org, new_customer, open_ticket

# Every table a refused mutation here could have written.
TABLES = (
    "customers",
    "tickets",
    "ticket_events",
    "drafts",
    "incidents",
    "incident_customers",
    "incident_steps",
    "check_ins",
    "success_plans",
    "success_plan_items",
    "idempotency_keys",
    "ledger",
    "alerts",
)

ERROR = "... on UserError { field code message }"


def mutation(name: str, input_type: str, payload: str = "") -> str:
    return f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ __typename {payload} {ERROR} }} }}"


CREATE_CUSTOMER = mutation(
    "createCustomer", "CreateCustomerInput", "... on CustomerPayload { customer { id } }"
)
OPEN_TICKET = mutation(
    "openTicket", "OpenTicketInput", "... on OpenTicketPayload { ticket { id } }"
)
DECLARE = mutation(
    "declareIncident", "DeclareIncidentInput", "... on IncidentPayload { incident { id } }"
)
START_PLAN = mutation("startSuccessPlan", "StartSuccessPlanInput")
ESCALATE = mutation(
    "escalateTicket", "EscalateTicketInput", "... on TicketPayload { ticket { priority } }"
)
REPLY = mutation("logReply", "TicketStepInput")
RESOLVE = mutation("resolveTicket", "TicketStepInput")
CLOSE = mutation(
    "confirmTicketClosed",
    "ConfirmTicketClosedInput",
    "... on TicketPayload { ticket { closedConfirmedBy } }",
)
STATUS = mutation("changeIncidentStatus", "ChangeIncidentStatusInput")
POST_MORTEM = mutation(
    "submitPostMortem",
    "SubmitPostMortemInput",
    "... on IncidentPayload { incident { postMortem { actionOwners } } }",
)
CHECK_IN = mutation(
    "recordCheckInMetrics",
    "RecordCheckInMetricsInput",
    "... on CheckInPayload { checkIn { pipelineSar } }",
)
SEARCH = "query($f: CustomerFilter) { customers(filter: $f) { edges { node { name } } } }"


async def rows(org: Org) -> dict[str, list[dict[str, Any]]]:
    """Every row `org` has in the tables a mutation here writes."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with org.pool.acquire() as conn:
        for table in TABLES:
            records = await conn.fetch(f"SELECT * FROM {table} WHERE org_id = $1", org.id)
            found[table] = sorted((dict(record) for record in records), key=repr)
    return found


async def run(org: Org, query: str, payload: dict[str, Any]) -> dict[str, Any]:
    data = await org.data(query, {"i": payload})
    result: dict[str, Any] = next(iter(data.values()))
    return result


async def refused(
    org: Org, query: str, payload: dict[str, Any], kind: str, field: str, code: str
) -> None:
    """The mutation answers `kind` naming `field` and `code`, and changes no row."""
    before = await rows(org)
    result = await run(org, query, payload)
    assert (result["__typename"], result["field"], result["code"]) == (kind, field, code), result
    assert await rows(org) == before


# Escalation notes and other ticket text ------------------------------------------------------


async def test_an_escalation_note_over_10000_characters_is_too_long(org: Org) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    for size in (10_001, 200_000):
        await refused(
            org,
            ESCALATE,
            {"id": tid, "version": 1, "note": "n" * size},
            "ValidationError",
            "note",
            "TOO_LONG",
        )
    escalated = await run(org, ESCALATE, {"id": tid, "version": 1, "note": "ن" * 10_000})
    assert escalated == {"__typename": "TicketPayload", "ticket": {"priority": "P2"}}


async def test_who_confirmed_a_ticket_closed_is_a_name_of_at_most_120_characters(
    org: Org,
) -> None:
    customer = await new_customer(org)
    tid = (await open_ticket(org, customer, "hello"))["ticket"]["id"]
    await run(org, REPLY, {"id": tid, "version": 1})
    await run(org, RESOLVE, {"id": tid, "version": 2})
    await refused(
        org,
        CLOSE,
        {"id": tid, "version": 3, "confirmedBy": "س" * 121},
        "ValidationError",
        "confirmedBy",
        "TOO_LONG",
    )
    closed = await run(org, CLOSE, {"id": tid, "version": 3, "confirmedBy": "س" * 120})
    assert closed["ticket"] == {"closedConfirmedBy": "س" * 120}


# Customer search -----------------------------------------------------------------------------


async def test_a_customer_search_term_over_120_characters_is_too_long(org: Org) -> None:
    await new_customer(org, name="شركة الأفق")
    body = await org.gql(SEARCH, {"f": {"search": "ا" * 121}})
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "TOO_LONG", "field": "filter.search"}
    data = await org.data(SEARCH, {"f": {"search": "ا" * 120}})
    assert data["customers"]["edges"] == []


# Post-mortem action owners -------------------------------------------------------------------


async def test_a_post_mortem_action_owner_is_a_name_of_at_most_120_characters(org: Org) -> None:
    declared = await run(org, DECLARE, {"title": "تعطل"})
    incident = declared["incident"]["id"]
    for version, status in enumerate(("MITIGATED", "RESOLVED"), start=1):
        moved = await run(org, STATUS, {"id": incident, "version": version, "status": status})
        assert moved["__typename"] == "IncidentPayload", moved
    payload = {
        "id": incident,
        "version": 3,
        "summary": "ملخص",
        "timeline": "09:00 اكتشاف",
        "rootCause": "مفتاح مكشوف",
        "whatWentRight": "الاستجابة السريعة",
        "whatWentWrong": "تأخر الإخطار",
        "preventiveActions": ["تدوير المفاتيح", "مراجعة السجلات"],
        "actionOwners": ["سارة", "ع" * 121],
        "deadline": (T0 + timedelta(days=7)).isoformat(),
    }
    await refused(org, POST_MORTEM, payload, "ValidationError", "actionOwners[1]", "TOO_LONG")
    written = await run(org, POST_MORTEM, {**payload, "actionOwners": ["سارة", "ع" * 120]})
    assert written["incident"]["postMortem"]["actionOwners"] == ["سارة", "ع" * 120]


# Idempotency keys ----------------------------------------------------------------------------


async def _create_inputs(org: Org) -> dict[str, tuple[str, dict[str, Any]]]:
    customer = await new_customer(org)
    return {
        "createCustomer": (
            CREATE_CUSTOMER,
            {"name": "عميل", "subscriptionStartedAt": T0.isoformat()},
        ),
        "openTicket": (OPEN_TICKET, {"customer": customer, "subject": "hello", "body": ""}),
        "declareIncident": (DECLARE, {"title": "تعطل"}),
        "startSuccessPlan": (START_PLAN, {"customerId": customer}),
    }


@pytest.mark.parametrize(
    "operation", ["createCustomer", "openTicket", "declareIncident", "startSuccessPlan"]
)
async def test_an_idempotency_key_over_200_characters_is_too_long(org: Org, operation: str) -> None:
    query, payload = (await _create_inputs(org))[operation]
    for size in (201, 10_000):
        await refused(
            org,
            query,
            {**payload, "idempotencyKey": "k" * size},
            "ValidationError",
            "idempotencyKey",
            "TOO_LONG",
        )
    first = await run(org, query, {**payload, "idempotencyKey": "k" * 200})
    assert first["__typename"].endswith("Payload"), first
    before = await rows(org)
    again = await run(org, query, {**payload, "idempotencyKey": "k" * 200})
    assert again == first  # the repeat returns what the first call made
    assert await rows(org) == before


async def _waiting(pool: asyncpg.Pool, count: int) -> None:
    """Until `count` backends of this database wait on a lock."""
    for _ in range(500):
        async with pool.acquire() as conn:
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        if waiting >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{waiting} backends waiting, expected {count}")


async def test_one_key_for_two_operations_at_once_refuses_the_second_as_a_duplicate(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    """Both calls pass the key check before either records the key: they must still queue on
    the key, so the second finds the first's and is refused, not failed on the primary key."""
    key = "one-key-two-operations"
    customer = {"name": "عميل", "subscriptionStartedAt": T0.isoformat(), "idempotencyKey": key}
    incident = {"title": "تعطل", "idempotencyKey": key}
    before = await rows(org)
    async with system_pool.acquire() as blocker, blocker.transaction():
        # Hold back every write of a key: both calls get as far as they can, then wait.
        await blocker.execute("LOCK TABLE idempotency_keys IN SHARE MODE")
        calls = asyncio.gather(
            org.gql(CREATE_CUSTOMER, {"i": customer}), org.gql(DECLARE, {"i": incident})
        )
        task = asyncio.ensure_future(calls)
        await _waiting(system_pool, 2)
    made, declared = await task
    assert "errors" not in made, made
    assert "errors" not in declared, declared
    results = [made["data"]["createCustomer"], declared["data"]["declareIncident"]]
    winners = [r for r in results if r["__typename"] in {"CustomerPayload", "IncidentPayload"}]
    losers = [r for r in results if r not in winners]
    assert len(winners) == 1
    assert [(r["__typename"], r["field"], r["code"]) for r in losers] == [
        ("ValidationError", "idempotencyKey", "DUPLICATE")
    ]
    after = await rows(org)
    assert len(after["idempotency_keys"]) == 1
    assert len(after["ledger"]) == 1
    made_rows = len(after["customers"]) + len(after["incidents"])
    assert made_rows == len(before["customers"]) + len(before["incidents"]) + 1


# Check-in metrics ----------------------------------------------------------------------------


def check_in(customer: str, **values: float) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "customerId": customer,
        "weekOf": "2026-10-26",
        "draftsApproved": 0,
        "replies": 0,
        "meetings": 0,
        "risksBlocked": 0,
        "pipelineSar": 0,
    }
    payload.update(values)
    return payload


@pytest.mark.parametrize("sar", [1e20, 1e12, 999_999_999_999.995])
async def test_a_pipeline_of_a_trillion_riyals_or_more_is_out_of_range(
    org: Org, sar: float
) -> None:
    customer = await new_customer(org)
    await refused(
        org,
        CHECK_IN,
        check_in(customer, pipelineSar=sar),
        "ValidationError",
        "pipelineSar",
        "OUT_OF_RANGE",
    )


async def test_the_largest_pipeline_is_stored_to_the_halala(org: Org) -> None:
    customer = await new_customer(org)
    recorded = await run(org, CHECK_IN, check_in(customer, pipelineSar=999_999_999_999.99))
    assert recorded["checkIn"] == {"pipelineSar": 999_999_999_999.99}


@pytest.mark.parametrize("field", ["draftsApproved", "replies", "meetings", "risksBlocked"])
async def test_a_weekly_count_over_a_million_is_out_of_range(org: Org, field: str) -> None:
    customer = await new_customer(org)
    for value in (1_000_001, 2_147_483_647, -1):
        await refused(
            org,
            CHECK_IN,
            check_in(customer, **{field: value}),
            "ValidationError",
            field,
            "OUT_OF_RANGE",
        )
    recorded = await run(org, CHECK_IN, check_in(customer, **{field: 1_000_000}))
    assert recorded["__typename"] == "CheckInPayload"
