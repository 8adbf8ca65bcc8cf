"""Row-level security, the app role and the token lookup: the SQL the migrations apply by hand."""

from __future__ import annotations

from resolvers.store.engine import APP_ROLE

ORG_SETTING = "nullif(current_setting('app.org_id', true), '')::bigint"


def enable_sql(table: str, *, key: str = "org_id", append_only: bool = False) -> list[str]:
    """Row-level security on one tenant table, and APP_ROLE's rights on it."""
    rights = "SELECT, INSERT" if append_only else "SELECT, INSERT, UPDATE, DELETE"
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_tenant ON {table} USING ({key} = {ORG_SETTING}) "
        f"WITH CHECK ({key} = {ORG_SETTING})",
        f"GRANT {rights} ON {table} TO {APP_ROLE}",
    ]


def foundation_sql() -> list[str]:
    """The app role, RLS on the foundation tables, and the token lookup function."""
    statements = [
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
            END IF;
        END $$""",
        f"GRANT {APP_ROLE} TO CURRENT_USER",
        f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO {APP_ROLE}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}",
    ]
    statements += enable_sql("organisations", key="id")
    statements += [f"REVOKE INSERT, DELETE ON organisations FROM {APP_ROLE}"]
    # The outbox went in migration 0025 (alerts are their own); migration 0001 still makes it.
    for table in ("operators", "api_tokens", "customers", "idempotency_keys", "alerts", "outbox"):
        statements += enable_sql(table)
    statements += enable_sql("ledger", append_only=True)
    statements.append(AUTHENTICATE_FN)
    statements.append(f"GRANT EXECUTE ON FUNCTION wafi_authenticate(text) TO {APP_ROLE}")
    return statements


# Resolving a token happens before anyone knows the organisation, so it runs as the function's
# owner (SECURITY DEFINER), returns only the principal, and scopes the session to its org.
AUTHENTICATE_FN = """
CREATE OR REPLACE FUNCTION wafi_authenticate(p_token_hash text)
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
