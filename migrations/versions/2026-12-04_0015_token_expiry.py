"""API tokens expire and remember their last use; the token lookup honours both.

`wafi_authenticate` takes the request's instant (the API's clock: tests fix it) and refuses a
token whose `expires_at` has passed. It notes `last_used_at` at most every five minutes, so a
busy token costs one small UPDATE per five minutes, not one per request.

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "wafi_app"

AUTHENTICATE = """
CREATE FUNCTION wafi_authenticate(p_token_hash text, p_now timestamptz)
RETURNS TABLE (org_id bigint, operator_id bigint, role text, org_slug text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_org bigint;
BEGIN
    UPDATE api_tokens t SET last_used_at = p_now
    WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL
      AND (t.expires_at IS NULL OR t.expires_at > p_now)
      AND (t.last_used_at IS NULL OR t.last_used_at < p_now - interval '5 minutes');
    RETURN QUERY
        SELECT t.org_id, t.operator_id, o.role, g.slug
        FROM api_tokens t
        JOIN operators o ON o.org_id = t.org_id AND o.id = t.operator_id
        JOIN organisations g ON g.id = t.org_id
        WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL
          AND (t.expires_at IS NULL OR t.expires_at > p_now);
    IF FOUND THEN
        SELECT t.org_id INTO v_org FROM api_tokens t WHERE t.token_hash = p_token_hash;
        PERFORM set_config('app.org_id', v_org::text, false);
    ELSE
        PERFORM set_config('app.org_id', '', false);
    END IF;
END $$
"""

PREVIOUS = """
CREATE FUNCTION wafi_authenticate(p_token_hash text)
RETURNS TABLE (org_id bigint, operator_id bigint, role text, org_slug text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
        SELECT t.org_id, t.operator_id, o.role, g.slug
        FROM api_tokens t
        JOIN operators o ON o.org_id = t.org_id AND o.id = t.operator_id
        JOIN organisations g ON g.id = t.org_id
        WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL;
    IF FOUND THEN
        PERFORM set_config('app.org_id', (
            SELECT t.org_id::text FROM api_tokens t WHERE t.token_hash = p_token_hash), false);
    ELSE
        PERFORM set_config('app.org_id', '', false);
    END IF;
END $$
"""


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True)))
    op.add_column("api_tokens", sa.Column("last_used_at", sa.DateTime(timezone=True)))
    op.execute("DROP FUNCTION wafi_authenticate(text)")
    op.execute(AUTHENTICATE)
    op.execute(f"GRANT EXECUTE ON FUNCTION wafi_authenticate(text, timestamptz) TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION wafi_authenticate(text, timestamptz)")
    op.execute(PREVIOUS)
    op.execute(f"GRANT EXECUTE ON FUNCTION wafi_authenticate(text) TO {APP_ROLE}")
    op.drop_column("api_tokens", "last_used_at")
    op.drop_column("api_tokens", "expires_at")
