"""Refusals speak the request's language (README: Language): Arabic without an Accept-Language
naming English, English with `en`, the codes and fields the same; responses are UTF-8 JSON."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from domain.messages import Language, Msg, render
from schema.app import MAX_BODY_BYTES
from schema.root import MAX_DEPTH, MAX_TOKENS
from tests.api.test_limits import OVER_LIMIT
from tests.factories import T0, Org
from tests.live import Live

CREATE_CUSTOMER = (
    "mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { __typename "
    "... on UserError { field code message } } }"
)
NAMELESS = {"name": "  ", "locale": "AR", "subscriptionStartedAt": T0.isoformat()}
NODE = "query ($id: ID!) { node(id: $id) { id } }"
NO_SUCH = "Q3VzdG9tZXI6OTk5OTk5"  # Customer:999999, in no organisation
CUSTOMERS = "{ customers(first: 1) { edges { node { id } } } }"

AR_REQUIRED = "يحتاج العميل إلى اسم"
AR_NOTHING = "لا يوجد شيء بهذا المعرّف في مؤسستك"


async def post(
    org: Org,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    lang: str | None = None,
    token: bool = True,
) -> httpx.Response:
    """POST with exactly these headers: no Accept-Language unless `lang` is given."""
    headers = {"Authorization": f"Bearer {org.token}"} if token else {}
    request = org.client.build_request(
        "POST", "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    request.headers.pop("Accept-Language", None)  # the suite's client asks for English
    if lang is not None:
        request.headers["Accept-Language"] = lang
    return await org.client.send(request)


async def test_a_mutation_refusal_is_arabic_without_accept_language(org: Org) -> None:
    body = (await post(org, CREATE_CUSTOMER, {"i": NAMELESS})).json()
    assert body["data"]["createCustomer"] == {
        "__typename": "ValidationError",
        "field": "name",
        "code": "REQUIRED",
        "message": AR_REQUIRED,
    }


async def test_the_same_refusal_is_english_with_accept_language_en_and_keeps_its_code(
    org: Org,
) -> None:
    arabic = (await post(org, CREATE_CUSTOMER, {"i": NAMELESS}, lang="ar")).json()
    english = (await post(org, CREATE_CUSTOMER, {"i": NAMELESS}, lang="en-GB")).json()
    assert english["data"]["createCustomer"] == {
        "__typename": "ValidationError",
        "field": "name",
        "code": "REQUIRED",
        "message": "a customer needs a name",
    }
    assert arabic["data"]["createCustomer"]["message"] == AR_REQUIRED
    same = ("__typename", "field", "code")
    assert [arabic["data"]["createCustomer"][k] for k in same] == [
        english["data"]["createCustomer"][k] for k in same
    ]


@pytest.mark.parametrize(
    ("accept", "message"),
    [
        (None, AR_NOTHING),
        ("ar-SA", AR_NOTHING),
        ("en", "nothing with this id in your organisation"),
        ("EN-us,ar;q=0.9", "nothing with this id in your organisation"),
        ("en;q=0.3, ar;q=0.8", AR_NOTHING),
        ("fr-FR, en;q=0.5", "nothing with this id in your organisation"),
        ("fr, de", AR_NOTHING),
        ("*", AR_NOTHING),
        ("en;q=0", AR_NOTHING),
    ],
)
async def test_a_top_level_not_found_follows_accept_language_q_values(
    org: Org, accept: str | None, message: str
) -> None:
    body = (await post(org, NODE, {"id": NO_SUCH}, lang=accept)).json()
    assert body["errors"] == [
        {
            "message": message,
            "locations": [{"line": 1, "column": 20}],
            "path": ["node"],
            "extensions": {"code": "NOT_FOUND", "field": "id"},
        }
    ]


async def test_unauthenticated_is_arabic_by_default_and_english_on_request(org: Org) -> None:
    arabic = (await post(org, CUSTOMERS, token=False)).json()
    english = (await post(org, CUSTOMERS, token=False, lang="en")).json()
    assert [(e["message"], e["extensions"]) for e in arabic["errors"]] == [
        (
            "مطلوب رمز وصول (bearer token) صالح",
            {"code": "UNAUTHENTICATED", "field": "customers"},
        )
    ]
    assert [(e["message"], e["extensions"]) for e in english["errors"]] == [
        ("a valid bearer token is required", {"code": "UNAUTHENTICATED", "field": "customers"})
    ]


async def test_the_depth_and_token_limits_answer_in_arabic_by_default(org: Org) -> None:
    arabic = (await post(org, OVER_LIMIT)).json()
    english = (await post(org, OVER_LIMIT, lang="en")).json()
    assert [e["message"] for e in english["errors"]] == [
        f"'anonymous' exceeds maximum operation depth of {MAX_DEPTH}"
    ]
    assert [e["message"] for e in arabic["errors"]] == [
        f"'anonymous' تتجاوز أقصى عمق للعملية وهو {MAX_DEPTH}"
    ]
    many = "{ " + " ".join(f"a{i}: __typename" for i in range(MAX_TOKENS)) + " }"
    assert (await post(org, many)).json()["errors"][0]["message"] == render(
        Msg.TOKEN_LIMIT, {"limit": MAX_TOKENS}, Language.AR
    )
    assert (await post(org, many, lang="en")).json()["errors"][0]["message"] == (
        f"Syntax Error: Document contains more than {MAX_TOKENS} tokens. Parsing aborted."
    )


async def test_a_body_too_large_is_refused_in_arabic_by_default(org: Org) -> None:
    big = "x" * (MAX_BODY_BYTES + 1)
    arabic = await post(org, "{ __typename }", {"pad": big})
    english = await post(org, "{ __typename }", {"pad": big}, lang="en")
    assert (arabic.status_code, english.status_code) == (413, 413)
    assert arabic.json()["errors"][0] == {
        "message": "جسم الطلب كبير جدًا",
        "extensions": {"code": "OUT_OF_RANGE", "field": "body"},
    }
    assert english.json()["errors"][0]["message"] == "request body too large"


async def test_responses_are_utf8_json_with_arabic_unescaped(org: Org) -> None:
    response = await post(org, CREATE_CUSTOMER, {"i": NAMELESS})
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert AR_REQUIRED.encode() in response.content
    assert b"\\u" not in response.content
    assert response.json()["data"]["createCustomer"]["message"] == AR_REQUIRED


async def test_a_websocket_refusal_follows_the_upgrades_accept_language(
    live: Live, tenant: Org
) -> None:
    query = "query { __typename }"
    for lang, text in (
        ("ar", render(Msg.USE_HTTP, {"kind": "query"}, Language.AR)),
        ("en", render(Msg.USE_HTTP, {"kind": "query"}, Language.EN)),
    ):
        async with live.socket({"Accept-Language": lang}) as client:
            assert (await client.init({"token": tenant.token}))["type"] == "connection_ack"
            op_id = await client.subscribe(query)
            raw = await client.ws.receive_text()
            assert text in raw  # the frame carries the text itself, not \\u escapes
            assert json.loads(raw) == {
                "id": op_id,
                "type": "error",
                "payload": [
                    {"message": text, "extensions": {"code": "USE_HTTP", "field": "operation"}}
                ],
            }


async def test_a_websocket_depth_refusal_is_in_the_sockets_language(
    live: Live, tenant: Org
) -> None:
    deep = "subscription { alerts { " + "x { " * MAX_DEPTH + "id" + " }" * MAX_DEPTH + " } }"
    async with live.socket({"Accept-Language": "ar"}) as client:
        assert (await client.init({"token": tenant.token}))["type"] == "connection_ack"
        op_id = await client.subscribe(deep)
        message = await client.receive()
    assert (message["id"], message["type"]) == (op_id, "error")
    assert [error["message"] for error in message["payload"]] == [
        f"'anonymous' تتجاوز أقصى عمق للعملية وهو {MAX_DEPTH}",
        "Cannot query field 'x' on type 'Alert'.",  # graphql-core's own: English
    ]
