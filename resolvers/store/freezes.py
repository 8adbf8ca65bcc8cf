"""Live-action freezes: whether drafts for a customer may be approved right now (§2.7, §3)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.drafts import DraftKind
from domain.incidents import held_by_incident_freeze


async def active_reason(
    session: AsyncSession,
    *,
    org_id: int,
    customer_id: int | None,
    draft_kind: DraftKind | None = None,
) -> str | None:
    """Why approving a draft of `draft_kind` for this customer is frozen, or None when it is not.

    The organisation-wide freeze comes from a `critical` SLA health verdict (§2.7) until an owner
    lifts it, and holds every draft. A SEV1 incident freezes its affected customers until it is
    resolved (§3), except for incident updates (`held_by_incident_freeze`).
    """
    frozen = await session.execute(
        text("SELECT frozen_reason FROM organisations WHERE id = :org AND frozen_at IS NOT NULL"),
        {"org": org_id},
    )
    reason = frozen.scalar_one_or_none()
    if reason is not None:
        return str(reason)
    if customer_id is None or not held_by_incident_freeze(draft_kind):
        return None
    incident = await session.execute(
        text(
            "SELECT i.id FROM incident_customers c JOIN incidents i "
            "ON i.org_id = c.org_id AND i.id = c.incident_id "
            "WHERE c.org_id = :org AND c.customer_id = :customer AND i.severity = 'SEV1' "
            "AND i.status IN ('open', 'mitigated') ORDER BY i.id LIMIT 1"
        ),
        {"org": org_id, "customer": customer_id},
    )
    incident_id = incident.scalar_one_or_none()
    if incident_id is not None:
        return f"SEV1 incident {incident_id} is not resolved yet"
    return None


async def lift_organisation(session: AsyncSession, *, org_id: int) -> str | None:
    """§2.7: an owner lifts the organisation-wide freeze; the reason it had, or None if none."""
    lifted = await session.execute(
        text(
            "UPDATE organisations AS o SET frozen_at = NULL, frozen_reason = NULL "
            "FROM (SELECT id, frozen_reason FROM organisations WHERE id = :org "
            "AND frozen_at IS NOT NULL FOR UPDATE) AS old WHERE o.id = old.id "
            "RETURNING old.frozen_reason"
        ),
        {"org": org_id},
    )
    reason = lifted.scalar_one_or_none()
    return None if reason is None else str(reason)
