"""DateTime and Date as Wafi accepts them: aware, and within years a business can mean.

Every DateTime input needs an explicit offset (a naive time is ambiguous across Riyadh and UTC)
and is normalised to UTC; dates and times outside 1900–2199 are refused at the edge, so no
far-past or far-future value (PostgreSQL's -infinity, year 9999 overflows) reaches the domain.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError, ValueNode, print_ast, value_from_ast_untyped

T = TypeVar("T")

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _serialize(value: date) -> str:
    return value.isoformat()


def parse_datetime(value: Any) -> datetime:
    """An ISO 8601 date-time with an offset, within 1900–2199; returned in UTC."""
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO 8601 string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("DateTime needs a time zone offset, such as Z or +03:00")
    if not EARLIEST <= parsed < LATEST:
        raise ValueError("DateTime must fall between 1900 and 2199")
    return parsed.astimezone(UTC)


def parse_date(value: Any) -> date:
    """An ISO 8601 date within 1900–2199."""
    if not isinstance(value, str):
        raise ValueError("Date must be an ISO 8601 string")
    parsed = date.fromisoformat(value)
    if not EARLIEST.date() <= parsed < LATEST.date():
        raise ValueError("Date must fall between 1900 and 2199")
    return parsed


def _literal(parse: Callable[[Any], T], name: str) -> Callable[..., T]:
    """`parse` for a value written in the query: its refusal is the same clear error a variable
    gets (graphql-core would wrap any other exception, and the masking would hide it)."""

    def parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> T:
        try:
            return parse(value_from_ast_untyped(node, variables))
        except ValueError as error:
            raise GraphQLError(
                f"Expected value of type '{name}', but encountered error '{error}'; "
                f"found: {print_ast(node)}.",
                node,
                extensions={"code": "INVALID"},
            ) from None

    return parse_literal


AwareDateTime = strawberry.scalar(
    name="DateTime",
    description="ISO 8601 date and time with an offset (answers are in UTC), 1900–2199.",
    serialize=_serialize,
    parse_value=parse_datetime,
    parse_literal=_literal(parse_datetime, "DateTime"),
)

BoundedDate = strawberry.scalar(
    name="Date",
    description="ISO 8601 calendar date, 1900–2199.",
    serialize=_serialize,
    parse_value=parse_date,
    parse_literal=_literal(parse_date, "Date"),
)

OVERRIDES: dict[object, Any] = {datetime: AwareDateTime, date: BoundedDate}
