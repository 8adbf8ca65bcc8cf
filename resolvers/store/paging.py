"""Keyset pagination for the lists: one SQL shape for forward and backward pages under any order.

A list is ordered by (sort key, id), both in the list's direction, so ties break by id and a
cursor — the (key, id) of an edge — names one place in the order whatever was inserted since.
A backward page (`last`/`before`) is read in the reverse order and turned round by the caller.
Keys travel as text (`$n::text::<type>`): the cursor is text, and PostgreSQL's own cast reads
back exactly what `key_text` wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Position:
    """An edge's place in an order: its sort key as text (None when ordered by id) and id."""

    key: str | None
    id: int


@dataclass(frozen=True, slots=True)
class Keyset:
    """Which rows a page wants: `limit` rows after `after` and before `before`, in the order of
    `key` (a SQL expression of type `cast`; None: by id alone), read from the end if `backward`."""

    limit: int
    descending: bool
    backward: bool = False
    after: Position | None = None
    before: Position | None = None
    key: str | None = None
    cast: str = "text"


class Params:
    """Positional parameters bound as a query is written."""

    def __init__(self, *values: Any) -> None:
        self.values: list[Any] = list(values)

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def key_text(value: Any) -> str | None:
    """A sort key as a cursor holds it; `$n::text::<type>` reads it back unchanged."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal | int | str):
        return str(value)
    raise TypeError(f"not a sort key: {value!r}")


def _compare(keyset: Keyset, id_sql: str, where: Position, later: bool, bind: Params) -> str:
    # `later`: rows after `where` in the list's order (before it when False).
    op = ">" if later != keyset.descending else "<"
    if keyset.key is None:
        return f"{id_sql} {op} {bind(where.id)}::bigint"
    value = f"{bind(where.key)}::text::{keyset.cast}"
    return f"({keyset.key}, {id_sql}) {op} ({value}, {bind(where.id)}::bigint)"


def clauses(keyset: Keyset, *, id_sql: str, bind: Params) -> tuple[list[str], str]:
    """The WHERE conditions and the `ORDER BY … LIMIT …` tail of a page query."""
    where = []
    if keyset.after is not None:
        where.append(_compare(keyset, id_sql, keyset.after, True, bind))
    if keyset.before is not None:
        where.append(_compare(keyset, id_sql, keyset.before, False, bind))
    direction = "DESC" if keyset.descending != keyset.backward else "ASC"
    terms = [id_sql] if keyset.key is None else [keyset.key, id_sql]
    order = ", ".join(f"{term} {direction}" for term in terms)
    return where, f" ORDER BY {order} LIMIT {bind(keyset.limit)}"
