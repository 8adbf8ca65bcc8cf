"""Organisations, operators and API tokens.

Creating an organisation is an administrator's act (the `wafi` command, with the database's own
credentials), so `create_organisation` runs outside row-level security; everything else is scoped.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.roles import Principal, Role
from resolvers.store.engine import APP_ROLE

TOKEN_PREFIX = "wafi_"


@dataclass(frozen=True, slots=True)
class Organisation:
    id: int
    slug: str
    name: str
    time_zone: str
    frozen_at: datetime | None
    frozen_reason: str | None


def new_token() -> str:
    """A random bearer token; only its SHA-256 is stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# One round trip: the token's principal, the app role, and (inside the function) the org scope.
# The LEFT JOIN keeps one row when the token is unknown, so the role is set either way.
_AUTHENTICATE = (
    f"SELECT set_config('role', '{APP_ROLE}', false) AS role_set, p.org_id, p.operator_id, p.role "
    "FROM (SELECT 1) AS one "
    "LEFT JOIN LATERAL wafi_authenticate($1, coalesce($2::timestamptz, now())) AS p ON true"
)


async def authenticate(
    conn: asyncpg.Connection, *, token: str, now: datetime | None = None
) -> Principal | None:
    """Resolve a live (not revoked, not expired at `now`: the request's clock, else the
    database's) token; `conn` leaves as APP_ROLE scoped to its organisation (or to none)."""
    row = await conn.fetchrow(_AUTHENTICATE, token_hash(token), now)
    if row is None or row["org_id"] is None:
        return None
    return Principal(org_id=row["org_id"], operator_id=row["operator_id"], role=Role(row["role"]))


async def create_organisation(
    conn: asyncpg.Connection, *, slug: str, name: str, owner_name: str, now: datetime
) -> tuple[Organisation, str]:
    """Administrator path: a new organisation, its owner and the owner's first token."""
    async with conn.transaction():
        org = await conn.fetchrow(
            "INSERT INTO organisations (slug, name, created_at) VALUES ($1, $2, $3) "
            "RETURNING id, slug, name, time_zone, frozen_at, frozen_reason",
            slug,
            name,
            now,
        )
        assert org is not None
        token = await _create_operator_token(
            conn, org_id=org["id"], name=owner_name, role=Role.OWNER, now=now
        )
    return Organisation(**dict(org)), token


async def create_token(
    conn: asyncpg.Connection, *, slug: str, role: Role, name: str, now: datetime
) -> str | None:
    """Administrator path: a new operator with `role` in the organisation `slug`, and its token."""
    async with conn.transaction():
        org_id = await conn.fetchval("SELECT id FROM organisations WHERE slug = $1", slug)
        if org_id is None:
            return None
        return await _create_operator_token(conn, org_id=org_id, name=name, role=role, now=now)


async def revoke_token(conn: asyncpg.Connection, *, slug: str, token: str, now: datetime) -> bool:
    """Administrator path: revoke `token` of the organisation `slug` (authentication refuses it
    from then on). False when the organisation holds no such live token."""
    revoked = await conn.fetchval(
        "UPDATE api_tokens t SET revoked_at = $3 FROM organisations o "
        "WHERE o.slug = $1 AND t.org_id = o.id AND t.token_hash = $2 AND t.revoked_at IS NULL "
        "RETURNING t.id",
        slug,
        token_hash(token),
        now,
    )
    return revoked is not None


async def _create_operator_token(
    conn: asyncpg.Connection, *, org_id: int, name: str, role: Role, now: datetime
) -> str:
    operator_id = await conn.fetchval(
        "INSERT INTO operators (org_id, name, role, created_at) VALUES ($1, $2, $3, $4) "
        "RETURNING id",
        org_id,
        name,
        role.value,
        now,
    )
    token = new_token()
    await conn.execute(
        "INSERT INTO api_tokens (org_id, operator_id, token_hash, created_at) "
        "VALUES ($1, $2, $3, $4)",
        org_id,
        operator_id,
        token_hash(token),
        now,
    )
    return token


async def get_organisation(conn: asyncpg.Connection, *, org_id: int) -> Organisation | None:
    row = await conn.fetchrow(
        "SELECT id, slug, name, time_zone, frozen_at, frozen_reason "
        "FROM organisations WHERE id = $1",
        org_id,
    )
    return None if row is None else Organisation(**dict(row))


@dataclass(frozen=True, slots=True)
class OrganisationListing:
    """An organisation as `wafi org list` shows it."""

    slug: str
    name: str
    time_zone: str
    created_at: datetime
    operators: int


@dataclass(frozen=True, slots=True)
class TokenListing:
    """A token as `wafi token list` shows it: never the secret (only its hash is kept)."""

    id: int
    operator: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


async def list_organisations(conn: asyncpg.Connection) -> list[OrganisationListing]:
    """Administrator path: every organisation, oldest first."""
    rows = await conn.fetch(
        "SELECT o.slug, o.name, o.time_zone, o.created_at, count(p.id) AS operators "
        "FROM organisations o LEFT JOIN operators p ON p.org_id = o.id "
        "GROUP BY o.id ORDER BY o.id"
    )
    return [OrganisationListing(**dict(row)) for row in rows]


async def list_tokens(conn: asyncpg.Connection, *, slug: str) -> list[TokenListing] | None:
    """Administrator path: the tokens of the organisation `slug`, oldest first; None when there
    is no such organisation."""
    org_id = await conn.fetchval("SELECT id FROM organisations WHERE slug = $1", slug)
    if org_id is None:
        return None
    rows = await conn.fetch(
        "SELECT t.id, p.name AS operator, p.role, t.created_at, t.expires_at, t.last_used_at, "
        "t.revoked_at "
        "FROM api_tokens t JOIN operators p ON p.org_id = t.org_id AND p.id = t.operator_id "
        "WHERE t.org_id = $1 ORDER BY t.id",
        org_id,
    )
    return [TokenListing(**{**dict(row), "role": Role(row["role"])}) for row in rows]
