"""The one exception the domain raises for an expected refusal."""

from __future__ import annotations

from enum import StrEnum

from domain import messages
from domain.messages import Language, Msg


class ErrorCode(StrEnum):
    """Why an input was refused; mirrored as the GraphQL `ErrorCode` enum."""

    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    REQUIRED = "REQUIRED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    PRIORITY_LOWERED = "PRIORITY_LOWERED"
    SEVERITY_LOWERED = "SEVERITY_LOWERED"
    FROZEN = "FROZEN"
    CHANNEL_FROZEN = "CHANNEL_FROZEN"
    PRECONDITION_FAILED = "PRECONDITION_FAILED"
    DUPLICATE = "DUPLICATE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


class DomainError(Exception):
    """An expected refusal: which input `field` was refused, why (`code`), and the catalogue's
    message `msg` with its `params`; the text is made in the request's language (`message`)."""

    def __init__(self, field: str, code: ErrorCode, msg: Msg, /, **params: object) -> None:
        super().__init__(f"{field}: {messages.render(msg, params, Language.EN)}")
        self.field = field
        self.code = code
        self.msg = msg
        self.params = params

    def message(self, language: Language) -> str:
        """The refusal as a sentence in `language`."""
        return messages.render(self.msg, self.params, language)
