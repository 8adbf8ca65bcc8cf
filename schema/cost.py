"""A query's static cost, computed before it runs (README: Limits).

Roughly the objects a response can hold, weighted by the work behind each:
- a field of a scalar or enum type costs 0; of an object, interface or union type, the type's
  weight (1 unless declared; connections weigh 1 for their page, edges and page info 0) plus
  what is selected inside it;
- a connection's edges count `first` times (its default page size when absent), so the subtree
  under `edges` is multiplied by the page size;
- types and fields that compute more than they read declare a weight beside their definition
  (`weigh`, `weigh_field` in schema/types/…); each mutation and subscription field adds
  ROOT_FIELD_WEIGHT.
Fragments are costed once per page size, so the work is linear in the document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    value_from_ast_untyped,
)
from graphql.utilities import get_operation_ast

from schema.types.relay import DEFAULT_FIRST, MAX_FIRST

MAX_COST = 20_000
ROOT_FIELD_WEIGHT = 10

FieldWeight = Callable[[Mapping[str, Any]], int]

_TYPE_WEIGHTS: dict[str, int] = {"PageInfo": 0}
_FIELD_WEIGHTS: dict[tuple[str, str], FieldWeight] = {}


def weigh(type_name: str, weight: int) -> None:
    """Each object of GraphQL type `type_name` costs `weight` (instead of 1)."""
    _TYPE_WEIGHTS[type_name] = weight


def weigh_field(type_name: str, field_name: str, weight: FieldWeight) -> None:
    """Field `type_name.field_name` (GraphQL names) costs `weight(arguments)` on top of its type."""
    _FIELD_WEIGHTS[(type_name, field_name)] = weight


def type_weight(named: GraphQLNamedType) -> int:
    if is_leaf_type(named):
        return 0
    if named.name in _TYPE_WEIGHTS:
        return _TYPE_WEIGHTS[named.name]
    return 0 if named.name.endswith("Edge") else 1


def page_size(first: object) -> int:
    """The page a connection's `first` asks for; out-of-range values are refused later by the
    resolver, so they are costed at the nearest allowed size."""
    if not isinstance(first, int) or isinstance(first, bool):
        return DEFAULT_FIRST
    return max(1, min(first, MAX_FIRST))


class Coster:
    """Costs the selection sets of one operation with its variables; fragments memoised."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = dict(variables)
        self._roots = {t for t in (schema.mutation_type, schema.subscription_type) if t}
        self._memo: dict[tuple[str, int | None], int] = {}
        self._open: set[str] = set()

    def selection_set(
        self, node: SelectionSetNode | None, parent: GraphQLNamedType, page: int | None
    ) -> int:
        total = 0
        for selection in node.selections if node is not None else ():
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, page)
            else:
                assert isinstance(selection, InlineFragmentNode)
                condition = selection.type_condition
                inner = self._schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, inner or parent, page)
        return total

    def fragment(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key in self._memo:
            return self._memo[key]
        definition = self._fragments.get(name)
        if definition is None or name in self._open:  # refused by validation already
            return 0
        condition = self._schema.get_type(definition.type_condition.name.value)
        if condition is None:
            return 0
        self._open.add(name)
        self._memo[key] = self.selection_set(definition.selection_set, condition, page)
        self._open.discard(name)
        return self._memo[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0  # a union selects only __typename directly
        definition = parent.fields.get(node.name.value)
        if definition is None:  # __typename and introspection cost nothing
            return 0
        arguments = self._arguments(node, definition)
        own = _FIELD_WEIGHTS.get((parent.name, node.name.value), _nothing)(arguments)
        if parent in self._roots:
            own += ROOT_FIELD_WEIGHT
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return own
        items = (page or 1) if is_list_type(get_nullable_type(definition.type)) else 1
        connection = named.name.endswith("Connection") and "first" in definition.args
        inner_page = page_size(arguments.get("first")) if connection else None
        inner = self.selection_set(node.selection_set, named, inner_page)
        return own + items * (type_weight(named) + inner)

    def _arguments(self, node: FieldNode, definition: GraphQLField) -> dict[str, Any]:
        values = {name: arg.default_value for name, arg in definition.args.items()}
        for argument in node.arguments or ():
            values[argument.name.value] = value_from_ast_untyped(argument.value, self._variables)
        return values


def _nothing(arguments: Mapping[str, Any]) -> int:
    return 0


def of_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The static cost of the operation `operation_name` (or the only one) of a valid document."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    given = dict(variables or {})
    defaults = {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    coster = Coster(schema, fragments, {**defaults, **given})
    return coster.selection_set(operation.selection_set, root, None)
