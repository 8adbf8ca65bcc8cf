"""A query's static cost, reported in `extensions.cost` and refused over MAX_COST before it runs
(issue: 150 aliases of a rich customers page took 10.5 s and answered 7.4 MB)."""

from __future__ import annotations

from typing import Any

from domain.roles import Role
from resolvers.store import engine
from schema import cost
from tests.factories import T0, Org

PAGE_OF_IDS = "{ customers(first: 100) { edges { node { id } } pageInfo { hasNextPage } } }"
RICH = (
    "fragment Rich on CustomerConnection { edges { node { id name health { value band } "
    "atRisk { score severity } healthHistory(days: 366) { day value } } } }"
)


async def requested(org: Org, query: str, variables: dict[str, Any] | None = None) -> int:
    body = await org.gql(query, variables)
    assert "errors" not in body, body
    value: int = body["extensions"]["cost"]["requested"]
    return value


async def test_every_answer_reports_its_cost_and_the_rate_limit(org: Org) -> None:
    body = await org.gql(PAGE_OF_IDS)
    assert body["data"] == {"customers": {"edges": [], "pageInfo": {"hasNextPage": False}}}
    # 1 for the page, 100 customers; the page info is free.
    assert body["extensions"] == {
        "cost": {
            "requested": 101,
            "maximum": 20_000,
            "rateLimit": {"limit": 200_000, "remaining": 199_899, "resetSeconds": 1},
        },
        "plan": "compiled",  # development only (README: Compiled reads)
    }


async def test_connections_count_first_from_literals_variables_and_defaults(org: Org) -> None:
    query = "query($n: Int) { customers(first: $n) { edges { node { id } } } }"
    assert await requested(org, query, {"n": 7}) == 8
    assert await requested(org, query) == 21  # the default page: 20
    with_default = "query($n: Int = 3) { customers(first: $n) { edges { node { id } } } }"
    assert await requested(org, with_default) == 4
    nested = (
        "{ customers(first: 10) { edges { node { tickets(first: 5) { edges { node { id "
        "sla { breached } } } } } } } }"
    )
    # 1 + 10 × (customer 1 + tickets page 1 + 5 × (ticket 1 + SLA clocks 2))
    assert await requested(org, nested) == 171


async def test_computed_fields_weigh_more(org: Org) -> None:
    # 1 + 100 × (customer 1 + health 5 + atRisk 5 + healthHistory (1 + 366 // 10) + its list 1)
    assert await requested(org, "{ customers(first: 100) { ...Rich } } " + RICH) == 4_901
    mutation = (
        "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { "
        "... on CustomerPayload { customer { id } } } }"
    )
    variables = {"i": {"name": "عميل", "subscriptionStartedAt": T0.isoformat()}}
    assert await requested(org, mutation, variables) == 12  # mutation 10, result 1, customer 1


def _at(extra: int) -> str:
    # 9,901 + 10,001 + (extra + 1): exactly MAX_COST when extra is 97.
    return (
        "{ a: customers(first: 100) { edges { node { tickets(first: 97) { edges { node { id } } } "
        "} } } b: customers(first: 100) { edges { node { tickets(first: 98) { edges { node { id } "
        "} } } } } c: customers(first: EXTRA) { edges { node { id } } } }"
    ).replace("EXTRA", str(extra))


async def test_a_query_at_the_maximum_runs_and_one_point_more_is_refused(org: Org) -> None:
    assert cost.MAX_COST == 20_000
    assert await requested(org, _at(97)) == 20_000
    body = await org.gql(_at(98))
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": "this query costs 20,001 points, more than the maximum of 20,000 a "
            "request; ask for smaller pages or fewer fields",
            "extensions": {
                "code": "QUERY_TOO_COSTLY",
                "field": "query",
                "cost": 20_001,
                "maximum": 20_000,
            },
        }
    ]
    assert body["extensions"]["cost"]["requested"] == 20_001


async def test_150_rich_aliases_are_refused_before_anything_runs(org: Org) -> None:
    aliases = " ".join(f"a{i}: customers(first: 100) {{ ...Rich }}" for i in range(150))
    query = "{ " + aliases + " } " + RICH
    before = engine.READ_QUERIES.count
    await org.gql("{ __typename }", role=Role.VIEWER)
    baseline = engine.READ_QUERIES.count - before  # the token's check, nothing else

    before = engine.READ_QUERIES.count
    body = await org.gql(query, role=Role.VIEWER)
    assert engine.READ_QUERIES.count - before == baseline
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COSTLY"]
    assert body["errors"][0]["extensions"]["cost"] == 150 * 4_901 == 735_150
    # Nothing was charged for it either.
    assert body["extensions"]["cost"]["rateLimit"]["remaining"] == 200_000 - 1  # __typename: 1
