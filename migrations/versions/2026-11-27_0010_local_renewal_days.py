"""Renewal items dated by the organisation's day; an organisation's time zone must be one
PostgreSQL knows.

Until 0009 the scan and `startSuccessPlan` dated renewal items by the UTC day of `renews_at`;
they now use the organisation's day. Where the two differ (a Riyadh customer renewing between
21:00 and 24:00 UTC), an open item still dated by the UTC day would never be offered and the scan
would add a second one beside it. This moves each such item (and its `day_offset`) to the local
day, keeping its done mark and drafted offer; where the scan already added the local twin, the
UTC-dated item is dropped if nothing was done with it (else the twin is). Only items of the
customer's current renewal date and the §4.3 lead times (30 and 7 days) are touched.

The CHECK makes a misspelt `time_zone` (set by SQL: no API sets it yet) fail its own UPDATE
instead of every scan that reads it.

Row security is off for these statements, so a migrating role that row-level security would
filter fails loudly instead of silently touching no rows.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each renewal item of the customer's current date, dated by the UTC day, with how far the
# organisation's day is from it (-1, 0 or +1 day).
_SHIFTED = """
SELECT i.org_id, i.id, i.plan_id, i.due_on,
       (c.renews_at AT TIME ZONE o.time_zone)::date
         - (c.renews_at AT TIME ZONE 'UTC')::date AS delta,
       i.done_on IS NULL AND i.draft_id IS NULL AS untouched
FROM success_plan_items i
JOIN customers c ON c.org_id = i.org_id AND c.id = i.customer_id
JOIN organisations o ON o.id = i.org_id
WHERE i.kind = 'renewal' AND c.renews_at IS NOT NULL
  AND (c.renews_at AT TIME ZONE 'UTC')::date - i.due_on IN (30, 7)
  AND (c.renews_at AT TIME ZONE o.time_zone)::date <> (c.renews_at AT TIME ZONE 'UTC')::date
"""


def upgrade() -> None:
    op.create_check_constraint(
        "organisations_time_zone",
        "organisations",
        "timezone(time_zone, '2000-01-01 00:00:00+00'::timestamptz) IS NOT NULL",
    )
    bind = op.get_bind()
    previous = str(bind.execute(sa.text("SHOW row_security")).scalar_one())
    bind.execute(sa.text("SELECT set_config('row_security', 'off', true)"))
    # A local twin exists (the scan ran since): keep whichever of the two carries work.
    bind.execute(
        sa.text(
            f"""
            WITH s AS ({_SHIFTED})
            DELETE FROM success_plan_items d
            USING s JOIN success_plan_items twin
              ON twin.org_id = s.org_id AND twin.plan_id = s.plan_id AND twin.kind = 'renewal'
             AND twin.due_on = s.due_on + s.delta
            WHERE (s.untouched AND d.org_id = s.org_id AND d.id = s.id)
               OR (NOT s.untouched AND twin.done_on IS NULL AND twin.draft_id IS NULL
                   AND d.org_id = twin.org_id AND d.id = twin.id)
            """
        )
    )
    bind.execute(
        sa.text(
            f"""
            WITH s AS ({_SHIFTED})
            UPDATE success_plan_items i
            SET due_on = i.due_on + s.delta, day_offset = i.day_offset + s.delta
            FROM s
            WHERE i.org_id = s.org_id AND i.id = s.id
              AND NOT EXISTS (SELECT 1 FROM success_plan_items twin
                              WHERE twin.org_id = s.org_id AND twin.plan_id = s.plan_id
                                AND twin.kind = 'renewal' AND twin.due_on = s.due_on + s.delta)
            """
        )
    )
    bind.execute(sa.text("SELECT set_config('row_security', :v, true)"), {"v": previous})


def downgrade() -> None:
    # The items keep their local days: the code before this revision would add UTC-dated twins,
    # as it did before. Only the constraint goes.
    op.drop_constraint("organisations_time_zone", "organisations", type_="check")
