"""Customers through the GraphQL API: create, update, archive, list, search, refusals."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from domain.roles import Role
from tests.factories import Org

CREATE = """
mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    __typename
    ... on CustomerPayload { customer { id version name locale bundle stage contactEmail
      subscription { status startedAt renewsAt } } }
    ... on UserError { field code message }
  }
}"""

UPDATE = """
mutation($input: UpdateCustomerInput!) {
  updateCustomer(input: $input) {
    __typename
    ... on CustomerPayload { customer { id version name locale } }
    ... on UserError { field code message }
  }
}"""

ARCHIVE = """
mutation($input: ArchiveCustomerInput!) {
  archiveCustomer(input: $input) {
    __typename
    ... on CustomerPayload { customer { id version archivedAt } }
    ... on UserError { field code message }
  }
}"""

LIST = """
query($first: Int, $after: String, $filter: CustomerFilter) {
  customers(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id name } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def create(org: Org, **fields: Any) -> dict[str, Any]:
    payload = {"name": "شركة الأفق", "subscriptionStartedAt": "2026-01-01T00:00:00+00:00"}
    payload.update(fields)
    data = await org.data(CREATE, {"input": payload})
    result: dict[str, Any] = data["createCustomer"]
    return result


async def count_rows(org: Org, table: str) -> int:
    async with org.pool.acquire() as conn:
        value: int = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE org_id = $1", org.id)
        return value


async def test_creates_a_customer_with_arabic_defaults(org: Org) -> None:
    result = await create(org, contactEmail="ops@ofuq.sa", renewsAt="2027-01-01T00:00:00+00:00")
    assert result["__typename"] == "CustomerPayload"
    customer = result["customer"]
    assert customer["name"] == "شركة الأفق"
    assert customer["version"] == 1
    assert (customer["locale"], customer["bundle"], customer["stage"]) == (
        "AR",
        "GROWTH_STARTER",
        "ONBOARDING",
    )
    assert customer["subscription"] == {
        "status": "PILOT",
        "startedAt": "2026-01-01T00:00:00+00:00",
        "renewsAt": "2027-01-01T00:00:00+00:00",
    }
    assert customer["contactEmail"] == "ops@ofuq.sa"


async def test_create_writes_one_ledger_row_with_the_after_picture(org: Org) -> None:
    customer = (await create(org, name="Najm"))["customer"]
    data = await org.data(
        "query($e: ID!) { ledger(entity: $e) { edges { node { "
        "action entity role before after } } } }",
        {"e": customer["id"]},
    )
    entries = [edge["node"] for edge in data["ledger"]["edges"]]
    assert len(entries) == 1
    assert entries[0]["action"] == "createCustomer"
    assert entries[0]["entity"] == "Customer"
    assert entries[0]["role"] == "owner"
    assert entries[0]["before"] is None
    assert entries[0]["after"]["name"] == "Najm"


async def test_a_repeated_idempotency_key_returns_the_first_customer(org: Org) -> None:
    first = await create(org, name="Once", idempotencyKey="k-1")
    again = await create(org, name="Once", idempotencyKey="k-1")
    assert again["customer"]["id"] == first["customer"]["id"]
    assert await count_rows(org, "customers") == 1
    assert await count_rows(org, "ledger") == 1


async def test_updates_with_the_version_it_read(org: Org) -> None:
    customer = (await create(org))["customer"]
    data = await org.data(
        UPDATE,
        {"input": {"id": customer["id"], "version": 1, "name": "Renamed", "locale": "EN"}},
    )
    assert data["updateCustomer"]["customer"] == {
        "id": customer["id"],
        "version": 2,
        "name": "Renamed",
        "locale": "EN",
    }


async def test_refuses_a_stale_version_and_changes_nothing(org: Org) -> None:
    customer = (await create(org))["customer"]
    await org.data(UPDATE, {"input": {"id": customer["id"], "version": 1, "name": "First"}})
    data = await org.data(UPDATE, {"input": {"id": customer["id"], "version": 1, "name": "Late"}})
    assert data["updateCustomer"]["__typename"] == "ConflictError"
    assert data["updateCustomer"]["field"] == "version"
    assert data["updateCustomer"]["code"] == "CONFLICT"
    check = await org.data(
        "query($id: ID!) { customer(id: $id) { name version } }", {"id": customer["id"]}
    )
    assert check["customer"] == {"name": "First", "version": 2}
    assert await count_rows(org, "ledger") == 2


async def test_refuses_a_20000_character_name_and_changes_nothing(org: Org) -> None:
    result = await create(org, name="x" * 20_000)
    assert result == {
        "__typename": "ValidationError",
        "field": "name",
        "code": "TOO_LONG",
        "message": "at most 120 characters",
    }
    assert await count_rows(org, "customers") == 0
    assert await count_rows(org, "ledger") == 0


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"name": "   "}, "name", "REQUIRED"),
        ({"name": "y" * 121}, "name", "TOO_LONG"),
        ({"contactEmail": "not-an-email"}, "contactEmail", "INVALID"),
        ({"renewsAt": "2025-01-01T00:00:00+00:00"}, "renewsAt", "INVALID"),
    ],
)
async def test_refuses_invalid_fields(
    org: Org, fields: dict[str, Any], field: str, code: str
) -> None:
    result = await create(org, **fields)
    assert (result["__typename"], result["field"], result["code"]) == (
        "ValidationError",
        field,
        code,
    )
    assert await count_rows(org, "customers") == 0


async def test_a_name_of_exactly_120_characters_is_accepted(org: Org) -> None:
    result = await create(org, name="n" * 120)
    assert result["__typename"] == "CustomerPayload"


async def test_an_unknown_enum_value_is_a_validation_error_naming_the_field(org: Org) -> None:
    body = await org.gql(
        CREATE,
        {"input": {"name": "A", "subscriptionStartedAt": "2026-01-01T00:00:00Z", "bundle": "GOLD"}},
    )
    assert body["data"] is None
    message = body["errors"][0]["message"]
    assert "bundle" in message
    assert "GOLD" in message
    assert await count_rows(org, "customers") == 0


async def test_a_viewer_cannot_create_and_nothing_is_written(org: Org) -> None:
    body = await org.gql(
        CREATE,
        {"input": {"name": "A", "subscriptionStartedAt": "2026-01-01T00:00:00Z"}},
        role=Role.VIEWER,
    )
    assert body["data"]["createCustomer"] == {
        "__typename": "ForbiddenError",
        "field": "createCustomer",
        "code": "FORBIDDEN",
        "message": "role viewer may not write_customers",
    }
    assert await count_rows(org, "customers") == 0


async def test_an_agent_cannot_archive(org: Org) -> None:
    customer = (await create(org))["customer"]
    body = await org.gql(ARCHIVE, {"input": {"id": customer["id"], "version": 1}}, role=Role.AGENT)
    assert body["data"]["archiveCustomer"]["__typename"] == "ForbiddenError"


async def test_archives_once_and_leaves_the_list(org: Org) -> None:
    customer = (await create(org))["customer"]
    org.clock.advance(hours=1)
    data = await org.data(ARCHIVE, {"input": {"id": customer["id"], "version": 1}})
    assert data["archiveCustomer"]["customer"]["version"] == 2
    assert data["archiveCustomer"]["customer"]["archivedAt"] == "2026-11-01T10:00:00+00:00"
    again = await org.data(ARCHIVE, {"input": {"id": customer["id"], "version": 2}})
    assert again["archiveCustomer"]["code"] == "INVALID_TRANSITION"
    listed = await org.data(LIST)
    assert listed["customers"]["edges"] == []
    with_archived = await org.data(LIST, {"filter": {"includeArchived": True}})
    assert [e["node"]["id"] for e in with_archived["customers"]["edges"]] == [customer["id"]]


async def test_an_archived_customer_cannot_be_updated(org: Org) -> None:
    customer = (await create(org))["customer"]
    await org.data(ARCHIVE, {"input": {"id": customer["id"], "version": 1}})
    data = await org.data(UPDATE, {"input": {"id": customer["id"], "version": 2, "name": "B"}})
    assert data["updateCustomer"]["code"] == "INVALID_TRANSITION"


async def test_pages_with_opaque_cursors(org: Org) -> None:
    for index in range(5):
        await create(org, name=f"C{index}")
    page1 = (await org.data(LIST, {"first": 2}))["customers"]
    assert [e["node"]["name"] for e in page1["edges"]] == ["C0", "C1"]
    assert page1["pageInfo"]["hasNextPage"] is True
    page2 = (await org.data(LIST, {"first": 2, "after": page1["pageInfo"]["endCursor"]}))[
        "customers"
    ]
    assert [e["node"]["name"] for e in page2["edges"]] == ["C2", "C3"]
    page3 = (await org.data(LIST, {"first": 2, "after": page2["pageInfo"]["endCursor"]}))[
        "customers"
    ]
    assert [e["node"]["name"] for e in page3["edges"]] == ["C4"]
    assert page3["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("first", [0, 101, 1000, -1])
async def test_refuses_first_outside_1_to_100(org: Org, first: int) -> None:
    body = await org.gql(LIST, {"first": first})
    assert body["errors"][0]["extensions"] == {"code": "OUT_OF_RANGE", "field": "first"}


async def test_first_100_is_allowed(org: Org) -> None:
    data = await org.data(LIST, {"first": 100})
    assert data["customers"]["edges"] == []


async def test_refuses_a_cursor_it_did_not_make(org: Org) -> None:
    body = await org.gql(LIST, {"after": "not a cursor"})
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "after"}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("اتقان", ["مؤسسة إتقان التجارية"]),
        ("الأُفُق", ["شركة الأفق للتقنية"]),
        ("افق", ["شركة الأفق للتقنية"]),
        ("najm", ["Najm Logistics"]),
        ("100%", []),
    ],
)
async def test_name_search_ignores_hamza_diacritics_and_case(
    org: Org, typed: str, expected: list[str]
) -> None:
    for name in ("مؤسسة إتقان التجارية", "شركة الأفق للتقنية", "Najm Logistics"):
        await create(org, name=name)
    data = await org.data(LIST, {"filter": {"search": typed}})
    assert [e["node"]["name"] for e in data["customers"]["edges"]] == expected


HAMZA_NAMES = ("مؤسسة النور", "هيئة الاتصالات", "المسؤول")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # مؤسسة النور: ؤ typed as و, ة typed as ه, both, diacritics, and the original spelling
        ("موسسة", "مؤسسة النور"),
        ("مؤسسه", "مؤسسة النور"),
        ("موسسه النور", "مؤسسة النور"),
        ("مُؤَسَّسَة", "مؤسسة النور"),
        ("مؤسسة النور", "مؤسسة النور"),
        # هيئة الاتصالات: ئ typed as ي, ة as ه, an alef with hamza, and the original spelling
        ("هيية", "هيئة الاتصالات"),
        ("هييه الإتصالات", "هيئة الاتصالات"),
        ("هيئة الاتصالات", "هيئة الاتصالات"),
        # المسؤول: ؤ typed as و, with and without the article, and the original spelling
        ("مسوول", "المسؤول"),
        ("المسوول", "المسؤول"),
        ("المسؤول", "المسؤول"),
    ],
)
async def test_name_search_finds_names_typed_without_hamza(
    org: Org, typed: str, expected: str
) -> None:
    for name in HAMZA_NAMES:
        await create(org, name=name)
    data = await org.data(LIST, {"filter": {"search": typed}})
    assert [e["node"]["name"] for e in data["customers"]["edges"]] == [expected]


async def test_a_standalone_hamza_is_ignored_by_name_search(org: Org) -> None:
    await create(org, name="شركة سماء الخليج")
    await create(org, name="Other")
    for typed in ("سما الخليج", "سماء الخليج"):
        data = await org.data(LIST, {"filter": {"search": typed}})
        assert [e["node"]["name"] for e in data["customers"]["edges"]] == ["شركة سماء الخليج"]


async def test_a_renamed_customer_is_found_by_its_new_name_without_hamza(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    customer = (await create(org, name="Old Name"))["customer"]
    data = await org.data(UPDATE, {"input": {"id": customer["id"], "version": 1, "name": "هيئة"}})
    assert data["updateCustomer"]["__typename"] == "CustomerPayload"
    found = await org.data(LIST, {"filter": {"search": "هيية"}})
    assert [e["node"]["name"] for e in found["customers"]["edges"]] == ["هيئة"]
    gone = await org.data(LIST, {"filter": {"search": "old"}})
    assert gone["customers"]["edges"] == []
    stored = await system_pool.fetchval(
        "SELECT name_search FROM customers WHERE org_id = $1", org.id
    )
    assert stored == "هييه"


async def test_filters_by_stage_and_bundle(org: Org) -> None:
    await create(org, name="A", stage="ADOPTION", bundle="PARTNERSHIP_GROWTH")
    await create(org, name="B", stage="ADOPTION", bundle="GROWTH_STARTER")
    await create(org, name="C", stage="ONBOARDING", bundle="PARTNERSHIP_GROWTH")
    data = await org.data(LIST, {"filter": {"stage": "ADOPTION", "bundle": "PARTNERSHIP_GROWTH"}})
    assert [e["node"]["name"] for e in data["customers"]["edges"]] == ["A"]


async def test_node_fetches_a_customer_by_global_id(org: Org) -> None:
    customer = (await create(org, name="Node Co"))["customer"]
    data = await org.data(
        "query($id: ID!) { node(id: $id) { __typename id ... on Customer { name } } }",
        {"id": customer["id"]},
    )
    assert data["node"] == {"__typename": "Customer", "id": customer["id"], "name": "Node Co"}


async def test_a_page_of_customers_costs_the_same_queries_at_10_and_50(org: Org) -> None:
    from resolvers.store.engine import READ_QUERIES

    for index in range(50):
        await create(org, name=f"Q{index}")
    counts = []
    for size in (10, 50):
        before = READ_QUERIES.count
        data = await org.data(LIST, {"first": size})
        counts.append(READ_QUERIES.count - before)
        assert len(data["customers"]["edges"]) == size
    # authenticate-and-scope and the page (a released connection is not reset)
    assert counts[0] == counts[1]
    assert counts == [2, 2], counts


@pytest.mark.parametrize(
    "raw", ["Customer:99999999999999999999", "Customer:0", "Customer:-5", "Customer:1.5"]
)
async def test_ids_outside_bigint_are_not_found(org: Org, raw: str) -> None:
    import base64

    gid = base64.urlsafe_b64encode(raw.encode()).decode()
    body = await org.gql("query($id: ID!) { customer(id: $id) { id } }", {"id": gid})
    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}
    update = await org.data(UPDATE, {"input": {"id": gid, "version": 1, "name": "x"}})
    assert update["updateCustomer"]["__typename"] == "NotFoundError"


@pytest.mark.parametrize("raw", ["c:99999999999999999999", "c:-1", "c:", "x"])
async def test_cursors_outside_bigint_are_invalid(org: Org, raw: str) -> None:
    import base64

    cursor = base64.urlsafe_b64encode(raw.encode()).decode()
    body = await org.gql(LIST, {"after": cursor})
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "after"}


async def _post_escaped(org: Org, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    # JSON escapes (\u0000, \ud800) as a client would send them; httpx cannot UTF-8 a surrogate.
    import json

    response = await org.client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}, ensure_ascii=True),
        headers={"Authorization": f"Bearer {org.token}", "Content-Type": "application/json"},
    )
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("bad", ["a\x00b", "a\ud800b"])
async def test_text_postgres_cannot_store_is_refused_naming_where(org: Org, bad: str) -> None:
    body = await _post_escaped(
        org, CREATE, {"input": {"name": bad, "subscriptionStartedAt": "2026-01-01T00:00:00Z"}}
    )
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "input.name"}
    search = await _post_escaped(org, LIST, {"filter": {"search": bad}})
    assert search["errors"][0]["extensions"] == {"code": "INVALID", "field": "filter.search"}
    assert await count_rows(org, "customers") == 0


async def test_an_escaped_nul_in_an_inline_literal_is_refused(org: Org) -> None:
    body = await org.gql(
        'mutation { createCustomer(input: {name: "a\\u0000b", '
        'subscriptionStartedAt: "2026-01-01T00:00:00Z"}) { __typename } }'
    )
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "query"}
    assert await count_rows(org, "customers") == 0


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-01-01T00:00:00", "needs a time zone offset"),
        ("0001-01-01T00:00:00Z", "between 1900 and 2199"),
        ("not a date", "Invalid isoformat"),
    ],
)
async def test_start_times_must_be_aware_and_in_range(org: Org, value: str, reason: str) -> None:
    body = await org.gql(CREATE, {"input": {"name": "A", "subscriptionStartedAt": value}})
    message = body["errors"][0]["message"]
    assert "subscriptionStartedAt" in message
    assert reason in message
    assert await count_rows(org, "customers") == 0


async def test_times_are_answered_in_utc(org: Org) -> None:
    result = await create(org, subscriptionStartedAt="2026-01-01T03:00:00+03:00")
    assert result["customer"]["subscription"]["startedAt"] == "2026-01-01T00:00:00+00:00"
