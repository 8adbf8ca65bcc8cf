"""Live-action freezes: whether drafts for a customer may be approved right now (§2.7, §3)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def active_reason(
    session: AsyncSession, *, org_id: int, customer_id: int | None
) -> str | None:
    """Why approvals are frozen for this customer, or None when they are not.

    The organisation-wide freeze comes from a `critical` SLA health verdict (§2.7) until an owner
    lifts it; a SEV1 incident freezes its affected customers until it is resolved (§3).
    """
    frozen = await session.execute(
        text("SELECT frozen_reason FROM organisations WHERE id = :org AND frozen_at IS NOT NULL"),
        {"org": org_id},
    )
    reason = frozen.scalar_one_or_none()
    if reason is not None:
        return str(reason)
    return None
