"""Escalation follow-ups (docs/rules.md §7): promise one on a ticket, mark it done, list them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import follow_ups, sla
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action
from resolvers.common import refusals_as_data, refusals_as_errors
from resolvers.store import follow_ups as store
from resolvers.store import ledger
from resolvers.store import tickets as ticket_store
from schema.context import Context
from schema.types import follow_ups as types
from schema.types.relay import pk_of

CtxInfo = Info[Context, None]


def _snapshot(value: follow_ups.FollowUp) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(value).items()}


@refusals_as_data
async def add_ticket_follow_up(
    info: CtxInfo,
    input: Annotated[
        types.AddTicketFollowUpInput,
        strawberry.argument(description="The ticket and the escalation path."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WORK_TICKETS, field="addTicketFollowUp")
    ticket_id = pk_of(input.ticket, "Ticket", field="ticket")
    note = follow_ups.validate_note(input.note)
    async with ctx.transaction() as session:
        ticket = await ticket_store.get_for_update(
            session, org_id=principal.org_id, ticket_id=ticket_id
        )
        if ticket is None:
            raise DomainError("ticket", ErrorCode.NOT_FOUND, Msg.NO_SUCH_TICKET_IN_ORG)
        due = follow_ups.due(input.kind, ctx.now, ticket.calendar or sla.TWENTY_FOUR_SEVEN)
        made = await store.insert(
            session,
            org_id=principal.org_id,
            ticket_id=ticket_id,
            kind=input.kind,
            note=note,
            due_at=due,
            now=ctx.now,
        )
        await ledger.record(
            session,
            principal=principal,
            action="addTicketFollowUp",
            entity="TicketFollowUp",
            entity_id=made.id,
            before=None,
            after=_snapshot(made),
            now=ctx.now,
        )
    return types.TicketFollowUpPayload(follow_up=types.TicketFollowUp.build(made, ctx.now))


@refusals_as_data
async def complete_ticket_follow_up(
    info: CtxInfo,
    id: Annotated[strawberry.ID, strawberry.argument(description="The follow-up's global id.")],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WORK_TICKETS, field="completeTicketFollowUp")
    follow_up_id = pk_of(id, "TicketFollowUp")
    async with ctx.transaction() as session:
        found = await store.get_for_update(
            session, org_id=principal.org_id, follow_up_id=follow_up_id
        )
        if found is None:
            raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_FOLLOW_UP)
        if found.done_at is not None:
            raise DomainError("id", ErrorCode.INVALID_TRANSITION, Msg.FOLLOW_UP_DONE)
        await store.mark_done(session, org_id=principal.org_id, follow_up_id=found.id, at=ctx.now)
        done = follow_ups.FollowUp(**{**asdict(found), "done_at": ctx.now})
        await ledger.record(
            session,
            principal=principal,
            action="completeTicketFollowUp",
            entity="TicketFollowUp",
            entity_id=found.id,
            before=_snapshot(found),
            after=_snapshot(done),
            now=ctx.now,
        )
    return types.TicketFollowUpPayload(follow_up=types.TicketFollowUp.build(done, ctx.now))


@refusals_as_errors
async def ticket_follow_ups(
    info: CtxInfo,
    ticket: Annotated[strawberry.ID, strawberry.argument(description="The ticket's global id.")],
) -> list[types.TicketFollowUp]:
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="ticketFollowUps")
    ticket_id = pk_of(ticket, "Ticket", field="ticket")
    async with ctx.transaction() as session:
        found = await store.of_ticket(session, org_id=principal.org_id, ticket_id=ticket_id)
    return [types.TicketFollowUp.build(item, ctx.now) for item in found]
