"""Onboarding and win-back sequences (one row per run, one per drafted step) and exit surveys
(docs/rules.md §8.3), under row-level security like every tenant table.

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from resolvers.store import rls

revision: str = "0022"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("customer_sequences", "sequence_steps", "exit_surveys")


def upgrade() -> None:
    op.create_table(
        "customer_sequences",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stop_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('onboarding','win_back')", name="customer_sequences_kind"),
        sa.ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        sa.PrimaryKeyConstraint("org_id", "id"),
        sa.UniqueConstraint("org_id", "customer_id", "kind", "started_at", name="sequences_once"),
    )
    op.create_index(
        "sequences_one_onboarding",
        "customer_sequences",
        ["org_id", "customer_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'onboarding'"),
    )
    op.create_index(
        "sequences_one_running",
        "customer_sequences",
        ["org_id", "customer_id", "kind"],
        unique=True,
        postgresql_where=sa.text("stopped_at IS NULL"),
    )
    op.create_table(
        "sequence_steps",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("sequence_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.SmallInteger(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "sequence_id"], ["customer_sequences.org_id", "customer_sequences.id"]
        ),
        sa.PrimaryKeyConstraint("org_id", "id"),
        sa.UniqueConstraint("org_id", "sequence_id", "day", name="sequence_steps_once"),
    )
    op.create_table(
        "exit_surveys",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("churned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("primary_reason", sa.Text(), nullable=False),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("could_do_better", sa.Text(), nullable=True),
        sa.Column("would_return", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        sa.PrimaryKeyConstraint("org_id", "id"),
        sa.UniqueConstraint("org_id", "customer_id", "churned_at", name="exit_surveys_once"),
    )
    op.create_index(
        "exit_surveys_org_churned", "exit_surveys", ["org_id", "churned_at"], unique=False
    )
    for table in _TABLES:
        for statement in rls.enable_sql(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("exit_surveys_org_churned", table_name="exit_surveys")
    op.drop_table("exit_surveys")
    op.drop_table("sequence_steps")
    op.drop_index(
        "sequences_one_running",
        table_name="customer_sequences",
        postgresql_where=sa.text("stopped_at IS NULL"),
    )
    op.drop_index(
        "sequences_one_onboarding",
        table_name="customer_sequences",
        postgresql_where=sa.text("kind = 'onboarding'"),
    )
    op.drop_table("customer_sequences")
