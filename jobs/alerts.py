"""Alert delivery: the outbox relay (DESIGN.md Alerts, step 2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from resolvers.store import outbox


async def relay_outbox(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """Publish committed events to Redis until none is left; idempotent, and safe on several
    workers at once (each takes rows the others have not locked). Returns how many."""
    published = 0
    while True:
        count = await outbox.relay(ctx["db"], ctx["redis"], now=now or ctx["clock"]())
        published += count
        if count < outbox.BATCH:
            return published


async def relay_after_job(ctx: dict[str, Any]) -> None:
    """Worker hook: after any other job (a scan may have written alerts with their outbox
    rows), ask for a relay now instead of waiting for the next sweep."""
    if outbox.RELAY_JOB not in str(ctx.get("job_id", "")):
        await outbox.enqueue_relay(ctx["redis"])
