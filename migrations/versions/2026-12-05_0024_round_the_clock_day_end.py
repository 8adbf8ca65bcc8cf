"""Round the clock, "the end of the same working day" is the organisation's midnight: recompute.

docs/rules.md §7: an integration-limit ticket's first response is due by the end of the same
working day. On a 24/7 priority that end was UTC midnight; it is now the next midnight in the
organisation's time zone. The stored first-response due time (and its at-risk moment) of every
ticket it still runs for (open, unanswered, integration-limit, on a priority without a business
calendar) is computed again in Python by the rule itself (`domain.sla`), in batches; a breach flag
set by the old, earlier due time is cleared when the new one has not passed (the same rule as a
calendar change's recomputation). The breach scan reads these columns, so without this such
tickets would breach up to a day early.

Downgrade leaves the due times as they are (the older code reads them as stored).

Revision ID: 0024
Revises: 0021
Create Date: 2026-12-05
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from domain import sla
from domain.calendars import RoundTheClock
from domain.support_modes import SupportMode
from domain.tickets import Priority

revision: str = "0024"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000

_AFFECTED = """
SELECT t.org_id, t.id, t.priority, t.opened_at, o.time_zone
FROM tickets t JOIN organisations o ON o.id = t.org_id
WHERE t.support_mode = 'integration_limit' AND t.first_response_at IS NULL
  AND t.resolved_at IS NULL
  AND NOT EXISTS (SELECT FROM priority_calendars pc
                  WHERE pc.org_id = t.org_id AND pc.priority = t.priority)
  AND (t.org_id, t.id) > (:org_id, :id)
ORDER BY t.org_id, t.id LIMIT :n
"""
_UPDATE = """
UPDATE tickets SET first_response_due_at = :due, first_response_at_risk_at = :risk,
    first_response_breached = first_response_breached
        AND CAST(:due AS timestamptz) < CAST(:now AS timestamptz)
WHERE org_id = :org_id AND id = :id
"""


def upgrade() -> None:
    bind = op.get_bind()
    previous = str(bind.execute(sa.text("SHOW row_security")).scalar_one())
    # Every organisation's tickets: a role that row-level security filters fails loudly.
    bind.execute(sa.text("SELECT set_config('row_security', 'off', true)"))
    now = datetime.now(UTC)
    after = (0, 0)
    while True:
        rows = bind.execute(
            sa.text(_AFFECTED), {"org_id": after[0], "id": after[1], "n": _BATCH}
        ).all()
        if not rows:
            break
        changes = []
        for row in rows:
            calendar = RoundTheClock(row.time_zone)
            priority, opened = Priority(row.priority), row.opened_at
            minutes = sla.first_response_minutes(
                priority, opened, calendar, SupportMode.INTEGRATION_LIMIT
            )
            changes.append(
                {
                    "org_id": row.org_id,
                    "id": row.id,
                    "due": sla.due_at(opened, minutes, calendar),
                    "risk": sla.at_risk_at(opened, minutes, calendar),
                    "now": now,
                }
            )
        bind.execute(sa.text(_UPDATE), changes)
        after = (rows[-1].org_id, rows[-1].id)
    bind.execute(sa.text("SELECT set_config('row_security', :v, true)"), {"v": previous})


def downgrade() -> None:
    pass
