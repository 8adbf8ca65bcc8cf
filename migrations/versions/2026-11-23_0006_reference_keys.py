"""reference keys: composite foreign keys on the tenant columns that had none

Every reference stays inside its organisation: `(org_id, x_id) REFERENCES parent (org_id, id)`,
MATCH SIMPLE, so a NULL `x_id` is not checked (docs/architecture.md#tenancy).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 21:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referenced table): each key is named "<table>_<column>_fk".
_REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("ledger", "operator_id", "operators"),
    ("alerts", "customer_id", "customers"),
    ("alerts", "acknowledged_by", "operators"),
    ("drafts", "decided_by", "operators"),
    ("drafts", "sent_by", "operators"),
    ("ticket_events", "operator_id", "operators"),
    ("csat_ratings", "ticket_id", "tickets"),
    ("success_plan_items", "done_by", "operators"),
    ("success_plan_items", "draft_id", "drafts"),
    ("onboarding_steps", "done_by", "operators"),
)


def upgrade() -> None:
    for table, column, referred in _REFERENCES:
        op.create_foreign_key(
            f"{table}_{column}_fk", table, referred, ["org_id", column], ["org_id", "id"]
        )


def downgrade() -> None:
    for table, column, _referred in reversed(_REFERENCES):
        op.drop_constraint(f"{table}_{column}_fk", table, type_="foreignkey")
