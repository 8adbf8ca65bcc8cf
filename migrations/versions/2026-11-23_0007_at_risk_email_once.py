"""One at-risk email draft per rise alert, enforced by a unique partial index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "drafts_at_risk_email_once",
        "drafts",
        ["org_id", "subject_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'at_risk_email'"),
    )


def downgrade() -> None:
    op.drop_index("drafts_at_risk_email_once", table_name="drafts")
