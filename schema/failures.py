"""What a client sees, and what is logged, when an operation fails.

A refusal (a GraphQLError with a code, a validation error) is the client's mistake: shown as it
is and noted on the request's log line. Anything else is a bug, masked as `Internal error (id …)`
and logged once with its traceback and that id, except a database outage, which answers
SERVICE_UNAVAILABLE (HTTP 503 with Retry-After, schema/http_errors.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.execution import ExecutionContext, StreamExecutionResult
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult
from strawberry.types.graphql import OperationType

from domain.messages import Msg
from resolvers.store import availability
from schema import language, logs

log = logging.getLogger("wafi")

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
USE_WEBSOCKET = "USE_WEBSOCKET"
BAD_REQUEST = "BAD_REQUEST"


def unexpected(error: GraphQLError) -> bool:
    """Refusals were turned into GraphQLErrors with a code; anything else is a bug."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def describe(error: GraphQLError) -> str:
    """`CODE field: message` for a log line (messages never hold the token)."""
    extensions = error.extensions or {}
    code = extensions.get("code", "GRAPHQL")
    where = extensions.get("field") or ".".join(str(p) for p in error.path or ())
    return f"{code} {where}: {error.message}" if where else f"{code}: {error.message}"


class Schema(strawberry.Schema):
    """strawberry's Schema, logging a client's mistakes as one line each, not a traceback with
    the query; bugs are logged by LoggedMaskErrors, once, with the id the client is shown."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if not unexpected(error):
                logs.client_error(describe(error))


class LoggedMaskErrors(MaskErrors):
    """Masks unexpected errors for the client and logs each with an id the client is shown;
    a database outage is said as such (SERVICE_UNAVAILABLE), with one warning line."""

    def _process_stream_result(self, result: StreamExecutionResult) -> None:
        # A subscription's event without errors (nearly all): nothing to mask, and strawberry's
        # check (a runtime Protocol) costs more than the rest of the event's delivery.
        if type(result) is StrawberryExecutionResult and not result.errors:
            return
        super()._process_stream_result(result)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is not None and availability.is_unavailable(original):
            log.warning("database unavailable: %s", type(original).__name__)
            return GraphQLError(
                language.text(Msg.DATABASE_UNAVAILABLE),
                nodes=error.nodes,
                path=error.path,
                extensions={"code": SERVICE_UNAVAILABLE},
            )
        error_id = uuid.uuid4().hex[:12]
        log.error("unexpected error %s", error_id, exc_info=original, extra={"error_id": error_id})
        return GraphQLError(
            language.text(Msg.INTERNAL, error_id=error_id),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL", "errorId": error_id},
        )


class OperationRules(SchemaExtension):
    """At validation: a document of several operations needs `operationName` (GraphQL
    spec, "GetOperation"; strawberry would run the first), and subscriptions run over the
    WebSocket only (over HTTP they could only answer null)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            # strawberry keeps the name the client sent here; `operation_name` falls back to
            # the first operation's.
            if len(operations) > 1 and context._provided_operation_name is None:
                raise GraphQLError(
                    language.text(Msg.SEVERAL_OPERATIONS),
                    extensions={"code": BAD_REQUEST, "field": "operationName"},
                )
            if context.operation_type is OperationType.SUBSCRIPTION and not getattr(
                context.context, "websocket", False
            ):
                raise GraphQLError(
                    language.text(Msg.USE_WEBSOCKET),
                    extensions={"code": USE_WEBSOCKET},
                )
        yield


class RequestFields(SchemaExtension):
    """Puts the operation's name and the caller's organisation on the request's log lines."""

    def on_operation(self) -> Iterator[None]:
        yield
        record = logs.current()
        if record is None:
            return
        context = self.execution_context
        record.operation = context.operation_name
        principal = getattr(context.context, "principal", None)
        record.org_id = getattr(principal, "org_id", None)
