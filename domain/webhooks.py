"""Signed webhooks (Standard Webhooks): signatures, retry schedule, target rules.

A message is signed as `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` with each live
secret of its endpoint (two during a rotation's overlap), space-separated. Secrets are
`whsec_<base64 of 24 random bytes>`; the randomness is a parameter, like every input here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from domain.alerts import AlertKind
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
URL_MAX = 2000
TIMEOUT_S = 10.0
# Waits after each failed attempt (≈ 24.6 h in all); the attempt after the last wait is the
# final one, and its failure disables the endpoint.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(hours=9),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1  # each wait is stretched or shrunk by up to 10%, so retries do not stampede
OVERLAP_MAX = timedelta(days=7)


class DeliveryStatus(StrEnum):
    """Where a message stands: waiting (or retrying), delivered, or given up on."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A receiver of the organisation's alerts (never its secrets: they are not in here)."""

    id: int
    url: str
    kinds: tuple[AlertKind, ...]  # empty: every kind
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    secret_rotated_at: datetime | None
    previous_secret_expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message for one endpoint, as the delivery log shows it."""

    id: int
    endpoint_id: int
    event_id: int
    kind: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_response_code: int | None
    last_error: str | None
    last_latency_ms: int | None
    created_at: datetime
    delivered_at: datetime | None


def new_secret(random_bytes: bytes) -> str:
    """A secret from SECRET_BYTES random bytes."""
    return SECRET_PREFIX + base64.b64encode(random_bytes).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,` signature of the message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    secrets: tuple[str, ...], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every live secret."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, message_id, timestamp, body) for s in secrets),
        "content-type": "application/json",
    }


def retry_at(attempts: int, now: datetime, jitter: float) -> datetime | None:
    """When to try again after `attempts` failed attempts (`jitter` in -1..1 scales the wait
    by up to JITTER); None when that was the last attempt."""
    if attempts >= MAX_ATTEMPTS:
        return None
    wait = RETRY_DELAYS[attempts - 1]
    return now + wait * (1 + JITTER * max(-1.0, min(1.0, jitter)))


def validate_url(url: str, *, field: str = "url") -> str:
    """An absolute http(s) URL with a host, no credentials, at most URL_MAX characters."""
    value = url.strip()
    if not value:
        raise DomainError(field, ErrorCode.REQUIRED, Msg.WEBHOOK_NEEDS_URL)
    if len(value) > URL_MAX:
        raise DomainError(field, ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=URL_MAX)
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        raise DomainError(field, ErrorCode.INVALID, Msg.NOT_A_URL) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DomainError(field, ErrorCode.INVALID, Msg.URL_NEEDS_HTTP)
    if parts.username or parts.password:
        raise DomainError(field, ErrorCode.INVALID, Msg.URL_NO_CREDENTIALS)
    return value


def private(address: str) -> bool:
    """Loopback, private, link-local, reserved or otherwise not a public internet address."""
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def check_targets(addresses: list[str], *, allow_private: bool, field: str = "url") -> None:
    """Refuse a host that resolves nowhere, or to any non-public address (unless allowed)."""
    if not addresses:
        raise DomainError(field, ErrorCode.INVALID, Msg.HOST_DOES_NOT_RESOLVE)
    if not allow_private and any(private(a) for a in addresses):
        raise DomainError(field, ErrorCode.FORBIDDEN, Msg.HOST_IS_PRIVATE)


def check_overlap(overlap: timedelta, *, field: str = "overlapHours") -> None:
    """How long the old secret keeps signing after a rotation: 0 to 7 days."""
    if overlap < timedelta(0) or overlap > OVERLAP_MAX:
        raise DomainError(field, ErrorCode.OUT_OF_RANGE, Msg.OVERLAP_HOURS)


def live_secrets(
    current: str, previous: str | None, previous_expires_at: datetime | None, now: datetime
) -> tuple[str, ...]:
    """The secrets a message is signed with now: the current one, and the previous one while
    its overlap lasts."""
    if previous is not None and previous_expires_at is not None and previous_expires_at > now:
        return (current, previous)
    return (current,)


def message_id(event_id: int) -> str:
    """One id per event, the same on every retry and redelivery (receivers deduplicate on it)."""
    return f"msg_alert_{event_id}"
