"""Relay plumbing: global ids, opaque cursors, connections and page arguments."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import strawberry

from domain.errors import DomainError, ErrorCode

MAX_FIRST = 100
MAX_PK = 2**63 - 1  # ids are bigint: anything larger cannot name a row
DEFAULT_FIRST = 20

T = TypeVar("T")
R = TypeVar("R")


@strawberry.interface(description="Anything with a global id that `node(id)` can fetch.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id.")


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode())


def from_global_id(value: str, *, field: str = "id", expect: str | None = None) -> tuple[str, int]:
    """Decode a global id; a malformed one, or one of another type, is NOT_FOUND for `field`."""
    try:
        type_name, _, raw = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
        pk = int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise DomainError(field, ErrorCode.NOT_FOUND, "no such id") from None
    if not 1 <= pk <= MAX_PK:
        raise DomainError(field, ErrorCode.NOT_FOUND, "no such id")
    if expect is not None and type_name != expect:
        raise DomainError(field, ErrorCode.NOT_FOUND, f"not a {expect} id")
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
        raise DomainError("first", ErrorCode.OUT_OF_RANGE, f"first must be 1..{MAX_FIRST}")
    if after is None:
        return PageArgs(size, None)
    try:
        position = int(base64.urlsafe_b64decode(after.encode()).decode().split(":")[1])
    except (binascii.Error, UnicodeDecodeError, ValueError, IndexError):
        position = -1
    if not 0 <= position <= MAX_PK:
        raise DomainError("after", ErrorCode.INVALID, "not a cursor from this API")
    return PageArgs(size, position)


def cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"c:{pk}".encode()).decode()


@strawberry.type(description="Where a page ends and whether another follows.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    end_cursor: str | None = strawberry.field(
        description="The last item's cursor (pass it as `after`); null on an empty page."
    )


@strawberry.type(description="One item of a page, with the cursor to continue after it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="Opaque; pass it as `after` to continue after this item."
    )
    node: T = strawberry.field(description="The item itself.")


@strawberry.type(description="A page of items (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(
        description="The page's items with their cursors, in the list's order."
    )
    page_info: PageInfo = strawberry.field(
        description="Whether another page follows, and the cursor to ask for it."
    )


def connection(
    items: Sequence[R], *, first: int, key: Callable[[R], int], build: Callable[[R], T]
) -> Connection[T]:
    """A connection from `first + 1` fetched items: the extra one only says a next page exists."""
    shown = items[:first]
    edges = [Edge(cursor=cursor(key(item)), node=build(item)) for item in shown]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(items) > first, end_cursor=edges[-1].cursor if edges else None
        ),
    )
