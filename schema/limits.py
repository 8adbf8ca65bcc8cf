"""Query cost and rate limits around each operation (README: Limits).

Before an operation runs, its static cost (schema/cost.py) is computed with its variables; over
MAX_COST it is refused with QUERY_TOO_COSTLY. Otherwise the cost (at least 1 point) is taken from
the token's bucket in Redis (resolvers/store/ratelimit.py); an empty bucket refuses it with
RATE_LIMITED, HTTP 429 and Retry-After. Every HTTP answer carries RateLimit-Limit,
RateLimit-Remaining and RateLimit-Reset, and `extensions.cost`. A subscription is charged once,
when it starts, from the same budget.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from redis.exceptions import RedisError
from strawberry.extensions import SchemaExtension

from domain.messages import Msg
from resolvers.store import ratelimit
from schema import cost, language
from schema.context import Context

log = logging.getLogger("wafi")

# A Redis that does not answer must not hold requests: they go on unlimited, with a warning.
REDIS_TIMEOUT_S = 1.0


class CostLimit(SchemaExtension):
    """Refuses operations costing more than MAX_COST, and charges the rest to the token."""

    def __init__(self) -> None:
        self.requested: int | None = None
        self.verdict: ratelimit.Verdict | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        self.requested = cost.of_operation(
            context.schema._schema,
            context.graphql_document,
            context.operation_name,
            context.variables,
        )
        if self.requested > cost.MAX_COST:
            raise GraphQLError(
                language.text(Msg.QUERY_TOO_COSTLY, cost=self.requested, limit=cost.MAX_COST),
                extensions={
                    "code": "QUERY_TOO_COSTLY",
                    "field": "query",
                    "cost": self.requested,
                    "maximum": cost.MAX_COST,
                },
            )
        await self._charge(max(self.requested, 1))
        yield

    async def _charge(self, points: int) -> None:
        request = self.execution_context.context
        self.verdict = await _bucket(request, points)
        verdict = self.verdict
        if verdict is None or verdict.allowed:
            return
        if isinstance(request, Context) and request.response is not None:
            request.response.status_code = 429
            request.response.headers["Retry-After"] = str(verdict.retry_after_s)
        raise GraphQLError(
            language.text(
                Msg.RATE_LIMITED,
                cost=points,
                remaining=verdict.remaining,
                limit=verdict.limit,
                retry=verdict.retry_after_s,
            ),
            extensions={
                "code": "RATE_LIMITED",
                "field": "query",
                "cost": points,
                "retryAfter": verdict.retry_after_s,
            },
        )

    async def get_results(self) -> dict[str, Any]:
        request = self.execution_context.context
        if not isinstance(request, Context) or request.websocket:
            return {}  # subscription events carry data only
        if self.verdict is None:  # refused before execution: nothing was spent
            self.verdict = await _bucket(request, 0)
        verdict = self.verdict
        if verdict is not None and request.response is not None:
            headers = request.response.headers
            headers["RateLimit-Limit"] = str(verdict.limit)
            headers["RateLimit-Remaining"] = str(verdict.remaining)
            headers["RateLimit-Reset"] = str(verdict.reset_s)
        return {
            "cost": {
                "requested": self.requested or 0,
                "maximum": cost.MAX_COST,
                "rateLimit": None
                if verdict is None
                else {
                    "limit": verdict.limit,
                    "remaining": verdict.remaining,
                    "resetSeconds": verdict.reset_s,
                },
            }
        }


def _subject(request: Context) -> str:
    # Without a valid token (development only: production answers 401 first) all callers share
    # one bucket.
    if request.principal is not None and request.token is not None:
        return "token:" + request.token
    return "anonymous"


async def _bucket(request: object, points: int) -> ratelimit.Verdict | None:
    """Spend `points` (0: only read) from the caller's bucket; None without a limiter."""
    if not isinstance(request, Context) or request.resources.ratelimit is None:
        return None
    limiter = request.resources.ratelimit
    try:
        async with asyncio.timeout(REDIS_TIMEOUT_S):
            return await limiter.spend(_subject(request), points, now=request.resources.clock())
    except (RedisError, OSError, TimeoutError) as error:
        log.warning("rate limit not applied: Redis %s", type(error).__name__)
        return None
