"""Playbook scans (docs/rules.md §8.1, §8.2): each pilot's drafts on its organisation's local
days, and RED_FLAG_OVERDUE for red flags nobody acknowledged within the hour.

Set-based and idempotent: a pilot step is claimed in `pilot_steps` and drafted in the same
statement (a second scan, even a concurrent one, finds it claimed); an overdue alert is once per
red flag (`alerts_once`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import pilots
from resolvers.store import alerts
from resolvers.store import pilots as pilot_store
from resolvers.store import red_flags as red_flag_store


async def scan_playbooks(ctx: dict[str, Any], now: datetime | None = None) -> dict[str, int]:
    """§8.1 the pilot drafts due today (check-ins days 2–6, the soft ask on day 5, the firm,
    testimonial and referral asks from day 7); §8.2 RED_FLAG_OVERDUE after the hour."""
    at = now if now is not None else ctx["clock"]()
    async with ctx["db"].acquire() as conn:
        due = [
            pilot_store.DueStep(
                org_id=c.org_id,
                pilot_id=c.pilot_id,
                customer_id=c.customer_id,
                locale=c.locale,
                step=step,
                body=pilots.body(step, c.totals, c.locale),
            )
            for c in await pilot_store.candidates(conn, now=at)
            for step in pilots.due_steps(c.day, c.status)
            if step.key not in c.drafted
        ]
        drafted = await pilot_store.write_steps(conn, due=due, now=at) if due else 0
        overdue = await alerts.insert_from_select(
            conn, select_sql=red_flag_store.OVERDUE_CANDIDATES, args=(), now=at
        )
    return {"pilot_drafts": drafted, "red_flags_overdue": overdue}
