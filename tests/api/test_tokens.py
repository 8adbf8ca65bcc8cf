"""API tokens over GraphQL: list (never a secret), create (role at most yours, optional expiry),
revoke; expired and revoked tokens are refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.roles import Role
from tests.factories import Org, gql

TOKENS = """{ apiTokens(first: 100) { edges { node {
  id name role createdAt expiresAt lastUsedAt revokedAt live } } pageInfo { hasNextPage } } }"""
CREATE = """mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { __typename
  ... on CreateApiTokenPayload { secret token { id name role expiresAt live } }
  ... on UserError { field code message } } }"""
REVOKE = """mutation($i: RevokeApiTokenInput!) { revokeApiToken(input: $i) { __typename
  ... on ApiTokenPayload { token { id revokedAt live } }
  ... on UserError { field code message } } }"""
WHO = "{ customers(first: 1) { edges { node { id } } } }"


async def _rows(org: Org) -> dict[str, list[dict[str, Any]]]:
    async with org.pool.acquire() as conn:
        return {
            table: [
                dict(r)
                for r in await conn.fetch(
                    f"SELECT * FROM {table} WHERE org_id = $1 ORDER BY id", org.id
                )
            ]
            for table in ("operators", "api_tokens", "ledger")
        }


async def _create(org: Org, *, as_role: Role = Role.OWNER, **fields: Any) -> dict[str, Any]:
    data = await org.data(CREATE, {"i": fields}, role=as_role)
    result: dict[str, Any] = data["createApiToken"]
    return result


async def test_an_owner_makes_a_token_that_works_once_shown_and_is_listed_without_its_secret(
    org: Org,
) -> None:
    made = await _create(org, name="CRM sync", role="AGENT")
    assert made["__typename"] == "CreateApiTokenPayload", made
    secret = made["secret"]
    assert secret.startswith("wafi_")
    assert made["token"]["name"] == "CRM sync"
    assert (made["token"]["role"], made["token"]["expiresAt"], made["token"]["live"]) == (
        "AGENT",
        None,
        True,
    )
    used = await gql(org.client, WHO, token=secret)
    assert "errors" not in used, used

    listed = await org.data(TOKENS)
    nodes = [e["node"] for e in listed["apiTokens"]["edges"]]
    assert [(n["name"], n["role"], n["live"]) for n in nodes] == [
        ("Owner", "OWNER", True),
        ("CRM sync", "AGENT", True),
    ]
    # Each token's last use is noted (at most every five minutes), at the request's instant.
    assert [datetime.fromisoformat(n["lastUsedAt"]) for n in nodes] == [org.clock()] * 2
    assert secret not in str(listed)
    async with org.pool.acquire() as conn:
        ledger = await conn.fetchrow(
            "SELECT action, after FROM ledger WHERE org_id = $1 AND action = 'createApiToken'",
            org.id,
        )
    assert ledger is not None
    assert secret not in str(ledger["after"])


async def test_an_expired_token_is_refused_and_listed_as_not_live(org: Org) -> None:
    expires = org.clock() + timedelta(hours=1)
    made = await _create(org, name="Temp", role="VIEWER", expiresAt=expires.isoformat())
    secret = made["secret"]
    assert "errors" not in await gql(org.client, WHO, token=secret)
    org.clock.advance(hours=1)
    refused = await gql(org.client, WHO, token=secret)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", refused
    nodes = [e["node"] for e in (await org.data(TOKENS))["apiTokens"]["edges"]]
    assert [n["live"] for n in nodes if n["name"] == "Temp"] == [False]


async def test_a_revoked_token_is_refused_from_then_on(org: Org) -> None:
    made = await _create(org, name="Zapier", role="AGENT")
    data = await org.data(REVOKE, {"i": {"id": made["token"]["id"]}})
    assert data["revokeApiToken"]["token"]["live"] is False
    assert data["revokeApiToken"]["token"]["revokedAt"] is not None
    refused = await gql(org.client, WHO, token=made["secret"])
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_manager_grants_and_revokes_up_to_manager_only(org: Org) -> None:
    manager_made = await org.data(
        CREATE, {"i": {"name": "Helper", "role": "MANAGER"}}, role=Role.MANAGER
    )
    assert manager_made["createApiToken"]["__typename"] == "CreateApiTokenPayload"
    owner_token = (await org.data(TOKENS))["apiTokens"]["edges"][0]["node"]["id"]
    await org.data(WHO)  # the owner's token was used: its last use is noted before the snapshot
    await org.gql(WHO, role=Role.MANAGER)
    before = await _rows(org)
    over = await org.data(CREATE, {"i": {"name": "Boss", "role": "OWNER"}}, role=Role.MANAGER)
    assert over["createApiToken"] == {
        "__typename": "ForbiddenError",
        "field": "role",
        "code": "FORBIDDEN",
        "message": "role manager may not grant role owner",
    }
    revoke_owner = await org.data(REVOKE, {"i": {"id": owner_token}}, role=Role.MANAGER)
    assert revoke_owner["revokeApiToken"]["__typename"] == "ForbiddenError"
    assert revoke_owner["revokeApiToken"]["field"] == "id"
    assert await _rows(org) == before


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
async def test_agents_and_viewers_cannot_see_or_make_tokens(org: Org, role: Role) -> None:
    await org.gql(WHO, role=role)
    before = await _rows(org)
    made = await org.data(CREATE, {"i": {"name": "x", "role": "VIEWER"}}, role=role)
    assert made["createApiToken"]["__typename"] == "ForbiddenError"
    assert made["createApiToken"]["field"] == "createApiToken"
    listed = await org.gql(TOKENS, role=role)
    assert listed["errors"][0]["extensions"] == {"code": "FORBIDDEN", "field": "apiTokens"}
    assert await _rows(org) == before


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"name": "  ", "role": "AGENT"}, "name", "REQUIRED"),
        ({"name": "x" * 121, "role": "AGENT"}, "name", "TOO_LONG"),
        (
            {"name": "old", "role": "AGENT", "expiresAt": "2020-01-01T00:00:00Z"},
            "expiresAt",
            "OUT_OF_RANGE",
        ),
    ],
)
async def test_bad_token_input_is_refused_and_changes_nothing(
    org: Org, fields: dict[str, Any], field: str, code: str
) -> None:
    await org.data(WHO)
    before = await _rows(org)
    made = await _create(org, **fields)
    assert (made["__typename"], made["field"], made["code"]) == ("ValidationError", field, code)
    assert await _rows(org) == before


async def test_revoking_twice_or_another_organisations_token_is_refused(
    org: Org, other_org: Org
) -> None:
    made = await _create(org, name="Once", role="AGENT")
    await org.data(REVOKE, {"i": {"id": made["token"]["id"]}})
    before = await _rows(org)
    again = await org.data(REVOKE, {"i": {"id": made["token"]["id"]}})
    assert (again["revokeApiToken"]["__typename"], again["revokeApiToken"]["code"]) == (
        "RuleError",
        "INVALID_TRANSITION",
    )
    foreign = await other_org.data(REVOKE, {"i": {"id": made["token"]["id"]}})
    assert (foreign["revokeApiToken"]["__typename"], foreign["revokeApiToken"]["code"]) == (
        "NotFoundError",
        "NOT_FOUND",
    )
    assert await _rows(org) == before
    theirs = await other_org.data(TOKENS)
    assert [e["node"]["name"] for e in theirs["apiTokens"]["edges"]] == ["Owner"]


async def test_a_tokens_last_use_is_noted_at_most_every_five_minutes(org: Org) -> None:
    async def last_used() -> datetime:
        async with org.pool.acquire() as conn:
            value: datetime = await conn.fetchval(
                "SELECT last_used_at FROM api_tokens WHERE org_id = $1", org.id
            )
        return value

    first = org.clock()
    await org.data(WHO)
    assert await last_used() == first
    org.clock.advance(minutes=5)
    await org.data(WHO)
    assert await last_used() == first
    later = org.clock.advance(seconds=1)
    await org.data(WHO)
    assert await last_used() == later


@pytest.mark.parametrize(
    ("role", "approve", "acknowledge"),
    [
        (Role.OWNER, True, True),
        (Role.MANAGER, True, True),
        (Role.AGENT, True, True),
        (Role.VIEWER, False, False),
    ],
)
async def test_me_names_the_callers_role_and_what_it_may_do(
    org: Org, role: Role, approve: bool, acknowledge: bool
) -> None:
    data = await org.data("{ me { role mayApproveDrafts mayAcknowledgeAlerts } }", role=role)
    assert data["me"] == {
        "role": role.name,
        "mayApproveDrafts": approve,
        "mayAcknowledgeAlerts": acknowledge,
    }
