"""Per-request context: who is calling, one lazily shared connection, loaders, the queue."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action, Principal, require
from resolvers.store import engine, namespaces, outbox, pubsub, ratelimit

log = logging.getLogger("wafi")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Resources:
    """What the process holds for all requests; built once in the app's lifespan."""

    settings: engine.Settings
    pool: asyncpg.Pool
    sessions: async_sessionmaker[AsyncSession]
    queue: ArqRedis | None  # None without Redis (`wafi demo`): the relay is left to the sweep
    clock: Clock = system_clock
    hub: pubsub.Hub | None = None
    ratelimit: ratelimit.RateLimiter | None = None  # None: no rate limits (`wafi demo`)
    # The deployment's Redis names (store.namespaces); the default only where nothing is queued.
    namespace: namespaces.Namespace = namespaces.UNUSED
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """One GraphQL request, or one WebSocket connection (shared by its subscriptions only:
    queries and mutations are refused on the socket, see schema/websocket.py)."""

    resources: Resources
    principal: Principal | None
    conn: asyncpg.Connection | None = None
    exit_stack: AsyncExitStack | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    loaders: dict[str, Any] = field(default_factory=dict)
    after_commit: list[Callable[[], Any]] = field(default_factory=list)
    now: datetime = field(default_factory=system_clock)
    # WebSocket connections: strawberry puts the `connection_init` payload here; the token is
    # kept so each subscription is authorised when it starts, and connections are never held.
    websocket: bool = False
    connection_params: dict[str, Any] | None = None
    token: str | None = None
    response: Any = None  # HTTP: where status and headers of the answer go (rate limits)
    _depth: int = 0
    _tasks: set[asyncio.Future[None]] = field(default_factory=set)

    def authorize(self, action: Action, *, field: str) -> Principal:
        """The caller, if their role may do `action`; refuses naming the operation `field`."""
        if self.principal is None:
            raise DomainError(field, ErrorCode.UNAUTHENTICATED, Msg.TOKEN_REQUIRED)
        require(self.principal.role, action, field=field)
        return self.principal

    @asynccontextmanager
    async def db(self) -> AsyncIterator[asyncpg.Connection]:
        """The request's read connection, acquired once, shared by loaders under a lock.

        On a WebSocket the context lives as long as the socket, so each block gets a pooled
        connection of its own and returns it at once.
        """
        if self.websocket:
            assert self.principal is not None
            async with engine.scoped(self.resources.pool, self.principal.org_id) as conn:
                yield conn
            return
        async with self.lock:
            if self.conn is None:
                assert self.exit_stack is not None
                assert self.principal is not None
                self.conn = await self.exit_stack.enter_async_context(
                    engine.scoped(self.resources.pool, self.principal.org_id)
                )
            yield self.conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction for the caller's organisation (rows + ledger + alerts).

        Work registered with `on_commit` during the block runs after the commit and is dropped
        on rollback; if the transaction wrote alerts the relay is enqueued by itself.
        """
        assert self.principal is not None
        mark = len(self.after_commit)
        self._depth += 1
        try:
            async with engine.transaction(self.resources.sessions, self.principal.org_id) as s:
                yield s
                if outbox.pending(s):
                    self.enqueue_relay()
        except BaseException:
            del self.after_commit[mark:]
            raise
        finally:
            self._depth -= 1
        work = self.after_commit[mark:]
        del self.after_commit[mark:]
        await _run_all(work)

    def on_commit(self, work: Callable[[], Any]) -> None:
        """Run `work` (sync or async, no arguments) once the current transaction commits;
        outside a transaction it is started at once."""
        if self._depth:
            self.after_commit.append(work)
            return
        task = asyncio.ensure_future(_run_all([work]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def enqueue_relay(self) -> None:
        """Ask a worker to publish new alerts now, after the current transaction commits
        (arq job by name, deduplicated by job id). Mutations that call `store.alerts.raise_alert`
        get this without asking. Without a queue nothing is enqueued: the worker's sweep
        publishes the alerts."""
        queue = self.resources.queue
        if queue is not None and not any(isinstance(w, _RelayWork) for w in self.after_commit):
            self.on_commit(_RelayWork(queue, self.resources.namespace))


async def _run_all(work: list[Callable[[], Any]]) -> None:
    # A failure is logged, not raised: the commit stands, and the worker's sweeps repair
    # whatever a lost enqueue missed.
    for item in work:
        try:
            result = item()
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("after-commit work failed")


class _RelayWork:
    def __init__(self, queue: ArqRedis, namespace: namespaces.Namespace) -> None:
        self._queue = queue
        self._namespace = namespace

    async def __call__(self) -> None:
        await outbox.enqueue_relay(self._queue, self._namespace)
