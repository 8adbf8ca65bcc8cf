"""The SQL statements one dashboard request sends to PostgreSQL, counted where they are sent
(asyncpg's query logger on every read-pool connection, engine.READ_QUERIES), on the compiled
read path and on the executor (docs/architecture.md#request-path)."""

from __future__ import annotations

import asyncio
from typing import Any

from resolvers.store import engine
from schema import compiled
from tests.factories import Org, new_customer, open_ticket

DASHBOARD = (
    "{ customers(first: 50) { edges { node { id name stage tickets(first: 5) { edges { node "
    "{ id priority firstResponseDueAt } } } } } } }"
)
# The same answer on the executor: a directive is not compiled.
EXECUTOR = DASHBOARD.replace("{ id name stage", "{ id @include(if: true) name stage")


def _kind(statement: str) -> str:
    if "wafi_authenticate(" in statement:
        return "token"  # the token's check, which also scopes the connection (RLS)
    if "FROM customers" in statement and "json" not in statement:
        return "customers page"
    if "CROSS JOIN LATERAL" in statement and "FROM tickets" in statement:
        return "tickets batch"
    if statement.lstrip().upper().startswith(("RESET", "SELECT PG_ADVISORY_UNLOCK_ALL")):
        return "reset"
    return "compiled" if "json" in statement else statement


async def _sent(org: Org, query: str) -> tuple[list[str], dict[str, Any]]:
    await org.data(query)  # a warm connection: no first-use type lookups
    with engine.READ_QUERIES.recording() as statements:
        body = await org.gql(query, compare=False)
        await asyncio.sleep(0)  # asyncpg hands the logger each statement on the next turn
    assert "errors" not in body, body
    return [_kind(s) for s in statements], body


async def test_a_dashboard_request_sends_two_statements_compiled_and_three_executed(
    org: Org,
) -> None:
    for size in (2, 6):  # whatever the page holds
        for _ in range(size):
            customer = await new_customer(org, name=f"c{size}")
            for subject in ["hello", "urgent: outage", "billing", "a", "b", "c"][:size]:
                await open_ticket(org, customer, subject)
        compiled_sent, compiled_body = await _sent(org, DASHBOARD)
        executed_sent, executed_body = await _sent(org, EXECUTOR)
        assert compiled_body["extensions"]["plan"] == compiled.COMPILED
        assert executed_body["extensions"]["plan"] == compiled.EXECUTOR
        assert compiled_body["data"] == executed_body["data"]
        # Nothing after the answer: a released connection is not reset, the next request's
        # first statement (the token's check) scopes it (engine._scoped_again_by_next_use).
        assert compiled_sent == ["token", "compiled"]
        assert executed_sent == ["token", "customers page", "tickets batch"]
