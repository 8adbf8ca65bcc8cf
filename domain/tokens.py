"""API tokens as operators manage them over the API: who may grant which role, and expiry."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Role

# Higher grants more: a token may be given a role at most its creator's.
RANK = {Role.VIEWER: 0, Role.AGENT: 1, Role.MANAGER: 2, Role.OWNER: 3}
NAME_MAX = 120
MAX_LIFETIME = timedelta(days=366 * 2)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token as listed: never the secret (only its SHA-256 is stored)."""

    id: int
    operator_id: int
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def live(self, now: datetime) -> bool:
        """Not revoked and not expired at `now`."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def check_grant(creator: Role, role: Role, *, field: str) -> None:
    """Refuse a role above the creator's own (an agent cannot mint a manager)."""
    if RANK[role] > RANK[creator]:
        raise DomainError(
            field, ErrorCode.FORBIDDEN, Msg.ROLE_MAY_NOT_GRANT, creator=creator, role=role
        )


def check_expiry(expires_at: datetime | None, now: datetime, *, field: str) -> None:
    """An expiry, when given, is after now and at most two years ahead."""
    if expires_at is None:
        return
    if expires_at <= now:
        raise DomainError(field, ErrorCode.OUT_OF_RANGE, Msg.EXPIRY_IN_FUTURE)
    if expires_at - now > MAX_LIFETIME:
        raise DomainError(field, ErrorCode.OUT_OF_RANGE, Msg.EXPIRY_TOO_FAR)


def validate_name(name: str, *, field: str = "name") -> str:
    """The operator's display name for the token: required, at most NAME_MAX characters."""
    trimmed = name.strip()
    if not trimmed:
        raise DomainError(field, ErrorCode.REQUIRED, Msg.TOKEN_NEEDS_NAME)
    if len(trimmed) > NAME_MAX:
        raise DomainError(field, ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=NAME_MAX)
    return trimmed


def check_revoke(revoker: Role, token: ApiToken, *, field: str) -> None:
    """A token is revoked once, and only by a role at least its own."""
    if RANK[token.role] > RANK[revoker]:
        raise DomainError(
            field, ErrorCode.FORBIDDEN, Msg.ROLE_MAY_NOT_REVOKE, revoker=revoker, role=token.role
        )
    if token.revoked_at is not None:
        raise DomainError(field, ErrorCode.INVALID_TRANSITION, Msg.TOKEN_REVOKED)


def revoke(token: ApiToken, now: datetime) -> ApiToken:
    """The token as revoked at `now`."""
    return replace(token, revoked_at=now)
