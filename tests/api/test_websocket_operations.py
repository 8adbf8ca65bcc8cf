"""The WebSocket at /graphql carries subscriptions only: queries and mutations sent in a
graphql-transport-ws `subscribe` message are refused with `USE_HTTP` and change nothing, and a
connection holds at most MAX_SUBSCRIPTIONS subscriptions (`TOO_MANY_SUBSCRIPTIONS`). Against a
real uvicorn in the test's loop, on a Redis of the test's own."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from resolvers.store import pubsub
from schema.types.relay import to_global_id
from schema.websocket import MAX_SUBSCRIPTIONS
from tests.factories import T0, Org, raise_alerts
from tests.live import Live, WsClient

ALERTS = "subscription { alerts { id kind } }"
CREATE_CUSTOMER = (
    "mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { __typename "
    "... on CustomerPayload { customer { id name } } ... on UserError { field code message } } }"
)
CUSTOMER_INPUT = {"name": "شركة المسار", "locale": "AR", "subscriptionStartedAt": T0.isoformat()}
CUSTOMERS = "query { customers(first: 5) { edges { node { id name } } } }"
USE_HTTP_MESSAGE = (
    "queries and mutations go over HTTP POST /graphql; the WebSocket carries subscriptions"
)


async def database(pool: asyncpg.Pool) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, to show a refusal changed nothing anywhere."""
    snapshot: dict[str, list[dict[str, Any]]] = {}
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        for (table,) in tables:
            rows = await conn.fetch(f'SELECT * FROM "{table}" ORDER BY 1')
            snapshot[table] = [dict(row) for row in rows]
    return snapshot


async def send(client: WsClient, op_id: str, query: str, **payload: Any) -> None:
    await client.ws.send_text(
        json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query, **payload}})
    )


def use_http(op_id: str, kind: str) -> dict[str, Any]:
    return {
        "id": op_id,
        "type": "error",
        "payload": [
            {
                "message": f"{kind}: {USE_HTTP_MESSAGE}",
                "extensions": {"code": "USE_HTTP", "field": "operation"},
            }
        ],
    }


async def alert_arrives(live: Live, tenant: Org, client: WsClient, op_id: str) -> None:
    """A new alert of `tenant` reaches the subscription `op_id` on `client`."""
    [alert_id] = await raise_alerts(live.pool, tenant.id)
    await live.relay()
    message = await client.receive()
    assert message == {
        "id": op_id,
        "type": "next",
        "payload": {"data": {"alerts": {"id": to_global_id("Alert", alert_id), "kind": "AT_RISK"}}},
    }


async def test_a_mutation_over_the_websocket_is_refused_and_changes_nothing(
    live: Live, tenant: Org
) -> None:
    async with live.subscriber(tenant) as client:
        before = await database(live.pool)
        await send(client, "m1", CREATE_CUSTOMER, variables={"i": CUSTOMER_INPUT})
        assert await client.receive() == use_http("m1", "mutation")
        assert await database(live.pool) == before
        # The socket stays open and still carries subscriptions.
        op = await client.subscribe(ALERTS)
        await live.listening(tenant, 1)
        await alert_arrives(live, tenant, client, op)
    # The same mutation over HTTP is valid and writes: the refusal was the transport's.
    after_alert = await database(live.pool)
    data = await tenant.data(CREATE_CUSTOMER, {"i": CUSTOMER_INPUT})
    assert data["createCustomer"]["customer"]["name"] == CUSTOMER_INPUT["name"]
    assert await database(live.pool) != after_alert


async def test_a_query_over_the_websocket_is_refused_and_changes_nothing(
    live: Live, tenant: Org
) -> None:
    async with live.subscriber(tenant) as client:
        before = await database(live.pool)
        await send(client, "q1", CUSTOMERS)
        assert await client.receive() == use_http("q1", "query")
        await send(client, "q2", "{ __typename }")
        assert await client.receive() == use_http("q2", "query")
        # One document, two operations: the one named decides.
        both = "query Read { customers(first: 1) { edges { node { id } } } } " + (
            "subscription Live { alerts { id kind } }"
        )
        await send(client, "q3", both, operationName="Read")
        assert await client.receive() == use_http("q3", "query")
        assert await database(live.pool) == before
        await send(client, "s1", both, operationName="Live")
        await live.listening(tenant, 1)
        await alert_arrives(live, tenant, client, "s1")


async def test_a_connection_holds_at_most_max_subscriptions(live: Live, tenant: Org) -> None:
    async with live.subscriber(tenant) as client:
        ops = [await client.subscribe(ALERTS) for _ in range(MAX_SUBSCRIPTIONS)]
        await live.listening(tenant, MAX_SUBSCRIPTIONS)
        extra = await client.subscribe(ALERTS)
        assert await client.receive() == {
            "id": extra,
            "type": "error",
            "payload": [
                {
                    "message": f"at most {MAX_SUBSCRIPTIONS} subscriptions at a time on one "
                    "connection; complete one or open another connection",
                    "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS", "field": "operation"},
                }
            ],
        }
        assert live.hub.subscribers(pubsub.alerts_channel(tenant.id)) == MAX_SUBSCRIPTIONS
        # A mutation is still refused as a mutation, not counted as a subscription.
        await send(client, "m", CREATE_CUSTOMER, variables={"i": CUSTOMER_INPUT})
        assert await client.receive() == use_http("m", "mutation")
        # Completing one frees its slot for the next.
        await client.ws.send_text(json.dumps({"id": ops[0], "type": "complete"}))
        await live.listening(tenant, MAX_SUBSCRIPTIONS - 1)
        again = await client.subscribe(ALERTS)
        await live.listening(tenant, MAX_SUBSCRIPTIONS)
        [alert_id] = await raise_alerts(live.pool, tenant.id)
        await live.relay()
        got = {}
        for _ in range(MAX_SUBSCRIPTIONS):
            message = await client.receive()
            assert message["type"] == "next", message
            got[message["id"]] = message["payload"]["data"]["alerts"]["id"]
        assert got == {op: to_global_id("Alert", alert_id) for op in [*ops[1:], again]}
        await client.nothing_for(0.3)
