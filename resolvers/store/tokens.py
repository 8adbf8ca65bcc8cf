"""API tokens over the API: list, create, revoke (the token lookup itself is orgs.authenticate)."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.roles import Role
from domain.tokens import ApiToken
from resolvers.store import orgs

_COLUMNS = (
    "t.id, t.operator_id, p.name, p.role, t.created_at, t.expires_at, t.last_used_at, t.revoked_at"
)
_FROM = "FROM api_tokens t JOIN operators p ON p.org_id = t.org_id AND p.id = t.operator_id"


def _token(row: object) -> ApiToken:
    values = dict(row)  # type: ignore[call-overload]
    return ApiToken(**{**values, "role": Role(values["role"])})


async def page(
    conn: asyncpg.Connection, *, org_id: int, after_id: int | None, first: int
) -> list[ApiToken]:
    """Oldest first, `first + 1` rows so the caller knows whether another page follows."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} {_FROM} WHERE t.org_id = $1 AND t.id > $2 ORDER BY t.id LIMIT $3",
        org_id,
        after_id or 0,
        first + 1,
    )
    return [_token(row) for row in rows]


async def get_for_update(session: AsyncSession, *, org_id: int, token_id: int) -> ApiToken | None:
    row = (
        (
            await session.execute(
                text(
                    f"SELECT {_COLUMNS} {_FROM} "
                    "WHERE t.org_id = :org AND t.id = :id FOR UPDATE OF t"
                ),
                {"org": org_id, "id": token_id},
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else _token(row)


async def insert(
    session: AsyncSession,
    *,
    org_id: int,
    name: str,
    role: Role,
    expires_at: datetime | None,
    now: datetime,
) -> tuple[ApiToken, str]:
    """A new operator with `role` and its token; the secret is returned once, never stored."""
    secret = orgs.new_token()
    row = (
        await session.execute(
            text(
                "WITH operator AS (INSERT INTO operators (org_id, name, role, created_at) "
                "VALUES (:org, :name, :role, :now) RETURNING id) "
                "INSERT INTO api_tokens (org_id, operator_id, token_hash, created_at, expires_at) "
                "SELECT :org, id, :hash, :now, :expires FROM operator "
                "RETURNING id, operator_id"
            ),
            {
                "org": org_id,
                "name": name,
                "role": role.value,
                "now": now,
                "hash": orgs.token_hash(secret),
                "expires": expires_at,
            },
        )
    ).one()
    token = ApiToken(
        id=row.id,
        operator_id=row.operator_id,
        name=name,
        role=role,
        created_at=now,
        expires_at=expires_at,
        last_used_at=None,
        revoked_at=None,
    )
    return token, secret


async def revoke(session: AsyncSession, *, org_id: int, token_id: int, now: datetime) -> None:
    await session.execute(
        text("UPDATE api_tokens SET revoked_at = :now WHERE org_id = :org AND id = :id"),
        {"now": now, "org": org_id, "id": token_id},
    )
