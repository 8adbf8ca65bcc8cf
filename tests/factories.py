"""Test helpers: a controllable clock, organisations with tokens, and a GraphQL caller."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from domain.roles import Role
from resolvers.store import orgs

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class Clock:
    """The app's clock in tests: fixed until a test moves it; never sleeps."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def reset(self) -> None:
        self.now = T0

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Org:
    id: int
    slug: str
    token: str
    pool: asyncpg.Pool
    client: httpx.AsyncClient
    clock: Clock
    tokens: dict[Role, str] = field(default_factory=dict)

    async def token_for(self, role: Role) -> str:
        if role not in self.tokens:
            async with self.pool.acquire() as conn:
                token = await orgs.create_token(
                    conn, slug=self.slug, role=role, name=role.value, now=self.clock()
                )
            assert token is not None
            self.tokens[role] = token
        return self.tokens[role]

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        role: Role = Role.OWNER,
        token: str | None = None,
    ) -> dict[str, Any]:
        """POST a GraphQL operation with this organisation's token for `role`; the JSON body."""
        bearer = token if token is not None else await self.token_for(role)
        return await gql(self.client, query, variables, token=bearer)

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """`gql` that insists on no top-level errors and returns `data`."""
        body = await self.gql(query, variables, **kw)
        assert "errors" not in body, body
        return body["data"]


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def make_org(pool: asyncpg.Pool, client: httpx.AsyncClient, clock: Clock) -> Org:
    slug = "t-" + secrets.token_hex(5)
    async with pool.acquire() as conn:
        org, token = await orgs.create_organisation(
            conn, slug=slug, name=f"Org {slug}", owner_name="Owner", now=clock()
        )
    made = Org(id=org.id, slug=slug, token=token, pool=pool, client=client, clock=clock)
    made.tokens[Role.OWNER] = token
    return made
