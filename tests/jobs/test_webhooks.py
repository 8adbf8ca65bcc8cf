"""Signed webhooks end to end on the real servers: an endpoint made over GraphQL, an alert
relayed, messages sent to a real HTTP receiver in this process, verified with the standard
verifier; retries keep the message id, order holds per endpoint, a day of failures disables the
endpoint with an alert, and a worker killed mid-delivery loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain import webhooks as rules
from jobs import alerts as alert_jobs
from jobs import webhooks as webhook_jobs
from resolvers.store import engine
from schema.app import create_app
from tests.factories import Clock, Org, make_org, raise_alerts
from tests.live import NAMESPACE, PrivateRedis, until, uvicorn_server

ROOT = Path(__file__).resolve().parents[2]
CREATE = """mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) {
  __typename ... on WebhookSecretPayload { secret endpoint { id url kinds disabledAt } }
  ... on UserError { field code message } } }"""
ROTATE = """mutation($i: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $i) {
  __typename ... on WebhookSecretPayload { secret endpoint { previousSecretExpiresAt } }
  ... on UserError { field code message } } }"""
LOG = """query($e: ID!) { webhookDeliveries(endpoint: $e, first: 50) { edges { node {
  id messageId kind status attempts lastResponseCode lastError lastLatencyMs deliveredAt } } } }"""
REDELIVER = """mutation($i: RedeliverWebhookInput!) { redeliverWebhook(input: $i) { __typename
  ... on WebhookDeliveryPayload { delivery { status attempts } }
  ... on UserError { field code message } } }"""
SWITCH = """mutation($i: WebhookEndpointInput!) { %s(input: $i) { __typename
  ... on WebhookEndpointPayload { endpoint { disabledAt disabledReason } }
  ... on UserError { field code message } } }"""


@dataclass
class Receiver:
    """A real HTTP endpoint: answers from `plan` (then 200) and records every request."""

    url: str = ""
    plan: list[int] = field(default_factory=list)
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    hold: asyncio.Event | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.got.append((dict(request.headers), body))
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        status = self.plan.pop(0) if self.plan else 200
        headers = {"location": "http://127.0.0.1:1/elsewhere"} if 300 <= status < 400 else {}
        return Response(status_code=status, headers=headers)

    def ids(self) -> list[str]:
        return [headers["webhook-id"] for headers, _ in self.got]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    made = Receiver()
    app = Starlette(routes=[Route("/hook", made.handle, methods=["POST"])])
    async with uvicorn_server(app) as base:
        made.url = f"{base}/hook"
        yield made
        if made.hold is not None:
            made.hold.set()


@pytest.fixture
async def open_client(settings: engine.Settings, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    """An API that lets webhooks target loopback (WAFI_WEBHOOKS_ALLOW_PRIVATE=1): the receiver."""
    app: Any = create_app(replace(settings, webhooks_allow_private=True), clock=clock)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wafi.test") as http:
            yield http


@pytest.fixture
async def hooked(
    system_pool: asyncpg.Pool, open_client: httpx.AsyncClient, clock: Clock
) -> AsyncIterator[Org]:
    org = await make_org(system_pool, open_client, clock)
    yield org
    async with system_pool.acquire() as conn:  # leave nothing due for the next test's runs
        await conn.execute(
            "UPDATE webhook_endpoints SET disabled_at = now() WHERE org_id = $1", org.id
        )


def real_clock() -> datetime:
    return datetime.now(UTC)


async def relay_and_deliver(
    system_pool: asyncpg.Pool, redis_server: PrivateRedis, settings: engine.Settings, **kw: Any
) -> int:
    redis = Redis.from_url(redis_server.url)
    try:
        await alert_jobs.relay_outbox(
            {"db": system_pool, "redis": redis, "clock": real_clock, "namespace": NAMESPACE}
        )
    finally:
        await redis.aclose()
    ctx = {
        "db": system_pool,
        "clock": real_clock,
        "settings": replace(settings, webhooks_allow_private=True),
    }
    return await webhook_jobs.deliver_webhooks(ctx, **kw)


async def _alert_id(pool: asyncpg.Pool, org_id: int, kind: str) -> int:
    async with pool.acquire() as conn:
        found: int = await conn.fetchval(
            "SELECT id FROM alerts WHERE org_id = $1 AND kind = $2", org_id, kind
        )
    return found


async def endpoint(org: Org, url: str, kinds: list[str] | None = None) -> tuple[str, str]:
    made = (await org.data(CREATE, {"i": {"url": url, "kinds": kinds or []}}))[
        "createWebhookEndpoint"
    ]
    assert made["__typename"] == "WebhookSecretPayload", made
    return made["endpoint"]["id"], made["secret"]


async def test_an_alert_reaches_the_endpoint_signed_and_verifiable(
    hooked: Org,
    receiver: Receiver,
    system_pool: asyncpg.Pool,
    redis_server: PrivateRedis,
    settings: engine.Settings,
) -> None:
    endpoint_id, secret = await endpoint(hooked, receiver.url)
    [alert] = await raise_alerts(system_pool, hooked.id, kind="AT_RISK", payload={"score": 70})
    assert await relay_and_deliver(system_pool, redis_server, settings) == 1
    [(headers, body)] = receiver.got
    message = Webhook(secret).verify(body, headers)
    assert headers["webhook-id"] == f"msg_alert_{alert}"
    assert message["type"] == "AT_RISK"
    assert message["data"]["id"] == alert
    assert message["data"]["payload"]["score"] == 70
    log = await hooked.data(LOG, {"e": endpoint_id})
    [entry] = [e["node"] for e in log["webhookDeliveries"]["edges"]]
    assert (entry["messageId"], entry["kind"], entry["status"], entry["attempts"]) == (
        f"msg_alert_{alert}",
        "AT_RISK",
        "SUCCEEDED",
        1,
    )
    assert entry["lastResponseCode"] == 200
    assert entry["lastLatencyMs"] >= 0
    assert entry["deliveredAt"] is not None


async def test_a_500_then_200_receiver_gets_the_message_twice_with_one_id(
    hooked: Org,
    receiver: Receiver,
    system_pool: asyncpg.Pool,
    redis_server: PrivateRedis,
    settings: engine.Settings,
) -> None:
    endpoint_id, secret = await endpoint(hooked, receiver.url)
    await raise_alerts(system_pool, hooked.id, kind="PAYMENT_PAST_DUE")
    receiver.plan = [500]
    assert await relay_and_deliver(system_pool, redis_server, settings) == 1
    [entry] = [
        e["node"]
        for e in (await hooked.data(LOG, {"e": endpoint_id}))["webhookDeliveries"]["edges"]
    ]
    assert (entry["status"], entry["attempts"], entry["lastResponseCode"], entry["lastError"]) == (
        "PENDING",
        1,
        500,
        "HTTP 500",
    )
    # Not due before its backoff (5 s ± 10%); due after it.
    later = datetime.now(UTC) + timedelta(seconds=6)
    assert await relay_and_deliver(system_pool, redis_server, settings, now=later) == 1
    assert len(receiver.got) == 2
    assert receiver.ids()[0] == receiver.ids()[1]
    for headers, body in receiver.got:
        Webhook(secret).verify(body, headers)


async def test_messages_go_in_order_per_endpoint_and_a_failure_holds_the_rest(
    hooked: Org,
    receiver: Receiver,
    system_pool: asyncpg.Pool,
    redis_server: PrivateRedis,
    settings: engine.Settings,
) -> None:
    await endpoint(hooked, receiver.url)
    ids = await raise_alerts(system_pool, hooked.id, count=3, kind="INACTIVE_CUSTOMER")
    receiver.plan = [503]
    assert await relay_and_deliver(system_pool, redis_server, settings) == 1
    assert receiver.ids() == [f"msg_alert_{ids[0]}"]
    later = datetime.now(UTC) + timedelta(seconds=6)
    assert await relay_and_deliver(system_pool, redis_server, settings, now=later) == 3
    assert receiver.ids() == [f"msg_alert_{i}" for i in [ids[0], *ids]]


async def test_an_endpoint_gets_only_the_kinds_it_names(
    hooked: Org,
    receiver: Receiver,
    system_pool: asyncpg.Pool,
    redis_server: PrivateRedis,
    settings: engine.Settings,
) -> None:
    await endpoint(hooked, receiver.url, kinds=["PAYMENT_PAST_DUE"])
    await raise_alerts(system_pool, hooked.id, kind="AT_RISK")
    [due] = await raise_alerts(system_pool, hooked.id, kind="PAYMENT_PAST_DUE", first_subject_id=9)
    await relay_and_deliver(system_pool, redis_server, settings)
    assert receiver.ids() == [f"msg_alert_{due}"]


async def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    hooked: Org,
    receiver: Receiver,
    system_pool: asyncpg.Pool,
    redis_server: PrivateRedis,
    settings: engine.Settings,
) -> None:
    endpoint_id, _ = await endpoint(hooked, receiver.url)
    await raise_alerts(system_pool, hooked.id)
    receiver.plan = [302]
    await relay_and_deliver(system_pool, redis_server, settings)
    assert len(receiver.got) == 1
    [entry] = [
        e["node"]
        for e in (await hooked.data(LOG, {"e": endpoint_id}))["webhookDeliveries"]["edges"]
    ]
    assert (entry["status"], entry["lastResponseCode"], entry["lastError"]) == (
        "PENDING",
        302,
        "redirect not followed",
    )


async def test_the_last_failed_attempt_disables_the_endpoint_with_an_alert_and_redelivery_works(
    hooked: Org,
    receiver: Receiver,
    system_pool: asyncpg.Pool,
    redis_server: PrivateRedis,
    settings: engine.Settings,
) -> None:
    endpoint_id, _ = await endpoint(hooked, receiver.url)
    await raise_alerts(system_pool, hooked.id)
    receiver.plan = [500]
    async with system_pool.acquire() as conn:
        await relay_and_deliver(
            system_pool, redis_server, settings, now=datetime(2000, 1, 1, tzinfo=UTC)
        )
        # Ten attempts already failed: the next is the last.
        await conn.execute(
            "UPDATE webhook_deliveries SET attempts = $2 WHERE org_id = $1",
            hooked.id,
            rules.MAX_ATTEMPTS - 1,
        )
    assert await relay_and_deliver(system_pool, redis_server, settings) == 1
    [entry] = [
        e["node"]
        for e in (await hooked.data(LOG, {"e": endpoint_id}))["webhookDeliveries"]["edges"]
    ]
    assert (entry["status"], entry["attempts"]) == ("FAILED", 11)
    async with system_pool.acquire() as conn:
        state = await conn.fetchrow(
            "SELECT disabled_at, disabled_reason FROM webhook_endpoints WHERE org_id = $1",
            hooked.id,
        )
        alert = await conn.fetchrow(
            "SELECT kind, subject, for_role, payload FROM alerts "
            "WHERE org_id = $1 AND kind = 'WEBHOOK_DISABLED'",
            hooked.id,
        )
    assert state["disabled_at"] is not None
    assert state["disabled_reason"] == "11 attempts failed; the last: HTTP 500"
    assert (alert["kind"], alert["subject"], alert["for_role"]) == (
        "WEBHOOK_DISABLED",
        "WebhookEndpoint",
        "owner",
    )
    assert alert["payload"]["url"] == receiver.url

    refused = await hooked.data(REDELIVER, {"i": {"id": entry["id"]}})
    assert refused["redeliverWebhook"]["code"] == "PRECONDITION_FAILED"
    enabled = await hooked.data(SWITCH % "enableWebhookEndpoint", {"i": {"id": endpoint_id}})
    assert enabled["enableWebhookEndpoint"]["endpoint"]["disabledAt"] is None
    again = await hooked.data(REDELIVER, {"i": {"id": entry["id"]}})
    assert again["redeliverWebhook"]["delivery"] == {"status": "PENDING", "attempts": 0}
    await relay_and_deliver(system_pool, redis_server, settings)
    # The same message again (same id), then the WEBHOOK_DISABLED alert itself, relayed after
    # the endpoint was enabled again.
    [first, *_] = receiver.ids()
    disabled = await _alert_id(system_pool, hooked.id, "WEBHOOK_DISABLED")
    assert receiver.ids() == [first, first, f"msg_alert_{disabled}"]
    done = [
        e["node"]
        for e in (await hooked.data(LOG, {"e": endpoint_id}))["webhookDeliveries"]["edges"]
    ]
    assert done[0]["status"] == "SUCCEEDED"


async def test_a_rotated_secret_and_the_old_one_both_verify_during_the_overlap(
    hooked: Org,
    receiver: Receiver,
    system_pool: asyncpg.Pool,
    redis_server: PrivateRedis,
    settings: engine.Settings,
) -> None:
    endpoint_id, old = await endpoint(hooked, receiver.url)
    # The worker signs at the real time: rotate at the real time too, so the overlap is live.
    hooked.clock.now = datetime.now(UTC)
    rotated = await hooked.data(ROTATE, {"i": {"id": endpoint_id, "overlapHours": 24}})
    new = rotated["rotateWebhookSecret"]["secret"]
    assert new != old
    await raise_alerts(system_pool, hooked.id)
    await relay_and_deliver(system_pool, redis_server, settings)
    [(headers, body)] = receiver.got
    Webhook(new).verify(body, headers)
    Webhook(old).verify(body, headers)
    bad = await hooked.data(ROTATE, {"i": {"id": endpoint_id, "overlapHours": 169}})
    assert (bad["rotateWebhookSecret"]["field"], bad["rotateWebhookSecret"]["code"]) == (
        "overlapHours",
        "OUT_OF_RANGE",
    )


async def test_a_worker_killed_mid_delivery_loses_nothing(
    hooked: Org,
    receiver: Receiver,
    system_pool: asyncpg.Pool,
    redis_server: PrivateRedis,
    database_url: str,
) -> None:
    _, secret = await endpoint(hooked, receiver.url)
    receiver.hold = asyncio.Event()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAFI_")}
    env.update(
        WAFI_DATABASE_URL=database_url,
        WAFI_REDIS_URL=redis_server.url,
        WAFI_WEBHOOKS_ALLOW_PRIVATE="1",
    )

    def worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "schema.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    first = worker()
    try:
        [alert] = await raise_alerts(system_pool, hooked.id, kind="AT_RISK")
        await asyncio.wait_for(receiver.arrived.wait(), 30)  # mid-delivery: the answer is held
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    receiver.hold.set()
    receiver.hold = None
    second = worker()
    try:

        async def delivered() -> bool:
            async with system_pool.acquire() as conn:
                status = await conn.fetchval(
                    "SELECT status FROM webhook_deliveries WHERE org_id = $1", hooked.id
                )
            return bool(status == "succeeded")

        await until(delivered, within=30, what="the delivery to succeed after the kill")
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert len(receiver.got) >= 2
    assert set(receiver.ids()) == {f"msg_alert_{alert}"}
    for headers, body in receiver.got[1:]:
        Webhook(secret).verify(body, headers)


async def test_private_targets_and_bad_urls_are_refused_and_nothing_is_saved(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    for url, code in [
        ("http://127.0.0.1:9/hook", "FORBIDDEN"),
        ("http://localhost/hook", "FORBIDDEN"),
        ("http://10.0.0.5/hook", "FORBIDDEN"),
        ("ftp://example.com/", "INVALID"),
        ("http://does-not-resolve.invalid/", "INVALID"),
    ]:
        made = (await org.data(CREATE, {"i": {"url": url}}))["createWebhookEndpoint"]
        assert (made["field"], made["code"]) == ("url", code), (url, made)
    async with system_pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM webhook_endpoints WHERE org_id = $1", org.id)
            == 0
        )


async def test_agents_and_viewers_cannot_manage_webhooks(org: Org) -> None:
    from domain.roles import Role

    for role in (Role.AGENT, Role.VIEWER):
        made = (await org.data(CREATE, {"i": {"url": "https://example.com/"}}, role=role))[
            "createWebhookEndpoint"
        ]
        assert (made["__typename"], made["field"]) == ("ForbiddenError", "createWebhookEndpoint")
        listed = await org.gql("{ webhookEndpoints { edges { node { id } } } }", role=role)
        assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_another_organisations_endpoint_is_not_found(
    hooked: Org, other_org: Org, receiver: Receiver
) -> None:
    endpoint_id, _ = await endpoint(hooked, receiver.url)
    log = await other_org.gql(LOG, {"e": endpoint_id})
    assert log["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "endpoint"}
    off = await other_org.data(SWITCH % "disableWebhookEndpoint", {"i": {"id": endpoint_id}})
    assert (
        off["disableWebhookEndpoint"]["__typename"],
        off["disableWebhookEndpoint"]["field"],
    ) == (
        "NotFoundError",
        "id",
    )
