"""GET /metrics: Prometheus text with requests by operation and outcome, latency, the read pool,
the relay's backlog and subscriptions; an optional bearer token; CORS for browser origins."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from resolvers.store import engine
from schema.app import create_app
from tests.factories import Clock, Org, gql


def _sample(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        metric, _, value = line.rpartition(" ")
        head, _, rest = metric.partition("{")
        got = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
        if head == name and got == wanted:
            return float(value)
    return 0.0


async def _scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_requests_are_counted_by_root_field_and_outcome_and_timed(
    client: httpx.AsyncClient, org: Org
) -> None:
    before = await _scrape(client)
    await org.data("query Mine { customers(first: 1) { edges { node { id } } } }", compare=False)
    await gql(client, "{ customers(first: 1) { edges { node { id } } } }")  # no token
    await org.gql("{ customers(first: 1) { nope } }")  # invalid
    await org.gql("{ customers(first: 500) { edges { node { id } } } }")  # refused
    after = await _scrape(client)

    def delta(outcome: str) -> float:
        labels = {"operation": "query customers", "outcome": outcome}
        return _sample(after, "wafi_requests_total", **labels) - _sample(
            before, "wafi_requests_total", **labels
        )

    assert (delta("ok"), delta("refused"), delta("invalid"), delta("internal")) == (1, 2, 1, 0)
    timed = "wafi_request_duration_seconds_count"
    assert (
        _sample(after, timed, operation="query customers")
        - _sample(before, timed, operation="query customers")
        == 4
    )
    # A client's own operation name never becomes a label (it would grow without bound).
    assert 'operation="Mine"' not in after
    assert _sample(after, "wafi_db_pool_connections", state="idle") >= 1
    assert re.search(r"^wafi_subscriptions \d+\.0$", after, re.MULTILINE)


async def test_the_relay_backlog_and_its_age_are_reported(
    client: httpx.AsyncClient, org: Org, system_pool: asyncpg.Pool, clock: Clock
) -> None:
    old = clock() - timedelta(days=400)
    async with system_pool.acquire() as conn:
        alert = await conn.fetchval(
            "INSERT INTO alerts (org_id, kind, subject, subject_id, occurrence, for_role, "
            "payload, created_at) VALUES ($1, 'AT_RISK', 'Customer', 1, 'metrics', 'owner', "
            "'{}', $2) RETURNING id",
            org.id,
            old,
        )
    waiting = await _scrape(client)
    assert _sample(waiting, "wafi_outbox_pending") >= 1
    assert _sample(waiting, "wafi_outbox_lag_seconds") >= timedelta(days=400).total_seconds()
    async with system_pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO alert_relay_marks (org_id, published_through, published_at) "
            "VALUES ($1, $2, $3)",
            org.id,
            alert,
            clock(),
        )
    done = await _scrape(client)
    assert _sample(done, "wafi_outbox_lag_seconds") < timedelta(days=400).total_seconds()


@pytest.fixture
async def configured(settings: engine.Settings, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app: Any = create_app(
        replace(
            settings,
            metrics_token="scrape-me-42",
            cors_origins=("https://cockpit.example.com",),
        ),
        clock=clock,
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wafi.test") as http:
            yield http


async def test_a_metrics_token_when_set_is_required(configured: httpx.AsyncClient) -> None:
    refused = await configured.get("/metrics")
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "scrape-me-42" not in refused.text
    wrong = await configured.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    allowed = await configured.get("/metrics", headers={"Authorization": "Bearer scrape-me-42"})
    assert allowed.status_code == 200
    assert "wafi_requests_total" in allowed.text


async def test_cors_allows_the_configured_origins_only(
    configured: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    ok = await configured.options(
        "/graphql", headers={"Origin": "https://cockpit.example.com", **preflight}
    )
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://cockpit.example.com"
    other = await configured.options(
        "/graphql", headers={"Origin": "https://evil.example.com", **preflight}
    )
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    # Unset (the default app): no browser origin is allowed.
    default = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://x.example"}
    )
    assert "access-control-allow-origin" not in default.headers


@pytest.mark.parametrize("value", ["cockpit.example.com", "ftp://x.example", "https://x/y"])
def test_a_cors_origin_that_is_not_an_origin_is_refused(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAFI_CORS_ORIGINS", f"https://ok.example, {value}")
    with pytest.raises(engine.SettingsError) as refused:
        engine.Settings.from_env()
    assert "WAFI_CORS_ORIGINS must list origins like https://app.example.com" in str(refused.value)
