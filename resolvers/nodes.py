"""`node(id)`: fetch anything by its global id, within the caller's organisation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from strawberry.types import Info

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action
from resolvers import loaders
from resolvers.common import refusals_as_errors
from schema.context import Context
from schema.types.customers import Customer
from schema.types.drafts import Draft
from schema.types.incidents import Incident
from schema.types.relay import Node, from_global_id
from schema.types.tickets import Ticket


async def _customer(ctx: Context, pk: int) -> Node | None:
    found = await loaders.customers(ctx).load(pk)
    return None if found is None else Customer.from_domain(found)


async def _ticket(ctx: Context, pk: int) -> Node | None:
    found = await loaders.tickets(ctx).load(pk)
    return None if found is None else Ticket.from_domain(found, now=ctx.now)


async def _draft(ctx: Context, pk: int) -> Node | None:
    found = await loaders.drafts(ctx).load(pk)
    return None if found is None else Draft.from_domain(found)


async def _incident(ctx: Context, pk: int) -> Node | None:
    found = await loaders.incidents(ctx).load(pk)
    return None if found is None else Incident.from_domain(found, now=ctx.now)


_FETCH: dict[str, Callable[[Context, int], Awaitable[Node | None]]] = {
    "Customer": _customer,
    "Ticket": _ticket,
    "Draft": _draft,
    "Incident": _incident,
}


@refusals_as_errors
async def node(
    info: Info[Context, None],
    id: Annotated[
        strawberry.ID,
        strawberry.argument(description="A global id of a customer, ticket, draft or incident."),
    ],
) -> Node:
    """Unknown ids, malformed ids and other organisations' ids all answer NOT_FOUND alike."""
    ctx = info.context
    ctx.authorize(Action.READ, field="node")
    type_name, pk = from_global_id(id)
    fetch = _FETCH.get(type_name)
    found = None if fetch is None else await fetch(ctx, pk)
    if found is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NOTHING_WITH_ID)
    return found
