"""Prometheus metrics at /metrics: requests by operation and outcome with their latency, the
database pool, the outbox backlog, relayed events and live subscriptions.

Counters and histograms are process-wide (prometheus_client's default registry), so the worker
that `wafi serve` runs in-process counts into the same scrape. The pool, backlog and subscription
gauges are read from this app when scraped.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from graphql import OperationDefinitionNode
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.extensions import SchemaExtension

from domain.messages import Msg
from resolvers.store import engine, metrics_probe
from schema import language
from schema.context import Resources

REQUESTS = Counter(
    "wafi_requests_total",
    "GraphQL operations by root field and outcome (ok, refused, invalid, internal).",
    ["operation", "outcome"],
)
LATENCY = Histogram(
    "wafi_request_duration_seconds",
    "Time to answer a GraphQL operation, by root field.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def operation_label(document: Any, operation_name: str | None) -> str:
    """`query customers`, `mutation openTicket`: the kind and first root field, both bounded by
    the schema (a client-chosen operation name would let clients grow the label set at will)."""
    if document is None:
        return "unparsed"
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name and (definition.name is None or definition.name.value != operation_name):
            continue
        fields = [s for s in definition.selection_set.selections if hasattr(s, "name")]
        root = fields[0].name.value if fields else "fragment"
        return f"{definition.operation.value} {root}"
    return "unknown"


def outcome(errors: Iterable[Any] | None) -> str:
    """ok; internal (a masked bug); invalid (graphql-core's own errors: syntax, unknown field,
    which carry no code); refused (our refusals, each with a code)."""
    codes = [(error.extensions or {}).get("code") for error in errors or ()]
    if not codes:
        return "ok"
    if "INTERNAL" in codes:
        return "internal"
    return "invalid" if None in codes else "refused"


class Measured(SchemaExtension):
    """Counts each operation and times it (HTTP; a subscription is counted when it starts)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        label = operation_label(context.graphql_document, context.operation_name)
        result = context.result
        REQUESTS.labels(label, outcome(getattr(result, "errors", None))).inc()
        LATENCY.labels(label).observe(time.perf_counter() - started)


class _App(Collector):
    """This app's gauges, read when scraped."""

    def __init__(self, resources: Resources, backlog: metrics_probe.Backlog, lag: float) -> None:
        self.resources = resources
        self.backlog = backlog
        self.lag = lag

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.resources.pool
        connections = GaugeMetricFamily(
            "wafi_db_pool_connections", "Read-pool connections by state.", labels=["state"]
        )
        connections.add_metric(["idle"], pool.get_idle_size())
        connections.add_metric(["in_use"], pool.get_size() - pool.get_idle_size())
        yield connections
        hub = self.resources.hub
        yield GaugeMetricFamily(
            "wafi_subscriptions",
            "Live GraphQL subscriptions held by this process.",
            value=0 if hub is None else hub.subscriber_count(),
        )
        yield GaugeMetricFamily(
            "wafi_outbox_pending",
            "Alerts not yet published by the relay.",
            value=self.backlog.pending,
        )
        yield GaugeMetricFamily(
            "wafi_outbox_lag_seconds",
            "Age of the oldest unpublished alert (0 when none waits).",
            value=self.lag,
        )


async def endpoint(request: Request) -> Response:
    """GET /metrics in Prometheus' text format; with WAFI_METRICS_TOKEN set, only for
    `Authorization: Bearer <that token>`."""
    resources: Resources = request.app.state.resources
    expected = resources.settings.metrics_token
    if expected is not None and request.headers.get("authorization") != f"Bearer {expected}":
        return JSONResponse(
            {
                "errors": [
                    {
                        "message": language.text(Msg.METRICS_TOKEN),
                        "extensions": {"code": "UNAUTHENTICATED"},
                    }
                ]
            },
            status_code=401,
        )
    async with engine.scoped(resources.pool, None) as conn:
        backlog = await metrics_probe.outbox_backlog(conn)
    now = resources.clock()
    lag = 0.0 if backlog.oldest is None else max(0.0, (now - backlog.oldest).total_seconds())
    this_app = CollectorRegistry(auto_describe=True)
    this_app.register(_App(resources, backlog, lag))
    body = generate_latest(REGISTRY) + generate_latest(this_app)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
