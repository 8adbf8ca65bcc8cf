"""An index on the opening time for the per-minute SLA verdict re-judge (the 30-day window).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not CONCURRENTLY: that waits for every transaction holding a snapshot, a second `wafi
    # migrate` waiting on the migration lock among them, which deadlocks two migrators (tested).
    # The plain build holds ticket writes while it runs: about a second per million tickets.
    op.create_index(
        "tickets_opened_window",
        "tickets",
        ["opened_at"],
        postgresql_include=[
            "org_id",
            "first_response_at",
            "first_response_due_at",
            "resolved_at",
            "resolution_due_at",
        ],
    )


def downgrade() -> None:
    op.drop_index("tickets_opened_window", table_name="tickets")
