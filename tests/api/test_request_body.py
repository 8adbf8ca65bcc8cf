"""The request body limit (256 KiB) holds whether or not the client sends Content-Length."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from tests.factories import T0, Org

LIMIT = 256 * 1024
CHUNK = 16 * 1024

CREATE = (
    "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { __typename "
    "... on CustomerPayload { customer { name } } } }"
)


def padded_create(size: int) -> bytes:
    """A valid createCustomer request, padded with JSON whitespace to exactly `size` bytes."""
    payload = {
        "query": CREATE,
        "variables": {"i": {"name": "عميل كبير", "subscriptionStartedAt": T0.isoformat()}},
    }
    head = json.dumps(payload).encode()
    assert len(head) < size
    return head + b" " * (size - len(head))


async def chunked(body: bytes) -> AsyncIterator[bytes]:
    """The body as a stream: httpx sends it with Transfer-Encoding: chunked, no Content-Length."""
    for start in range(0, len(body), CHUNK):
        yield body[start : start + CHUNK]


async def post_chunked(org: Org, body: bytes) -> tuple[int, dict[str, object], str | None]:
    response = await org.client.post(
        "/graphql",
        content=chunked(body),
        headers={"Authorization": f"Bearer {org.token}", "Content-Type": "application/json"},
    )
    return response.status_code, response.json(), response.request.headers.get("content-length")


async def customer_count(org: Org) -> int:
    async with org.pool.acquire() as conn:
        value: int = await conn.fetchval("SELECT count(*) FROM customers WHERE org_id = $1", org.id)
        return value


TOO_LARGE = {
    "errors": [
        {
            "message": "request body too large",
            "extensions": {"code": "OUT_OF_RANGE", "field": "body"},
        }
    ]
}


async def test_a_chunked_body_over_the_limit_is_refused_with_413_and_changes_nothing(
    org: Org,
) -> None:
    status, body, length = await post_chunked(org, padded_create(300 * 1024))
    assert length is None  # the limit cannot lean on the header
    assert status == 413
    assert body == TOO_LARGE
    assert await customer_count(org) == 0


async def test_a_chunked_body_one_byte_over_the_limit_is_refused(org: Org) -> None:
    status, body, _ = await post_chunked(org, padded_create(LIMIT + 1))
    assert (status, body) == (413, TOO_LARGE)
    assert await customer_count(org) == 0


async def test_a_chunked_body_under_the_limit_is_served(org: Org) -> None:
    status, body, length = await post_chunked(org, padded_create(200 * 1024))
    assert length is None
    assert status == 200
    assert "errors" not in body
    assert body["data"] == {
        "createCustomer": {"__typename": "CustomerPayload", "customer": {"name": "عميل كبير"}}
    }
    assert await customer_count(org) == 1


async def test_a_chunked_body_of_exactly_the_limit_is_served(org: Org) -> None:
    status, _, _ = await post_chunked(org, padded_create(LIMIT))
    assert status == 200
    assert await customer_count(org) == 1


async def test_a_declared_length_over_the_limit_is_refused_with_the_same_error(org: Org) -> None:
    response = await org.client.post(
        "/graphql",
        content=padded_create(300 * 1024),
        headers={"Authorization": f"Bearer {org.token}", "Content-Type": "application/json"},
    )
    assert response.request.headers["content-length"] == str(300 * 1024)
    assert (response.status_code, response.json()) == (413, TOO_LARGE)
    assert await customer_count(org) == 0
