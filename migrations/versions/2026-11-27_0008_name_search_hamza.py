"""Name search folds hamza carriers, standalone hamza and ta marbuta: recompute name_search.

Upgrade is one set-based SQL UPDATE. Every stored name_search was written by the store as
`domain.text.normalise(name)` (the §2.2 folding), and the new key, `domain.text.search_key`, is
that plus four character folds (ؤ→و, ئ→ي, ة→ه, ء dropped) and a second space collapse. So the SQL
applies only those folds to the stored key (`fold_sql`) and never re-derives §2.2 from `name`:
PostgreSQL's lower() is not Python's casefold(), and a key built from `name` in SQL would disagree
with the store on letters such as ß or ς. A test checks `fold_sql(normalise(x)) == search_key(x)`
on the database for a list of awkward names.

Downgrade recomputes the §2.2 key from `name` in Python, in batches over `op.get_bind()` (the
folds above cannot be undone from the key, and §2.2 needs casefold()).

Both directions turn row_security off for their own statements, so a migrating role that row-level
security would filter fails loudly instead of silently updating no rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.text import normalise

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def fold_sql(column: str) -> str:
    """SQL that turns a §2.2-normalised `column` into the search key (mirrors `search_key`)."""
    return f"btrim(regexp_replace(translate({column}, 'ؤئةء', 'ويه'), ' +', ' ', 'g'), ' ')"


def _without_row_security(bind: sa.engine.Connection) -> str:
    previous = str(bind.execute(sa.text("SHOW row_security")).scalar_one())
    bind.execute(sa.text("SELECT set_config('row_security', 'off', true)"))
    return previous


def _restore_row_security(bind: sa.engine.Connection, previous: str) -> None:
    bind.execute(sa.text("SELECT set_config('row_security', :v, true)"), {"v": previous})


def upgrade() -> None:
    bind = op.get_bind()
    previous = _without_row_security(bind)
    folded = fold_sql("name_search")
    bind.execute(
        sa.text(f"UPDATE customers SET name_search = {folded} WHERE name_search <> {folded}")
    )
    _restore_row_security(bind, previous)


def downgrade() -> None:
    bind = op.get_bind()
    previous = _without_row_security(bind)
    after = (0, 0)
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT org_id, id, name, name_search FROM customers "
                "WHERE (org_id, id) > (:org_id, :id) ORDER BY org_id, id LIMIT :n"
            ),
            {"org_id": after[0], "id": after[1], "n": _BATCH},
        ).all()
        if not rows:
            break
        changed = [
            {"org_id": row.org_id, "id": row.id, "key": normalise(row.name)}
            for row in rows
            if normalise(row.name) != row.name_search
        ]
        if changed:
            bind.execute(
                sa.text(
                    "UPDATE customers SET name_search = :key WHERE org_id = :org_id AND id = :id"
                ),
                changed,
            )
        after = (rows[-1].org_id, rows[-1].id)
    _restore_row_security(bind, previous)
