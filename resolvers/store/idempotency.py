"""Idempotency keys: a repeated create returns what the first one made; the same key with
another input is refused (IDEMPOTENCY_KEY_REUSED)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain import idempotency
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from resolvers.store.tables import IdempotencyKeyRow


async def claim(
    session: AsyncSession, *, org_id: int, key: str, operation: str, fingerprint: str
) -> int | None:
    """Lock the key for this transaction; the entity a previous call made with it, if any."""
    idempotency.validate_key(key)
    # Two concurrent calls with one key queue here instead of both creating. The lock is on
    # the key alone, as the primary key (org_id, key) is: a call with the same key for another
    # operation waits too, then finds the first one's row and is refused as a duplicate.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, :org))"),
        {"k": key, "org": org_id},
    )
    row = await session.get(IdempotencyKeyRow, (org_id, key))
    if row is None:
        return None
    if row.operation != operation:
        raise DomainError("idempotencyKey", ErrorCode.DUPLICATE, Msg.KEY_ALREADY_USED)
    if idempotency.reused(row.fingerprint, fingerprint):
        raise DomainError(
            "idempotencyKey", ErrorCode.IDEMPOTENCY_KEY_REUSED, Msg.KEY_REUSED_OTHER_INPUT
        )
    return row.entity_id


async def remember(
    session: AsyncSession,
    *,
    org_id: int,
    key: str,
    operation: str,
    fingerprint: str,
    entity_id: int,
    now: datetime,
) -> None:
    session.add(
        IdempotencyKeyRow(
            org_id=org_id,
            key=key,
            operation=operation,
            entity_id=entity_id,
            created_at=now,
            fingerprint=fingerprint,
        )
    )
    await session.flush()


@dataclass(frozen=True, slots=True)
class Once:
    """An idempotent create in the caller's transaction (see `once`)."""

    session: AsyncSession
    org_id: int
    key: str | None
    operation: str
    fingerprint: str
    now: datetime
    previous: int | None  # the entity a first call with this key made: answer with it

    async def made(self, entity_id: int) -> None:
        """Remember the entity this call created under its key (nothing without a key)."""
        if self.key is not None:
            await remember(
                self.session,
                org_id=self.org_id,
                key=self.key,
                operation=self.operation,
                fingerprint=self.fingerprint,
                entity_id=entity_id,
                now=self.now,
            )


async def once(
    session: AsyncSession,
    *,
    org_id: int,
    key: str | None,
    operation: str,
    request: object,
    now: datetime,
) -> Once:
    """Claim `key` for a create: `previous` is set when a first call with it and the same
    `request` (the mutation's input) made something (return that), else create and call
    `made(entity_id)`. Without a key, always create."""
    if key is None:
        return Once(session, org_id, None, operation, "", now, None)
    fingerprint = idempotency.fingerprint(operation, request)
    previous = await claim(
        session, org_id=org_id, key=key, operation=operation, fingerprint=fingerprint
    )
    return Once(session, org_id, key, operation, fingerprint, now, previous)
