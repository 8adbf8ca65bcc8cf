"""Who may grant and revoke which token, and when an expiry is acceptable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain import tokens
from domain.errors import DomainError, ErrorCode
from domain.roles import Role

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
ORDER = [Role.VIEWER, Role.AGENT, Role.MANAGER, Role.OWNER]


@pytest.mark.parametrize("creator", ORDER)
@pytest.mark.parametrize("role", ORDER)
def test_a_role_may_grant_at_most_its_own(creator: Role, role: Role) -> None:
    if ORDER.index(role) <= ORDER.index(creator):
        tokens.check_grant(creator, role, field="role")
    else:
        with pytest.raises(DomainError) as refused:
            tokens.check_grant(creator, role, field="role")
        assert (refused.value.field, refused.value.code) == ("role", ErrorCode.FORBIDDEN)


@pytest.mark.parametrize(
    ("expires", "ok"),
    [
        (None, True),
        (NOW + timedelta(seconds=1), True),
        (NOW + timedelta(days=732), True),
        (NOW, False),
        (NOW - timedelta(days=1), False),
        (NOW + timedelta(days=732, seconds=1), False),
    ],
)
def test_an_expiry_is_in_the_future_and_at_most_two_years_ahead(
    expires: datetime | None, ok: bool
) -> None:
    if ok:
        tokens.check_expiry(expires, NOW, field="expiresAt")
        return
    with pytest.raises(DomainError) as refused:
        tokens.check_expiry(expires, NOW, field="expiresAt")
    assert (refused.value.field, refused.value.code) == ("expiresAt", ErrorCode.OUT_OF_RANGE)


def _token(
    role: Role, *, revoked: datetime | None = None, expires: datetime | None = None
) -> tokens.ApiToken:
    return tokens.ApiToken(
        id=1,
        operator_id=1,
        name="n",
        role=role,
        created_at=NOW,
        expires_at=expires,
        last_used_at=None,
        revoked_at=revoked,
    )


def test_a_token_is_live_until_revoked_or_expired() -> None:
    assert _token(Role.AGENT).live(NOW)
    assert not _token(Role.AGENT, revoked=NOW).live(NOW)
    assert _token(Role.AGENT, expires=NOW + timedelta(seconds=1)).live(NOW)
    assert not _token(Role.AGENT, expires=NOW).live(NOW)


def test_revoking_needs_a_role_at_least_the_tokens_and_happens_once() -> None:
    tokens.check_revoke(Role.MANAGER, _token(Role.MANAGER), field="id")
    with pytest.raises(DomainError) as above:
        tokens.check_revoke(Role.MANAGER, _token(Role.OWNER), field="id")
    assert above.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as twice:
        tokens.check_revoke(Role.OWNER, _token(Role.AGENT, revoked=NOW), field="id")
    assert twice.value.code == ErrorCode.INVALID_TRANSITION


@pytest.mark.parametrize(
    ("name", "code"),
    [("", ErrorCode.REQUIRED), ("  ", ErrorCode.REQUIRED), ("x" * 121, ErrorCode.TOO_LONG)],
)
def test_a_token_needs_a_name_of_at_most_120_characters(name: str, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as refused:
        tokens.validate_name(name)
    assert (refused.value.field, refused.value.code) == ("name", code)
    assert tokens.validate_name(" CRM sync ") == "CRM sync"
    assert tokens.validate_name("x" * 120) == "x" * 120
