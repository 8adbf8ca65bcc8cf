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
from schema import compiled

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
        compare: bool = True,
    ) -> dict[str, Any]:
        """POST a GraphQL operation with this organisation's token for `role`; the JSON body."""
        bearer = token if token is not None else await self.token_for(role)
        return await gql(self.client, query, variables, token=bearer, compare=compare)

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
    compare: bool = True,
) -> dict[str, Any]:
    """POST a GraphQL operation; the JSON body. A query answered by the compiled read path is
    asked again of the executor and the answers compared, unless `compare` is False (a test
    that counts requests or statements)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    if compare and body.get("extensions", {}).get("plan") == compiled.COMPILED:
        await _same_on_the_executor(client, query, variables, headers, body)
    return body


async def _same_on_the_executor(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None,
    headers: dict[str, str],
    body: dict[str, Any],
) -> None:
    """Every query of the suite that takes the compiled read path is asked again of the
    executor, on the same rows at the same clock: the two answers must be equal
    (docs/architecture.md#compiled-read-path)."""
    compiled.ENABLED = False
    try:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    finally:
        compiled.ENABLED = True
    again = response.json()
    assert again.get("extensions", {}).get("plan") == compiled.EXECUTOR, again
    for key in ("data", "errors"):
        assert body.get(key) == again.get(key), (query, variables, key, body, again)
    assert body["extensions"]["cost"]["requested"] == again["extensions"]["cost"]["requested"]


async def make_org(pool: asyncpg.Pool, client: httpx.AsyncClient, clock: Clock) -> Org:
    slug = "t-" + secrets.token_hex(5)
    async with pool.acquire() as conn:
        org, token = await orgs.create_organisation(
            conn, slug=slug, name=f"Org {slug}", owner_name="Owner", now=clock()
        )
    made = Org(id=org.id, slug=slug, token=token, pool=pool, client=client, clock=clock)
    made.tokens[Role.OWNER] = token
    return made


async def new_customer(org: Org, *, name: str = "عميل", locale: str = "AR") -> str:
    """A customer of `org` through the API; its global id."""
    data = await org.data(
        "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { "
        "... on CustomerPayload { customer { id } } } }",
        {"i": {"name": name, "locale": locale, "subscriptionStartedAt": T0.isoformat()}},
    )
    customer_id: str = data["createCustomer"]["customer"]["id"]
    return customer_id


async def open_ticket(
    org: Org, customer: str, subject: str, body: str = "", **extra: Any
) -> dict[str, Any]:
    """Open a ticket through the API; the OpenTicketPayload (ticket + draft)."""
    data = await org.data(
        "mutation($i: OpenTicketInput!) { openTicket(input: $i) { __typename "
        "... on OpenTicketPayload { ticket { id version priority classifiedPriority "
        "matchedKeyword reasonAr status firstResponseDueAt resolutionDueAt } "
        "draft { id version kind locale body status approvalRequired liveSendAllowed } } "
        "... on UserError { field code message } } }",
        {"i": {"customer": customer, "subject": subject, "body": body, **extra}},
    )
    payload: dict[str, Any] = data["openTicket"]
    assert payload["__typename"] == "OpenTicketPayload", payload
    return payload


async def support_snapshot(org: Org) -> dict[str, Any]:
    """Every support-desk row of `org` (tickets, history, drafts, ledger, alerts, freeze), to
    show a refused mutation changed nothing."""
    snapshot: dict[str, Any] = {}
    async with org.pool.acquire() as conn:
        for table in ("tickets", "ticket_events", "drafts", "ledger", "alerts"):
            rows = await conn.fetch(f"SELECT * FROM {table} WHERE org_id = $1 ORDER BY id", org.id)
            snapshot[table] = [dict(row) for row in rows]
        snapshot["organisation"] = dict(
            await conn.fetchrow(
                "SELECT frozen_at, frozen_reason FROM organisations WHERE id = $1", org.id
            )
            or {}
        )
    return snapshot


async def add_customers(pool: asyncpg.Pool, org_id: int, count: int = 1) -> list[int]:
    """`count` bare customers of `org_id`, inserted with the system pool; their ids, in order.
    For rows that must point at a real customer (alerts' composite foreign keys)."""
    rows = await pool.fetch(
        "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
        "subscription_status, subscription_started_at, created_at, updated_at) "
        "SELECT $1, 'c' || n, 'c' || n, 'ar', 'growth_starter', 'onboarding', 'pilot', $2, $2, $2 "
        "FROM generate_series(1, $3::int) AS n ORDER BY n RETURNING id",
        org_id,
        T0,
        count,
    )
    return sorted(row["id"] for row in rows)


# Alerts: arranged through the store's set-based path with the system pool, as a scan would.
_ALERT_CANDIDATES = (
    "SELECT $2::bigint AS org_id, $3::text AS kind, $4::text AS subject, "
    "$5::bigint + n AS subject_id, $6::text || n AS occurrence, $7::bigint AS customer_id, "
    "$8::text AS for_role, $9::jsonb || jsonb_build_object('n', n) AS payload "
    "FROM generate_series(1, $10::int) AS n"
)


async def raise_alerts(
    pool: asyncpg.Pool,
    org_id: int,
    *,
    count: int = 1,
    kind: str = "AT_RISK",
    subject: str = "Customer",
    first_subject_id: int = 1,
    customer_id: int | None = None,
    for_role: str = "owner",
    payload: dict[str, Any] | None = None,
    now: datetime = T0,
) -> list[int]:
    """`count` alerts, committed; their ids, oldest first."""
    from resolvers.store import alerts

    async with pool.acquire() as conn:
        # Exactly the alerts it wrote: a scan may commit others of the organisation meanwhile.
        inserted = await alerts.insert_returning(
            conn,
            select_sql=_ALERT_CANDIDATES,
            args=(
                org_id,
                kind,
                subject,
                first_subject_id - 1,
                "o",
                customer_id,
                for_role,
                payload or {},
                count,
            ),
            now=now,
        )
    return sorted(alert.id for alert in inserted)


# The relay's marks (resolvers/store/outbox.py): alerts past an organisation's mark wait.
_UNPUBLISHED = (
    "SELECT count(*) FROM alerts a LEFT JOIN alert_relay_marks m ON m.org_id = a.org_id "
    "WHERE a.org_id = ANY($1::bigint[]) AND a.id > coalesce(m.published_through, 0)"
)


async def unpublished(conn: asyncpg.Connection | asyncpg.Pool, *org_ids: int) -> int:
    """How many alerts of these organisations the relay has not published (system pool)."""
    count: int = await conn.fetchval(_UNPUBLISHED, list(org_ids))
    return count


async def forget_published(conn: asyncpg.Connection | asyncpg.Pool, org_id: int) -> None:
    """Make the relay publish every alert of the organisation again (system pool)."""
    await conn.execute("DELETE FROM alert_relay_marks WHERE org_id = $1", org_id)


async def mark_all_published(conn: asyncpg.Connection | asyncpg.Pool, now: datetime) -> None:
    """Every organisation's alerts published as of now, without sending them (system pool)."""
    await conn.execute(
        "INSERT INTO alert_relay_marks (org_id, published_through, published_at) "
        "SELECT org_id, max(id), $1 FROM alerts GROUP BY org_id "
        "ON CONFLICT (org_id) DO UPDATE SET published_through = excluded.published_through, "
        "published_at = excluded.published_at",
        now,
    )
