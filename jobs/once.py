"""Every scan once, at one instant, without Redis: what `wafi demo` runs at its end so the
demo organisation has its alerts at once instead of at the next cron tick."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from jobs import incidents as incident_jobs
from jobs import playbooks as playbook_jobs
from jobs import sequences as sequence_jobs
from jobs import sla as sla_jobs
from jobs import success as success_jobs
from resolvers.store import engine

SCANS = (
    sla_jobs.scan_sla_breaches,
    incident_jobs.scan_incident_updates,
    incident_jobs.scan_pdpl_deadlines,
    success_jobs.snapshot_health,
    success_jobs.scan_customers,
    sequence_jobs.scan_sequences,
    playbook_jobs.scan_playbooks,
)


async def run_scans(settings: engine.Settings, *, now: datetime) -> None:
    """Run each scan of the worker's cron table at `now`; their alerts are published
    by a worker's relay when one runs."""
    assert settings.database_url
    pool = await engine.create_system_pool(settings.database_url, size=2)
    ctx: dict[str, Any] = {"db": pool, "settings": settings, "clock": lambda: now}
    try:
        for scan in SCANS:
            await scan(ctx, now)
    finally:
        await pool.close()


async def replay_sequences(
    settings: engine.Settings, *, now: datetime, days_ago: Iterable[int]
) -> None:
    """The sequences scan as the worker would have run it on each of these past days (the
    demo's sequences in progress, §8.3), oldest first."""
    assert settings.database_url
    pool = await engine.create_system_pool(settings.database_url, size=1)
    ctx: dict[str, Any] = {"db": pool, "settings": settings, "clock": lambda: now}
    try:
        for days in sorted(days_ago, reverse=True):
            await sequence_jobs.scan_sequences(ctx, now - timedelta(days=days))
    finally:
        await pool.close()
