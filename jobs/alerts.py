"""Alert delivery: the outbox relay (docs/architecture.md#alerts, step 2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from arq.connections import ArqRedis
from prometheus_client import Counter

from resolvers.store import outbox, webhooks

RELAYED = Counter(
    "wafi_relay_published_total", "Alerts the relay published to Redis (this process)."
)


async def relay_outbox(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """Publish committed alerts to Redis until none is left; idempotent, and safe on several
    workers at once (each takes the organisations the others do not hold). Returns how many.

    It returns after a short batch that looked at every organisation with unpublished alerts
    and found none held by another relay. After a batch that skipped some, it waits for their
    relays' batches to end and reads again: two relays each skipping what the other holds cannot
    both return and leave an alert the other did not see yet (one committed between their
    reads). An alert committed after the last read is the next relay's: its writer enqueues one
    after commit, and the worker's sweep (every 2 s) runs one in any case.
    """
    published = hooks = 0
    while True:
        batch = await outbox.relay_batch(
            ctx["db"], ctx["redis"], namespace=ctx["namespace"], now=now or ctx["clock"]()
        )
        published += batch.published
        hooks += batch.webhooks
        RELAYED.inc(batch.published)
        if batch.held_elsewhere:
            await outbox.wait_for_relays(ctx["db"], batch.held_elsewhere)
        elif batch.published < outbox.BATCH and not batch.more:
            if hooks and isinstance(ctx["redis"], ArqRedis):  # tests may relay with a bare Redis
                # Webhook messages were made: a worker sends them now, not at the 5 s sweep.
                await webhooks.enqueue_delivery(ctx["redis"])
            return published


async def relay_after_job(ctx: dict[str, Any]) -> None:
    """Worker hook: after any other job (a scan may have written alerts), ask for a relay now
    instead of waiting for the next sweep."""
    if outbox.RELAY_JOB not in str(ctx.get("job_id", "")):
        await outbox.enqueue_relay(ctx["redis"], ctx["namespace"])
