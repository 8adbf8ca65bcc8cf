"""Per-request context: who is calling, one lazily shared connection, loaders, the queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.errors import DomainError, ErrorCode
from domain.roles import Action, Principal, require
from resolvers.store import engine

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Resources:
    """What the process holds for all requests; built once in the app's lifespan."""

    settings: engine.Settings
    pool: asyncpg.Pool
    sessions: async_sessionmaker[AsyncSession]
    queue: ArqRedis
    clock: Clock = system_clock
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """One GraphQL request (or one WebSocket connection's operation)."""

    resources: Resources
    principal: Principal | None
    conn: asyncpg.Connection | None = None
    exit_stack: AsyncExitStack | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    loaders: dict[str, Any] = field(default_factory=dict)
    after_commit: list[Callable[[], Any]] = field(default_factory=list)
    now: datetime = field(default_factory=system_clock)

    def authorize(self, action: Action, *, field: str) -> Principal:
        """The caller, if their role may do `action`; refuses naming the operation `field`."""
        if self.principal is None:
            raise DomainError(field, ErrorCode.UNAUTHENTICATED, "a valid bearer token is required")
        require(self.principal.role, action, field=field)
        return self.principal

    @asynccontextmanager
    async def db(self) -> AsyncIterator[asyncpg.Connection]:
        """The request's read connection, acquired once, shared by loaders under a lock."""
        async with self.lock:
            if self.conn is None:
                assert self.exit_stack is not None
                assert self.principal is not None
                self.conn = await self.exit_stack.enter_async_context(
                    engine.scoped(self.resources.pool, self.principal.org_id)
                )
            yield self.conn

    def transaction(self) -> Any:
        """One write transaction for the caller's organisation (rows + ledger + outbox)."""
        assert self.principal is not None
        return engine.transaction(self.resources.sessions, self.principal.org_id)
