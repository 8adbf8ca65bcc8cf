"""A client's mistake is answered as one: a clear, typed GraphQL error, never `Internal error`
and never a text page. Malformed requests answer 400 JSON in the GraphQL error shape, production
401s too."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from resolvers.store import engine
from schema.app import create_app
from tests.conftest import ENGLISH
from tests.factories import Clock, Org, make_org, new_customer


async def customer_count(org: Org) -> int:
    async with org.pool.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM customers WHERE org_id = $1", org.id)
        return count


async def post(org: Org, content: bytes, *, token: str | None = None) -> httpx.Response:
    return await org.client.post(
        "/graphql",
        content=content,
        headers={
            "Authorization": f"Bearer {token or org.token}",
            "Content-Type": "application/json",
        },
    )


def without_cost(body: dict[str, Any]) -> dict[str, Any]:
    """The answer without `extensions.cost`, which every executed request carries (README:
    Limits): these tests are about the errors."""
    return {key: value for key, value in body.items() if key != "extensions"}


def answer(response: httpx.Response) -> dict[str, Any]:
    return without_cost(response.json())


def request(query: str, **extra: Any) -> bytes:
    return json.dumps({"query": query, **extra}).encode()


# Dates, DateTimes and numbers written in the query ------------------------------------------

CREATE_AT = (
    'mutation {{ createCustomer(input: {{name: "عميل", subscriptionStartedAt: {at}}}) '
    "{{ __typename }} }}"
)


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        ('"2026-11-01T09:00:00"', "DateTime needs a time zone offset, such as Z or +03:00"),
        ('"9999-01-01T00:00:00Z"', "DateTime must fall between 1900 and 2199"),
        ('"garbage"', "Invalid isoformat string: 'garbage'"),
        ("42", "DateTime must be an ISO 8601 string"),
    ],
)
async def test_a_datetime_written_in_the_query_is_refused_clearly(
    org: Org, literal: str, reason: str
) -> None:
    response = await post(org, request(CREATE_AT.format(at=literal)))
    assert response.status_code == 200
    assert answer(response) == {
        "data": None,
        "errors": [
            {
                "message": f"Expected value of type 'DateTime', but encountered error '{reason}'; "
                f"found: {literal}.",
                "locations": [{"line": 1, "column": 72}],
                "extensions": {"code": "INVALID"},
            }
        ],
    }
    assert await customer_count(org) == 0


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        ('"1899-12-31"', "Date must fall between 1900 and 2199"),
        ('"2026-13-01"', "month must be in 1..12"),
    ],
)
async def test_a_date_written_in_the_query_is_refused_clearly(
    org: Org, literal: str, reason: str
) -> None:
    query = (
        f'{{ weeklyCheckIn(customerId: "Q3VzdG9tZXI6MQ==", weekOf: {literal}) '
        "{ agenda { minutes } } }"
    )
    body = (await post(org, request(query))).json()
    assert body["errors"] == [
        {
            "message": f"Expected value of type 'Date', but encountered error '{reason}'; "
            f"found: {literal}.",
            "locations": [{"line": 1, "column": 57}],
            "extensions": {"code": "INVALID"},
        }
    ]


CHECK_IN = (
    "mutation($i: RecordCheckInMetricsInput!) { recordCheckInMetrics(input: $i) { __typename "
    "... on UserError { field code message } } }"
)


@pytest.mark.parametrize("sar", [1e26, 1.7e308])
async def test_a_pipeline_too_large_to_round_is_a_validation_error(org: Org, sar: float) -> None:
    customer = await new_customer(org)
    payload = {
        "customerId": customer,
        "weekOf": "2026-10-26",
        "draftsApproved": 0,
        "replies": 0,
        "meetings": 0,
        "risksBlocked": 0,
        "pipelineSar": sar,
    }
    body = (await post(org, request(CHECK_IN, variables={"i": payload}))).json()
    assert without_cost(body) == {
        "data": {
            "recordCheckInMetrics": {
                "__typename": "ValidationError",
                "field": "pipelineSar",
                "code": "OUT_OF_RANGE",
                "message": "pipelineSar must be at least 0 and below 1,000,000,000,000",
            }
        }
    }
    async with org.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM check_ins WHERE org_id = $1", org.id) == 0


async def test_a_subscription_sent_over_http_is_told_to_use_the_websocket(org: Org) -> None:
    response = await post(org, request("subscription { alerts { id } }"))
    assert response.status_code == 200
    assert answer(response) == {
        "data": None,
        "errors": [
            {
                "message": "subscriptions run over a WebSocket (graphql-transport-ws) at /graphql",
                "extensions": {"code": "USE_WEBSOCKET"},
            }
        ],
    }


# Bodies that are not a GraphQL request ----------------------------------------------------------


def bad_request(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]}


NOT_AN_OBJECT = "the request body must be a JSON object with a query"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"query": "{ __typename \xff }"}', "the request is not valid JSON: not UTF-8"),
        (b"null", NOT_AN_OBJECT),
        (b'"str"', NOT_AN_OBJECT),
        (b"42", NOT_AN_OBJECT),
        (b"[" * 50_000, "the request is not valid JSON: nested too deeply"),
        (b'{"query": ', "the request is not valid JSON: Expecting value"),
    ],
    ids=["invalid-utf8", "null", "string", "number", "nested", "truncated"],
)
async def test_a_body_that_is_not_a_graphql_request_answers_400_json(
    org: Org, content: bytes, message: str
) -> None:
    response = await post(org, content)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert answer(response) == bad_request(message)


TWO_OPERATIONS = "query A { customers { edges { node { id } } } } query B { __typename }"


async def test_two_operations_without_an_operation_name_are_refused(org: Org) -> None:
    response = await post(org, request(TWO_OPERATIONS))
    assert answer(response) == {
        "data": None,
        "errors": [
            {
                "message": "the document holds several operations: say which to run in "
                "operationName",
                "extensions": {"code": "BAD_REQUEST", "field": "operationName"},
            }
        ],
    }


async def test_the_named_operation_of_several_is_run(org: Org) -> None:
    response = await post(org, request(TWO_OPERATIONS, operationName="B"))
    assert answer(response) == {"data": {"__typename": "Query"}}


async def test_an_unknown_operation_name_answers_400_json(org: Org) -> None:
    response = await post(org, request(TWO_OPERATIONS, operationName="C"))
    assert response.status_code == 400
    assert answer(response) == bad_request('Unknown operation named "C".')


async def test_a_put_answers_405_json(org: Org) -> None:
    response = await org.client.put("/graphql", content=request("{ __typename }"))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert answer(response) == {
        "errors": [
            {
                "message": "GraphQL only supports GET and POST requests.",
                "extensions": {"code": "METHOD_NOT_ALLOWED"},
            }
        ]
    }


# Production: no token, no answer but a JSON 401 -------------------------------------------------


@pytest.fixture(scope="module")
async def production(settings: engine.Settings, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(settings, dev=False), clock=clock)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app),
            base_url="http://wafi.test",
            headers=ENGLISH,
        ) as client,
    ):
        yield client


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wafi_not-a-token"}, {"Authorization": "Basic abc"}],
    ids=["none", "unknown", "not-bearer"],
)
async def test_production_answers_401_json_without_a_valid_token(
    production: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await production.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["www-authenticate"] == "Bearer"
    assert answer(response) == {
        "errors": [
            {
                "message": "a valid bearer token is required",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }


async def test_production_answers_malformed_json_with_400_json(
    production: httpx.AsyncClient, system_pool: asyncpg.Pool, clock: Clock
) -> None:
    org = await make_org(system_pool, production, clock)
    response = await production.post(
        "/graphql",
        content=b'{"query": "{ __typename }"',
        headers={"Authorization": f"Bearer {org.token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert answer(response) == bad_request("the request is not valid JSON: Expecting ',' delimiter")
