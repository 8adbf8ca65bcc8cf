"""The SLA breach scan (docs/rules.md §2.6, §2.7, §5): set-based, idempotent, every minute."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain import sla
from resolvers.store import follow_ups as follow_up_store
from resolvers.store import sla as sla_store
from resolvers.store import tickets as ticket_store

# §2.7 is judged for the freeze over the trailing 30 days of opened tickets.
HEALTH_WINDOW = timedelta(days=30)


async def scan_sla_breaches(ctx: dict[str, Any], now: datetime | None = None) -> dict[str, int]:
    """Flag newly breached clocks and alert each once; then re-judge the SLA health of every
    organisation, freezing those whose verdict has just turned critical.

    Every organisation is re-judged, not only those this scan flagged: a breach a mutation
    recorded (a raise past a due time, a late reply, a reopening), a ticket opened, or tickets
    leaving the window all change a verdict too. Only changed verdicts are written."""
    at = now if now is not None else ctx["clock"]()
    async with ctx["db"].acquire() as conn:
        result = await ticket_store.scan_breaches(conn, now=at)
        follow_ups = await follow_up_store.scan_overdue(conn, now=at)
        trailing = await sla_store.trailing_counts(conn, start=at - HEALTH_WINDOW, now=at)
        changed = {}
        for org in trailing:
            rate = round(org.breached / org.total, 3) if org.total else 0.0
            verdict = sla.verdict(rate)
            # No stored verdict means the organisation has never been judged other than healthy.
            if verdict is not (org.stored or sla.Verdict.HEALTHY):
                changed[org.org_id] = (verdict, rate)
        frozen = await sla_store.record_verdicts(conn, verdicts=changed, now=at)
    return {
        "first_response_breaches": result.flagged.get("first_response", 0),
        "resolution_breaches": result.flagged.get("resolution", 0),
        "alerts": result.alerts,
        "follow_ups_overdue": follow_ups,
        "verdicts_changed": len(changed),
        "organisations_frozen": len(frozen),
    }
