"""live alerts: the relay's index over unpublished outbox rows

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-23 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "outbox_org_unpublished",
        "outbox",
        ["org_id", "id"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "outbox_org_unpublished",
        table_name="outbox",
        postgresql_where=sa.text("published_at IS NULL"),
    )
