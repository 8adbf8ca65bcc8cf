"""Playbooks: pilots (docs/rules.md §8.1) with their daily check-ins and the steps a scan has
drafted (one row per pilot and step, so a step is drafted once however often the scan runs),
and red flags (§8.2), each once per origin. Row-level security like every tenant table.

Revision ID: 0021
Revises: 0023
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from resolvers.store import rls

revision: str = "0021"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pilots",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("start_day", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("plan_starts_on", sa.Date(), nullable=True),
        sa.CheckConstraint("status IN ('running','converted','declined')", name="pilots_status"),
        sa.ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        sa.PrimaryKeyConstraint("org_id", "id"),
        sa.UniqueConstraint("org_id", "customer_id", name="pilots_one_per_customer"),
    )
    op.create_index("pilots_start_day", "pilots", ["start_day"], unique=False)
    op.create_table(
        "pilot_check_ins",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("pilot_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.SmallInteger(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        sa.Column("demos", sa.Integer(), nullable=False),
        sa.Column("response_seconds", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id", "pilot_id"], ["pilots.org_id", "pilots.id"]),
        sa.PrimaryKeyConstraint("org_id", "pilot_id", "day"),
    )
    op.create_table(
        "pilot_steps",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("pilot_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id", "pilot_id"], ["pilots.org_id", "pilots.id"]),
        sa.PrimaryKeyConstraint("org_id", "pilot_id", "step"),
    )
    op.create_table(
        "red_flags",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        sa.PrimaryKeyConstraint("org_id", "id"),
        sa.UniqueConstraint("org_id", "origin", name="red_flags_once"),
    )
    op.create_index(
        "red_flags_customer", "red_flags", ["org_id", "customer_id", "raised_at"], unique=False
    )
    for table in ("pilots", "pilot_check_ins", "pilot_steps", "red_flags"):
        for statement in rls.enable_sql(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("red_flags_customer", table_name="red_flags")
    op.drop_table("red_flags")
    op.drop_table("pilot_steps")
    op.drop_table("pilot_check_ins")
    op.drop_index("pilots_start_day", table_name="pilots")
    op.drop_table("pilots")
