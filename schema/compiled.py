"""The compiled read path: planner and router (docs/architecture.md#compiled-read-path).

The planner (`plan`, pure) turns a validated query into a plan tree from the declarations each
type makes next to its strawberry type (schema/types/compiling.py); the store builds one SQL
statement from it (resolvers/store/compiled.py). The router (`CompiledReads`, the last schema
extension: auth, depth, cost and rate limits have run) caches plans by document and operation,
and answers a compilable query with the statement's JSON text. A computed field (health,
at-risk, SLA clocks) comes back as its stored inputs: the router computes it with the resolvers'
own computations (resolvers/compiled.py) and writes its selected sub-fields as graphql-core
would, in place of the inputs in the statement's text. Anything it cannot answer exactly as the
executor would — a field not declared, a directive, an argument out of range, a bad cursor or
id, a `node` that finds nothing, a failure — is left to the executor, so answers and errors are
the executor's own. In development `extensions.plan` says which path answered.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NamedTypeNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    is_abstract_type,
    is_leaf_type,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension

from domain.errors import DomainError
from domain.roles import Action
from resolvers import compiled as computations
from resolvers.store import compiled as store
from schema import completion as complete
from schema.context import Context
from schema.types import compiling as c
from schema.types import relay

log = logging.getLogger("wafi")

MAX_PLANS = 512
ENABLED = True  # False: every query runs on the executor (the differential tests compare)
EXECUTOR, COMPILED = "executor", "compiled"


class _NotCompilableError(Exception):
    pass


_STRAWBERRY = "strawberry-definition"  # a GraphQL field's strawberry field (its python name)


class _Planner:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.connections: list[c.Conn] = []
        self.lookups: list[c.NodeLookup] = []
        self.computes: list[c.Compute] = []

    def _applies(self, condition: NamedTypeNode | None, runtime: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        named = self.schema.get_type(condition.name.value)
        if named is runtime:
            return True
        return is_abstract_type(named) and self.schema.is_sub_type(named, runtime)

    def _collect(
        self, nodes: list[FieldNode] | SelectionSetNode, runtime: GraphQLObjectType
    ) -> dict[str, list[FieldNode]]:
        """The fields by response key, merged as the executor merges them (CollectFields)."""
        sets = (
            [nodes]
            if isinstance(nodes, SelectionSetNode)
            else [n.selection_set for n in nodes if n.selection_set is not None]
        )
        found: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def walk(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if selection.directives:  # @skip/@include: left to the executor
                    raise _NotCompilableError
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    found.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self._applies(selection.type_condition, runtime):
                        walk(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments[name]
                    if name not in visited and self._applies(fragment.type_condition, runtime):
                        visited.add(name)
                        walk(fragment.selection_set)

        for selection_set in sets:
            walk(selection_set)
        if len(found) > store.MAX_PAIRS:
            raise _NotCompilableError
        return found

    @staticmethod
    def _args(node: FieldNode, allowed: set[str]) -> dict[str, c.Arg]:
        args: dict[str, c.Arg] = {}
        for argument in node.arguments or ():
            name, value = argument.name.value, argument.value
            if name not in allowed:
                raise _NotCompilableError
            if isinstance(value, VariableNode):
                args[name] = c.Arg(variable=value.name.value)
            elif isinstance(value, IntValueNode):
                args[name] = c.Arg(int(value.value))
            elif isinstance(value, StringValueNode):
                args[name] = c.Arg(value.value)
            elif isinstance(value, NullValueNode):
                args[name] = c.Arg()
            else:
                raise _NotCompilableError
        return args

    def _object_type(self, name: str) -> GraphQLObjectType:
        named = self.schema.get_type(name)
        assert isinstance(named, GraphQLObjectType)
        return named

    def root(self, selection_set: SelectionSetNode) -> c.Plan | None:
        query = self.schema.query_type
        assert query is not None
        fields: list[tuple[str, c.Conn | c.NodeLookup | c.Typename]] = []
        for key, nodes in self._collect(selection_set, query).items():
            name = nodes[0].name.value
            if name == "__typename":
                fields.append((key, c.Typename(query.name)))
            elif name in c.ROOTS:
                fields.append((key, self._conn(nodes, c.ROOTS[name], query.fields[name].type)))
            elif name == "node":
                fields.append((key, self._node(nodes)))
            else:
                raise _NotCompilableError
        if all(isinstance(value, c.Typename) for _, value in fields):
            return None
        return c.Plan(
            tuple(fields), tuple(self.connections), tuple(self.lookups), tuple(self.computes)
        )

    def _conn(self, nodes: list[FieldNode], source: c.Source, type_: Any) -> c.Conn:
        args = self._args(nodes[0], {"first", "after"})
        conn_type = get_named_type(type_)
        assert isinstance(conn_type, GraphQLObjectType)
        edge_type = get_named_type(conn_type.fields["edges"].type)
        page_type = get_named_type(conn_type.fields["pageInfo"].type)
        assert isinstance(edge_type, GraphQLObjectType)
        assert isinstance(page_type, GraphQLObjectType)
        index = len(self.connections)
        name = f"c{index}"
        self.connections.append(c.Conn(name, source, c.Arg(), c.Arg(), ()))  # holds its place
        fields: list[tuple[str, c.Edges | c.PageInfo | c.Typename | c.TotalCount]] = []
        for key, sub in self._collect(nodes, conn_type).items():
            field = sub[0].name.value
            if field == "__typename":
                fields.append((key, c.Typename(conn_type.name)))
            elif field == "edges":
                fields.append((key, c.Edges(self._edge(sub, edge_type, source))))
            elif field == "pageInfo":
                fields.append((key, c.PageInfo(self._page_info(sub, page_type))))
            elif field == "totalCount":
                fields.append((key, c.TotalCount()))
            else:
                raise _NotCompilableError
        conn = c.Conn(
            name, source, args.get("first", c.Arg()), args.get("after", c.Arg()), tuple(fields)
        )
        self.connections[index] = conn
        return conn

    def _edge(
        self, nodes: list[FieldNode], edge_type: GraphQLObjectType, source: c.Source
    ) -> tuple[tuple[str, c.EdgeValue], ...]:
        fields: list[tuple[str, c.EdgeValue]] = []
        for key, sub in self._collect(nodes, edge_type).items():
            field = sub[0].name.value
            if field == "__typename":
                fields.append((key, c.Typename(edge_type.name)))
            elif field == "cursor":
                fields.append((key, c.EdgePart.CURSOR))
            else:
                fields.append((key, self._obj(sub, source.type_name)))
        return tuple(fields)

    def _page_info(
        self, nodes: list[FieldNode], page_type: GraphQLObjectType
    ) -> tuple[tuple[str, c.PagePart | c.Typename], ...]:
        fields: list[tuple[str, c.PagePart | c.Typename]] = []
        for key, sub in self._collect(nodes, page_type).items():
            field = sub[0].name.value
            if field == "__typename":
                fields.append((key, c.Typename(page_type.name)))
            else:
                fields.append((key, c.PagePart(field)))
        return tuple(fields)

    def _obj(self, nodes: list[FieldNode], type_name: str) -> c.Obj:
        declared = c.TYPES.get(type_name)
        if declared is None:
            raise _NotCompilableError
        object_type = self._object_type(type_name)
        fields: list[tuple[str, c.Value]] = []
        for key, sub in self._collect(nodes, object_type).items():
            field = sub[0].name.value
            entry = declared.get(field)
            if field == "__typename":
                fields.append((key, c.Typename(type_name)))
            elif entry is None:
                raise _NotCompilableError
            elif isinstance(entry, c.Embedded):
                fields.append((key, self._obj(sub, entry.type_name)))
            elif isinstance(entry, c.Source):
                fields.append((key, self._conn(sub, entry, object_type.fields[field].type)))
            elif isinstance(entry, c.Computed):
                if entry.name not in computations.COMPUTATIONS:
                    raise _NotCompilableError
                write = self._writer(sub, object_type.fields[field].type)
                self.computes.append(c.Compute(len(self.computes), entry, write))
                fields.append((key, self.computes[-1]))
            else:
                fields.append((key, entry))
        return c.Obj(tuple(fields))

    def _writer(self, nodes: list[FieldNode], type_: GraphQLOutputType) -> complete.Writer:
        """How graphql-core completes a resolver's value of `type_` for this selection: leaves
        serialised by their own type, objects field by field from their attributes (fields
        with no resolver of their own only), null refused where the type forbids it."""
        if isinstance(type_, GraphQLNonNull):
            return complete.non_null(self._writer(nodes, type_.of_type))
        if isinstance(type_, GraphQLList):
            return complete.list_of(self._writer(nodes, type_.of_type))
        if is_leaf_type(type_):
            return complete.leaf(type_)
        if not isinstance(type_, GraphQLObjectType):
            raise _NotCompilableError  # an interface or union: left to the executor
        parts: list[tuple[str, str | None, complete.Writer]] = []
        for key, sub in self._collect(nodes, type_).items():
            name = sub[0].name.value
            if name == "__typename":
                parts.append((key, None, complete.typename(type_.name)))
                continue
            field = type_.fields[name]
            definition = field.extensions.get(_STRAWBERRY)
            if definition is None or field.args or not definition.is_basic_field:
                raise _NotCompilableError  # a resolver of its own: the executor runs it
            parts.append((key, definition.python_name, self._writer(sub, field.type)))
        return complete.object_of(tuple(parts))

    def _node(self, nodes: list[FieldNode]) -> c.NodeLookup:
        args = self._args(nodes[0], {"id"})
        branches: list[tuple[str, c.Obj | None]] = []
        for type_name in c.TABLES:
            mark, computes = len(self.connections), len(self.computes)
            try:
                branches.append((type_name, self._obj(nodes, type_name)))
            except _NotCompilableError:
                del self.connections[mark:]  # this type is left to the executor
                del self.computes[computes:]
                branches.append((type_name, None))
        lookup = c.NodeLookup(f"n{len(self.lookups)}", args.get("id", c.Arg()), tuple(branches))
        self.lookups.append(lookup)
        return lookup


def plan(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> c.Plan | None:
    """The plan of a validated query, or None when any part of it is not compilable."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    try:
        return _Planner(schema, document).root(operation.selection_set)
    except _NotCompilableError:
        return None


@dataclass(frozen=True, slots=True)
class Prepared:
    plan: c.Plan
    statement: store.Statement
    operation: OperationDefinitionNode


_PLANS: dict[tuple[str, str | None], Prepared | None] = {}


def prepared(
    schema: GraphQLSchema, document: DocumentNode, query: str, operation_name: str | None
) -> Prepared | None:
    """The cached plan and statement of (document, operation); None: the executor answers."""
    key = (query, operation_name)
    if key in _PLANS:
        return _PLANS[key]
    found = plan(schema, document, operation_name)
    operation = get_operation_ast(document, operation_name)
    result = (
        None
        if found is None or operation is None
        else Prepared(found, store.build(found), operation)
    )
    if len(_PLANS) >= MAX_PLANS:
        _PLANS.clear()
    _PLANS[key] = result
    return result


def bind(
    schema: GraphQLSchema, ready: Prepared, variables: dict[str, Any] | None, org_id: int
) -> dict[str, object] | None:
    """This request's parameters, checked as the resolvers check them; None when any would be
    refused (the executor answers with its own error)."""
    values = get_variable_values(
        schema, ready.operation.variable_definitions or (), variables or {}
    )
    if isinstance(values, list):
        return None
    coerced = values.coerced

    def value(arg: c.Arg) -> Any:
        return coerced.get(arg.variable) if arg.variable is not None else arg.value

    bound: dict[str, object] = {"org": org_id}
    try:
        for conn in ready.plan.connections:
            first, after = value(conn.first), value(conn.after)
            if conn.source.nested_pages:
                page = relay.page_args(first, after)
                bound[f"{conn.name}.first"], bound[f"{conn.name}.after"] = page.first, page.after
            else:
                window = relay.window(first=first, last=None, after=after, before=None)
                bound[f"{conn.name}.first"] = window.size
                bound[f"{conn.name}.after"] = None if window.after is None else window.after.id
        for lookup in ready.plan.lookups:
            type_name, pk = relay.from_global_id(value(lookup.id))
            if dict(lookup.branches).get(type_name) is None:
                return None
            bound[f"{lookup.name}.type"], bound[f"{lookup.name}.pk"] = type_name, pk
    except (DomainError, TypeError, AttributeError):  # refused, or an id written as a number
        return None
    return bound


class RawJson:
    """An answer's `data` as PostgreSQL wrote it: sent as is (`encode`)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def encode(response: object, dumps: Callable[[object], str]) -> str:
    """The response's JSON text, splicing compiled `data` in without decoding it."""
    data = response.get("data") if isinstance(response, dict) else None
    if not isinstance(response, dict) or not isinstance(data, RawJson):
        return dumps(response)
    rest = dumps({k: v for k, v in response.items() if k != "data"})
    return '{"data":' + data.text + ("," + rest[1:] if rest != "{}" else "}")


class CompiledReads(SchemaExtension):
    """The router: answers compilable queries with one SQL statement (see the module's text)."""

    def __init__(self) -> None:
        self.path: str | None = None  # None: refused before running (limits, validation)

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        request = context.context
        self.path = EXECUTOR
        if (
            ENABLED
            and isinstance(request, Context)
            and not request.websocket
            and request.principal is not None
            and context.graphql_document is not None
            and context.query is not None
        ):
            data = await self._answer(request, context.graphql_document, context.query)
            if data is not None:
                context.result = GraphQLExecutionResult(data=data)  # type: ignore[arg-type]
                self.path = COMPILED
        yield

    async def _answer(self, request: Context, document: DocumentNode, query: str) -> RawJson | None:
        schema = self.execution_context.schema._schema
        try:
            ready = prepared(schema, document, query, self.execution_context.operation_name)
            if ready is None:
                return None
            principal = request.authorize(Action.READ, field="query")
            bound = bind(schema, ready, self.execution_context.variables, principal.org_id)
            if bound is None:
                return None
            async with request.db() as conn:
                text = await store.answer(conn, ready.statement, bound)
            if text is None:
                return None
            if ready.plan.computes:
                text = await complete.finish(request, ready.plan, text)  # after the block: loaders
            return RawJson(text)
        except DomainError:  # not allowed to read: the executor refuses
            return None
        except Exception:  # the executor answers, with its own error if the database is down
            log.warning("compiled read failed; the executor answers", exc_info=True)
            request.loaders.clear()  # nothing a failed batch left behind is reused
            return None

    def get_results(self) -> dict[str, Any]:
        request = self.execution_context.context
        if (
            self.path is not None
            and isinstance(request, Context)
            and not request.websocket  # subscription events carry data only
            and request.resources.settings.dev
        ):
            return {"plan": self.path}
        return {}
