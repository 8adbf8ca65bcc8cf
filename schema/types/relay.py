"""Relay plumbing: global ids, opaque cursors, connections and page arguments."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLResolveInfo,
    InlineFragmentNode,
    SelectionSetNode,
)

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

MAX_FIRST = 100
MAX_PK = 2**63 - 1  # ids are bigint: anything larger cannot name a row
DEFAULT_FIRST = 20
FIRST = "Page size, 1..100 (default 20); not with `last`."
AFTER = "A cursor: only edges after it (use a page's `endCursor` with `first`)."
# The forward-only page arguments of nested lists (Customer.tickets, Incident.timeline, …).
PageFirst = Annotated[
    int | None, strawberry.argument(description="Page size, 1..100 (default 20).")
]
PageAfter = Annotated[
    str | None,
    strawberry.argument(
        description="The `cursor` of the last item you have; the page starts after it."
    ),
]
LAST = "The last n edges (1..100), counted back from the end or from `before`; not with `first`."
BEFORE = "A cursor: only edges before it (use a page's `startCursor` with `last`)."

T = TypeVar("T")
R = TypeVar("R")


@strawberry.interface(description="Anything with a global id that `node(id)` can fetch.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id.")


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode())


def from_global_id(value: str, *, field: str = "id", expect: str | None = None) -> tuple[str, int]:
    """Decode a global id; a malformed one, or one of another type, is NOT_FOUND for `field`.

    Only the exact text `to_global_id` makes is an id: `int()` and base64 decoding are lenient
    (spaces, `_`, full-width and Arabic-Indic digits, padding, stray characters), so whatever
    does not re-encode to `value` names nothing.
    """
    try:
        type_name, _, raw = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
        pk = int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise DomainError(field, ErrorCode.NOT_FOUND, Msg.NO_SUCH_ID) from None
    if not 1 <= pk <= MAX_PK or to_global_id(type_name, pk) != value:
        raise DomainError(field, ErrorCode.NOT_FOUND, Msg.NO_SUCH_ID)
    if expect is not None and type_name != expect:
        raise DomainError(field, ErrorCode.NOT_FOUND, Msg.NOT_AN_ID_OF, expect=expect)
    return type_name, pk


def pk_of(value: str, expect: str, *, field: str = "id") -> int:
    return from_global_id(value, field=field, expect=expect)[1]


@dataclass(frozen=True, slots=True)
class PageArgs:
    first: int
    after: int | None


def page_args(first: int | None, after: str | None) -> PageArgs:
    """Validate `first` (1..100) and decode the `after` cursor."""
    size = DEFAULT_FIRST if first is None else first
    if not 1 <= size <= MAX_FIRST:
        raise DomainError("first", ErrorCode.OUT_OF_RANGE, Msg.FIRST_RANGE, limit=MAX_FIRST)
    if after is None:
        return PageArgs(size, None)
    try:
        position = int(base64.urlsafe_b64decode(after.encode()).decode().split(":")[1])
    except (binascii.Error, UnicodeDecodeError, ValueError, IndexError):
        position = -1
    if not 0 <= position <= MAX_PK or cursor(position) != after:
        raise DomainError("after", ErrorCode.INVALID, Msg.NOT_A_CURSOR)
    return PageArgs(size, position)


def cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"c:{pk}".encode()).decode()


class Direction(StrEnum):
    """Which way an ordered list runs."""

    ASC = "ASC"
    DESC = "DESC"


OrderDirection = strawberry.enum(
    Direction, name="OrderDirection", description="ASC: smallest first; DESC: largest first."
)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a cursor points: the edge's sort key as text (None when ordered by id) and its id."""

    key: str | None
    id: int


@dataclass(frozen=True, slots=True)
class Window:
    """A page request: `size` edges after `after` and before `before`, counted from the start of
    the list, or from its end when `backward` (`last`). `order` names the ordering the cursors
    belong to ("" for a list's default order by id)."""

    size: int
    backward: bool
    after: Position | None
    before: Position | None
    order: str = ""


def ordered_cursor(order: str, key: str | None, pk: int) -> str:
    """An opaque cursor holding the ordering, the sort key and the id: keyset paging is stable."""
    if not order:
        return cursor(pk)
    return base64.urlsafe_b64encode(json.dumps([order, key, pk]).encode()).decode()


def _position(value: str, field: str, order: str, parse_key: Callable[[str], object]) -> Position:
    refused = DomainError(field, ErrorCode.INVALID, Msg.NOT_A_CURSOR)
    try:
        text = base64.urlsafe_b64decode(value.encode()).decode()
        if not order:
            tag, _, raw = text.partition(":")
            if tag != "c":
                raise DomainError(field, ErrorCode.INVALID, Msg.CURSOR_OTHER_ORDER)
            key, pk = None, int(raw)
        else:
            decoded: Any = json.loads(text)
            if not isinstance(decoded, list) or len(decoded) != 3:
                raise refused
            if decoded[0] != order:
                raise DomainError(field, ErrorCode.INVALID, Msg.CURSOR_OTHER_ORDER)
            key, pk = decoded[1], decoded[2]
            if not isinstance(key, str) or not isinstance(pk, int):
                raise refused
            parse_key(key)
    except (binascii.Error, UnicodeDecodeError, ValueError, ArithmeticError):
        raise refused from None
    # Only the exact text this API wrote names a place (`c: 1`, `c:01`, `c:1_0` do not).
    if not 1 <= pk <= MAX_PK or ordered_cursor(order, key, pk) != value:
        raise refused
    return Position(key, pk)


def window(
    *,
    first: int | None,
    last: int | None,
    after: str | None,
    before: str | None,
    order: str = "",
    parse_key: Callable[[str], object] = str,
) -> Window:
    """Validate `first`/`last` (1..100, not both) and decode `after`/`before` for `order`."""
    if first is not None and last is not None:
        raise DomainError("last", ErrorCode.INVALID, Msg.FIRST_OR_LAST)
    size = last if last is not None else DEFAULT_FIRST if first is None else first
    name = "last" if last is not None else "first"
    if not 1 <= size <= MAX_FIRST:
        raise DomainError(name, ErrorCode.OUT_OF_RANGE, Msg.PAGE_RANGE, name=name, limit=MAX_FIRST)
    return Window(
        size=size,
        backward=last is not None,
        after=None if after is None else _position(after, "after", order, parse_key),
        before=None if before is None else _position(before, "before", order, parse_key),
        order=order,
    )


@strawberry.type(description="Where a page starts and ends, and whether more lie either side.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="More edges follow the last one (paging forward); with `before`: true."
    )
    end_cursor: str | None = strawberry.field(
        description="The last edge's cursor: pass it as `after` for the next page."
    )
    has_previous_page: bool = strawberry.field(
        default=False,
        description="More edges precede the first one (paging backward); with `after`: true.",
    )
    start_cursor: str | None = strawberry.field(
        default=None, description="The first edge's cursor: pass it as `before` with `last`."
    )


@strawberry.type(description="One item of a page, with the cursor to continue after it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="Opaque; holds the order and sort key, so paging under an order is stable."
    )
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of items (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's items, in the list's order.")
    page_info: PageInfo = strawberry.field(description="Where the page starts and ends.")
    counted: strawberry.Private[int | None] = None
    total_count: int = strawberry.field(
        resolver=lambda root: _counted(root),
        description="How many items the list holds with its filters, over all pages (one count "
        "query per list, made only when this is selected).",
    )


def _counted(root: Connection[Any]) -> int:
    if root.counted is None:  # the list's resolver counts whenever totalCount is selected
        raise RuntimeError("totalCount was selected but not counted")
    return root.counted


def connection(
    items: Sequence[R],
    *,
    first: int,
    key: Callable[[R], int],
    build: Callable[[R], T],
    after: int | None = None,
    total: int | None = None,
) -> Connection[T]:
    """A connection from `first + 1` fetched items: the extra one only says a next page exists."""
    shown = items[:first]
    edges = [Edge(cursor=cursor(key(item)), node=build(item)) for item in shown]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(items) > first,
            end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
        ),
        counted=total,
    )


def window_connection(
    items: Sequence[R],
    *,
    window: Window,
    cursor_of: Callable[[R], str],
    build: Callable[[R], T],
    total: int | None = None,
) -> Connection[T]:
    """A connection from `size + 1` items read in the window's direction (reversed when paging
    backward): the extra one only says more lie that way."""
    more = len(items) > window.size
    shown = list(items[: window.size])
    if window.backward:
        shown.reverse()
    edges = [Edge(cursor=cursor_of(item), node=build(item)) for item in shown]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=window.before is not None if window.backward else more,
            end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=more if window.backward else window.after is not None,
            start_cursor=edges[0].cursor if edges else None,
        ),
        counted=total,
    )


def count_name(relation: str) -> str:
    """The loader name of a nested list's per-parent counts."""
    return f"{relation}.count"


def wants_total(info: Any) -> bool:
    """Whether the connection's `totalCount` is selected (fragments included).

    Read from the query's own syntax tree: `info.selected_fields` would convert the whole
    selection (arguments, directives) into new objects on every call, once per parent of a
    nested list (a page of 50 customers asked it 50 times)."""
    raw: GraphQLResolveInfo[Any] = info._raw_info
    fragments = raw.fragments

    def selects(selection_set: SelectionSetNode | None) -> bool:
        for selection in () if selection_set is None else selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value == "totalCount":
                    return True
            elif isinstance(selection, InlineFragmentNode):
                if selects(selection.selection_set):
                    return True
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None and selects(fragment.selection_set):
                    return True
        return False

    return any(selects(node.selection_set) for node in raw.field_nodes)
