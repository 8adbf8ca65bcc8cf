"""Alerts are their own outbox: the relay publishes each organisation's alerts past a mark.

Until now every alert was written twice, once in `alerts` and once, whole, as an `outbox` row the
relay published and marked. Alert ids are allocated in commit order per organisation (the alert
locks, `resolvers/store/alerts.py`), so "published" is one number per organisation: the highest
alert id the relay has published. `alert_relay_marks` keeps it; the relay reads an organisation's
alerts past its mark through the alerts' primary key `(org_id, id)`. The outbox table goes.

- A mark is set for every organisation with alerts: just below its oldest alert whose outbox row
  is still unpublished (those are published after the upgrade, in id order, as before), or at
  its newest alert when everything is published. An alert with no outbox row at all (none is
  written without one) counts as published.
- `wafi_outbox_backlog()` (for `/metrics`) counts the alerts past the marks.
- The alerts' foreign keys to customers and operators go: every alert's customer comes from a
  ticket, follow-up or customer row the same transaction read (and customers and operators are
  never deleted), and the key checks cost the breach scan about 0.25-0.3x the bare UPDATE
  (docs/architecture.md, Jobs).

Not for a rolling restart: code from before this revision writes every alert into the outbox,
so stop every process, migrate, then start the new release (docs/operations.md, Upgrades).

Downgrade writes SLA breach payloads whole again (the code after this revision stores only the
priority and reads the rest from the columns, `resolvers/store/alert_shape.py`; older code reads
the stored payload), recreates the outbox, the foreign keys and the old backlog function, and
writes an unpublished outbox row for every alert past its mark, so nothing waiting is lost.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from resolvers.store import rls

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "wafi_app"

_BACKLOG = """
CREATE OR REPLACE FUNCTION wafi_outbox_backlog()
RETURNS TABLE (pending bigint, oldest timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(sum(w.n), 0)::bigint, min(w.oldest)
    FROM organisations o
    LEFT JOIN alert_relay_marks m ON m.org_id = o.id
    CROSS JOIN LATERAL (
        SELECT count(*) AS n, min(a.created_at) AS oldest FROM alerts a
        WHERE a.org_id = o.id AND a.id > coalesce(m.published_through, 0)) AS w
$$
"""

_OLD_BACKLOG = """
CREATE OR REPLACE FUNCTION wafi_outbox_backlog()
RETURNS TABLE (pending bigint, oldest timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT count(*), min(created_at) FROM outbox WHERE published_at IS NULL
$$
"""


def upgrade() -> None:
    op.create_table(
        "alert_relay_marks",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("published_through", sa.BigInteger(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("org_id"),
    )
    # Under row-level security like every table; the app role gets no rights on it (only the
    # relay, with the connecting role, reads and writes it).
    op.execute("ALTER TABLE alert_relay_marks ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE alert_relay_marks FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY alert_relay_marks_tenant ON alert_relay_marks "
        f"USING (org_id = {rls.ORG_SETTING}) WITH CHECK (org_id = {rls.ORG_SETTING})"
    )
    op.execute(
        """
        INSERT INTO alert_relay_marks (org_id, published_through, published_at)
        SELECT a.org_id,
               coalesce((SELECT min((o.payload->>'id')::bigint) - 1 FROM outbox o
                         WHERE o.org_id = a.org_id AND o.published_at IS NULL
                           AND o.payload ? 'id'),
                        max(a.id)),
               now()
        FROM alerts a GROUP BY a.org_id
        """
    )
    op.execute(_BACKLOG)
    op.drop_index("outbox_org_unpublished", table_name="outbox")
    op.drop_table("outbox")
    op.drop_constraint("alerts_customer_id_fk", "alerts", type_="foreignkey")
    op.drop_constraint("alerts_acknowledged_by_fk", "alerts", type_="foreignkey")


# Older code reads an SLA breach's payload as stored: give it its ticket, clock and due time
# again (a frozen copy of resolvers/store/alert_shape.py's expression as of this revision).
_WHOLE_BREACH_PAYLOADS = """
UPDATE alerts SET payload = jsonb_build_object(
    'ticketId', subject_id,
    'clock', CASE kind WHEN 'SLA_FIRST_RESPONSE_BREACH' THEN 'first_response'
                       ELSE 'resolution' END,
    'dueAt', occurrence) || payload
WHERE kind IN ('SLA_FIRST_RESPONSE_BREACH', 'SLA_RESOLUTION_BREACH')
  AND NOT (payload ?& array['ticketId', 'clock', 'dueAt'])
"""


def downgrade() -> None:
    op.execute(_WHOLE_BREACH_PAYLOADS)
    op.create_foreign_key(
        "alerts_acknowledged_by_fk",
        "alerts",
        "operators",
        ["org_id", "acknowledged_by"],
        ["org_id", "id"],
    )
    op.create_foreign_key(
        "alerts_customer_id_fk", "alerts", "customers", ["org_id", "customer_id"], ["org_id", "id"]
    )
    op.create_table(
        "outbox",
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    op.create_index(
        "outbox_org_unpublished",
        "outbox",
        ["org_id", "id"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    for statement in rls.enable_sql("outbox"):
        op.execute(statement)
    op.execute(
        """
        INSERT INTO outbox (org_id, channel, payload, created_at)
        SELECT a.org_id, format('wafi:%s:alerts', a.org_id),
               jsonb_build_object('id', a.id, 'kind', a.kind, 'subject', a.subject,
                                  'subjectId', a.subject_id, 'occurrence', a.occurrence,
                                  'customerId', a.customer_id, 'forRole', a.for_role,
                                  'payload', a.payload, 'createdAt', a.created_at),
               a.created_at
        FROM alerts a LEFT JOIN alert_relay_marks m ON m.org_id = a.org_id
        WHERE a.id > coalesce(m.published_through, 0)
        ORDER BY a.id
        """
    )
    op.execute(_OLD_BACKLOG)
    op.drop_table("alert_relay_marks")
