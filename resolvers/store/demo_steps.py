"""The product's own steps for the demo loader (`wafi demo`): each does what its mutation does —
the domain rule, the store writes, the ticket history and one ledger row — as the demo's owner,
at a chosen moment, inside the loader's one transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain import customers as customer_rules
from domain import drafts, incidents, metrics, signals
from domain import tickets as ticket_rules
from domain.customers import Customer
from domain.roles import Principal
from domain.tickets import Channel, HistoryEvent, Ticket
from resolvers.store import customers as customer_store
from resolvers.store import drafts as draft_store
from resolvers.store import freezes, ledger
from resolvers.store import incidents as incident_store
from resolvers.store import signals as signal_store
from resolvers.store import tickets as ticket_store


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does the steps (the demo's owner) and the transaction they run in."""

    session: AsyncSession
    principal: Principal

    @property
    def org_id(self) -> int:
        return self.principal.org_id

    async def log(self, action: str, entity: str, entity_id: int, after: Any, at: datetime) -> None:
        await ledger.record(
            self.session,
            principal=self.principal,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=None,
            after=ledger.snapshot(after),
            now=at,
        )


# Customers and support -------------------------------------------------------------------------


async def add_customer(actor: Actor, customer: Customer) -> int:
    """createCustomer, on the day the subscription started."""
    at = customer.subscription_started_at
    saved = await customer_store.insert(
        actor.session, org_id=actor.org_id, customer=customer_rules.validate(customer), now=at
    )
    assert saved.id is not None
    await actor.log("createCustomer", "Customer", saved.id, saved, at)
    return saved.id


async def open_ticket(
    actor: Actor, customer_id: int, subject: str, body: str, channel: Channel, at: datetime
) -> Ticket:
    """openTicket: classified from its text (§2.2), with its first-response draft (§2.4)."""
    ticket_rules.validate_text(subject, body)
    found = ticket_rules.classify(subject, body)
    customer = await customer_store.get_for_update(
        actor.session, org_id=actor.org_id, customer_id=customer_id
    )
    assert customer is not None
    ticket = await ticket_store.insert(
        actor.session,
        org_id=actor.org_id,
        ticket=Ticket(
            customer_id, subject, body, channel, found, ticket_rules.open_ticket(found.priority, at)
        ),
        now=at,
    )
    assert ticket.id is not None
    await draft_store.create(
        actor.session,
        org_id=actor.org_id,
        customer_id=customer_id,
        kind=drafts.DraftKind.FIRST_RESPONSE.value,
        subject_type="ticket",
        subject_id=ticket.id,
        locale=customer.locale.value,
        body=ticket_rules.first_response_draft(ticket.priority, customer.locale.value),
        now=at,
    )
    detail = {
        "priority": ticket.priority.value,
        "matchedKeyword": found.matched_keyword,
        "reasonAr": found.reason_ar,
    }
    await _history(actor, ticket, HistoryEvent.OPENED, detail, at)
    await actor.log("openTicket", "Ticket", ticket.id, ticket, at)
    return ticket


async def send_first_response(actor: Actor, ticket: Ticket, at: datetime) -> Ticket:
    """approveDraft then markDraftSent on the ticket's first response; sending it is the
    ticket's `first_response` (§2.5)."""
    assert ticket.id is not None
    latest = await draft_store.latest_for_subject(
        actor.session,
        org_id=actor.org_id,
        kind=drafts.DraftKind.FIRST_RESPONSE,
        subject_type="ticket",
        subject_id=ticket.id,
    )
    assert latest is not None
    frozen = await freezes.active_reason(
        actor.session, org_id=actor.org_id, customer_id=latest.customer_id
    )
    role, operator = actor.principal.role.value, actor.principal.operator_id
    approved = replace(
        latest,
        status=drafts.approve(latest.status, role, frozen=frozen is not None),
        version=latest.version + 1,
        decided_at=at,
        decided_by=operator,
    )
    sent = replace(
        approved,
        status=drafts.mark_sent(approved.status, role),
        version=approved.version + 1,
        sent_at=at,
        sent_by=operator,
    )
    for action, draft in (("approveDraft", approved), ("markDraftSent", sent)):
        await draft_store.save(actor.session, org_id=actor.org_id, draft=draft)
        await actor.log(action, "Draft", draft.id, draft, at)
    life = ticket_rules.record_first_response(ticket.lifecycle, at)
    detail = {"via": "draft", "draftId": sent.id}
    return await _step(
        actor, ticket, life, HistoryEvent.FIRST_RESPONSE, detail, "markDraftSent", at
    )


async def resolve_and_close(
    actor: Actor, ticket: Ticket, resolved_at: datetime, confirmed_by: str, closed_at: datetime
) -> Ticket:
    """resolveTicket, then confirmTicketClosed with the customer's confirmation (§2.5)."""
    life = ticket_rules.resolve(ticket.lifecycle, resolved_at)
    ticket = await _step(
        actor, ticket, life, HistoryEvent.RESOLVED, {}, "resolveTicket", resolved_at
    )
    life = ticket_rules.confirm_closed(ticket.lifecycle, confirmed_by, closed_at)
    detail = {"confirmedBy": life.closed_confirmed_by}
    return await _step(
        actor, ticket, life, HistoryEvent.CLOSED, detail, "confirmTicketClosed", closed_at
    )


async def rate_ticket(actor: Actor, ticket: Ticket, rating: int, at: datetime) -> None:
    """rateTicket: a closed ticket's 1–5 CSAT rating (§4.2)."""
    assert ticket.id is not None
    assert ticket.lifecycle.status is ticket_rules.TicketStatus.CLOSED
    found = signals.CsatRating(ticket.id, ticket.customer_id, metrics.validate_rating(rating), at)
    await signal_store.put_rating(actor.session, org_id=actor.org_id, rating=found)
    await actor.log("rateTicket", "Ticket", ticket.id, found, at)


async def _step(
    actor: Actor,
    ticket: Ticket,
    lifecycle: ticket_rules.Lifecycle,
    event: HistoryEvent,
    detail: dict[str, Any],
    action: str,
    at: datetime,
) -> Ticket:
    changed = replace(ticket, lifecycle=lifecycle, version=ticket.version + 1)
    await ticket_store.save(actor.session, org_id=actor.org_id, ticket=changed, now=at)
    await _history(actor, changed, event, detail, at)
    assert changed.id is not None
    await actor.log(action, "Ticket", changed.id, changed, at)
    return changed


async def _history(
    actor: Actor, ticket: Ticket, event: HistoryEvent, detail: dict[str, Any], at: datetime
) -> None:
    assert ticket.id is not None
    await ticket_store.add_event(
        actor.session,
        org_id=actor.org_id,
        ticket_id=ticket.id,
        event=event,
        detail=detail,
        operator_id=actor.principal.operator_id,
        at=at,
    )


# Incidents -----------------------------------------------------------------------------------


async def declare_incident(
    actor: Actor, *, title: str, description: str, customer_ids: list[int], leak: bool, at: datetime
) -> int:
    """declareIncident: triage sets the severity (§3), with the severity's response plan."""
    incident = incidents.declare(
        title=title,
        description=description,
        affected_count=len(customer_ids),
        has_data_leak=leak,
        has_unauthorized_send=False,
        detected_at=at,
    )
    saved = await incident_store.insert(
        actor.session,
        org_id=actor.org_id,
        incident=incident,
        customer_ids=customer_ids,
        plan=incidents.response_plan(incident.severity),
        now=at,
    )
    assert saved.id is not None
    await actor.log("declareIncident", "Incident", saved.id, saved, at)
    return saved.id


async def tick_response_step(actor: Actor, incident_id: int, position: int, at: datetime) -> None:
    step = await incident_store.step_for_update(
        actor.session, org_id=actor.org_id, incident_id=incident_id, position=position
    )
    assert step is not None
    assert step.done_at is None
    ticked = await incident_store.tick_step(
        actor.session,
        org_id=actor.org_id,
        step=step,
        operator_id=actor.principal.operator_id,
        now=at,
    )
    await actor.log("tickResponseStep", "Incident", incident_id, ticked, at)


async def attach_ticket(actor: Actor, incident_id: int, ticket_id: int, at: datetime) -> None:
    await incident_store.attach_ticket(
        actor.session, org_id=actor.org_id, ticket_id=ticket_id, incident_id=incident_id, now=at
    )
    after = {"ticket_id": ticket_id, "incident_id": incident_id}
    await actor.log("attachTicketToIncident", "Incident", incident_id, after, at)
