"""The compiled read path answers exactly as the executor does
(docs/architecture.md#compiled-read-path): every customers/tickets/node query of the suite, and
a generated corpus of selections over the compilable fields, run through both paths on the same
rows."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, OperationType, parse
from graphql.language import FieldNode, print_ast
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvers.store import engine
from schema import compiled
from tests.factories import Org, new_customer, open_ticket

TESTS = Path(__file__).resolve().parents[1]
ROOTS = {"customers", "tickets", "node"}

DASHBOARD = (
    "{ customers(first: 50) { edges { node { id name stage tickets(first: 5) { edges { node "
    "{ id priority firstResponseDueAt } } } } } } }"
)


class World:
    def __init__(self, org: Org, customers: list[str], tickets: list[str]) -> None:
        self.org, self.customers, self.tickets = org, customers, tickets
        self.compiled = 0

    async def both(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(compiled path's answer, executor's answer) — data, errors and requested cost."""
        first = await self.org.gql(query, variables)
        compiled.ENABLED = False
        try:
            second = await self.org.gql(query, variables)
        finally:
            compiled.ENABLED = True
        # No plan: refused before running (validation, limits) on both paths alike.
        assert second["extensions"].get("plan") in {compiled.EXECUTOR, None}
        self.compiled += first["extensions"].get("plan") == compiled.COMPILED
        return _answer(first), _answer(second)


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": body.get("data"),
        "errors": body.get("errors"),
        "cost": body["extensions"]["cost"]["requested"],
    }


async def _mutate(org: Org, name: str, input_type: str, **fields: Any) -> None:
    body = await org.data(
        f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ __typename }} }}", {"i": fields}
    )
    assert body[name]["__typename"].endswith("Payload"), body


async def _version(org: Org, ticket: str) -> int:
    data = await org.data("query($id: ID!) { ticket(id: $id) { version } }", {"id": ticket})
    version: int = data["ticket"]["version"]
    return version


@pytest.fixture
async def world(org: Org) -> World:
    customers, tickets = [], []
    for index, name in enumerate(["مطعم الأصيل", "Acme", 'Quote "q" \\ back', "مؤرشف"]):
        customers.append(await new_customer(org, name=name, locale="EN" if index % 2 else "AR"))
        for subject in ["hello", "urgent: outage", "billing question"][: index + 1]:
            org.clock.advance(seconds=1.234567)  # fractions of a second in every timestamp
            tickets.append((await open_ticket(org, customers[-1], subject))["ticket"]["id"])
    org.clock.advance(seconds=61)
    await _mutate(
        org,
        "raiseTicketPriority",
        "RaiseTicketPriorityInput",
        id=tickets[0],
        version=await _version(org, tickets[0]),
        priority="P1",
    )
    await _mutate(
        org,
        "recordTicketEvent",
        "RecordTicketEventInput",
        id=tickets[1],
        version=await _version(org, tickets[1]),
        event="first_response",
    )
    data = await org.data("query($id: ID!) { customer(id: $id) { version } }", {"id": customers[3]})
    await _mutate(
        org,
        "archiveCustomer",
        "ArchiveCustomerInput",
        id=customers[3],
        version=data["customer"]["version"],
    )
    return World(org, customers, tickets)


async def test_the_dashboard_query_takes_the_compiled_path_with_the_executors_answer(
    world: World,
) -> None:
    body = await world.org.gql(DASHBOARD)
    assert body["extensions"]["plan"] == "compiled"
    compiled_answer, executor_answer = await world.both(DASHBOARD)
    assert compiled_answer == executor_answer
    nodes = [e["node"] for e in executor_answer["data"]["customers"]["edges"]]
    assert [n["name"] for n in nodes] == ["مطعم الأصيل", "Acme", 'Quote "q" \\ back']
    assert [len(n["tickets"]["edges"]) for n in nodes] == [1, 2, 3]
    due = nodes[0]["tickets"]["edges"][0]["node"]["firstResponseDueAt"]
    assert due == "2026-11-01T11:00:01.234567+00:00"  # P1: two hours (docs/rules.md §2.1)


async def test_computed_fields_and_refusals_are_left_to_the_executor(world: World) -> None:
    cases = [
        ("{ customers { edges { node { health { score } } } } }", None),
        ("{ tickets(first: 0) { edges { node { id } } } }", None),
        ("{ tickets(first: 101) { edges { node { id } } } }", None),
        ('{ tickets(after: "bm9wZQ==") { edges { node { id } } } }', None),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": "Tm9wZTox"}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": "Q3VzdG9tZXI6OTk5OTk5OQ=="}),
        ("{ customers { edges { node { tickets(first: 0) { edges { cursor } } } } } }", None),
        ("{ customers { edges { node { id @include(if: true) } } } }", None),
    ]
    for query, variables in cases:
        first, second = await world.both(query, variables)
        assert first == second, query
    assert world.compiled == 0


def _test_queries() -> Iterator[str]:
    """Every query document in the suite's sources that reads customers, tickets or node."""
    seen: set[str] = set()
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = node.value
            if "{" not in text or text in seen:
                continue
            try:
                document = parse(text)
            except Exception:  # any string that is not a document
                continue
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
                continue
            selections = operations[0].selection_set.selections
            roots = {s.name.value for s in selections if isinstance(s, FieldNode)}
            if roots and roots <= ROOTS:
                seen.add(text)
                yield text


def _variables(query: str, world: World) -> dict[str, Any]:
    values: dict[str, Any] = {}
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    for definition in operation.variable_definitions or ():
        name, kind = definition.variable.name.value, print_ast(definition.type).rstrip("!")
        if kind == "ID":
            values[name] = world.tickets[0] if "ticket" in name.lower() else world.customers[1]
        elif kind == "Int":
            values[name] = 2
    return values


async def test_every_query_of_the_suite_answers_the_same_on_both_paths(world: World) -> None:
    queries = list(_test_queries())
    assert len(queries) >= 20
    for query in queries:
        for variables in ({}, _variables(query, world)):
            first, second = await world.both(query, variables)
            assert first == second, (query, variables)
    assert world.compiled >= 10


# The generated corpus: selections over the compilable fields.
_CUSTOMER = ["id", "version", "name", "locale", "bundle", "stage", "contactEmail"]
_CUSTOMER += ["lastActivityAt", "archivedAt", "__typename", "subscription { status startedAt }"]
_TICKET = ["id", "version", "subject", "body", "channel", "priority", "classifiedPriority"]
_TICKET += ["manualPriority", "matchedKeyword", "reasonAr", "status", "openedAt"]
_TICKET += ["firstResponseAt", "resolvedAt", "closedAt", "closedConfirmedBy", "__typename"]
_TICKET += ["firstResponseDueAt", "resolutionDueAt"]
_PAGE = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"]


def _aliased(draw: st.DrawFn, fields: list[str]) -> str:
    chosen = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=6))
    return " ".join(
        f"a{i}: {f}" if draw(st.booleans()) and not f.startswith("__") else f
        for i, f in enumerate(chosen)
    )


@st.composite
def _connection(draw: st.DrawFn, node: str, first: list[int]) -> str:
    args = []
    if draw(st.booleans()):
        args.append(f"first: {draw(st.sampled_from(first))}")
    parts = []
    if draw(st.booleans()):
        parts.append(f"edges {{ {'cursor ' if draw(st.booleans()) else ''}node {{ {node} }} }}")
    if draw(st.booleans()) or not parts:
        parts.append(f"pageInfo {{ {_aliased(draw, _PAGE)} }}")
    if draw(st.booleans()):
        parts.append("__typename")
    if draw(st.booleans()):
        parts.append("totalCount")
    return f"{'(' + ', '.join(args) + ')' if args else ''} {{ {' '.join(parts)} }}"


@st.composite
def _query(draw: st.DrawFn) -> str:
    ticket = _aliased(draw, _TICKET)
    customer = _aliased(draw, _CUSTOMER)
    if draw(st.booleans()):
        customer += " tickets" + draw(_connection(ticket, [1, 2, 3]))
    kind = draw(st.sampled_from(["customers", "tickets", "node", "fragment"]))
    if kind == "customers":
        return "{ customers" + draw(_connection(customer, [1, 2, 50])) + " }"
    if kind == "tickets":
        return "{ tickets" + draw(_connection(ticket, [1, 4, 100])) + " }"
    if kind == "node":
        return (
            "query($id: ID!) { node(id: $id) { __typename id ... on Customer { "
            f"{customer} }} ... on Ticket {{ {ticket} }} }} }}"
        )
    return (
        "query { x: customers(first: 2) { edges { node { ...C } } } } "
        f"fragment C on Customer {{ {customer} }}"
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=_query(), which=st.integers(min_value=0, max_value=20))
async def test_generated_selections_answer_the_same_on_both_paths(
    world: World, query: str, which: int
) -> None:
    ids = world.customers + world.tickets
    variables = {"id": ids[which % len(ids)]} if "$id" in query else {}
    first, second = await world.both(query, variables)
    assert first == second, (query, json.dumps(variables))


async def test_the_dashboard_costs_one_statement_after_the_token_check(world: World) -> None:
    counts = []
    for enabled in (True, False):
        compiled.ENABLED = enabled
        try:
            before = engine.READ_QUERIES.count
            await world.org.gql(DASHBOARD, compare=False)
            counts.append(engine.READ_QUERIES.count - before)
        finally:
            compiled.ENABLED = True
    # compiled: the token's check and the answer; the executor reads the page and the whole
    # page's tickets in two (tests/api/test_request_statements.py names them).
    assert counts == [2, 3]
