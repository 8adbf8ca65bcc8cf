"""The SLA breach scan (DOMAIN.md §2.6, §2.7, §5): set-based, idempotent, every minute."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain import sla
from resolvers.store import sla as sla_store
from resolvers.store import tickets as ticket_store

# §2.7 is judged for the freeze over the trailing 30 days of opened tickets.
HEALTH_WINDOW = timedelta(days=30)


async def scan_sla_breaches(ctx: dict[str, Any], now: datetime | None = None) -> dict[str, int]:
    """Flag newly breached clocks and alert each once; then re-judge the SLA health of the
    organisations that breached, freezing those whose verdict has just turned critical."""
    at = now if now is not None else ctx["clock"]()
    async with ctx["db"].acquire() as conn:
        result = await ticket_store.scan_breaches(conn, now=at)
        counts = await ticket_store.breach_counts(
            conn, org_ids=sorted(result.org_ids), start=at - HEALTH_WINDOW, now=at
        )
        verdicts = {}
        for org_id, (total, breached) in counts.items():
            rate = round(breached / total, 3) if total else 0.0
            verdicts[org_id] = (sla.verdict(rate), rate)
        frozen = await sla_store.record_verdicts(conn, verdicts=verdicts, now=at)
    return {
        "first_response_breaches": result.flagged.get("first_response", 0),
        "resolution_breaches": result.flagged.get("resolution", 0),
        "alerts": result.alerts,
        "organisations_frozen": len(frozen),
    }
