"""Standard Webhooks signatures, the retry schedule and target rules (README: Webhooks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from domain import webhooks
from domain.errors import DomainError, ErrorCode

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
SECRET = webhooks.new_secret(bytes(range(24)))


def test_a_secret_is_whsec_and_24_random_bytes() -> None:
    assert SECRET == "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"


def test_a_standard_verifier_accepts_our_signature() -> None:
    body = b'{"type":"AT_RISK","data":{"id":7}}'
    stamp = int(datetime.now(UTC).timestamp())
    headers = webhooks.headers((SECRET,), "msg_alert_7", stamp, body)
    assert Webhook(SECRET).verify(body, headers) == {"type": "AT_RISK", "data": {"id": 7}}
    assert headers["webhook-signature"] == webhooks.sign(SECRET, "msg_alert_7", stamp, body)
    assert headers["webhook-signature"].startswith("v1,")


def test_during_a_rotation_both_secrets_sign_and_each_verifies() -> None:
    new = webhooks.new_secret(bytes(range(100, 124)))
    live = webhooks.live_secrets(new, SECRET, NOW + timedelta(hours=1), NOW)
    assert live == (new, SECRET)
    assert webhooks.live_secrets(new, SECRET, NOW, NOW) == (new,)
    assert webhooks.live_secrets(new, None, None, NOW) == (new,)
    body = b"{}"
    stamp = int(datetime.now(UTC).timestamp())
    headers = webhooks.headers(live, "msg_alert_1", stamp, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (new, SECRET):
        Webhook(secret).verify(body, headers)


def test_retries_back_off_for_about_a_day_then_stop() -> None:
    assert sum(webhooks.RETRY_DELAYS, timedelta()) == timedelta(hours=24, minutes=42, seconds=35)
    assert webhooks.MAX_ATTEMPTS == 11
    assert webhooks.retry_at(1, NOW, 0.0) == NOW + timedelta(seconds=5)
    assert webhooks.retry_at(2, NOW, 0.0) == NOW + timedelta(seconds=30)
    assert webhooks.retry_at(10, NOW, 0.0) == NOW + timedelta(hours=9)
    assert webhooks.retry_at(11, NOW, 0.0) is None
    # Jitter stretches or shrinks a wait by at most 10%.
    assert webhooks.retry_at(3, NOW, 1.0) == NOW + timedelta(minutes=2, seconds=12)
    assert webhooks.retry_at(3, NOW, -5.0) == NOW + timedelta(minutes=1, seconds=48)


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("::1", True),
        ("fd00::1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("93.184.216.34", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_private_and_loopback_addresses_are_told_apart(address: str, private: bool) -> None:
    assert webhooks.private(address) is private


def test_a_target_resolving_anywhere_private_is_refused_unless_allowed() -> None:
    with pytest.raises(DomainError) as refused:
        webhooks.check_targets(["93.184.216.34", "10.0.0.1"], allow_private=False)
    assert (refused.value.field, refused.value.code) == ("url", ErrorCode.FORBIDDEN)
    webhooks.check_targets(["127.0.0.1"], allow_private=True)
    with pytest.raises(DomainError) as nowhere:
        webhooks.check_targets([], allow_private=True)
    assert nowhere.value.code == ErrorCode.INVALID


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("", ErrorCode.REQUIRED),
        ("ftp://example.com/x", ErrorCode.INVALID),
        ("https://", ErrorCode.INVALID),
        ("https://user:pw@example.com/", ErrorCode.INVALID),
        ("https://example.com:99999/", ErrorCode.INVALID),
        ("https://example.com/" + "x" * 2000, ErrorCode.TOO_LONG),
    ],
)
def test_a_webhook_url_is_an_absolute_http_url(url: str, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as refused:
        webhooks.validate_url(url)
    assert (refused.value.field, refused.value.code) == ("url", code)
    assert webhooks.validate_url(" https://hooks.example.com/wafi ") == (
        "https://hooks.example.com/wafi"
    )


@pytest.mark.parametrize(("hours", "ok"), [(0, True), (168, True), (-1, False), (169, False)])
def test_a_rotation_overlap_is_0_to_168_hours(hours: int, ok: bool) -> None:
    if ok:
        webhooks.check_overlap(timedelta(hours=hours))
    else:
        with pytest.raises(DomainError) as refused:
            webhooks.check_overlap(timedelta(hours=hours))
        assert (refused.value.field, refused.value.code) == ("overlapHours", ErrorCode.OUT_OF_RANGE)
