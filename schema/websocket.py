"""The WebSocket at /graphql carries subscriptions only, at most MAX_SUBSCRIPTIONS at a time.

strawberry builds one Context per WebSocket connection and runs every operation sent on it with
that Context. A subscription re-authorises when it starts and borrows connections as it goes, so
sharing is safe for it; a query or mutation would not be: its clock would be the connection's,
its loaders would cache for the socket's life, its token would never be re-checked, and
concurrent mutations would share one transaction bookkeeping. So queries and mutations sent in a
graphql-transport-ws `subscribe` message are refused (`USE_HTTP`) before anything runs; they go
over HTTP POST /graphql, one Context each.

A live event's `next` message whose data a render group shares (schema/fanout.py) is sent as
that group's JSON text with this operation's id: encoded once per group, not per subscriber.
Each subscription's task is told its operation (`run_operation`), so the subscription can send
its group's rendered events itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, OperationType, get_operation_ast, parse
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from domain.messages import Msg
from schema import fanout, language
from schema.context import Context
from schema.root import MAX_TOKENS

MAX_SUBSCRIPTIONS = 100

USE_HTTP = "USE_HTTP"
TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"


class SubscriptionsOnlyHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, refusing queries and mutations and subscriptions past the limit
    with a typed `error` message for that operation id; the connection stays open."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Unacknowledged connections and reused ids are closed by strawberry, as before.
        if self.connection_acknowledged and message["id"] not in self.operations:
            kind = _operation_kind(message)
            if kind in (OperationType.QUERY, OperationType.MUTATION):
                await self._refuse(
                    message["id"],
                    USE_HTTP,
                    language.text(Msg.USE_HTTP, kind=kind.value),
                )
                return
            limit = self.max_subscriptions_per_connection
            if limit is not None and len(self.operations) >= limit:
                await self._refuse(
                    message["id"],
                    TOO_MANY_SUBSCRIPTIONS,
                    language.text(Msg.TOO_MANY_SUBSCRIPTIONS, limit=limit),
                )
                return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        # This task runs the subscription: its live events may come as their group's text.
        async def send(message: fanout.Encoded) -> None:
            if operation.completed:  # as `Operation.send_operation_message` checks
                return
            try:
                await self.websocket.send_json(message)
            except WebSocketDisconnected:
                # The socket is gone and the handler is ending its operations: end this one
                # as they are ended, not as an error raised from inside the subscription.
                raise asyncio.CancelledError from None

        fanout.joining(fanout.Member(operation.id, send))
        await super().run_operation(operation)

    async def send_message(self, message: Any) -> None:
        payload = message.get("payload")
        if (
            message.get("type") == "next"
            and isinstance(payload, dict)
            and len(payload) == 1
            and isinstance(payload.get("data"), fanout.SharedData)
        ):
            # No errors, no extensions: nothing to localise; the group's text as it is.
            await self.websocket.send_json(fanout.next_message(message["id"], payload["data"]))
            return
        # Depth and token refusals are written by graphql-core in English: in the socket's.
        language.localise_errors(payload if message.get("type") == "error" else None)
        if message.get("type") == "next" and isinstance(payload, dict):
            language.localise_errors(payload.get("errors"))
        await super().send_message(message)

    async def _refuse(self, op_id: str, code: str, text: str) -> None:
        error = GraphQLError(text, extensions={"code": code, "field": "operation"})
        await self.send_message({"id": op_id, "type": "error", "payload": [error.formatted]})


def _operation_kind(message: SubscribeMessage) -> OperationType | None:
    """The type of the operation the message would run; None when it cannot be told (not a
    string, a syntax error, too many tokens, an unknown or ambiguous name): strawberry then
    refuses it as it always has."""
    payload: Any = message.get("payload")
    if not isinstance(payload, dict):
        return None
    query, name = payload.get("query"), payload.get("operationName")
    if not isinstance(query, str) or not (name is None or isinstance(name, str)):
        return None
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError:
        return None
    operation = get_operation_ast(document, name)
    return None if operation is None else operation.operation
