"""Idempotency keys: what a client may send as one."""

from __future__ import annotations

from typing import Final

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

KEY_LIMIT: Final = 200


def validate_key(key: str) -> str:
    """Refuse a key over KEY_LIMIT characters (it is indexed, and index rows are bounded)."""
    if len(key) > KEY_LIMIT:
        raise DomainError("idempotencyKey", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=KEY_LIMIT)
    return key
