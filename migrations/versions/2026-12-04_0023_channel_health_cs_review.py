"""Playbooks §8.4–8.5: channel stats and freezes, objections, weekly CS reviews; all under
row-level security like every tenant table.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from resolvers.store import rls

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("channel_stats", "channel_freezes", "objections", "cs_reviews")


def upgrade() -> None:
    op.create_table(
        "channel_stats",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("bounced", sa.Integer(), nullable=False),
        sa.Column("complaints", sa.Integer(), nullable=False),
        sa.Column("blocks", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("org_id", "channel", "day"),
    )
    op.create_table(
        "channel_freezes",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    op.create_index(
        "channel_freezes_active",
        "channel_freezes",
        ["org_id", "channel"],
        unique=True,
        postgresql_where=sa.text("lifted_at IS NULL"),
    )
    op.create_table(
        "objections",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("logged_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "category IN ('price','privacy','arabic_quality','integration','timing','other')",
            name="objections_category",
        ),
        sa.ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    op.create_index("objections_org_logged", "objections", ["org_id", "logged_at"], unique=False)
    op.create_table(
        "cs_reviews",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("week_of", sa.Date(), nullable=False),
        sa.Column("review", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("org_id", "id"),
        sa.UniqueConstraint("org_id", "week_of", name="cs_reviews_once"),
    )
    for table in _TABLES:
        for statement in rls.enable_sql(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("cs_reviews")
    op.drop_index("objections_org_logged", table_name="objections")
    op.drop_table("objections")
    op.drop_index(
        "channel_freezes_active",
        table_name="channel_freezes",
        postgresql_where=sa.text("lifted_at IS NULL"),
    )
    op.drop_table("channel_freezes")
    op.drop_table("channel_stats")
