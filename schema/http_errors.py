"""/graphql over HTTP never answers a text page: every refusal is JSON in the GraphQL error shape.

`{"errors": [{"message": …, "extensions": {"code": …}}]}` with the HTTP status saying why:
400 BAD_REQUEST (a body that is not UTF-8 JSON, not an object, nested too deeply, or not a
GraphQL request), 401 UNAUTHENTICATED (production, no valid token), 405 METHOD_NOT_ALLOWED,
503 SERVICE_UNAVAILABLE with Retry-After (the database is down), 500 INTERNAL with an error id
(a bug, logged once with its traceback). Each response carries X-Request-ID, the id on its
log line.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.http import GraphQLHTTPResponse
from strawberry.types.unset import UNSET

from domain.messages import Msg
from resolvers.store import availability
from schema import failures, language, logs

log = logging.getLogger("wafi")

_CODES = {
    400: failures.BAD_REQUEST,
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    429: "RATE_LIMITED",
}
_HEADERS = {
    401: {"WWW-Authenticate": "Bearer"},
    405: {"Allow": "GET, POST"},
    503: {"Retry-After": str(availability.RETRY_AFTER_S)},
}


def error_response(status: int, message: str, code: str, **extensions: Any) -> JSONResponse:
    """One top-level GraphQL error as the whole answer."""
    body = {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    return JSONResponse(body, status_code=status, headers=_HEADERS.get(status))


def unavailable() -> JSONResponse:
    return error_response(
        503, language.text(Msg.DATABASE_UNAVAILABLE), failures.SERVICE_UNAVAILABLE
    )


class JsonErrorsView:
    """Mixin for strawberry's ASGI GraphQL view (list it before `GraphQL`)."""

    def answered_by_caller(self, error: Exception) -> bool:
        """True for the exceptions the view's caller answers itself (the body limit)."""
        return False

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if isinstance(request, WebSocket):
            return await super().run(request, context, root_value)  # type: ignore[misc]
        assert isinstance(request, Request)
        with logs.request(request.headers.get("x-request-id")) as record:
            response = await self._answer(request, context, root_value)
            response.headers["X-Request-ID"] = record.request_id
            logs.finished(record, request.method, request.url.path, response.status_code)
            return response

    async def _answer(self, request: Request, context: Any, root_value: Any) -> Response:
        try:
            response: Response = await super().run(request, context, root_value)  # type: ignore[misc]
        except HTTPException as error:
            code = _CODES.get(error.status_code, failures.BAD_REQUEST)
            logs.client_error(f"{code}: {error.reason}")
            return error_response(error.status_code, error.reason, code)
        except Exception as error:
            if self.answered_by_caller(error):
                raise
            if availability.is_unavailable(error):
                log.warning("database unavailable: %s", type(error).__name__)
                return unavailable()
            error_id = uuid.uuid4().hex[:12]
            log.error("unexpected error %s", error_id, exc_info=error, extra={"error_id": error_id})
            return error_response(
                500, language.text(Msg.INTERNAL, error_id=error_id), "INTERNAL", errorId=error_id
            )
        return response

    def decode_json(self, data: str | bytes) -> object:
        """JSON, with every way a body can fail to be JSON said as a JSONDecodeError (strawberry
        answers those 400, and closes a WebSocket that sends one)."""
        try:
            return json.loads(data)
        except UnicodeDecodeError:
            raise json.JSONDecodeError("not UTF-8", "", 0) from None
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "", 0) from None

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = self.decode_json(data)
        except json.JSONDecodeError as error:
            raise HTTPException(400, language.text(Msg.NOT_JSON, detail=error.msg)) from error
        # Bytes are a POST body (GET variables arrive as text): a GraphQL request is an object,
        # or a list for batching, which strawberry refuses by itself.
        if isinstance(data, bytes) and not isinstance(parsed, dict | list):
            raise HTTPException(400, language.text(Msg.BODY_NOT_OBJECT))
        return parsed

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Any
    ) -> Response:
        response: Response = super().create_response(response_data, sub_response)  # type: ignore[misc]
        answers = response_data if isinstance(response_data, list) else [response_data]
        if any(
            _code(error) == failures.SERVICE_UNAVAILABLE
            for a in answers
            for error in a.get("errors") or []
        ):
            response.status_code = 503
            response.headers.update(_HEADERS[503])
        return response


def _code(error: object) -> object:
    extensions = error.get("extensions") if isinstance(error, dict) else None
    return extensions.get("code") if isinstance(extensions, dict) else None
