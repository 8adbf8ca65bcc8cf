"""The request limits every operation meets (issue: depth limit 10, MaxTokens) and the readiness
probe that tells a load balancer when this process cannot serve."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from asgi_lifespan import LifespanManager

from resolvers.store import engine
from schema.app import create_app
from schema.root import MAX_DEPTH, MAX_TOKENS
from tests.conftest import ENGLISH
from tests.factories import Org
from tests.live import PrivateRedis, private_redis

# customers(1) edges(2) node(3) tickets(4) edges(5) node(6) customer(7) tickets(8) edges(9)
# node(10), then the leaf: depth 10 exactly; one `customer` more is 11.
_CHAIN = (
    "{ customers(first: 1) { edges { node { tickets(first: 1) { edges { node { customer { "
    "tickets(first: 1) { edges { node { %s } } } } } } } } } } }"
)
AT_LIMIT = _CHAIN % "id"
OVER_LIMIT = _CHAIN % "customer { id }"


async def test_an_operation_at_the_depth_limit_runs(org: Org) -> None:
    assert MAX_DEPTH == 10
    assert (await org.data(AT_LIMIT)) == {"customers": {"edges": []}}


async def test_one_level_deeper_is_refused_before_it_runs(org: Org) -> None:
    body = await org.gql(OVER_LIMIT)
    assert body["data"] is None
    assert [error["message"] for error in body["errors"]] == [
        "'anonymous' exceeds maximum operation depth of 10"
    ]


async def test_an_operation_of_more_than_2000_tokens_is_refused(org: Org) -> None:
    assert MAX_TOKENS == 2_000

    # `{`, k aliased fields of 3 tokens each (`aK`, `:`, `__typename`), `}`: 3k + 2 tokens.
    def fields(k: int) -> str:
        return "{ " + " ".join(f"a{i}: __typename" for i in range(k)) + " }"

    within, beyond = fields((MAX_TOKENS - 2) // 3), fields((MAX_TOKENS - 2) // 3 + 1)
    assert len(await org.data(within)) == 666  # 2,000 tokens exactly

    body = await org.gql(beyond)
    assert body["data"] is None
    assert body["errors"][0]["message"] == (
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    )


@pytest.fixture
async def own_redis() -> AsyncIterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@pytest.fixture
async def probe(
    settings: engine.Settings, own_redis: PrivateRedis
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(settings, redis_url=own_redis.url))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://wafi.test", headers=ENGLISH
        ) as http:
            yield http


async def test_readyz_answers_503_while_redis_is_down_and_200_when_it_is_back(
    probe: httpx.AsyncClient, own_redis: PrivateRedis
) -> None:
    ready = await probe.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"postgres": "ok", "redis": "ok"})
    own_redis.stop()
    try:
        down = await probe.get("/readyz")
        assert down.status_code == 503
        assert down.json()["postgres"] == "ok"
        assert down.json()["redis"] != "ok"
        assert (await probe.get("/healthz")).status_code == 200  # alive, not ready
    finally:
        own_redis.start()
    back = await probe.get("/readyz")
    assert (back.status_code, back.json()) == (200, {"postgres": "ok", "redis": "ok"})
