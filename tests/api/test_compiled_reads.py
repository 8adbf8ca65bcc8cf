"""The compiled read path answers exactly as the executor does
(docs/architecture.md#compiled-read-path): every customers/tickets/node query of the suite, and
a generated corpus of selections over the compilable fields — computed health, at-risk and SLA
clocks included — run through both paths on the same rows, at the same clock: customers in every
health band and at-risk severity, tickets in every SLA state, paused while waiting on the
customer, counted in a working-time calendar with a holiday, with support modes."""

from __future__ import annotations

import ast
import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, OperationType, parse
from graphql.language import FieldNode, print_ast
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import sla
from domain.tickets import Priority
from resolvers import compiled as computations
from resolvers.store import engine
from schema import compiled
from tests.api.success_support import add_ticket, customer
from tests.api.test_scores import record_week
from tests.api.test_ticket_pauses import AWAIT, CLOSE, REPLIED, REPLY, RESOLVE, ok
from tests.api.test_working_time import ADD_HOLIDAYS, office, run, use
from tests.factories import T0, Org, new_customer, open_ticket

TESTS = Path(__file__).resolve().parents[1]
ROOTS = {"customers", "tickets", "node"}

DASHBOARD = (
    "{ customers(first: 50) { edges { node { id name stage tickets(first: 5) { edges { node "
    "{ id priority firstResponseDueAt } } } } } } }"
)
RICH = (
    "{ customers(first: 50) { edges { node { id name stage health { value band } "
    "atRisk { score severity } tickets(first: 5) { edges { node { id priority "
    "firstResponseDueAt sla { breached firstResponse { state } resolution { state } } } } } } } "
    "} }"
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
    await _scored_and_timed(org, customers, tickets)
    return World(org, customers, tickets)


async def _scored_and_timed(org: Org, customers: list[str], tickets: list[str]) -> None:
    """Customers in every health band and at-risk severity (§4.1, §4.2); tickets in every SLA
    state, waiting on the customer, resumed, in a calendar with a holiday, with modes (§7)."""
    calendar = await office(org)
    await use(org, "P2", calendar)
    holiday = {"day": "2026-11-03", "name": "عيد"}
    await run(org, ADD_HOLIDAYS, {"calendar": calendar["id"], "version": 1, "holidays": [holiday]})
    healthy = await customer(org, name="Healthy", started=T0, last_activity=T0)
    watch = await customer(org, name="Watch", started=T0 - timedelta(days=20), last_activity=T0)
    at_risk = await customer(org, name="At risk", started=T0 - timedelta(days=60))
    await record_week(org, healthy, "2026-10-26", pipeline=80_000, meetings=1)
    await record_week(org, watch, "2026-10-26", pipeline=60_000, meetings=0)
    customers += [healthy, watch, at_risk]

    async def opened(customer_id: str, subject: str) -> dict[str, Any]:
        org.clock.advance(seconds=1.5)
        made: dict[str, Any] = (await open_ticket(org, customer_id, subject))["ticket"]
        tickets.append(made["id"])
        return made

    # The office calendar (P2): one waiting on the customer, one timed to the working day's end.
    waiting = await ok(org, REPLY, await opened(healthy, "Gmail connector"))
    await ok(org, AWAIT, waiting)
    await opened(healthy, "connector integration limit")
    # Round the clock: waiting, resumed (a pause that ended), resolved and closed, a mode.
    await ok(org, AWAIT, await ok(org, REPLY, await opened(watch, "hello")))
    paused = await ok(org, AWAIT, await ok(org, REPLY, await opened(watch, "hello again")))
    org.clock.advance(minutes=10)
    await ok(org, REPLIED, paused)
    resolved = await ok(org, RESOLVE, await ok(org, REPLY, await opened(at_risk, "done")))
    await ok(org, CLOSE, resolved, confirmedBy="Huda")
    await opened(at_risk, "invoice question")
    # Later: the first P0s breached their first response and near their resolution; a new P0
    # is at risk; a P0 opened two days back breached both (a signal for §4.1).
    org.clock.now = T0 + timedelta(hours=2, minutes=50)
    await opened(at_risk, "outage")
    org.clock.now = T0 + timedelta(hours=3, minutes=15)
    old = T0 - timedelta(days=2)
    due = sla.due_times(Priority.P0, old)
    pk = await add_ticket(
        org,
        at_risk,
        status="open",
        priority="P0",
        opened_at=old,
        first_response_due_at=due.first_response_due_at,
        resolution_due_at=due.resolution_due_at,
    )
    tickets.append(base64.urlsafe_b64encode(f"Ticket:{pk}".encode()).decode())


async def test_the_dashboard_query_takes_the_compiled_path_with_the_executors_answer(
    world: World,
) -> None:
    body = await world.org.gql(DASHBOARD)
    assert body["extensions"]["plan"] == "compiled"
    compiled_answer, executor_answer = await world.both(DASHBOARD)
    assert compiled_answer == executor_answer
    nodes = [e["node"] for e in executor_answer["data"]["customers"]["edges"]][:3]
    assert [n["name"] for n in nodes] == ["مطعم الأصيل", "Acme", 'Quote "q" \\ back']
    assert [len(n["tickets"]["edges"]) for n in nodes] == [1, 2, 3]
    due = nodes[0]["tickets"]["edges"][0]["node"]["firstResponseDueAt"]
    assert due == "2026-11-01T11:00:01.234567+00:00"  # P1: two hours (docs/rules.md §2.1)


async def test_computed_fields_and_refusals_are_left_to_the_executor(world: World) -> None:
    cases = [
        ("{ customers { edges { node { health { score } } } } }", None),  # not a field
        ("{ tickets(first: 0) { edges { node { id } } } }", None),
        ("{ tickets(first: 101) { edges { node { id } } } }", None),
        ('{ tickets(after: "bm9wZQ==") { edges { node { id } } } }', None),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": "Tm9wZTox"}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": "Q3VzdG9tZXI6OTk5OTk5OQ=="}),
        ("{ customers { edges { node { tickets(first: 0) { edges { cursor } } } } } }", None),
        ("{ customers { edges { node { id @include(if: true) } } } }", None),
        ("{ customers { edges { node { health { value @skip(if: false) } } } } }", None),
        ("{ customers { edges { node { healthHistory { value } } } } }", None),
        ("{ tickets { edges { node { sla { firstResponse { explain { dueAt } } } } } } }", None),
        ("{ tickets { edges { node { supportMode { mode } } } } }", None),
    ]
    for query, variables in cases:
        first, second = await world.both(query, variables)
        assert first == second, query
    assert world.compiled == 0


_CLOCK = "state dueAt targetMinutes elapsedSeconds remainingSeconds breached message paused"
_CLOCK += " calendar __typename"
_SLA = f"sla {{ __typename breached messages firstResponse {{ {_CLOCK} }} "
_SLA += f"resolution {{ {_CLOCK} }} }}"
_HEALTH = "health { __typename value band contributions { __typename factor input points } "
_HEALTH += "explanation explanationAr }"
_AT_RISK = "atRisk { __typename score severity reasons recommendedAction reasonsEn "
_AT_RISK += "recommendedActionEn }"
_COMPUTED = [
    RICH,
    "{ customers(first: 50) { edges { node { id name "
    f"{_HEALTH} {_AT_RISK} tickets(first: 5) {{ edges {{ node {{ id resolutionDueAt {_SLA} }} }} }}"
    " } } } }",
    "{ tickets(first: 100) { edges { node { id status priority resolutionDueAt "
    f"{_SLA} }} }} }} }}",
    "{ c: customers(first: 3) { edges { node { ...S } } } } fragment S on Customer { "
    "h: health { v: value } health { band } r: atRisk { severity } tickets(first: 2) { edges { "
    "node { s: sla { f: firstResponse { state } } sla { resolution { paused } } } } } }",
]


async def test_computed_fields_take_the_compiled_path_with_the_executors_answer(
    world: World,
) -> None:
    """Health, at-risk and both SLA clocks in every state, each as the executor computes it."""
    node = (
        "query($id: ID!) { node(id: $id) { __typename id ... on Customer { "
        f"{_HEALTH} {_AT_RISK} }} ... on Ticket {{ resolutionDueAt {_SLA} }} }} }}"
    )
    cases: list[tuple[str, dict[str, Any]]] = [(query, {}) for query in _COMPUTED]
    cases += [(node, {"id": node_id}) for node_id in world.customers + world.tickets]
    for query, variables in cases:
        first, second = await world.both(query, variables)
        assert first == second, (query, variables)
    assert world.compiled == len(cases)
    assert (await world.org.gql(RICH))["extensions"]["plan"] == "compiled"

    # What the corpus above covered, as the executor answered it.
    tickets_answer = (await world.both(_COMPUTED[2]))[1]["data"]["tickets"]["edges"]
    clocks = [e["node"]["sla"][c] for e in tickets_answer for c in ("firstResponse", "resolution")]
    assert {c["state"] for c in clocks} == {"ON_TRACK", "AT_RISK", "BREACHED", "MET"}
    assert {c["paused"] for c in clocks} == {True, False}
    assert {c["calendar"] for c in clocks} == {"office", "24/7"}
    assert 15 in {c["targetMinutes"] for c in clocks}  # the payment mode's first response
    assert {e["node"]["status"] for e in tickets_answer} >= {
        "OPEN",
        "WAITING_ON_CUSTOMER",
        "CLOSED",
    }
    customers_answer = (await world.both(_COMPUTED[1]))[1]["data"]["customers"]["edges"]
    assert {e["node"]["health"]["band"] for e in customers_answer} == {
        "HEALTHY",
        "WATCH",
        "AT_RISK",
    }
    assert {e["node"]["atRisk"]["severity"] for e in customers_answer} == {"LOW", "MEDIUM", "HIGH"}


async def _fails(ctx: object, inputs: object) -> list[object]:
    raise RuntimeError("a computation failed")


@pytest.mark.parametrize(
    ("field", "computation"),
    [
        ("Ticket.sla", computations.Computation(each=lambda ctx, inputs: 1 / 0)),
        ("Ticket.sla", computations.Computation(each=lambda ctx, inputs: None)),  # non-null
        ("Customer.health", computations.Computation(batch=_fails)),
    ],
)
async def test_a_computed_field_that_fails_leaves_the_request_to_the_executor(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    field: str,
    computation: computations.Computation,
) -> None:
    monkeypatch.setitem(computations.COMPUTATIONS, field, computation)
    body = await world.org.gql(RICH)
    assert body["extensions"]["plan"] == "executor"
    monkeypatch.undo()
    assert _answer(body) == (await world.both(RICH))[1]


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
# Computed: health, at-risk, the SLA clocks, each with a generated selection of its sub-fields.
_HEALTH_FIELDS = ["value", "band", "explanation", "explanationAr", "__typename"]
_HEALTH_FIELDS += ["contributions { factor input points __typename }"]
_AT_RISK_FIELDS = ["score", "severity", "reasons", "recommendedAction", "reasonsEn"]
_AT_RISK_FIELDS += ["recommendedActionEn", "__typename"]
_CLOCK_FIELDS = ["state", "dueAt", "targetMinutes", "elapsedSeconds", "remainingSeconds"]
_CLOCK_FIELDS += ["breached", "message", "paused", "calendar", "__typename"]
_SLA_FIELDS = ["breached", "messages", "__typename"]


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


def _object(draw: st.DrawFn, field: str, fields: list[str]) -> str:
    return f"{field} {{ {_aliased(draw, fields)} }}"


@st.composite
def _query(draw: st.DrawFn) -> str:
    clocks = [_object(draw, name, _CLOCK_FIELDS) for name in ("firstResponse", "resolution")]
    ticket = _aliased(draw, [*_TICKET, _object(draw, "sla", _SLA_FIELDS + clocks)])
    customer = _aliased(
        draw,
        [
            *_CUSTOMER,
            _object(draw, "health", _HEALTH_FIELDS),
            _object(draw, "atRisk", _AT_RISK_FIELDS),
        ],
    )
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
    max_examples=60,
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
    for query in (DASHBOARD, RICH):
        for enabled in (True, False):
            compiled.ENABLED = enabled
            try:
                before = engine.READ_QUERIES.count
                await world.org.gql(query, compare=False)
                counts.append(engine.READ_QUERIES.count - before)
            finally:
                compiled.ENABLED = True
    # compiled: the token's check and the answer; the executor reads the page and the whole
    # page's tickets in two (tests/api/test_request_statements.py names them). Health and
    # at-risk add the scores' inputs on both paths.
    assert counts == [2, 3, 3, 4]
