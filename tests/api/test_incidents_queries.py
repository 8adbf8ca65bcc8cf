"""DataLoaders throughout (docs/architecture.md#request-path): a page of incidents, and a page
of customers with their incidents, cost the same fixed number of SQL queries whatever the page
size."""

from __future__ import annotations

from typing import Any

from resolvers.store import engine
from tests.api.test_incidents import ATTACH, TICK, customers, declared, open_ticket, run
from tests.factories import Org

SIZES = (10, 50)

# What a dashboard of incidents asks for: each incident's plan, customers and tickets.
INCIDENT_NODE = """
id severity responsePlan { position textAr done doneAt doneBy }
affectedCustomers(first: 5) { edges { node { id name } } pageInfo { hasNextPage } }
tickets { id subject }
"""
INCIDENTS = "query($n: Int!) { incidents(first: $n) { edges { node { " + INCIDENT_NODE + " } } } }"
CUSTOMERS = (
    "query($n: Int!) { customers(first: $n) { edges { node { id "
    "incidents(first: 5) { edges { node { " + INCIDENT_NODE + " } } } } } } }"
)


async def fifty_incidents(org: Org) -> list[str]:
    """50 customers and 50 incidents; incident n hurts customers n and n + 1, has its first step
    ticked and one ticket of customer n attached. The customers' ids."""
    ids = await customers(org, max(SIZES))
    for n, customer in enumerate(ids):
        neighbour = ids[(n + 1) % len(ids)]
        incident = await declared(org, title=f"i{n}", affectedCustomerIds=[customer, neighbour])
        ticked = await run(org, TICK, "tickResponseStep", incidentId=incident["id"], position=1)
        assert ticked["__typename"] == "TickResponseStepPayload", ticked
        ticket = await open_ticket(org, customer, f"t{n}")
        attached = await run(
            org, ATTACH, "attachTicketToIncident", incidentId=incident["id"], ticketId=ticket
        )
        assert attached["__typename"] == "AttachTicketToIncidentPayload", attached
    return ids


async def counted(org: Org, query: str, size: int) -> tuple[int, Any]:
    before = engine.READ_QUERIES.count
    data = await org.data(query, {"n": size})
    return engine.READ_QUERIES.count - before, data


def check_incident(node: dict[str, Any]) -> None:
    """Every relation came back filled: nothing was dropped to keep the count down."""
    assert [step["done"] for step in node["responsePlan"]][:2] == [True, False]
    assert len(node["affectedCustomers"]["edges"]) == 2
    assert len(node["tickets"]) == 1


async def test_a_page_of_incidents_costs_a_fixed_number_of_queries(org: Org) -> None:
    await fifty_incidents(org)
    counts = []
    for size in SIZES:
        queries, data = await counted(org, INCIDENTS, size)
        nodes = [edge["node"] for edge in data["incidents"]["edges"]]
        assert len(nodes) == size
        for node in nodes:
            check_incident(node)
        counts.append(queries)
    # authenticate-and-scope, the page, then one query each for the plans, the affected
    # customer ids, those customers, the ticket ids and those tickets.
    assert counts == [7, 7], counts


async def test_a_page_of_customers_with_their_incidents_costs_a_fixed_number_of_queries(
    org: Org,
) -> None:
    ids = await fifty_incidents(org)
    counts = []
    for size in SIZES:
        queries, data = await counted(org, CUSTOMERS, size)
        nodes = [edge["node"] for edge in data["customers"]["edges"]]
        assert len(nodes) == size
        assert {node["id"] for node in nodes} <= set(ids)
        for node in nodes:
            # Each customer is hurt by its own incident and its neighbour's.
            incidents = [edge["node"] for edge in node["incidents"]["edges"]]
            assert len(incidents) == 2
            for incident in incidents:
                check_incident(incident)
        counts.append(queries)
    # As for incidents, plus one query for the customers' pages of incidents.
    assert counts == [8, 8], counts
