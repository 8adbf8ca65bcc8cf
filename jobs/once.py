"""Every scan once, at one instant, without Redis: what `wafi demo` runs at its end so the
demo organisation has its alerts at once instead of at the next cron tick."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jobs import incidents as incident_jobs
from jobs import playbooks as playbook_jobs
from jobs import sla as sla_jobs
from jobs import success as success_jobs
from resolvers.store import engine

SCANS = (
    sla_jobs.scan_sla_breaches,
    incident_jobs.scan_incident_updates,
    incident_jobs.scan_pdpl_deadlines,
    success_jobs.snapshot_health,
    success_jobs.scan_customers,
    playbook_jobs.scan_playbooks,
)


async def run_scans(settings: engine.Settings, *, now: datetime) -> None:
    """Run each scan of the worker's cron table at `now`; alerts land in the outbox, which a
    worker's relay publishes when one runs."""
    assert settings.database_url
    pool = await engine.create_system_pool(settings.database_url, size=2)
    ctx: dict[str, Any] = {"db": pool, "settings": settings, "clock": lambda: now}
    try:
        for scan in SCANS:
            await scan(ctx, now)
    finally:
        await pool.close()
