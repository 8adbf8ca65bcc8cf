"""Rate limits per token by cost points, kept in Redis and shared by every API process, with the
RateLimit-* headers on every answer and 429 + Retry-After once spent (issue: hardening)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from httpx_ws import aconnect_ws

from domain.roles import Role
from resolvers.store import engine
from schema.app import create_app
from tests.conftest import ENGLISH
from tests.factories import T0, Clock, make_org
from tests.live import WsClient, uvicorn_server

POINTS, WINDOW_S = 250, 60
COSTS_101 = "{ customers(first: 100) { edges { node { id } } } }"
CREATE = (
    "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { "
    "... on CustomerPayload { customer { id } } } }"
)


@pytest.fixture
def budget(settings: engine.Settings) -> engine.Settings:
    return replace(settings, rate_limit_points=POINTS, rate_limit_window_s=WINDOW_S)


@pytest.fixture
async def two_apps(budget: engine.Settings) -> AsyncIterator[tuple[Clock, list[httpx.AsyncClient]]]:
    """Two API apps over the same database and Redis, as two processes would be, one clock."""
    clock = Clock()
    async with AsyncExitStack() as stack:
        clients = []
        for name in ("a", "b"):
            manager = await stack.enter_async_context(
                LifespanManager(create_app(budget, clock=clock))
            )
            transport = httpx.ASGITransport(app=manager.app)
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(
                        transport=transport, base_url=f"http://{name}.test", headers=ENGLISH
                    )
                )
            )
        yield clock, clients


async def post(
    client: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )


def limits(response: httpx.Response) -> tuple[int, str, str, str]:
    headers = response.headers
    return (
        response.status_code,
        headers["RateLimit-Limit"],
        headers["RateLimit-Remaining"],
        headers["RateLimit-Reset"],
    )


async def test_two_api_processes_share_one_budget_per_token(
    two_apps: tuple[Clock, list[httpx.AsyncClient]], system_pool: asyncpg.Pool
) -> None:
    clock, (a, b) = two_apps
    org = await make_org(system_pool, a, clock)
    # 101 points each; the bucket refills 250 points per 60 s, so Reset is when it is full again.
    assert limits(await post(a, org.token, COSTS_101)) == (200, "250", "149", "25")
    assert limits(await post(b, org.token, COSTS_101)) == (200, "250", "48", "49")

    refused = await post(a, org.token, COSTS_101)
    assert limits(refused) == (429, "250", "48", "49")
    assert refused.headers["Retry-After"] == "13"  # 53 points missing at 250 per 60 s: 12.7 s
    assert refused.headers["content-type"].startswith("application/json")
    assert refused.json() == {
        "data": None,
        "errors": [
            {
                "message": "rate limit reached: this query costs 101 points and 48 of 250 are "
                "left; retry after 13 s",
                "extensions": {
                    "code": "RATE_LIMITED",
                    "field": "query",
                    "cost": 101,
                    "retryAfter": 13,
                },
            }
        ],
        "extensions": {
            "cost": {
                "requested": 101,
                "maximum": 20_000,
                "rateLimit": {"limit": 250, "remaining": 48, "resetSeconds": 49},
            }
        },
    }

    # A refused mutation changes nothing.
    variables = {"i": {"name": "عميل", "subscriptionStartedAt": T0.isoformat()}}
    clock.advance(seconds=12)  # 48 + 50 = 98 points: the mutation (12) fits, the page does not
    created = await post(b, org.token, CREATE, variables)
    assert limits(created) == (200, "250", "86", "40")
    clock.advance(seconds=1)  # 86 + 4.17
    refused = await post(b, org.token, COSTS_101)
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "3")
    async with system_pool.acquire() as conn:
        count = await conn.fetchval("SELECT count(*) FROM customers WHERE org_id = $1", org.id)
    assert count == 1

    clock.advance(seconds=3)  # 90.17 + 12.5 = 102.67
    assert limits(await post(a, org.token, COSTS_101)) == (200, "250", "1", "60")


async def test_each_token_has_its_own_budget_and_refusals_before_running_spend_nothing(
    two_apps: tuple[Clock, list[httpx.AsyncClient]], system_pool: asyncpg.Pool
) -> None:
    clock, (a, b) = two_apps
    org = await make_org(system_pool, a, clock)
    viewer = await org.token_for(Role.VIEWER)
    assert limits(await post(a, org.token, COSTS_101)) == (200, "250", "149", "25")
    assert limits(await post(b, viewer, COSTS_101)) == (200, "250", "149", "25")
    # An invalid document is answered with the headers, and costs nothing.
    invalid = await post(b, org.token, "{ nothing }")
    assert invalid.json()["errors"][0]["message"] == "Cannot query field 'nothing' on type 'Query'."
    assert limits(invalid) == (200, "250", "149", "25")
    # The cheapest operation still costs a point.
    cheap = await post(a, org.token, "{ __typename }")
    assert cheap.json()["extensions"]["cost"]["requested"] == 0
    assert limits(cheap) == (200, "250", "148", "25")


async def test_each_subscription_is_charged_from_the_token_budget(
    settings: engine.Settings, system_pool: asyncpg.Pool
) -> None:
    clock = Clock()
    app = create_app(replace(settings, rate_limit_points=25, rate_limit_window_s=60), clock=clock)
    async with (
        uvicorn_server(app) as url,
        httpx.AsyncClient(base_url=url, headers=ENGLISH) as client,
    ):
        org = await make_org(system_pool, client, clock)
        ws: Any
        async with aconnect_ws(
            url.replace("http://", "ws://") + "/graphql",
            client,
            subprotocols=["graphql-transport-ws"],
        ) as ws:
            socket = WsClient(ws)
            ack = await socket.init({"authorization": f"Bearer {org.token}"})
            assert ack["type"] == "connection_ack"
            # A subscription costs 10, plus 1 for the alert: 25 → 14 → 3, then refused.
            for _ in range(2):
                await socket.subscribe("subscription { alerts { id } }")
            await socket.nothing_for(0.3)
            refused_id = await socket.subscribe("subscription { alerts { id } }")
            message = await socket.receive()
            assert message == {
                "id": refused_id,
                "type": "next",
                "payload": {
                    "data": None,
                    "errors": [
                        {
                            "message": "rate limit reached: this query costs 11 points and 3 "
                            "of 25 are left; retry after 20 s",
                            "extensions": {
                                "code": "RATE_LIMITED",
                                "field": "query",
                                "cost": 11,
                                "retryAfter": 20,
                            },
                        }
                    ],
                },
            }
            # HTTP spends from the same bucket: 3 left, this page costs 1.
            page = await post(
                client, org.token, "{ customers(first: 1) { pageInfo { hasNextPage } } }"
            )
            assert limits(page) == (200, "25", "2", "56")
