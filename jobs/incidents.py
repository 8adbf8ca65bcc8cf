"""Incident scans (docs/rules.md §3, §5): overdue customer updates and near PDPL deadlines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import incidents
from resolvers.store import incidents as store


async def scan_incident_updates(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """Alert INCIDENT_UPDATE_OVERDUE once per missed update due time; returns alerts written."""
    async with ctx["db"].acquire() as conn:
        return await store.alert_overdue_updates(conn, now=now or ctx["clock"]())


async def scan_pdpl_deadlines(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """Alert PDPL_DEADLINE_NEAR once per leak, 12 h before its notification deadline."""
    async with ctx["db"].acquire() as conn:
        return await store.alert_pdpl_deadlines(
            conn, now=now or ctx["clock"](), hours_before=incidents.PDPL_ALERT_HOURS_BEFORE
        )
