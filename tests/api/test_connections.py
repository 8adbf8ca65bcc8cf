"""Relay connections: `totalCount`, both page directions, `orderBy` with keyset cursors."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from resolvers.store import engine
from schema.types.relay import to_global_id
from tests.api.test_incidents import declared
from tests.factories import T0, Org, new_customer, open_ticket, raise_alerts

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String%(order)s) {
  %(list)s(first: $first, after: $after, last: $last, before: $before %(arg)s) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def _query(name: str, order: str | None) -> str:
    return PAGE % {
        "order": f", $order: {order}" if order else "",
        "list": name,
        "arg": ", orderBy: $order" if order else "",
    }


async def _walk(
    org: Org, name: str, order_type: str | None, order: Any, size: int, *, backward: bool
) -> list[str]:
    """Every id of the list, page by page, forward from the start or backward from the end."""
    query = _query(name, order_type)
    seen: list[str] = []
    totals: set[int] = set()
    cursor: str | None = None
    while True:
        variables: dict[str, Any] = {("last" if backward else "first"): size}
        if order is not None:
            variables["order"] = order
        variables["before" if backward else "after"] = cursor
        got = (await org.data(query, variables))[name]
        ids = [edge["node"]["id"] for edge in got["edges"]]
        info = got["pageInfo"]
        assert 1 <= len(ids) <= size
        totals.add(got["totalCount"])
        assert info["startCursor"] == got["edges"][0]["cursor"]
        assert info["endCursor"] == got["edges"][-1]["cursor"]
        assert not set(ids) & set(seen), "pages overlap"
        if backward:
            assert info["hasNextPage"] is (cursor is not None)
            seen = ids + seen
            more, cursor = info["hasPreviousPage"], info["startCursor"]
        else:
            assert info["hasPreviousPage"] is (cursor is not None)
            seen = seen + ids
            more, cursor = info["hasNextPage"], info["endCursor"]
        if not more:
            assert totals == {len(seen)}, "totalCount is the whole list's on every page"
            return seen


def pk(global_id: str) -> int:
    return int(base64.urlsafe_b64decode(global_id).decode().split(":")[1])


def _sorted(rows: list[tuple[Any, int]], descending: bool) -> list[int]:
    """The expected order: by key then id, both in the direction; a missing key last."""
    present = sorted((r for r in rows if r[0] is not None), reverse=descending)
    return [pk for _, pk in present] + sorted(
        (pk for key, pk in rows if key is None), reverse=descending
    )


# Customers: (name, hours after T0 it was added, {day offset: (health, at-risk score)})
CUSTOMERS = [
    ("b", 2, {-1: ("90.0", 10), 0: ("40.0", 70)}),
    ("a", 0, {0: ("40.0", 20)}),
    ("c", 1, {}),
    ("a", 0, {0: ("75.5", 70)}),
    ("d", 3, {0: ("10.0", 95)}),
    ("b", 1, {}),
    ("e", 2, {-3: ("12.0", 5), 0: ("75.5", 0)}),
]
ARCHIVED = ("f", 0, {0: ("1.0", 99)})


@pytest.fixture
async def customers(org: Org, system_pool: asyncpg.Pool) -> dict[str, list[tuple[Any, int]]]:
    """The customers above (and one archived) with their snapshots; the keys of each order."""
    today = date(2026, 11, 1)  # T0 in Asia/Riyadh
    keys: dict[str, list[tuple[Any, int]]] = {f: [] for f in ("HEALTH", "RISK", "NAME", "AT")}
    async with system_pool.acquire() as conn:
        for n, (name, hours, points) in enumerate([*CUSTOMERS, ARCHIVED]):
            at = T0 + timedelta(hours=hours)
            customer_id = await conn.fetchval(
                "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
                "subscription_status, subscription_started_at, created_at, updated_at, "
                "archived_at) VALUES ($1, $2, $2, 'ar', 'growth_starter', 'onboarding', "
                "'pilot', $3, $3, $3, $4) RETURNING id",
                org.id,
                name,
                at,
                T0 if n == len(CUSTOMERS) else None,
            )
            for offset, (value, risk) in points.items():
                await conn.execute(
                    "INSERT INTO health_snapshots (org_id, customer_id, day, value, band, "
                    "risk_score, severity, computed_at) VALUES ($1, $2, $3, $4, 'healthy', $5, "
                    "'low', $6)",
                    org.id,
                    customer_id,
                    today + timedelta(days=offset),
                    Decimal(value),
                    risk,
                    at,
                )
            if n == len(CUSTOMERS):
                continue
            last = points.get(0)
            keys["HEALTH"].append((None if last is None else Decimal(last[0]), customer_id))
            keys["RISK"].append((None if last is None else last[1], customer_id))
            keys["NAME"].append((name, customer_id))
            keys["AT"].append((at, customer_id))
    return keys


CUSTOMER_ORDERS = [
    ("HEALTH_SCORE", "HEALTH"),
    ("AT_RISK_SCORE", "RISK"),
    ("NAME", "NAME"),
    ("CREATED_AT", "AT"),
]


@pytest.mark.parametrize(("field", "key"), CUSTOMER_ORDERS)
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("size", [1, 3])
async def test_customers_page_both_ways_under_every_order(
    org: Org,
    customers: dict[str, list[tuple[Any, int]]],
    field: str,
    key: str,
    direction: str,
    size: int,
) -> None:
    expected = [to_global_id("Customer", pk) for pk in _sorted(customers[key], direction == "DESC")]
    order = {"field": field, "direction": direction}
    for backward in (False, True):
        got = await _walk(org, "customers", "CustomerOrder", order, size, backward=backward)
        assert got == expected


def test_the_expected_orders_are_the_intended_ones() -> None:
    # Spelt out once, so the helper above is not the only judge: ids 1..7 in CUSTOMERS order.
    health = [(Decimal("40.0"), 1), (Decimal("40.0"), 2), (None, 3), (Decimal("75.5"), 4)]
    health += [(Decimal("10.0"), 5), (None, 6), (Decimal("75.5"), 7)]
    assert _sorted(health, False) == [5, 1, 2, 4, 7, 3, 6]
    assert _sorted(health, True) == [7, 4, 2, 1, 5, 6, 3]


async def test_customers_by_default_oldest_first_both_ways(
    org: Org, customers: dict[str, list[tuple[Any, int]]]
) -> None:
    expected = sorted(pk for _, pk in customers["NAME"])
    for backward in (False, True):
        got = await _walk(org, "customers", None, None, 2, backward=backward)
        assert [pk(g) for g in got] == expected


TICKETS = [(0, "outage"), (0, "hello"), (0, "outage"), (10, "hello"), (20, "outage"), (20, "")]


@pytest.mark.parametrize(
    ("field", "column"),
    [
        ("FIRST_RESPONSE_DUE_AT", "firstResponseDueAt"),
        ("RESOLUTION_DUE_AT", "resolutionDueAt"),
        ("OPENED_AT", "openedAt"),
    ],
)
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_tickets_page_both_ways_by_due_times(
    org: Org, field: str, column: str, direction: str
) -> None:
    customer = await new_customer(org)
    for minutes, subject in TICKETS:
        org.clock.now = T0 + timedelta(minutes=minutes)
        await open_ticket(org, customer, subject or "invoice question")
    listed = await org.data(
        "{ tickets(first: 100) { edges { node { id priority openedAt firstResponseDueAt "
        "resolutionDueAt } } } }"
    )
    nodes = [edge["node"] for edge in listed["tickets"]["edges"]]
    assert len({node[column] for node in nodes}) < len(nodes), "the data needs ties"
    rows = [(datetime.fromisoformat(node[column]), pk(node["id"])) for node in nodes]
    expected = [to_global_id("Ticket", n) for n in _sorted(rows, direction == "DESC")]
    order = {"field": field, "direction": direction}
    for size in (1, 4):
        for backward in (False, True):
            got = await _walk(org, "tickets", "TicketOrder", order, size, backward=backward)
            assert got == expected


async def test_alerts_page_backward_newest_first(org: Org, system_pool: asyncpg.Pool) -> None:
    ids = await raise_alerts(system_pool, org.id, count=5)
    expected = [to_global_id("Alert", n) for n in reversed(ids)]
    for backward in (False, True):
        assert await _walk(org, "alerts", None, None, 2, backward=backward) == expected


async def test_ledger_and_incidents_page_backward(org: Org) -> None:
    for n in range(3):
        await new_customer(org, name=f"n{n}")
    forward = await _walk(org, "ledger", None, None, 2, backward=False)
    assert len(forward) == 3
    assert await _walk(org, "ledger", None, None, 2, backward=True) == forward
    empty = (await org.data(_query("incidents", None), {"last": 5}))["incidents"]
    assert empty == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }


async def test_total_count_follows_the_filters(
    org: Org, customers: dict[str, list[tuple[Any, int]]]
) -> None:
    query = "query($f: CustomerFilter) { customers(first: 1, filter: $f) { totalCount } }"
    assert (await org.data(query))["customers"]["totalCount"] == len(CUSTOMERS)
    everything = await org.data(query, {"f": {"includeArchived": True}})
    assert everything["customers"]["totalCount"] == len(CUSTOMERS) + 1
    only_b = await org.data(query, {"f": {"search": "b"}})
    assert only_b["customers"]["totalCount"] == 2


async def test_total_count_costs_one_query_and_only_when_selected(
    org: Org, customers: dict[str, list[tuple[Any, int]]]
) -> None:
    costs = []
    for selection in ("edges { node { id } }", "totalCount edges { node { id } }"):
        for size in (2, 7):
            before = engine.READ_QUERIES.count
            args = f"first: {size}, orderBy: {{field: HEALTH_SCORE}}"
            await org.data(f"{{ customers({args}) {{ {selection} }} }}")
            costs.append(engine.READ_QUERIES.count - before)
    assert costs[0] == costs[1]
    assert costs[2] == costs[3] == costs[0] + 1


def _errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert body["data"] is None, body
    return [error["extensions"] for error in body["errors"]]


def _forged(parts: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


async def test_refusals_name_the_field(
    org: Org, customers: dict[str, list[tuple[Any, int]]]
) -> None:
    query = _query("customers", "CustomerOrder")
    by_health = {"field": "HEALTH_SCORE"}
    page = (await org.data(query, {"first": 2, "order": by_health}))["customers"]
    health_cursor = page["pageInfo"]["endCursor"]
    plain = (await org.data(query, {"first": 2}))["customers"]["pageInfo"]["endCursor"]
    cases: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({"first": 2, "last": 2}, {"code": "INVALID", "field": "last"}),
        ({"last": 101}, {"code": "OUT_OF_RANGE", "field": "last"}),
        ({"last": 0}, {"code": "OUT_OF_RANGE", "field": "last"}),
        (
            {"first": 2, "after": health_cursor, "order": {"field": "NAME"}},
            {"code": "INVALID", "field": "after"},
        ),
        (
            {"first": 2, "after": health_cursor, "order": {**by_health, "direction": "DESC"}},
            {"code": "INVALID", "field": "after"},
        ),
        ({"last": 2, "before": plain, "order": by_health}, {"code": "INVALID", "field": "before"}),
        ({"last": 2, "before": health_cursor}, {"code": "INVALID", "field": "before"}),
        ({"last": 2, "before": "not-a-cursor"}, {"code": "INVALID", "field": "before"}),
        (
            {"first": 2, "after": _forged(["HEALTH_SCORE_ASC", "x", 1]), "order": by_health},
            {"code": "INVALID", "field": "after"},
        ),
        (
            {
                "first": 2,
                "after": _forged(["CREATED_AT_ASC", "2026-13-01", 1]),
                "order": {"field": "CREATED_AT"},
            },
            {"code": "INVALID", "field": "after"},
        ),
    ]
    for variables, expected in cases:
        assert _errors(await org.gql(query, variables)) == [expected], variables
    refused = await org.gql(_query("tickets", None), {"first": 1, "last": 1})
    assert _errors(refused) == [{"code": "INVALID", "field": "last"}]


NESTED = """
{ customers(first: 10) { edges { node {
    tickets(first: 1) { totalCount edges { node { id } } }
    incidents(first: 1) { totalCount edges { node { id } } }
} } } }
"""


async def test_nested_lists_count_in_one_query_per_relation(org: Org) -> None:
    busy, quiet = await new_customer(org, name="busy"), await new_customer(org, name="quiet")
    for _ in range(3):
        await open_ticket(org, busy, "hello")
    await open_ticket(org, quiet, "hello")
    incident = await declared(org, affectedCustomerIds=[busy, quiet])
    await declared(org, affectedCustomerIds=[busy])
    data = await org.data(NESTED)
    nodes = [edge["node"] for edge in data["customers"]["edges"]]
    assert [(n["tickets"]["totalCount"], n["incidents"]["totalCount"]) for n in nodes] == [
        (3, 2),
        (1, 1),
    ]
    assert all(len(n["tickets"]["edges"]) == 1 for n in nodes)
    costs = []
    for query in (NESTED, NESTED.replace("totalCount ", "")):
        before = engine.READ_QUERIES.count
        await org.data(query)
        costs.append(engine.READ_QUERIES.count - before)
    # Two counts (one per relation), for the whole page of customers.
    assert costs[0] == costs[1] + 2
    await new_customer(org, name="third")
    before = engine.READ_QUERIES.count
    await org.data(NESTED)
    assert engine.READ_QUERIES.count - before == costs[0]
    inside = await org.data(
        "query($id: ID!) { incident(id: $id) { affectedCustomers(first: 1) { totalCount "
        "pageInfo { hasNextPage } } timeline(first: 1) { totalCount } } }",
        {"id": incident["id"]},
    )
    assert inside["incident"]["affectedCustomers"] == {
        "totalCount": 2,
        "pageInfo": {"hasNextPage": True},
    }
    async with org.pool.acquire() as conn:
        entries = await conn.fetchval(
            "SELECT count(*) FROM ledger WHERE org_id = $1 AND entity = 'Incident' "
            "AND entity_id = $2",
            org.id,
            pk(incident["id"]),
        )
    assert entries >= 1
    assert inside["incident"]["timeline"]["totalCount"] == entries


async def test_a_cursor_holds_its_place_when_rows_are_added_before_it(
    org: Org, system_pool: asyncpg.Pool, customers: dict[str, list[tuple[Any, int]]]
) -> None:
    query = _query("customers", "CustomerOrder")
    by_name = {"field": "NAME"}
    first = (await org.data(query, {"first": 3, "order": by_name}))["customers"]
    expected = [to_global_id("Customer", n) for n in _sorted(customers["NAME"], False)]
    assert [e["node"]["id"] for e in first["edges"]] == expected[:3]
    await system_pool.execute(
        "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
        "subscription_status, subscription_started_at, created_at, updated_at) "
        "VALUES ($1, 'a', 'a', 'ar', 'growth_starter', 'onboarding', 'pilot', $2, $2, $2)",
        org.id,
        T0,
    )
    rest = await org.data(
        query, {"first": 10, "after": first["pageInfo"]["endCursor"], "order": by_name}
    )
    assert [e["node"]["id"] for e in rest["customers"]["edges"]] == expected[3:]
    assert rest["customers"]["totalCount"] == len(CUSTOMERS) + 1


async def test_tickets_and_incidents_by_default_newest_first_both_ways(org: Org) -> None:
    customer = await new_customer(org)
    for _ in range(5):
        await open_ticket(org, customer, "hello")
    for _ in range(3):
        await declared(org, affectedCustomerIds=[customer])
    for name, count in (("tickets", 5), ("incidents", 3)):
        forward = await _walk(org, name, None, None, 2, backward=False)
        assert len(forward) == count
        assert [pk(g) for g in forward] == sorted((pk(g) for g in forward), reverse=True)
        assert await _walk(org, name, None, None, 2, backward=True) == forward


async def test_total_count_is_counted_when_a_fragment_selects_it(org: Org) -> None:
    busy = await new_customer(org, name="busy")
    for _ in range(3):
        await open_ticket(org, busy, "hello")
    query = """
    { customers(first: 5) { ...Counted edges { node {
        tickets(first: 1) { ... on TicketConnection { totalCount } }
        incidents(first: 1) { ...Incidents }
    } } } }
    fragment Counted on CustomerConnection { ... { totalCount } }
    fragment Incidents on IncidentConnection { totalCount }
    """
    data = await org.data(query)
    assert data["customers"]["totalCount"] == 1
    assert data["customers"]["edges"][0]["node"] == {
        "tickets": {"totalCount": 3},
        "incidents": {"totalCount": 0},
    }
