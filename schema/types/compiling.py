"""The compiled read path's vocabulary (docs/architecture.md#compiled-read-path).

Each GraphQL type that can be answered by one SQL statement declares, next to its strawberry
type, how its fields are read (`register`): a stored column, its global id, an object built from
the same row, a nested connection, or a field computed in Python from stored inputs (health,
at-risk, SLA clocks). A field not declared is not compilable: a document that selects it runs on
the executor. The planner (schema/compiled.py) turns a document into the plan nodes below; the
SQL builder (resolvers/store/compiled.py) turns a plan into SQL. Column and table names come from
these declarations only, never from a request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, StrEnum


class Kind(StrEnum):
    """How a stored column is written in the answer."""

    VALUE = "value"  # text, integer or boolean as stored
    DATETIME = "datetime"  # ISO 8601 in UTC, as the DateTime scalar writes it
    ENUM = "enum"  # the stored value written as the GraphQL enum name
    CALENDAR = "calendar"  # a ticket's: the calendar its priority counts in (§7), or null


@dataclass(frozen=True, slots=True)
class Column:
    column: str
    kind: Kind = Kind.VALUE
    names: tuple[tuple[str, str], ...] = ()  # ENUM: (stored value, GraphQL name)


@dataclass(frozen=True, slots=True)
class GlobalId:
    """The row's global id (`Type:pk`, base64url) from its `id` column."""

    type_name: str


@dataclass(frozen=True, slots=True)
class Embedded:
    """An object built from the same row (e.g. Customer.subscription)."""

    type_name: str


@dataclass(frozen=True, slots=True)
class Source:
    """Where a connection's rows come from: a table, ordered by id, optionally under a parent
    row (`parent_key` = the column holding the parent's id), optionally live rows only."""

    table: str
    type_name: str
    descending: bool
    parent_key: str | None = None
    live_only: bool = False
    nested_pages: bool = False  # `first`/`after` checked as a nested list checks them


@dataclass(frozen=True, slots=True)
class Computed:
    """A field its resolver computes in Python (docs/rules.md §4.1, §4.2, §7): in its place the
    statement returns `inputs` — the row's stored columns it is computed from, as PostgreSQL
    writes them in JSON (a timestamp in ISO 8601 with an offset) — and the computation `name`
    (resolvers/compiled.py) turns all of one answer's inputs, each a dict by column name, into
    the values the resolver would return, of which the router writes the selected sub-fields."""

    name: str
    inputs: tuple[Column, ...]
    names: tuple[str, ...] = field(init=False)  # the inputs' keys

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(i.column for i in self.inputs))


Entry = Column | GlobalId | Embedded | Source | Computed

TYPES: dict[str, dict[str, Entry]] = {}
TABLES: dict[str, str] = {}  # node types: the table `node(id)` reads
ROOTS: dict[str, Source] = {}  # Query fields that list a table


def column(name: str, kind: Kind = Kind.VALUE) -> Column:
    return Column(name, kind)


def enum(name: str, values: type[Enum]) -> Column:
    return Column(name, Kind.ENUM, tuple((str(m.value), m.name) for m in values))


def register(type_name: str, fields: dict[str, Entry], *, table: str | None = None) -> None:
    """Declare the compilable fields of `type_name` (GraphQL names); `table` for node types."""
    TYPES[type_name] = fields
    if table is not None:
        TABLES[type_name] = table


def register_root(field: str, source: Source) -> None:
    ROOTS[field] = source


# The plan: what the planner makes of one operation, with no SQL in it.


@dataclass(frozen=True, slots=True)
class Arg:
    """An argument as written: a literal value, a variable's name, or absent."""

    value: object = None
    variable: str | None = None


@dataclass(frozen=True, slots=True)
class Typename:
    name: str


@dataclass(frozen=True, slots=True)
class Obj:
    """An object read from the current row: (response key, value) in answer order."""

    fields: tuple[tuple[str, Value], ...]


@dataclass(frozen=True, slots=True)
class Edges:
    fields: tuple[tuple[str, EdgeValue], ...]


class EdgePart(StrEnum):
    CURSOR = "cursor"


class PagePart(StrEnum):
    HAS_NEXT = "hasNextPage"
    HAS_PREVIOUS = "hasPreviousPage"
    START = "startCursor"
    END = "endCursor"


@dataclass(frozen=True, slots=True)
class PageInfo:
    fields: tuple[tuple[str, PagePart | Typename], ...]


@dataclass(frozen=True, slots=True)
class TotalCount:
    """The list's rows over all pages (with the list's own conditions, not `after`)."""


@dataclass(frozen=True, slots=True)
class Conn:
    """A page of `source`: `name` keys its checked `first`/`after` at run time."""

    name: str
    source: Source
    first: Arg
    after: Arg
    fields: tuple[tuple[str, Edges | PageInfo | Typename | TotalCount], ...]


@dataclass(frozen=True, slots=True)
class NodeLookup:
    """`node(id)`: one object per node type the document can answer (None: not compilable)."""

    name: str
    id: Arg
    branches: tuple[tuple[str, Obj | None], ...]


@dataclass(frozen=True, slots=True)
class Compute:
    """A computed field, the plan's `index`-th: what the statement reads for it, and how its
    value is written (the JSON text of the selected sub-fields, as the executor completes and
    encodes them; raises where the executor would answer with an error)."""

    index: int
    field: Computed
    write: Callable[[object], str]


EdgeValue = EdgePart | Obj | Typename
Value = Column | GlobalId | Typename | Obj | Conn | Compute


@dataclass(frozen=True, slots=True)
class Plan:
    fields: tuple[tuple[str, Conn | NodeLookup | Typename], ...]
    connections: tuple[Conn, ...]
    lookups: tuple[NodeLookup, ...]
    computes: tuple[Compute, ...] = ()  # by index: the answer is finished in Python
