"""CSV import through the GraphQL API: customers and historical tickets, dry runs, refusals with
line and column, skipInvalid, BOM and Arabic headers, idempotent re-import, importJob."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest

from domain.roles import Role
from tests.api.test_working_time import office, riyadh, use
from tests.factories import Org

JOB = """id kind status total processed created existing invalid
  errors { line column code message } createdAt finishedAt"""

IMPORT = """
mutation($input: ImportCsvInput!) {
  importCustomers(input: $input) {
    __typename
    ... on ImportPayload { job { JOB } }
    ... on ImportRefusedError { field code message rows { line column code message } }
    ... on UserError { field code message }
  }
}""".replace("JOB", JOB)
IMPORT_TICKETS = IMPORT.replace("importCustomers", "importTickets")
GET = "query($id: ID!) { importJob(id: $id) { JOB } }".replace("JOB", JOB)

CUSTOMERS = (
    "external_id,name,locale,bundle,subscription_started_at,contact_email\n"
    "c-1,شركة الأفق,ar,growth_starter,2026-01-05,ops@ofuq.sa\n"
    "c-2,Najd Trading,en,executive_growth_os,2026-02-01T10:00:00+00:00,\n"
)
TABLES = ("customers", "tickets", "ticket_events", "import_jobs", "import_keys", "ledger")


async def run(org: Org, csv: str, *, tickets: bool = False, **flags: Any) -> dict[str, Any]:
    query = IMPORT_TICKETS if tickets else IMPORT
    data = await org.data(query, {"input": {"csv": csv, **flags}})
    result: dict[str, Any] = data["importTickets" if tickets else "importCustomers"]
    return result


async def snapshot(org: Org) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    async with org.pool.acquire() as conn:
        for table in TABLES:
            found = await conn.fetch(f"SELECT * FROM {table} WHERE org_id = $1", org.id)
            rows[table] = sorted((dict(row) for row in found), key=repr)
    return rows


async def customers_of(org: Org) -> list[tuple[Any, ...]]:
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT name, locale, bundle, stage, subscription_status, subscription_started_at, "
            "contact_email FROM customers WHERE org_id = $1 ORDER BY id",
            org.id,
        )
    return [tuple(row.values()) for row in rows]


async def test_imports_customers_with_one_ledger_row(org: Org) -> None:
    result = await run(org, CUSTOMERS)
    assert result["__typename"] == "ImportPayload"
    job = result["job"]
    assert job["id"] is not None
    del job["id"]
    assert job == {
        "kind": "CUSTOMERS",
        "status": "DONE",
        "total": 2,
        "processed": 2,
        "created": 2,
        "existing": 0,
        "invalid": 0,
        "errors": [],
        "createdAt": "2026-11-01T09:00:00+00:00",
        "finishedAt": "2026-11-01T09:00:00+00:00",
    }
    rows = await customers_of(org)
    assert [row[:5] for row in rows] == [
        ("شركة الأفق", "ar", "growth_starter", "onboarding", "pilot"),
        ("Najd Trading", "en", "executive_growth_os", "onboarding", "pilot"),
    ]
    # A date alone is midnight in the organisation's time zone (Asia/Riyadh, UTC+3).
    assert rows[0][5].isoformat() == "2026-01-04T21:00:00+00:00"
    assert rows[1][5].isoformat() == "2026-02-01T10:00:00+00:00"
    assert (rows[0][6], rows[1][6]) == ("ops@ofuq.sa", None)
    async with org.pool.acquire() as conn:
        ledger = await conn.fetch(
            "SELECT action, entity, after, operator_id IS NOT NULL AS who FROM ledger "
            "WHERE org_id = $1",
            org.id,
        )
    assert [dict(row) for row in ledger] == [
        {
            "action": "importCustomers",
            "entity": "ImportJob",
            "after": {"kind": "customers", "total": 2, "created": 2, "existing": 0, "invalid": 0},
            "who": True,
        }
    ]


async def test_import_job_is_read_again_by_id_and_not_by_another_org(
    org: Org, other_org: Org
) -> None:
    job = (await run(org, CUSTOMERS))["job"]
    again = (await org.data(GET, {"id": job["id"]}))["importJob"]
    assert again == job
    body = await other_org.gql(GET, {"id": job["id"]})
    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}


async def test_dry_run_counts_and_writes_nothing(org: Org) -> None:
    before = await snapshot(org)
    result = await run(org, CUSTOMERS, dryRun=True)
    job = result["job"]
    assert (job["id"], job["status"], job["total"], job["created"], job["invalid"]) == (
        None,
        "DRY_RUN",
        2,
        2,
        0,
    )
    assert await snapshot(org) == before


async def test_a_bad_row_refuses_the_whole_file_with_line_and_column(org: Org) -> None:
    before = await snapshot(org)
    bad = CUSTOMERS + "c-3,Bad Co,ar,growth_starter,2026-03-01,not-an-email\n"
    bad += '"c-4","",ar,growth_starter,2026-03-01,\n'
    result = await run(org, bad)
    assert result["__typename"] == "ImportRefusedError"
    assert (result["field"], result["code"]) == ("csv", "INVALID")
    assert result["rows"] == [
        {
            "line": 4,
            "column": "contact_email",
            "code": "INVALID",
            "message": "not an email address",
        },
        {"line": 5, "column": "name", "code": "REQUIRED", "message": "name is required"},
    ]
    assert result["message"].startswith("2 of 4 rows refused: line 4 contact_email")
    assert await snapshot(org) == before


async def test_skip_invalid_imports_the_rest(org: Org) -> None:
    bad = CUSTOMERS + "c-3,Bad Co,ar,platinum,2026-03-01,\n"
    job = (await run(org, bad, skipInvalid=True))["job"]
    assert (job["status"], job["total"], job["created"], job["invalid"]) == ("DONE", 3, 2, 1)
    assert job["errors"] == [
        {"line": 4, "column": "bundle", "code": "INVALID", "message": "'platinum' is not a bundle"}
    ]
    assert [row[0] for row in await customers_of(org)] == ["شركة الأفق", "Najd Trading"]


async def test_bom_and_arabic_headers(org: Org) -> None:
    arabic = (
        "\ufeffالمعرف الخارجي,الاسم,اللغة,الباقة,بداية الاشتراك,حالة الاشتراك\n"
        "a-1,مؤسسة الريادة,عربي,partnership_growth,2026-04-01,active\n"
        "a-2,,en,growth_starter,2026-04-01,active\n"
    )
    result = await run(org, arabic, skipInvalid=True)
    job = result["job"]
    assert (job["created"], job["invalid"]) == (1, 1)
    # The refused column is named as the file's header spells it.
    assert job["errors"] == [
        {"line": 3, "column": "الاسم", "code": "REQUIRED", "message": "name is required"}
    ]
    rows = await customers_of(org)
    assert [row[:5] for row in rows] == [
        ("مؤسسة الريادة", "ar", "partnership_growth", "onboarding", "active")
    ]


async def test_unknown_header_is_refused_naming_it(org: Org) -> None:
    result = await run(org, "external_id,name,subscription_started_at,colour\nx,y,2026-01-01,red\n")
    assert (result["__typename"], result["field"], result["code"]) == (
        "ValidationError",
        "colour",
        "INVALID",
    )


async def test_reimporting_the_same_file_creates_nothing_new(org: Org) -> None:
    await run(org, CUSTOMERS)
    before = await customers_of(org)
    job = (await run(org, CUSTOMERS))["job"]
    assert (job["status"], job["total"], job["created"], job["existing"]) == ("DONE", 2, 0, 2)
    assert await customers_of(org) == before


async def test_viewer_and_agent_may_not_import(org: Org) -> None:
    for role in (Role.VIEWER, Role.AGENT):
        data = await org.data(IMPORT, {"input": {"csv": CUSTOMERS}}, role=role)
        assert data["importCustomers"]["__typename"] == "ForbiddenError"
        assert data["importCustomers"]["field"] == "importCustomers"
    assert await customers_of(org) == []


TICKETS = (
    "external_id,customer_external_id,subject,body,channel,opened_at,first_response_at,"
    "resolved_at\n"
    "t-1,c-1,Invoice question,When is my invoice due?,email,2026-10-01T08:00:00+00:00,"
    "2026-10-01T09:00:00+00:00,2026-10-02T08:00:00+00:00\n"
    't-2,c-2,تسريب بيانات العملاء,"لا يمكننا الدخول\nإطلاقاً",whatsapp,2026-10-30T08:00:00+00:00,,\n'
)


async def test_imports_historical_tickets_with_their_own_times(org: Org) -> None:
    await run(org, CUSTOMERS)
    job = (await run(org, TICKETS, tickets=True))["job"]
    assert (job["kind"], job["status"], job["created"]) == ("TICKETS", "DONE", 2)
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT c.name, t.subject, t.status, t.channel, t.priority, t.opened_at, "
            "t.first_response_at, t.resolved_at, t.first_response_due_at FROM tickets t "
            "JOIN customers c ON c.org_id = t.org_id AND c.id = t.customer_id "
            "WHERE t.org_id = $1 ORDER BY t.id",
            org.id,
        )
        events = await conn.fetch(
            "SELECT event, at FROM ticket_events WHERE org_id = $1 ORDER BY ticket_id, at",
            org.id,
        )
    got = [
        (r[0], r[1], r[2], r[3], r[4], *(None if v is None else v.isoformat() for v in r[5:]))
        for r in rows
    ]
    assert got == [
        (
            "شركة الأفق",
            "Invoice question",
            "resolved",
            "email",
            "P3",
            "2026-10-01T08:00:00+00:00",
            "2026-10-01T09:00:00+00:00",
            "2026-10-02T08:00:00+00:00",
            # "invoice": the payment support mode (15 min), as openTicket would detect it.
            "2026-10-01T08:15:00+00:00",
        ),
        (
            "Najd Trading",
            "تسريب بيانات العملاء",
            "open",
            "whatsapp",
            "P0",
            "2026-10-30T08:00:00+00:00",
            None,
            None,
            "2026-10-30T08:30:00+00:00",
        ),
    ]
    assert [(e["event"], e["at"].isoformat()) for e in events] == [
        ("opened", "2026-10-01T08:00:00+00:00"),
        ("first_response", "2026-10-01T09:00:00+00:00"),
        ("resolved", "2026-10-02T08:00:00+00:00"),
        ("opened", "2026-10-30T08:00:00+00:00"),
    ]
    again = (await run(org, TICKETS, tickets=True))["job"]
    assert (again["created"], again["existing"]) == (0, 2)


async def test_imported_tickets_count_in_their_priority_calendar_with_their_support_mode(
    org: Org,
) -> None:
    await use(org, "P3", await office(org))
    await run(org, CUSTOMERS)
    org.clock.now = riyadh(3, 16).astimezone(UTC)  # an hour after both were opened
    csv = (
        "external_id,customer_external_id,subject,body,channel,opened_at\n"
        # Thursday 15:00 in Riyadh: P3's 24 working hours end the following Tuesday at 15:00.
        "t-1,c-1,ملاحظة عامة,,email,2026-12-03T12:00:00+00:00\n"
        # A rate limit: by the end of the same working day, Thursday 17:00 in Riyadh.
        "t-2,c-2,We hit the rate limit,,email,2026-12-03T12:00:00+00:00\n"
    )
    job = (await run(org, csv, tickets=True))["job"]
    assert (job["status"], job["created"]) == ("DONE", 2)
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT priority, support_mode, first_response_due_at FROM tickets "
            "WHERE org_id = $1 ORDER BY id",
            org.id,
        )
    assert [tuple(row) for row in rows] == [
        ("P3", None, riyadh(8, 15).astimezone(UTC)),
        ("P3", "integration_limit", riyadh(3, 17).astimezone(UTC)),
    ]


async def test_ticket_rows_follow_the_lifecycle_rules(org: Org) -> None:
    await run(org, CUSTOMERS)
    before = await snapshot(org)
    bad = (
        "external_id,customer_external_id,subject,opened_at,first_response_at,resolved_at\n"
        "t-1,c-9,Hello,2026-10-01,,\n"
        "t-2,c-1,Hello,2026-10-01T10:00:00+00:00,2026-10-01T09:00:00+00:00,\n"
        "t-3,c-1,Hello,2026-10-01,,2026-10-02\n"
        "t-4,c-1,Hello,2026-12-01,,\n"
        "t-4,c-1,Hello,2026-10-01,,\n"
    )
    result = await run(org, bad, tickets=True)
    assert result["__typename"] == "ImportRefusedError"
    assert [(r["line"], r["column"], r["code"]) for r in result["rows"]] == [
        (2, "customer_external_id", "NOT_FOUND"),
        (3, "first_response_at", "INVALID"),
        (4, "resolved_at", "PRECONDITION_FAILED"),
        (5, "opened_at", "OUT_OF_RANGE"),
        (6, "external_id", "DUPLICATE"),
    ]
    assert await snapshot(org) == before


@pytest.mark.parametrize("flag", [True, False])
async def test_import_of_tickets_reports_missing_columns(org: Org, flag: bool) -> None:
    result = await run(org, "external_id,subject\nx,y\n", tickets=True, skipInvalid=flag)
    assert (result["__typename"], result["field"], result["code"]) == (
        "ValidationError",
        "customer_external_id",
        "REQUIRED",
    )


async def test_a_file_near_the_request_body_limit_imports_in_one_request(org: Org) -> None:
    header = "external_id,name,subscription_started_at,contact_email\n"
    rows = [f"k-{n:05d},شركة رقم {n},2026-01-01,ops{n}@example.sa\n" for n in range(4_000)]
    csv = header + "".join(rows)
    assert 200_000 < len(csv.encode()) < 250_000  # the limit is 256 KiB with the query
    job = (await run(org, csv))["job"]
    assert (job["status"], job["total"], job["created"]) == ("DONE", 4_000, 4_000)


async def test_two_imports_of_one_file_at_once_create_each_customer_once(org: Org) -> None:
    import asyncio

    query = IMPORT.replace("... on UserError { field code message }", "... on UserError { code }")
    results = await asyncio.gather(
        *(org.data(query, {"input": {"csv": CUSTOMERS}}) for _ in range(3))
    )
    outcomes = [
        r["importCustomers"].get("job", {}).get("created", r["importCustomers"].get("code"))
        for r in results
    ]
    # One import creates both; the others find them imported, or lost the race and wrote nothing.
    assert outcomes.count(2) == 1, outcomes
    assert all(o in (0, 2, "CONFLICT") for o in outcomes), outcomes
    assert len(await customers_of(org)) == 2


async def test_a_viewer_may_not_read_import_jobs(org: Org) -> None:
    job = (await run(org, CUSTOMERS))["job"]
    body = await org.gql(GET, {"id": job["id"]}, role=Role.VIEWER)
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "field": "importJob"}
