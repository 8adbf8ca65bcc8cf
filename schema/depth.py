"""Query depth and size, in one pass over the document: each fragment is measured once.

strawberry's QueryDepthLimiter walks a fragment again at every spread, so a document of n
fragments each spreading the next twice costs 2^n steps (21 fragments: seconds of event loop).
Here a fragment's height and expanded size are memoised, so the work is linear in the document:
each selection node is visited once. Fragment cycles are refused by graphql-core's
NoFragmentCycles; a cycle met here counts as empty so the walk still ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)
from strawberry.extensions import AddValidationRules

from domain import messages
from domain.messages import Language, Msg

MAX_DEPTH = 10
# Field selections once every fragment spread is expanded in place: far above any real client's
# (GraphiQL's introspection query expands to a few hundred) and far below what stalls a server.
MAX_SELECTIONS = 10_000


@dataclass(frozen=True, slots=True)
class Size:
    """How deep an operation nests (fields with a selection set; introspection not counted,
    as strawberry's limiter did) and how many field selections it expands to."""

    depth: int
    selections: int


@dataclass
class Measure:
    """Measures selection sets of one document, memoising fragments; `visits` counts the
    selection nodes looked at (the work done)."""

    fragments: dict[str, FragmentDefinitionNode]
    visits: int = 0
    _memo: dict[str, Size] = field(default_factory=dict)
    _open: set[str] = field(default_factory=set)

    def selection_set(self, node: SelectionSetNode | None) -> Size:
        depth = selections = 0
        for selection in node.selections if node is not None else ():
            self.visits += 1
            if isinstance(selection, FieldNode):
                inner = self.selection_set(selection.selection_set)
                selections += 1 + inner.selections
                if selection.selection_set is not None and not selection.name.value.startswith(
                    "__"
                ):
                    depth = max(depth, 1 + inner.depth)
                continue
            if isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
            else:
                assert isinstance(selection, InlineFragmentNode)
                inner = self.selection_set(selection.selection_set)
            depth = max(depth, inner.depth)
            selections += inner.selections
        return Size(depth, min(selections, MAX_SELECTIONS + 1))

    def fragment(self, name: str) -> Size:
        if name in self._memo:
            return self._memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self._open:  # unknown or a cycle: reported elsewhere
            return Size(0, 0)
        self._open.add(name)
        size = self.selection_set(definition.selection_set)
        self._open.discard(name)
        self._memo[name] = size
        return size


def measure(document: DocumentNode) -> tuple[Measure, dict[str, Size]]:
    """Every operation's size in the document, by operation name ("anonymous" if unnamed)."""
    definitions = document.definitions
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    walker = Measure(fragments)
    sizes = {
        (d.name.value if d.name else "anonymous"): walker.selection_set(d.selection_set)
        for d in definitions
        if isinstance(d, OperationDefinitionNode)
    }
    return walker, sizes


class DepthRule(ASTValidationRule):
    """Refuses an operation deeper than MAX_DEPTH or expanding to more than MAX_SELECTIONS."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        _, sizes = measure(context.document)
        for name, size in sizes.items():
            if size.depth > MAX_DEPTH:
                self.report_error(
                    GraphQLError(
                        # English, as cached with the document; schema/language.py localises.
                        messages.render(
                            Msg.DEPTH_LIMIT, {"operation": name, "limit": MAX_DEPTH}, Language.EN
                        ),
                        extensions={"code": "QUERY_TOO_DEEP", "field": "query"},
                    )
                )
            if size.selections > MAX_SELECTIONS:
                self.report_error(
                    GraphQLError(
                        messages.render(
                            Msg.QUERY_TOO_LARGE,
                            {"operation": name, "limit": MAX_SELECTIONS},
                            Language.EN,
                        ),
                        extensions={"code": "QUERY_TOO_LARGE", "field": "query"},
                    )
                )


class DepthLimit(AddValidationRules):
    """Depth and size limits, with one rule class shared by every request (a class made per
    request would defeat ValidationCache, whose key includes the rules)."""

    def __init__(self) -> None:
        super().__init__([DepthRule])
