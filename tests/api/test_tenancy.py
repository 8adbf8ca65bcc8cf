"""One organisation never sees or touches another's rows: through the API, and by RLS alone."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from resolvers.store import availability, engine, orgs
from tests.api.test_customers import ARCHIVE, UPDATE, count_rows, create
from tests.conftest import ENGLISH
from tests.factories import Org, gql

ROOT = Path(__file__).resolve().parents[2]


async def test_another_organisations_customer_is_not_found_everywhere(
    org: Org, other_org: Org
) -> None:
    theirs = (await create(other_org, name="Secret Co"))["customer"]
    read = await org.gql("query($id: ID!) { customer(id: $id) { name } }", {"id": theirs["id"]})
    assert read["data"] is None
    assert read["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}
    node = await org.gql("query($id: ID!) { node(id: $id) { id } }", {"id": theirs["id"]})
    assert node["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}
    update = await org.data(UPDATE, {"input": {"id": theirs["id"], "version": 1, "name": "Mine"}})
    assert update["updateCustomer"]["__typename"] == "NotFoundError"
    assert update["updateCustomer"]["field"] == "id"
    archive = await org.data(ARCHIVE, {"input": {"id": theirs["id"], "version": 1}})
    assert archive["archiveCustomer"]["__typename"] == "NotFoundError"
    listed = await org.data("{ customers { edges { node { id } } } }")
    assert listed["customers"]["edges"] == []
    ledger = await org.data("{ ledger { edges { node { id } } } }")
    assert ledger["ledger"]["edges"] == []
    check = await other_org.data(
        "query($id: ID!) { customer(id: $id) { name version } }", {"id": theirs["id"]}
    )
    assert check["customer"] == {"name": "Secret Co", "version": 1}
    assert await count_rows(org, "customers") == 0


async def test_rls_alone_hides_other_organisations_rows(
    org: Org, other_org: Org, database_url: str
) -> None:
    await create(org, name="Ours")
    await create(other_org, name="Theirs")
    pool = await engine.create_read_pool(database_url, size=1)
    try:
        # No org_id filter in these statements: only row-level security stands in the way.
        async with engine.scoped(pool, org.id) as conn:
            names = [r["name"] for r in await conn.fetch("SELECT name FROM customers")]
            ledger_orgs = {r["org_id"] for r in await conn.fetch("SELECT org_id FROM ledger")}
            orgs_seen = [r["id"] for r in await conn.fetch("SELECT id FROM organisations")]
        assert names == ["Ours"]
        assert ledger_orgs == {org.id}
        assert orgs_seen == [org.id]
        async with engine.scoped(pool, None) as conn:
            assert await conn.fetchval("SELECT count(*) FROM customers") == 0
            assert await conn.fetchval("SELECT current_user") == engine.APP_ROLE
    finally:
        await pool.close()


async def test_a_reused_read_connection_serves_only_its_next_user(
    org: Org, other_org: Org, database_url: str
) -> None:
    # Releasing a read connection resets nothing (engine._scoped_again_by_next_use): whoever
    # takes it next sets the role and the organisation in its first statement.
    await create(org, name="Ours")
    await create(other_org, name="Theirs")
    await create(other_org, name="Theirs too")
    pool = await engine.create_read_pool(database_url, size=1)

    async def seen(conn: asyncpg.Connection) -> tuple[int, int, str]:
        # No org_id filter: only row-level security decides.
        row = await conn.fetchrow(
            "SELECT pg_backend_pid() AS pid, (SELECT count(*) FROM customers) AS n, current_user"
        )
        assert row is not None
        return row["pid"], row["n"], row["current_user"]

    try:
        async with engine.scoped(pool, org.id) as conn:
            pid, count, user = await seen(conn)
        assert (count, user) == (1, engine.APP_ROLE)
        async with engine.scoped(pool, other_org.id) as conn:
            assert await seen(conn) == (pid, 2, engine.APP_ROLE)  # the same session
        for token, expected in (("wafi_unknown", 0), (org.token, 1), (other_org.token, 2)):
            check = functools.partial(orgs.authenticate, token=token)
            async with availability.first_use(pool, check) as (conn, principal):
                assert (principal is None) == (expected == 0)
                assert await seen(conn) == (pid, expected, engine.APP_ROLE)
        async with engine.scoped(pool, None) as conn:
            assert await seen(conn) == (pid, 0, engine.APP_ROLE)
    finally:
        await pool.close()


def _read_pool_acquires() -> Iterator[tuple[str, ast.AST, str]]:
    """Every place the code takes a read-pool connection: (file:line, its first use, how)."""
    roots = [ROOT / "schema", ROOT / "resolvers"]
    for path in sorted(p for root in roots for p in root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        read_pools = {"pool"} if "create_read_pool(" in path.read_text(encoding="utf-8") else set()
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and _name(node.func).endswith("first_use"):
                statement = node.args[1]
                assert isinstance(statement, ast.Lambda | ast.Name), where
                yield where, statement, "first_use"
            if not isinstance(node, ast.AsyncWith):
                continue
            for item in node.items:
                call = item.context_expr
                if not (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "acquire"
                ):
                    continue
                pool = call.func.value
                if not (
                    (isinstance(pool, ast.Attribute) and pool.attr == "pool")
                    or (isinstance(pool, ast.Name) and pool.id in read_pools)
                ):
                    continue  # a system pool (jobs, administration): not the API's
                assert isinstance(item.optional_vars, ast.Name), where
                conn = item.optional_vars.id
                uses = [
                    n
                    for statement in node.body
                    for n in ast.walk(statement)
                    if isinstance(n, ast.Call)
                    and (
                        any(isinstance(a, ast.Name) and a.id == conn for a in n.args)
                        or (isinstance(n.func, ast.Attribute) and _name(n.func.value) == conn)
                    )
                ]
                first = min(uses, key=lambda n: (n.lineno, n.col_offset))
                yield where, first, "acquire"


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def test_every_read_connection_is_scoped_by_its_first_statement() -> None:
    # What makes the release without a reset safe: nothing reads on a read-pool connection
    # before setting the role and organisation (scope_sql) or checking a token (authenticate,
    # which sets both, to none for an unknown token).
    found = list(_read_pool_acquires())
    assert len(found) >= 8
    for where, first, how in found:
        if how == "first_use":
            text = ast.unparse(first)
            assert "orgs.authenticate(" in text or "scope_sql(" in text, (where, text)
        else:
            assert isinstance(first, ast.Call), where
            assert _name(first.func) == "orgs.authenticate", (where, ast.unparse(first))


async def test_rls_refuses_writing_a_row_into_another_organisation(
    org: Org, other_org: Org, database_url: str
) -> None:
    pool = await engine.create_read_pool(database_url, size=1)
    try:
        async with engine.scoped(pool, org.id) as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(
                    "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
                    "subscription_status, subscription_started_at, created_at, updated_at) "
                    "VALUES ($1, 'x', 'x', 'ar', 'growth_starter', 'onboarding', 'pilot', now(), "
                    "now(), now())",
                    other_org.id,
                )
    finally:
        await pool.close()


async def test_the_ledger_is_append_only_for_the_app_role(org: Org, database_url: str) -> None:
    await create(org, name="Ledgered")
    pool = await engine.create_read_pool(database_url, size=1)
    try:
        async with engine.scoped(pool, org.id) as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("UPDATE ledger SET action = 'forged'")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("DELETE FROM ledger")
        assert await count_rows(org, "ledger") == 1
    finally:
        await pool.close()


async def test_the_app_role_cannot_bypass_rls(database_url: str) -> None:
    conn = await asyncpg.connect(engine.asyncpg_dsn(database_url))
    try:
        row = await conn.fetchrow(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", engine.APP_ROLE
        )
        assert row is not None
        assert (row["rolsuper"], row["rolbypassrls"]) == (False, False)
        forced = await conn.fetch(
            "SELECT relname FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace "
            "AND relname <> 'alembic_version' AND NOT (relrowsecurity AND relforcerowsecurity)"
        )
        assert [r["relname"] for r in forced] == []
    finally:
        await conn.close()


async def test_no_token_is_refused_naming_the_field(org: Org) -> None:
    body = await gql(org.client, "{ customers { edges { node { id } } } }")
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "field": "customers"}
    body = await gql(
        org.client,
        'mutation { createCustomer(input: {name: "A", '
        'subscriptionStartedAt: "2026-01-01T00:00:00Z"}) '
        "{ __typename ... on UserError { field code } } }",
    )
    assert body["data"]["createCustomer"] == {
        "__typename": "ForbiddenError",
        "field": "createCustomer",
        "code": "UNAUTHENTICATED",
    }
    assert await count_rows(org, "customers") == 0


async def test_a_wrong_token_is_refused(org: Org) -> None:
    body = await gql(org.client, "{ customers { edges { node { id } } } }", token="wafi_forged")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_introspection_needs_no_token_in_dev_mode(org: Org) -> None:
    body = await gql(org.client, "{ __schema { queryType { name } } }")
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    assert "errors" not in body


async def test_tokens_are_stored_hashed(org: Org) -> None:
    async with org.pool.acquire() as conn:
        rows = await conn.fetch("SELECT token_hash FROM api_tokens WHERE org_id = $1", org.id)
    hashes = [row["token_hash"] for row in rows]
    assert org.token not in hashes
    assert all(len(h) == 64 for h in hashes)


async def test_node_resolves_every_kind_and_hides_other_organisations(
    org: Org, other_org: Org
) -> None:
    from tests.factories import new_customer, open_ticket

    customer = await new_customer(org)
    ticket = (await open_ticket(org, customer, subject="Gmail outage"))["ticket"]["id"]
    declared = await org.data(
        "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { "
        "... on IncidentPayload { incident { id } } } }",
        {"i": {"title": "Down", "description": "", "affectedCustomerIds": [customer]}},
    )
    incident = declared["declareIncident"]["incident"]["id"]
    for gid, kind in ((customer, "Customer"), (ticket, "Ticket"), (incident, "Incident")):
        data = await org.data("query($id: ID!) { node(id: $id) { __typename id } }", {"id": gid})
        assert data["node"] == {"__typename": kind, "id": gid}
        body = await other_org.gql("query($id: ID!) { node(id: $id) { id } }", {"id": gid})
        assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}


async def test_production_mode_refuses_everything_without_a_token(settings: Any, org: Org) -> None:
    from dataclasses import replace

    import httpx
    from asgi_lifespan import LifespanManager

    from schema.app import create_app

    app = create_app(replace(settings, dev=False))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://wafi.test", headers=ENGLISH
        ) as http:
            bare = await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})
            assert bare.status_code == 401
            assert "bearer token" in bare.text
            ide = await http.get("/graphql", headers={"accept": "text/html"})
            assert "graphiql" not in ide.text.lower()
            authed = await gql(http, "{ customers { edges { node { id } } } }", token=org.token)
            assert authed["data"] == {"customers": {"edges": []}}
            assert "errors" not in authed


def _root_fields_without_required_arguments() -> list[tuple[str, str]]:
    """Every root query field a client may call with no arguments, with a minimal selection."""
    from graphql import get_named_type, is_leaf_type, is_required_argument

    from schema.root import schema

    query_type = schema._schema.query_type
    assert query_type is not None
    found = []
    for name, field in query_type.fields.items():
        if name.startswith("__") or any(map(is_required_argument, field.args.values())):
            continue
        selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
        found.append((name, f"{{ {name}{selection} }}"))
    return found


@pytest.mark.parametrize(("field", "query"), _root_fields_without_required_arguments())
async def test_every_root_query_needs_a_token(org: Org, field: str, query: str) -> None:
    body = await gql(org.client, query)
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "field": field}
