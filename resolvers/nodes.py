"""`node(id)`: fetch anything by its global id, within the caller's organisation."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from domain.errors import DomainError, ErrorCode
from domain.roles import Action
from resolvers import loaders
from resolvers.common import refusals_as_errors
from schema.context import Context
from schema.types.customers import Customer
from schema.types.drafts import Draft
from schema.types.relay import Node, from_global_id
from schema.types.tickets import Ticket


@refusals_as_errors
async def node(info: Info[Context, None], id: strawberry.ID) -> Node:
    """Unknown ids, malformed ids and other organisations' ids all answer NOT_FOUND alike."""
    ctx = info.context
    ctx.authorize(Action.READ, field="node")
    type_name, pk = from_global_id(id)
    if type_name == "Customer":
        found = await loaders.customers(ctx).load(pk)
        if found is not None:
            return Customer.from_domain(found)
    if type_name == "Ticket":
        ticket = await loaders.tickets(ctx).load(pk)
        if ticket is not None:
            return Ticket.from_domain(ticket, now=ctx.now)
    if type_name == "Draft":
        draft = await loaders.drafts(ctx).load(pk)
        if draft is not None:
            return Draft.from_domain(draft)
    raise DomainError("id", ErrorCode.NOT_FOUND, "nothing with this id in your organisation")
