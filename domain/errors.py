"""The one exception the domain raises for an expected refusal."""

from __future__ import annotations

from enum import StrEnum


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
    PRECONDITION_FAILED = "PRECONDITION_FAILED"
    DUPLICATE = "DUPLICATE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


class DomainError(Exception):
    """An expected refusal: which input `field` was refused, and why (`code`, `message`)."""

    def __init__(self, field: str, code: ErrorCode, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.code = code
        self.message = message
