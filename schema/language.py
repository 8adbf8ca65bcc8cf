"""The language a request is answered in (README: Language): chosen once per HTTP request or
WebSocket connection from `Accept-Language`, Arabic when the header names neither language.

A context variable, not a Context field, because refusals are also written where no Context is
at hand: validation and parsing (the depth and token limits), the error mask, the WebSocket
handler, the request-size guard.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from domain import messages
from domain.messages import Language, Msg

_CURRENT: ContextVar[Language] = ContextVar("wafi_language", default=messages.DEFAULT)

# Refusals graphql-core and strawberry write in English; their text is rewritten on the way out.
# The depth rule's refusals are cached with the document (ValidationCache), so they are written
# in English too and rewritten here.
LIBRARY_MESSAGES = (Msg.DEPTH_LIMIT, Msg.TOKEN_LIMIT, Msg.QUERY_TOO_LARGE)


def current() -> Language:
    """The language of the request being served."""
    return _CURRENT.get()


@contextmanager
def answering(accept_language: str | None) -> Iterator[Language]:
    """Serve the block in the language `Accept-Language` asks for."""
    token = _CURRENT.set(messages.negotiate(accept_language))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def text(msg: Msg, /, **params: object) -> str:
    """`msg` in the current request's language."""
    return messages.render(msg, params, current())


def localise_errors(errors: Any) -> None:
    """Rewrite, in place, the messages of formatted errors a library wrote in English."""
    if not isinstance(errors, list) or current() is Language.EN:
        return
    for error in errors:
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            error["message"] = localise(error["message"])


def localise(message: str) -> str:
    """A library's English refusal in the current language; any other message unchanged."""
    for msg in LIBRARY_MESSAGES:
        params: Mapping[str, str] | None = messages.parse(msg, message)
        if params is not None:
            return messages.render(msg, params, current())
    return message


class Negotiated:
    """ASGI middleware: every HTTP request and WebSocket of the app (GraphQL, exports, reports,
    metrics) is answered in the language its `Accept-Language` asks for."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = next(
            (
                bytes(v).decode("latin-1")
                for k, v in scope.get("headers", ())
                if k == b"accept-language"
            ),
            None,
        )
        with answering(header):
            await self.app(scope, receive, send)
