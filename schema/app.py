"""The Starlette app: /graphql (HTTP, WebSocket, GraphiQL), /healthz, /readyz, lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
import traceback
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from typing import Any, cast

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from domain.messages import Msg
from domain.roles import Principal
from resolvers.store import (
    availability,
    engine,
    namespaces,
    orgs,
    pubsub,
    ratelimit,
    shutdown,
)
from schema import (
    cockpit,
    compiled,
    exports,
    fanout,
    health,
    http_errors,
    language,
    metrics,
    reports,
)
from schema.context import Context, Resources, system_clock
from schema.root import schema
from schema.types.cs_plan import ReportFormat
from schema.websocket import MAX_SUBSCRIPTIONS, SubscriptionsOnlyHandler

log = logging.getLogger("wafi")

MAX_BODY_BYTES = 256 * 1024
# How long the in-process worker gets to stop once cancelled before it is cancelled again:
# longer than its own bounded stop (jobs/worker.py `stop`: 5 s to close, 5 s for jobs still
# running, 5 s for its pools).
STOP_WORKER_S = 20.0
_STACK = "wafi.exit_stack"


class WafiGraphQL(http_errors.JsonErrorsView, GraphQL[Context, None]):
    """strawberry's ASGI app, plus: a per-request exit stack that returns the connection, a
    WebSocket that carries subscriptions only (schema/websocket.py), and JSON refusals
    (schema/http_errors.py)."""

    graphql_transport_ws_handler_class = SubscriptionsOnlyHandler

    @property
    def graphql_ide_html(self) -> str:
        return cockpit.graphiql_html()  # offline: the package's files, no CDN

    def answered_by_caller(self, error: Exception) -> bool:
        return isinstance(error, _BodyTooLargeError)  # answered 413 by `__call__`

    def __init__(self, resources: Callable[[], Resources], *, dev: bool) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if dev else None,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS,
        )
        self._resources = resources
        self._dev = dev

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with language.answering(_header(scope, b"accept-language")):
            await self._serve(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if _too_large(scope):
                await _body_too_large(scope, receive, send)
                return
            # Content-Length may be absent (chunked transfer) or understated: count what arrives.
            receive = _limited(receive)
        async with AsyncExitStack() as stack:
            scope[_STACK] = stack
            try:
                await super().__call__(scope, receive, send)
            except _BodyTooLargeError:
                # The body is read whole before any response starts.
                await _body_too_large(scope, receive, send)

    def encode_json(self, data: object) -> str:
        """UTF-8 JSON: Arabic as itself, not `\\u0634` escapes (README: Language)."""
        if isinstance(data, fanout.Encoded):
            return data.text  # a live event's message, its data encoded once per render group
        # A compiled answer's data is PostgreSQL's JSON text, spliced in (schema/compiled.py).
        return compiled.encode(data, fanout.dumps)

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = "application/json; charset=utf-8"
        return response

    async def process_result(self, request: Request, result: ExecutionResult) -> Any:
        processed = await super().process_result(request, result)
        language.localise_errors(processed.get("errors"))
        return processed

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        resources = self._resources()
        stack: AsyncExitStack = request.scope[_STACK]
        ctx = Context(resources=resources, principal=None, exit_stack=stack, now=resources.clock())
        token = _bearer(request.headers.get("authorization"))
        if isinstance(request, WebSocket):
            # The socket may live for hours: authenticate in `on_ws_connect`, when the
            # connection_init payload is known, and never keep a pooled connection. This one
            # Context serves the socket's subscriptions only: queries and mutations are refused
            # on the socket (schema/websocket.py), so each gets its own Context over HTTP.
            ctx.websocket = True
            ctx.token = token
            return ctx
        ctx.token = token  # a long-running (streamed) subscription re-checks it
        ctx.response = response
        if token is not None:
            conn, ctx.principal = await stack.enter_async_context(
                availability.first_use(
                    resources.pool, lambda c: orgs.authenticate(c, token=token, now=ctx.now)
                )
            )
            ctx.conn = conn if ctx.principal is not None else None
        if ctx.principal is None and not self._dev:
            # Production: not even introspection without a token
            # (docs/architecture.md#request-path).
            raise HTTPException(401, language.text(Msg.TOKEN_REQUIRED))
        return ctx

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws `connection_init`: the token comes from its payload
        (`{"authorization": "Bearer ..."}` or `{"token": "..."}`) or the upgrade's header.
        A connection without a valid token is closed (4403) before any operation."""
        token = _token_from_params(context.connection_params) or context.token
        principal = (
            None
            if token is None
            else await authenticate(context.resources, token, now=context.resources.clock())
        )
        if principal is None:
            raise ConnectionRejectionError({"reason": "a valid bearer token is required"})
        context.token = token
        context.principal = principal
        return cast(UnsetType, UNSET)


async def authenticate(resources: Resources, token: str, *, now: datetime) -> Principal | None:
    """Resolve a token on a connection borrowed for this one query."""
    async with resources.pool.acquire() as conn:
        return await orgs.authenticate(conn, token=token, now=now)


def _token_from_params(params: dict[str, Any] | None) -> str | None:
    if not params:
        return None
    token = params.get("token")
    if isinstance(token, str) and token.strip():
        return token.strip()
    for key in ("authorization", "Authorization"):
        value = params.get(key)
        if isinstance(value, str):
            return _bearer(value)
    return None


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


class _BodyTooLargeError(Exception):
    """More than MAX_BODY_BYTES of request body arrived."""


def _limited(receive: Receive) -> Receive:
    """`receive` that refuses a body once more than MAX_BODY_BYTES of it have arrived."""
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise _BodyTooLargeError
        return message

    return counted


async def _body_too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse(
        {
            "errors": [
                {
                    "message": language.text(Msg.BODY_TOO_LARGE),
                    "extensions": {"code": "OUT_OF_RANGE", "field": "body"},
                }
            ]
        },
        status_code=413,
    )
    await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _too_large(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value) > MAX_BODY_BYTES
            except ValueError:
                return True
    return False


def _worker_ended(task: asyncio.Task[None]) -> None:
    """The in-process worker ends only when the app cancels it: any other end is a bug that
    would stop alerts and scans in silence, so it is logged at once."""
    error = None if task.cancelled() else task.exception()
    if error is not None:
        trace = "".join(traceback.format_exception(error))
        log.error("the in-process worker stopped for good: %s", engine.without_secrets(trace))


def create_app(
    settings: engine.Settings,
    *,
    clock: Callable[[], datetime] = system_clock,
    worker: Callable[[Resources], Any] | None = None,
) -> Starlette:
    """The ASGI app. `worker`, when given, is started in the app's own loop (one-command mode)."""
    holder: dict[str, Resources] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        assert settings.database_url
        assert settings.redis_url
        timeout = settings.statement_timeout_s
        login = await engine.app_login_url(settings)  # as the app role itself where allowed
        pool = await engine.create_read_pool(
            login, size=settings.pool_size, statement_timeout=timeout
        )
        write = engine.create_write_engine(login, size=settings.pool_size, timeout=timeout)
        namespace = await namespaces.resolve(
            settings.redis_prefix, settings.database_url, wait_s=timeout
        )
        queue = namespaces.queue_pool(
            settings.redis_url, namespace, timeout=settings.redis_timeout_s
        )
        hub = pubsub.Hub(settings.redis_url, namespace=namespace, timeout=settings.redis_timeout_s)
        await hub.start()
        resources = Resources(
            settings=settings,
            pool=pool,
            sessions=engine.sessions(write),
            queue=queue,
            clock=clock,
            hub=hub,
            ratelimit=ratelimit.RateLimiter(
                queue,
                points=settings.rate_limit_points,
                window_s=settings.rate_limit_window_s,
                prefix=namespace.prefix,
            ),
            namespace=namespace,
        )
        holder["resources"] = resources
        app.state.resources = resources  # for probes and tests: what this process holds
        task = asyncio.create_task(worker(resources)) if worker is not None else None
        if task is not None:
            task.add_done_callback(_worker_ended)
        # What the process holds by now (modules, the schema, pools) lives as long as it does:
        # out of the cyclic collector's sight, its full collections stop walking ~160,000
        # objects each (a few ms of CPU every few dozen executor requests).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            if task is not None:
                # Its own stop is bounded (jobs/worker.py `stop`); a repeat is for a lost cancel.
                await shutdown.cancel_until_done(task, every=STOP_WORKER_S)
            await hub.stop()
            await queue.aclose()
            await write.dispose()
            await shutdown.close_pool(pool)

    def resources() -> Resources:
        return holder["resources"]

    graphql = WafiGraphQL(resources, dev=settings.dev)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = await health.readiness(holder["resources"])  # each probe bounded in time
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(checks, status_code=200 if ready else 503)

    return Starlette(
        routes=[
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics.endpoint),
            Route("/export/{name}", exports.endpoint),
            Route("/reports/cs-plan.md", reports.endpoint(resources, ReportFormat.MARKDOWN)),
            Route("/reports/cs-plan.csv", reports.endpoint(resources, ReportFormat.CSV)),
            *cockpit.routes(),
        ],
        middleware=[Middleware(language.Negotiated), *cors(settings.cors_origins)],
        lifespan=lifespan,
    )


def cors(origins: tuple[str, ...]) -> list[Middleware]:
    """Browser clients on other origins (WAFI_CORS_ORIGINS); none allowed when unset."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["authorization", "content-type", "accept-language"],
            expose_headers=[
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "Retry-After",
            ],
            max_age=600,
        )
    ]


def error_id() -> str:
    return uuid.uuid4().hex[:12]
