"""What every resolver shares: refusals as data, page arguments, after-commit work."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from resolvers import loaders
from schema.context import Context
from schema.types import errors
from schema.types.relay import pk_of

P = ParamSpec("P")
T = TypeVar("T")


def refusals_as_data(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[Any]]:
    """A mutation's DomainError becomes its union's error member; the transaction rolled back."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return await fn(*args, **kwargs)
        except DomainError as error:
            return errors.from_domain(error)

    return wrapper


def refusals_as_errors(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """A query's DomainError becomes a top-level error naming the field and the code."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
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
