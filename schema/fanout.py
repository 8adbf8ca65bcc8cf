"""Live events rendered once per render group (docs/architecture.md#alerts, step 5).

A live alert reaches every subscriber of its organisation on this process as the same object
(resolvers/subscriptions.py converts each hub event once). graphql-core would execute every
subscriber's selection on it, and the WebSocket handler would encode every answer: at 1,000
subscribers that is 1,000 executions and 1,000 encodings of the same JSON per alert.

Subscriptions are grouped instead (a render group): the same selection (a digest of the
operation's printed text and its fragments, less the root fields' arguments, which choose the
events and play no part in rendering one), the same values of the variables that selection
uses, the same operation name, organisation, role and language. The first subscriber of a
group to reach an event executes it; the others of the group take that result, and its JSON
text is encoded once, with only the operation id differing. Everything per subscriber stays
per subscriber: which events it gets (its organisation's channel, its `kinds`, `customerId`,
`incidentId`), replay, resume and dropping repeats (resolvers/subscriptions.py), error masking
and localisation (a result with errors is shared as graphql-core returned it, masked for each
subscriber as before, and never takes the encoded path), the cost charged when it starts
(schema/limits.py).

Only events handed out as the same object share: a replayed alert is read for its subscriber
alone and executed for it alone.

Past the first member, an event a group has rendered (without errors) does not even go through
graphql-core and strawberry's per-event machinery again: the subscription (its own task, after
its own filters and repeat check) sends the group's text with its operation id through the
WebSocket handler (`deliver`). The message is the one the executor path would send, byte for
byte: a subscription event carries no extensions.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final
from weakref import WeakValueDictionary

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    print_ast,
    visit,
)
from graphql.language import ExecutableDefinitionNode
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema import language
from schema.context import Context

KEPT_EVENTS: Final = 64  # results a group keeps for its slower members, newest last
LIVE_EVENTS: Final = 256  # live events this process knows as shared, newest last


def dumps(data: object) -> str:
    """JSON text as the API sends it: UTF-8 (Arabic as itself, not `\\u0634` escapes), compact."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class SharedData(dict[str, Any]):
    """An event's `data`, the same object for every member of its group; its JSON text is
    encoded by the first member to send it."""

    __slots__ = ("_text",)

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = dumps(self)
        return self._text


class Encoded(dict[str, Any]):
    """A graphql-transport-ws message already encoded; `WafiGraphQL.encode_json` sends `text`.
    (A dict for strawberry's types; it holds the message's id and type too.)"""

    __slots__ = ("text",)

    def __init__(self, text: str, **fields: Any) -> None:
        super().__init__(fields)
        self.text = text


def next_message(op_id: str, data: SharedData) -> Encoded:
    """`{"id":…,"type":"next","payload":{"data":…}}`, byte for byte what `dumps` would write,
    built from the group's text."""
    text = '{"id":' + dumps(op_id) + ',"type":"next","payload":{"data":' + data.text + "}}"
    return Encoded(text, id=op_id, type="next")


class Counters:
    """What the process has done with live events (the tests read it)."""

    executions = 0  # selections executed for a live event (once per group and event)
    shared = 0  # times a group member took another's result


class Group:
    """The subscriptions that render alike, and their latest results by event."""

    __slots__ = ("__weakref__", "executions", "key", "results")

    def __init__(self, key: tuple[object, ...]) -> None:
        self.key = key
        self.executions = 0
        # id(event) -> (event, result): the event is held so its id is not reused meanwhile.
        self.results: OrderedDict[int, tuple[object, ExecutionResult]] = OrderedDict()

    def result(self, event: object) -> ExecutionResult | None:
        kept = self.results.get(id(event))
        if kept is None or kept[0] is not event:
            return None
        Counters.shared += 1
        return kept[1]

    def data(self, event: object) -> SharedData | None:
        """The event's data as rendered for the group, when it was, without errors."""
        kept = self.results.get(id(event))
        if kept is None or kept[0] is not event:
            return None
        result = kept[1]
        if result.errors or result.extensions or not isinstance(result.data, SharedData):
            return None
        return result.data

    def keep(self, event: object, result: ExecutionResult) -> ExecutionResult:
        self.executions += 1
        Counters.executions += 1
        data = result.data
        shared = ExecutionResult(
            data=None if data is None else SharedData(data),
            errors=result.errors,
            extensions=result.extensions,
        )
        self.results[id(event)] = (event, shared)
        if len(self.results) > KEPT_EVENTS:
            self.results.popitem(last=False)
        return shared


_LIVE: OrderedDict[int, object] = OrderedDict()  # id(event) -> event


def share(event: object) -> None:
    """`event` is handed, as this very object, to every subscriber it concerns: its renders
    may be shared. (Anything not marked, such as a replayed alert, is executed per subscriber.)"""
    _LIVE[id(event)] = event
    if len(_LIVE) > LIVE_EVENTS:
        _LIVE.popitem(last=False)


def _shared(event: object) -> bool:
    return _LIVE.get(id(event)) is event


@dataclass(frozen=True, slots=True)
class _Selection:
    """What an operation renders an event with: a digest of its text, and the variables that
    text uses."""

    digest: str
    variables: tuple[str, ...]


_GROUPS: WeakValueDictionary[tuple[object, ...], Group] = WeakValueDictionary()
_SELECTIONS: OrderedDict[int, tuple[object, _Selection]] = OrderedDict()  # by id(operation)


def groups() -> list[Group]:
    """The live render groups of this process."""
    return list(_GROUPS.values())


def _selection(executor: StrawberryGraphQLCoreExecutionContext) -> _Selection:
    """The operation and every fragment it can use, printed without the root fields'
    arguments (they choose which events come, not how one is rendered: `kinds`, `after`,
    `customerId`, `incidentId`) and without its variable definitions, and the variables used
    in what is left (the key holds their values, defaults applied). Subscribers that differ
    only in those arguments render alike."""
    operation = executor.operation
    kept = _SELECTIONS.get(id(operation))
    if kept is not None and kept[0] is operation:
        return kept[1]
    roots = tuple(
        FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=(),
            directives=node.directives,
            selection_set=node.selection_set,
        )
        if isinstance(node, FieldNode)
        else node
        for node in operation.selection_set.selections
    )
    rendering = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=(),  # what they hold is in the key, as the values used
        directives=operation.directives,
        selection_set=SelectionSetNode(selections=roots),
    )
    definitions: list[ExecutableDefinitionNode] = [rendering]
    definitions += [executor.fragment_definitions[n] for n in sorted(executor.fragment_definitions)]
    document = DocumentNode(definitions=tuple(definitions))
    used: set[str] = set()

    class Variables(Visitor):
        def enter_variable(self, node: VariableNode, *_: object) -> None:
            used.add(node.name.value)

    visit(document, Variables())
    selection = _Selection(
        digest=hashlib.sha256(print_ast(document).encode()).hexdigest(),
        variables=tuple(sorted(used)),
    )
    _SELECTIONS[id(operation)] = (operation, selection)
    if len(_SELECTIONS) > 512:
        _SELECTIONS.popitem(last=False)
    return selection


def _group_of(executor: StrawberryGraphQLCoreExecutionContext) -> Group | None:
    """The executor's render group; None when its subscriber is not known (no sharing)."""
    context = executor.context_value
    principal = context.principal if isinstance(context, Context) else None
    if principal is None:
        return None
    selection = _selection(executor)
    coerced = executor.variable_values.coerced
    variables = json.dumps(
        {name: coerced.get(name) for name in selection.variables},
        sort_keys=True,
        default=repr,
        ensure_ascii=False,
    )
    operation_name = executor.operation.name.value if executor.operation.name else None
    key = (
        selection.digest,
        operation_name,
        variables,
        principal.org_id,
        principal.role.value,
        language.current().value,
    )
    group = _GROUPS.get(key)
    if group is None:
        group = _GROUPS[key] = Group(key)
    return group


class Member:
    """A running subscription on a WebSocket: how to send it a message, and its render group
    (known from its first event on)."""

    __slots__ = ("group", "op_id", "send")

    def __init__(self, op_id: str, send: Callable[[Encoded], Awaitable[None]]) -> None:
        self.op_id = op_id
        self.send = send
        self.group: Group | None = None


_MEMBER: ContextVar[Member | None] = ContextVar("wafi_fanout_member", default=None)


def joining(member: Member) -> None:
    """The current task runs `member`'s subscription (the WebSocket handler says so)."""
    _MEMBER.set(member)


async def deliver(event: object) -> bool:
    """Send `event` to the current subscription as its group rendered it; False when it must
    go the executor's way (not a live event, not rendered yet, rendered with errors, not a
    WebSocket subscription)."""
    member = _MEMBER.get()
    if member is None or member.group is None or not _shared(event):
        return False
    data = member.group.data(event)
    if data is None:
        return False
    Counters.shared += 1
    await member.send(next_message(member.op_id, data))
    return True


class _Taken:
    """A per-event executor whose result another member of the group computed."""

    __slots__ = ("_result",)

    def __init__(self, result: ExecutionResult) -> None:
        self._result = result

    def execute_operation(self, serially: bool | None = None) -> ExecutionResult:
        return self._result


class _Kept:
    """A per-event executor that executes, and keeps the result for the group."""

    __slots__ = ("_event", "_executor", "_group")

    def __init__(self, executor: Any, group: Group, event: object) -> None:
        self._executor = executor
        self._group = group
        self._event = event

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = self._executor.execute_operation(serially)
        if isinstance(result, ExecutionResult):
            return self._group.keep(self._event, result)
        return self._later(result)  # an async field: kept once it is done

    async def _later(self, result: Awaitable[ExecutionResult]) -> ExecutionResult:
        return self._group.keep(self._event, await result)


class SharedEvents(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor; a subscription's events are executed once per render group."""

    _fanout_group: Group | None
    _fanout_ready = False

    def build_per_event_executor(self, payload: Any) -> Any:
        if not self._fanout_ready:
            # The first event comes after the subscriber is authorised (its role is known).
            self._fanout_group = _group_of(self)
            self._fanout_ready = True
            member = _MEMBER.get()
            if member is not None:
                member.group = self._fanout_group
        group = self._fanout_group
        if group is None or not _shared(payload):
            return super().build_per_event_executor(payload)
        result = group.result(payload)
        if result is not None:
            return _Taken(result)
        return _Kept(super().build_per_event_executor(payload), group, payload)
