"""Idempotency keys: what a client may send as one, and the fingerprint of what it was sent
with, so a key reused for a different request is refused instead of answered with the first
result."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Final

from domain import text
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

KEY_LIMIT: Final = 200
KEY_FIELD: Final = "idempotency_key"  # left out of the fingerprint: it names, it is not sent


def validate_key(key: str) -> str:
    """Refuse a blank key (send none instead) and one over KEY_LIMIT characters (it is
    indexed, and index rows are bounded)."""
    if text.blank(key):
        raise DomainError("idempotencyKey", ErrorCode.INVALID, Msg.KEY_NEEDS_VISIBLE)
    if len(key) > KEY_LIMIT:
        raise DomainError("idempotencyKey", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=KEY_LIMIT)
    return key


def fingerprint(operation: str, request: object) -> str:
    """SHA-256 (hex) of the operation's name and its input in one canonical JSON spelling:
    keys sorted, the key itself left out, instants in UTC, enums by value, decimals reduced."""
    document = {"operation": operation, "input": _canonical(request)}
    encoded = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def reused(stored: str | None, sent: str) -> bool:
    """True when a key's first request had another fingerprint. Keys stored before
    fingerprints existed (None) keep answering with their first result."""
    return stored is not None and stored != sent


def _canonical(value: object) -> object:
    if isinstance(value, Enum):
        return _canonical(value.value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _canonical(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.name != KEY_FIELD
        }
    raise TypeError(f"no canonical form for {type(value).__name__}")
