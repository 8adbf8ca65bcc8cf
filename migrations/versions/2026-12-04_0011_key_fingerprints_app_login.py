"""Idempotency keys remember a fingerprint of their first request; the app role may log in.

`fingerprint` is the SHA-256 of the create's name and canonical input (domain/idempotency.py):
a key sent again with another input is refused as IDEMPOTENCY_KEY_REUSED. Keys stored before
this revision have none and keep answering with their first result.

The API now logs in as the app role itself, so `RESET ROLE` cannot leave row-level security
(it used to return to the superuser that connected). Roles are cluster-wide and several
databases share one: the role is altered only when it cannot log in yet, and a migrating user
without the right to alter it leaves it as it was (the API then keeps `SET ROLE`; README:
Tenancy). The downgrade leaves the role alone for the same reason.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_APP_LOGIN = """
DO $$ BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'wafi_app' AND NOT rolcanlogin) THEN
        ALTER ROLE wafi_app LOGIN;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'wafi_app stays NOLOGIN: this user may not alter it';
END $$
"""


def upgrade() -> None:
    op.add_column("idempotency_keys", sa.Column("fingerprint", sa.Text(), nullable=True))
    op.execute(_APP_LOGIN)


def downgrade() -> None:
    op.drop_column("idempotency_keys", "fingerprint")
