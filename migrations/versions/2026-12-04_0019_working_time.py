"""working time: business calendars per organisation, the calendar each priority counts in, and
tickets that wait on the customer (docs/rules.md §7)

`calendars` holds each calendar's working days, hours and holidays; `priority_calendars` maps a
priority to one of them (no row: 24/7, today's behaviour, so nothing changes until an
organisation opts in). Each running clock keeps the moment it turns at risk (80% of its working
time), as it keeps its due time, for the list filter. A ticket waiting on the customer has no
resolution due time (the scan never flags it) and its pauses are kept on the row, as the due
times are computed from them.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from resolvers.store import rls

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendars",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("working_days", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("working_hours", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("holidays", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("org_id", "id"),
        sa.UniqueConstraint("org_id", "name", name="calendars_org_name"),
    )
    op.create_table(
        "priority_calendars",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("calendar_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("priority IN ('P0','P1','P2','P3')", name="priority_calendars_priority"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["org_id", "calendar_id"], ["calendars.org_id", "calendars.id"]),
        sa.PrimaryKeyConstraint("org_id", "priority"),
    )
    op.create_index(
        "priority_calendars_org_calendar",
        "priority_calendars",
        ["org_id", "calendar_id"],
        unique=False,
    )
    op.create_table(
        "ticket_follow_ups",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_alerted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('complaint_or_churn','technical_failure','legal_question')",
            name="ticket_follow_ups_kind",
        ),
        sa.ForeignKeyConstraint(["org_id", "ticket_id"], ["tickets.org_id", "tickets.id"]),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    op.create_index(
        "ticket_follow_ups_org_ticket", "ticket_follow_ups", ["org_id", "ticket_id", "id"]
    )
    op.create_index(
        "ticket_follow_ups_org_due",
        "ticket_follow_ups",
        ["org_id", "due_at"],
        postgresql_where=sa.text("done_at IS NULL AND NOT overdue_alerted"),
    )
    for table in ("calendars", "priority_calendars", "ticket_follow_ups"):
        for statement in rls.enable_sql(table):
            op.execute(statement)
    op.add_column(
        "tickets",
        sa.Column(
            "pauses",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.alter_column("tickets", "resolution_due_at", nullable=True)
    for column in ("support_mode", "support_mode_reason", "support_mode_set_by"):
        op.add_column("tickets", sa.Column(column, sa.Text(), nullable=True))
    for clock in ("first_response", "resolution"):
        op.add_column(
            "tickets", sa.Column(f"{clock}_at_risk_at", sa.DateTime(timezone=True), nullable=True)
        )
    # Every ticket so far counts round the clock: at risk at 80% of its target.
    bind = op.get_bind()
    previous = str(bind.execute(sa.text("SHOW row_security")).scalar_one())
    bind.execute(sa.text("SELECT set_config('row_security', 'off', true)"))
    bind.execute(
        sa.text(
            "UPDATE tickets SET first_response_at_risk_at = opened_at + make_interval(secs => "
            "extract(epoch FROM first_response_due_at - opened_at) * 0.8), "
            "resolution_at_risk_at = opened_at + make_interval(secs => "
            "extract(epoch FROM resolution_due_at - opened_at) * 0.8)"
        )
    )
    bind.execute(sa.text("SELECT set_config('row_security', :v, true)"), {"v": previous})
    op.drop_constraint("tickets_status", "tickets", type_="check")
    op.create_check_constraint(
        "tickets_status",
        "tickets",
        "status IN ('open','waiting_on_customer','resolved','closed')",
    )


def downgrade() -> None:
    op.drop_constraint("tickets_status", "tickets", type_="check")
    op.execute("UPDATE tickets SET status = 'open' WHERE status = 'waiting_on_customer'")
    op.execute("UPDATE tickets SET resolution_due_at = opened_at WHERE resolution_due_at IS NULL")
    op.create_check_constraint(
        "tickets_status", "tickets", "status IN ('open','resolved','closed')"
    )
    op.alter_column("tickets", "resolution_due_at", nullable=False)
    op.drop_column("tickets", "pauses")
    for column in ("support_mode", "support_mode_reason", "support_mode_set_by"):
        op.drop_column("tickets", column)
    op.drop_column("tickets", "resolution_at_risk_at")
    op.drop_column("tickets", "first_response_at_risk_at")
    op.drop_index(
        "ticket_follow_ups_org_due",
        table_name="ticket_follow_ups",
        postgresql_where=sa.text("done_at IS NULL AND NOT overdue_alerted"),
    )
    op.drop_index("ticket_follow_ups_org_ticket", table_name="ticket_follow_ups")
    op.drop_table("ticket_follow_ups")
    op.drop_index("priority_calendars_org_calendar", table_name="priority_calendars")
    op.drop_table("priority_calendars")
    op.drop_table("calendars")
