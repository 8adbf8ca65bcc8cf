"""What every resolver shares: refusals as data, page arguments, after-commit work."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, ParamSpec, TypeVar

from strawberry.utils.str_converters import to_camel_case

from domain import text
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from resolvers import loaders
from schema.context import Context
from schema.types import errors
from schema.types.relay import pk_of

P = ParamSpec("P")
T = TypeVar("T")


# Free texts that may run over several lines (GraphQL names); every other text is one line.
MULTILINE_FIELDS: Final = frozenset(
    {
        "body",
        "bodyEn",
        "note",
        "description",
        "consentNote",
        "summary",
        "timeline",
        "rootCause",
        "whatWentRight",
        "whatWentWrong",
        "preventiveActions",
        "action",
        "csv",  # a whole CSV file (importCustomers, importTickets)
        "text",  # a logged reply (logReply, logCustomerReply); an objection's words
    }
)


def check_texts(arguments: Mapping[str, object]) -> None:
    """Refuse (INVALID, naming the field) a control character or bidi override in any text of
    a resolver's arguments. Fields of `input` are named bare, as every refusal names them."""
    for name, value in arguments.items():
        if name != "info":
            graphql_name = to_camel_case(name)
            _check(value, "" if name == "input" else graphql_name, graphql_name)


def _check(value: object, path: str, name: str) -> None:
    if isinstance(value, str):
        found = text.unsafe_character(value, multiline=name in MULTILINE_FIELDS)
        if found is not None:
            raise DomainError(path, ErrorCode.INVALID, Msg.UNSAFE_CHARACTER, found=found)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]", name)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            inner = to_camel_case(field.name)
            _check(getattr(value, field.name), f"{path}.{inner}" if path else inner, inner)


def refusals_as_data(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[Any]]:
    """A mutation's DomainError becomes its union's error member; the transaction rolled back.
    Its texts are checked first (`check_texts`)."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            check_texts(kwargs)
            return await fn(*args, **kwargs)
        except DomainError as error:
            return errors.from_domain(error)

    return wrapper


def refusals_as_errors(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """A query's DomainError becomes a top-level error naming the field and the code.
    Its texts are checked first (`check_texts`)."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            check_texts(kwargs)
            return await fn(*args, **kwargs)
        except DomainError as error:
            raise errors.as_graphql_error(error) from None

    return wrapper


async def known_customer(ctx: Context, value: str, *, field: str) -> int:
    """The pk of a customer id that names one of the caller's customers; NOT_FOUND otherwise.

    Filters and scoped queries use it so another organisation's id is refused, not answered
    with an empty page that would read as "your customer has nothing".
    """
    pk = pk_of(value, "Customer", field=field)
    if await loaders.customers(ctx).load(pk) is None:
        raise DomainError(field, ErrorCode.NOT_FOUND, Msg.NO_SUCH_CUSTOMER_IN_ORG)
    return pk
