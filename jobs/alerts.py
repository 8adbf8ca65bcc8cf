"""Alert delivery: the outbox relay (DESIGN.md Alerts, step 2)."""

from __future__ import annotations

from typing import Any

from resolvers.store import outbox


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """Publish committed events to Redis; idempotent, safe on several workers at once."""
    published = 0
    while True:
        count = await outbox.relay(ctx["db"], ctx["redis"], now=ctx["clock"]())
        published += count
        if count < outbox.BATCH:
            return published
