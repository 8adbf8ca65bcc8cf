"""Weekly CS review use-cases (docs/rules.md §8.4): log an objection, read past reviews."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import reviews
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action
from resolvers.common import known_customer, refusals_as_data, refusals_as_errors
from resolvers.store import ledger
from resolvers.store import reviews as store
from schema.context import Context
from schema.types import reviews as types
from schema.types.relay import pk_of, to_global_id

CtxInfo = Info[Context, None]
MOST_WEEKS = 52


@refusals_as_errors
async def cs_reviews(
    info: CtxInfo,
    week_of: Annotated[
        date | None,
        strawberry.argument(description="One week's review: its Friday. Left out: the latest."),
    ] = None,
    last: Annotated[
        int, strawberry.argument(description="How many weeks, latest first (1..52).")
    ] = 4,
) -> list[types.CsReview]:
    """Stored reviews, the latest week first."""
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="csReviews")
    if not 1 <= last <= MOST_WEEKS:
        raise DomainError(
            "last", ErrorCode.OUT_OF_RANGE, Msg.FIELD_BETWEEN, field="last", low=1,
            high=MOST_WEEKS, value=last,
        )  # fmt: skip
    async with ctx.db() as conn:
        found = await store.reviews(conn, org_id=principal.org_id, week_of=week_of, limit=last)
    return [types.CsReview.build(*row) for row in found]


@refusals_as_data
async def log_objection(
    info: CtxInfo,
    input: Annotated[
        types.LogObjectionInput,
        strawberry.argument(description="The category, the text, and the customer or ticket."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WORK_TICKETS, field="logObjection")
    body = reviews.check_objection(input.text)
    if input.customer is None and input.ticket is None:
        raise DomainError("customer", ErrorCode.REQUIRED, Msg.FIELD_REQUIRED, field="customer")
    customer_id = (
        None
        if input.customer is None
        else await known_customer(ctx, input.customer, field="customer")
    )
    ticket_id = None if input.ticket is None else pk_of(input.ticket, "Ticket", field="ticket")
    async with ctx.transaction() as session:
        if ticket_id is not None:
            owner = await store.ticket_customer(
                session, org_id=principal.org_id, ticket_id=ticket_id
            )
            if owner is None:
                raise DomainError("ticket", ErrorCode.NOT_FOUND, Msg.NO_SUCH_TICKET_IN_ORG)
            if customer_id is not None and owner != customer_id:
                raise DomainError("ticket", ErrorCode.INVALID, Msg.TICKET_OF_ANOTHER_CUSTOMER)
            customer_id = owner
        assert customer_id is not None
        new_id = await store.log_objection(
            session,
            org_id=principal.org_id,
            customer_id=customer_id,
            ticket_id=ticket_id,
            category=input.category,
            body=body,
            by=principal.operator_id,
            now=ctx.now,
        )
        after = {"category": input.category.value, "text": body, "customerId": customer_id,
                 "ticketId": ticket_id}  # fmt: skip
        await ledger.record(
            session,
            principal=principal,
            action="logObjection",
            entity="Objection",
            entity_id=new_id,
            before=None,
            after=after,
            now=ctx.now,
        )
    return types.ObjectionPayload(
        id=to_global_id("Objection", new_id),
        category=input.category,
        text=body,
        customer_id=to_global_id("Customer", customer_id),
        ticket_id=None if ticket_id is None else to_global_id("Ticket", ticket_id),
    )
