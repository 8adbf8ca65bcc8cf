"""Webhook endpoints and deliveries: the SQL of signed webhooks (docs: README Webhooks).

Deliveries are made by the outbox relay, in the transaction that marks alerts published
(`fan_out`), so an alert reaches every matching endpoint exactly when it reaches subscribers,
and none is lost. The worker sends each endpoint's messages in id order, one at a time: the
head is locked (`lock_head`) for the length of its HTTP attempt and its outcome is committed
with it, so a worker killed mid-attempt leaves the message pending, to be sent again with the
same id.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.alerts import AlertKind
from domain.webhooks import Delivery, DeliveryStatus, Endpoint
from resolvers.store import alert_shape

log = logging.getLogger(__name__)

_ENDPOINT = (
    "id, url, kinds, created_at, disabled_at, disabled_reason, secret_rotated_at, "
    "previous_secret_expires_at"
)
_DELIVERY = (
    "id, endpoint_id, event_id, kind, status, attempts, next_attempt_at, last_response_code, "
    "last_error, last_latency_ms, created_at, delivered_at"
)


@dataclass(frozen=True, slots=True)
class Head:
    """An endpoint's oldest pending message, locked for one attempt, with what signs it."""

    org_id: int
    delivery: Delivery
    url: str
    payload: dict[str, Any]
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None


def _endpoint(row: Any) -> Endpoint:
    values = dict(row)
    return Endpoint(**{**values, "kinds": tuple(AlertKind(k) for k in values["kinds"])})


def _delivery(row: Any) -> Delivery:
    values = dict(row)
    return Delivery(**{**values, "status": DeliveryStatus(values["status"])})


# --- endpoints (the API, in a mutation's session) -----------------------------------------


async def insert_endpoint(
    session: AsyncSession,
    *,
    org_id: int,
    url: str,
    kinds: tuple[AlertKind, ...],
    secret: str,
    now: datetime,
) -> Endpoint:
    row = (
        (
            await session.execute(
                text(
                    "INSERT INTO webhook_endpoints (org_id, url, kinds, secret, created_at) "
                    f"VALUES (:org, :url, :kinds, :secret, :now) RETURNING {_ENDPOINT}"
                ),
                {
                    "org": org_id,
                    "url": url,
                    "kinds": [k.value for k in kinds],
                    "secret": secret,
                    "now": now,
                },
            )
        )
        .mappings()
        .one()
    )
    return _endpoint(row)


async def endpoint_for_update(
    session: AsyncSession, *, org_id: int, endpoint_id: int
) -> Endpoint | None:
    row = (
        (
            await session.execute(
                text(
                    f"SELECT {_ENDPOINT} FROM webhook_endpoints WHERE org_id = :org AND id = :id "
                    "FOR UPDATE"
                ),
                {"org": org_id, "id": endpoint_id},
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else _endpoint(row)


async def rotate_secret(
    session: AsyncSession,
    *,
    org_id: int,
    endpoint_id: int,
    secret: str,
    previous_until: datetime,
    now: datetime,
) -> Endpoint:
    """The new secret signs from now on; the old one also signs until `previous_until`."""
    row = (
        (
            await session.execute(
                text(
                    "UPDATE webhook_endpoints SET previous_secret = secret, secret = :secret, "
                    "previous_secret_expires_at = :until, secret_rotated_at = :now "
                    f"WHERE org_id = :org AND id = :id RETURNING {_ENDPOINT}"
                ),
                {
                    "secret": secret,
                    "until": previous_until,
                    "now": now,
                    "org": org_id,
                    "id": endpoint_id,
                },
            )
        )
        .mappings()
        .one()
    )
    return _endpoint(row)


async def set_disabled(
    session: AsyncSession,
    *,
    org_id: int,
    endpoint_id: int,
    at: datetime | None,
    reason: str | None,
) -> Endpoint:
    row = (
        (
            await session.execute(
                text(
                    "UPDATE webhook_endpoints SET disabled_at = :at, disabled_reason = :reason "
                    f"WHERE org_id = :org AND id = :id RETURNING {_ENDPOINT}"
                ),
                {"at": at, "reason": reason, "org": org_id, "id": endpoint_id},
            )
        )
        .mappings()
        .one()
    )
    return _endpoint(row)


async def endpoints_page(
    conn: asyncpg.Connection, *, org_id: int, after_id: int | None, first: int
) -> list[Endpoint]:
    rows = await conn.fetch(
        f"SELECT {_ENDPOINT} FROM webhook_endpoints WHERE org_id = $1 AND id > $2 "
        "ORDER BY id LIMIT $3",
        org_id,
        after_id or 0,
        first + 1,
    )
    return [_endpoint(row) for row in rows]


async def endpoint(conn: asyncpg.Connection, *, org_id: int, endpoint_id: int) -> Endpoint | None:
    row = await conn.fetchrow(
        f"SELECT {_ENDPOINT} FROM webhook_endpoints WHERE org_id = $1 AND id = $2",
        org_id,
        endpoint_id,
    )
    return None if row is None else _endpoint(row)


# --- the delivery log -----------------------------------------------------------------------


async def deliveries_page(
    conn: asyncpg.Connection, *, org_id: int, endpoint_id: int, before_id: int | None, first: int
) -> list[Delivery]:
    """Newest first; `before_id` continues after the last one seen."""
    rows = await conn.fetch(
        f"SELECT {_DELIVERY} FROM webhook_deliveries WHERE org_id = $1 AND endpoint_id = $2 "
        "AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
        org_id,
        endpoint_id,
        before_id,
        first + 1,
    )
    return [_delivery(row) for row in rows]


async def delivery_for_update(
    session: AsyncSession, *, org_id: int, delivery_id: int
) -> Delivery | None:
    row = (
        (
            await session.execute(
                text(
                    f"SELECT {_DELIVERY} FROM webhook_deliveries WHERE org_id = :org AND id = :id "
                    "FOR UPDATE"
                ),
                {"org": org_id, "id": delivery_id},
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else _delivery(row)


async def redeliver(
    session: AsyncSession, *, org_id: int, delivery_id: int, now: datetime
) -> Delivery:
    """Send again, with the same message id, after the endpoint's earlier pending messages."""
    row = (
        (
            await session.execute(
                text(
                    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = :now, "
                    "attempts = 0, delivered_at = NULL "
                    f"WHERE org_id = :org AND id = :id RETURNING {_DELIVERY}"
                ),
                {"now": now, "org": org_id, "id": delivery_id},
            )
        )
        .mappings()
        .one()
    )
    return _delivery(row)


# --- the relay and the worker (the connecting role: across organisations) -----------------


async def fan_out(
    conn: asyncpg.Connection, *, org_ids: list[int], alert_ids: list[int], now: datetime
) -> int:
    """In the relay's transaction: a pending delivery of each just-published alert for every
    live endpoint of its organisation whose kinds filter takes it. Returns how many."""
    result: str = await conn.execute(
        f"""
        INSERT INTO webhook_deliveries
            (org_id, endpoint_id, event_id, kind, payload, status, next_attempt_at, created_at)
        SELECT a.org_id, e.id, a.id, a.kind, {alert_shape.ALERT_EVENT_SQL}, 'pending', $1, $1
        FROM alerts a
        JOIN webhook_endpoints e ON e.org_id = a.org_id AND e.disabled_at IS NULL
        WHERE (a.org_id, a.id) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[]))
          AND (cardinality(e.kinds) = 0 OR a.kind = ANY(e.kinds))
        ORDER BY a.id, e.id
        ON CONFLICT ON CONSTRAINT webhook_deliveries_once DO NOTHING
        """,
        now,
        org_ids,
        alert_ids,
    )
    return int(result.rsplit(" ", 1)[-1])


async def due_endpoints(
    conn: asyncpg.Connection, *, now: datetime, limit: int
) -> list[tuple[int, int]]:
    """(org, endpoint) pairs of live endpoints whose oldest pending message is due."""
    rows = await conn.fetch(
        """
        WITH heads AS (
          SELECT DISTINCT ON (org_id, endpoint_id) org_id, endpoint_id, next_attempt_at
          FROM webhook_deliveries WHERE status = 'pending'
          ORDER BY org_id, endpoint_id, id)
        SELECT h.org_id, h.endpoint_id FROM heads h
        JOIN webhook_endpoints e ON e.org_id = h.org_id AND e.id = h.endpoint_id
        WHERE e.disabled_at IS NULL AND h.next_attempt_at <= $1
        ORDER BY h.next_attempt_at LIMIT $2
        """,
        now,
        limit,
    )
    return [(row["org_id"], row["endpoint_id"]) for row in rows]


async def lock_head(
    conn: asyncpg.Connection, *, org_id: int, endpoint_id: int, now: datetime
) -> Head | None:
    """In the caller's transaction: the endpoint (skipped when another worker holds it) and its
    oldest pending message, if live and due; None otherwise."""
    found = await conn.fetchrow(
        "SELECT url, secret, previous_secret, previous_secret_expires_at FROM webhook_endpoints "
        "WHERE org_id = $1 AND id = $2 AND disabled_at IS NULL FOR UPDATE SKIP LOCKED",
        org_id,
        endpoint_id,
    )
    if found is None:
        return None
    head = await conn.fetchrow(
        f"SELECT {_DELIVERY}, payload FROM webhook_deliveries "
        "WHERE org_id = $1 AND endpoint_id = $2 AND status = 'pending' ORDER BY id LIMIT 1 "
        "FOR UPDATE",
        org_id,
        endpoint_id,
    )
    if head is None or head["next_attempt_at"] > now:
        return None
    values = dict(head)
    payload = values.pop("payload")
    return Head(
        org_id=org_id,
        delivery=_delivery(values),
        url=found["url"],
        payload=payload if isinstance(payload, dict) else json.loads(payload),
        secret=found["secret"],
        previous_secret=found["previous_secret"],
        previous_secret_expires_at=found["previous_secret_expires_at"],
    )


async def record_attempt(
    conn: asyncpg.Connection,
    head: Head,
    *,
    status: DeliveryStatus,
    next_attempt_at: datetime,
    response_code: int | None,
    error: str | None,
    latency_ms: int,
    now: datetime,
) -> None:
    await conn.execute(
        "UPDATE webhook_deliveries SET status = $3, attempts = attempts + 1, "
        "next_attempt_at = $4, last_response_code = $5, last_error = $6, last_latency_ms = $7, "
        "delivered_at = CASE WHEN $3 = 'succeeded' THEN $8 ELSE delivered_at END "
        "WHERE org_id = $1 AND id = $2",
        head.org_id,
        head.delivery.id,
        status.value,
        next_attempt_at,
        response_code,
        error,
        latency_ms,
        now,
    )


async def disable(conn: asyncpg.Connection, head: Head, *, reason: str, now: datetime) -> None:
    """Give up on an endpoint whose message failed its last attempt (the caller alerts)."""
    await conn.execute(
        "UPDATE webhook_endpoints SET disabled_at = $3, disabled_reason = $4 "
        "WHERE org_id = $1 AND id = $2",
        head.org_id,
        head.delivery.endpoint_id,
        now,
        reason,
    )


# The WEBHOOK_DISABLED alert's candidate row, for alerts.insert_returning ($2..$5).
DISABLED_ALERT = (
    "SELECT $2::bigint AS org_id, 'WEBHOOK_DISABLED'::text AS kind, "
    "'WebhookEndpoint'::text AS subject, $3::bigint AS subject_id, "
    "$4::text AS occurrence, NULL::bigint AS customer_id, 'owner'::text AS for_role, "
    "$5::jsonb AS payload"
)


DELIVER_JOB = "deliver_webhooks"


async def enqueue_delivery(queue: Any) -> None:
    """Ask a worker to send due messages now; never raises (the 5 s sweep sends them anyway)."""
    if queue is None:
        return
    try:
        async with asyncio.timeout(2):
            await queue.enqueue_job(DELIVER_JOB)
    except (RedisError, OSError, TimeoutError) as error:
        log.warning("could not enqueue webhook delivery (the sweep will): %r", error)
