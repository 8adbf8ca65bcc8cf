"""`wafi_outbox_backlog()`: how many outbox events wait for the relay, and since when — for
`/metrics`, which runs as the app role (row-level security would show it one organisation).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "wafi_app"


def upgrade() -> None:
    # The partial index outbox_org_unpublished keeps this as small as the backlog.
    op.execute(
        """
CREATE FUNCTION wafi_outbox_backlog()
RETURNS TABLE (pending bigint, oldest timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT count(*), min(created_at) FROM outbox WHERE published_at IS NULL
$$
"""
    )
    op.execute(f"GRANT EXECUTE ON FUNCTION wafi_outbox_backlog() TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION wafi_outbox_backlog()")
