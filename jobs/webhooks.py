"""Webhook delivery: each endpoint's pending messages, in order, signed, retried with backoff.

At least once: an attempt's outcome commits with the lock on its message, so a worker killed
mid-attempt leaves it pending and the next run sends it again, with the same `webhook-id`.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from prometheus_client import Counter

from domain import webhooks
from domain.errors import DomainError
from domain.messages import Language
from domain.webhooks import DeliveryStatus
from resolvers.store import alerts, targets
from resolvers.store import webhooks as store

DELIVER_JOB = store.DELIVER_JOB
PARALLEL = 8  # endpoints attempted at once by one run
ROUND = 100  # endpoints looked at per round

ATTEMPTS = Counter(
    "wafi_webhook_attempts_total", "Webhook delivery attempts by outcome.", ["outcome"]
)


def body(head: store.Head) -> bytes:
    """The message: Standard Webhooks' {type, timestamp, data} with the alert as data."""
    event = head.payload
    message = {"type": event.get("kind"), "timestamp": event.get("createdAt"), "data": event}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str).encode()


async def deliver_webhooks(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """Send what is due, endpoint by endpoint in parallel, each in order; returns attempts made.
    Safe on several workers: an endpoint another worker is sending to is skipped."""
    attempts = 0
    allow_private = bool(ctx["settings"].webhooks_allow_private)
    gate = asyncio.Semaphore(PARALLEL)
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(webhooks.TIMEOUT_S), follow_redirects=False, trust_env=False
    ) as client:
        while True:
            at = now or ctx["clock"]()
            due = await store.due_endpoints(ctx["db"], now=at, limit=ROUND)

            async def one(org_id: int, endpoint_id: int) -> int:
                async with gate:
                    return await _drain(ctx, client, org_id, endpoint_id, allow_private, now)

            made = sum(await asyncio.gather(*(one(o, e) for o, e in due)))
            attempts += made
            if made == 0:
                return attempts


async def _drain(
    ctx: dict[str, Any],
    client: httpx.AsyncClient,
    org_id: int,
    endpoint_id: int,
    allow_private: bool,
    fixed_now: datetime | None,
) -> int:
    """The endpoint's due messages in id order, until one fails or none is due."""
    made = 0
    while True:
        now = fixed_now or ctx["clock"]()
        async with ctx["db"].acquire() as conn, conn.transaction():
            head = await store.lock_head(conn, org_id=org_id, endpoint_id=endpoint_id, now=now)
            if head is None:
                return made
            ok = await _attempt(conn, client, head, allow_private, ctx["clock"])
            made += 1
        if not ok:
            return made


async def _attempt(
    conn: Any, client: httpx.AsyncClient, head: store.Head, allow_private: bool, clock: Any
) -> bool:
    payload = body(head)
    sent_at: datetime = clock()
    secrets = webhooks.live_secrets(
        head.secret, head.previous_secret, head.previous_secret_expires_at, sent_at
    )
    message_headers = webhooks.headers(
        secrets, webhooks.message_id(head.delivery.event_id), int(sent_at.timestamp()), payload
    )
    code: int | None = None
    error: str | None = None
    started = time.perf_counter()
    try:
        host = urlsplit(head.url).hostname or ""
        webhooks.check_targets(await targets.addresses(host), allow_private=allow_private)
        response = await client.post(head.url, content=payload, headers=message_headers)
        code = response.status_code
        if not 200 <= code < 300:
            error = "redirect not followed" if 300 <= code < 400 else f"HTTP {code}"
    except DomainError as refused:
        error = refused.message(Language.EN)  # stored for the log
    except httpx.HTTPError as failed:
        error = type(failed).__name__
    latency_ms = round((time.perf_counter() - started) * 1000)
    done = clock()
    ok = error is None
    ATTEMPTS.labels("delivered" if ok else "failed").inc()
    retry = (
        None if ok else webhooks.retry_at(head.delivery.attempts + 1, done, random.uniform(-1, 1))
    )
    status = (
        DeliveryStatus.SUCCEEDED
        if ok
        else DeliveryStatus.PENDING
        if retry
        else DeliveryStatus.FAILED
    )
    await store.record_attempt(
        conn,
        head,
        status=status,
        next_attempt_at=retry or done,
        response_code=code,
        error=error,
        latency_ms=latency_ms,
        now=done,
    )
    if status is DeliveryStatus.FAILED:
        reason = f"{webhooks.MAX_ATTEMPTS} attempts failed; the last: {error}"
        await store.disable(conn, head, reason=reason, now=done)
        await alerts.insert_returning(
            conn,
            select_sql=store.DISABLED_ALERT,
            args=(
                head.org_id,
                head.delivery.endpoint_id,
                done.isoformat(),
                {"url": head.url, "reason": reason},
            ),
            now=done,
        )
    return ok
