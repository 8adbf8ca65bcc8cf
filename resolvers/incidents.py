"""Incident use-cases (docs/rules.md §3): authorize → validate → transaction{lock, domain, save,
ledger} → map."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from domain import incident_templates, incidents, text
from domain.channels import FreezeCause
from domain.customers import Locale
from domain.drafts import DraftKind
from domain.errors import DomainError, ErrorCode
from domain.incidents import Incident
from domain.messages import Msg
from domain.roles import Action, Principal
from resolvers import channels as channel_use_cases
from resolvers import loaders, pages
from resolvers.common import known_customer, refusals_as_data, refusals_as_errors
from resolvers.store import drafts, idempotency, ledger
from resolvers.store import incidents as store
from schema.context import Context
from schema.types import incidents as types
from schema.types import relay
from schema.types.relay import Connection, pk_of

CtxInfo = Info[Context, None]

ENTITY = "Incident"
BODY_MAX = 10_000
OWNER_MAX = 120  # an action owner is a name
MAX_CUSTOMERS_PER_CALL = 1_000


@refusals_as_errors
async def list_incidents(
    info: CtxInfo,
    first: Annotated[int | None, strawberry.argument(description=relay.FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=relay.AFTER)] = None,
    filter: Annotated[
        types.IncidentFilter | None,
        strawberry.argument(
            description="Narrow the list by status, severity or customer; left out: every incident."
        ),
    ] = None,
    last: Annotated[int | None, strawberry.argument(description=relay.LAST)] = None,
    before: Annotated[str | None, strawberry.argument(description=relay.BEFORE)] = None,
) -> Connection[types.Incident]:
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="incidents")
    window = relay.window(first=first, last=last, after=after, before=before)
    wanted = filter or types.IncidentFilter()
    customer_id = None
    if wanted.customer is not None:
        customer_id = await known_customer(ctx, wanted.customer, field="filter.customer")
    where = store.Filter(status=wanted.status, severity=wanted.severity, customer_id=customer_id)
    async with ctx.db() as conn:
        rows = await store.page(
            conn,
            org_id=principal.org_id,
            filter=where,
            keyset=pages.keyset(window, descending=True),
        )
        total = (
            await store.count(conn, org_id=principal.org_id, filter=where)
            if relay.wants_total(info)
            else None
        )
    return relay.window_connection(
        rows,
        window=window,
        cursor_of=lambda i: relay.cursor(_pk(i)),
        build=lambda i: _map(ctx, i),
        total=total,
    )


@refusals_as_errors
async def get_incident(
    info: CtxInfo,
    id: Annotated[strawberry.ID, strawberry.argument(description="The incident's global id.")],
) -> types.Incident:
    ctx = info.context
    ctx.authorize(Action.READ, field="incident")
    found = await loaders.incidents(ctx).load(pk_of(id, ENTITY))
    if found is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_INCIDENT_IN_ORG)
    return _map(ctx, found)


@refusals_as_data
async def declare_incident(
    info: CtxInfo,
    input: Annotated[
        types.DeclareIncidentInput,
        strawberry.argument(
            description=(
                "What happened, who is affected and whether data leaked or was sent unapproved."
            )
        ),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WORK_INCIDENTS, field="declareIncident")
    customer_ids = _customer_pks(input.affected_customer_ids, field="affectedCustomerIds")
    detected_at = _detected_at(input.detected_at, now=ctx.now)
    incident = incidents.declare(
        title=input.title,
        description=input.description,
        affected_count=len(customer_ids),
        has_data_leak=input.has_data_leak,
        has_unauthorized_send=input.has_unauthorized_send,
        detected_at=detected_at,
    )
    async with ctx.transaction() as session:
        org_id = principal.org_id
        once = await idempotency.once(
            session,
            org_id=org_id,
            key=input.idempotency_key,
            operation="declareIncident",
            request=input,
            now=ctx.now,
        )
        if once.previous is not None:
            return types.IncidentPayload(
                incident=_map(ctx, await _locked(session, principal, once.previous))
            )
        await _require_customers(session, org_id, customer_ids, field="affectedCustomerIds")
        saved = await store.insert(
            session,
            org_id=org_id,
            incident=incident,
            customer_ids=customer_ids,
            plan=incidents.response_plan(incident.severity),
            now=ctx.now,
        )
        await once.made(_pk(saved))
        await _record(session, ctx, principal, "declareIncident", _pk(saved), None, saved)
    return types.IncidentPayload(incident=_map(ctx, saved))


@refusals_as_data
async def raise_incident_severity(
    info: CtxInfo,
    input: Annotated[
        types.RaiseIncidentSeverityInput,
        strawberry.argument(description="The incident, the version you read and the new severity."),
    ],
) -> Any:
    async def change(session: AsyncSession, principal: Principal, current: Incident) -> Incident:
        changed = incidents.change_severity(current, input.severity)
        await _replan_if_needed(session, principal, current, changed)
        return changed

    return await _edit(info, "raiseIncidentSeverity", input.id, input.version, change)


@refusals_as_data
async def add_affected_customers(
    info: CtxInfo,
    input: Annotated[
        types.AddAffectedCustomersInput,
        strawberry.argument(
            description="The incident, the version you read and the customers to add."
        ),
    ],
) -> Any:
    customer_ids = _customer_pks(input.customer_ids, field="customerIds")
    if not customer_ids:
        raise DomainError("customerIds", ErrorCode.REQUIRED, Msg.NAME_A_CUSTOMER)

    async def change(session: AsyncSession, principal: Principal, current: Incident) -> Incident:
        incidents.ensure_not_closed(current)
        await _require_customers(session, principal.org_id, customer_ids, field="customerIds")
        added = await store.add_customers(
            session, org_id=principal.org_id, incident_id=_pk(current), customer_ids=customer_ids
        )
        changed = incidents.add_affected(current, current.affected_count + added)
        await _replan_if_needed(session, principal, current, changed)
        return changed

    return await _edit(info, "addAffectedCustomers", input.id, input.version, change)


@refusals_as_data
async def change_incident_status(
    info: CtxInfo,
    input: Annotated[
        types.ChangeIncidentStatusInput,
        strawberry.argument(description="The incident, the version you read and the next status."),
    ],
) -> Any:
    async def change(session: AsyncSession, principal: Principal, current: Incident) -> Incident:
        return incidents.advance(current, input.status, now=info.context.now)

    return await _edit(info, "changeIncidentStatus", input.id, input.version, change)


@refusals_as_data
async def record_pdpl_notification(
    info: CtxInfo,
    input: Annotated[
        types.RecordPdplNotificationInput,
        strawberry.argument(description="The incident and the version you read."),
    ],
) -> Any:
    async def change(session: AsyncSession, principal: Principal, current: Incident) -> Incident:
        return incidents.record_pdpl_notification(current, now=info.context.now)

    return await _edit(info, "recordPdplNotification", input.id, input.version, change)


@refusals_as_data
async def submit_post_mortem(
    info: CtxInfo,
    input: Annotated[
        types.SubmitPostMortemInput,
        strawberry.argument(
            description="The incident, the version you read and the eight post-mortem fields."
        ),
    ],
) -> Any:
    texts = {
        "summary": input.summary,
        "timeline": input.timeline,
        "rootCause": input.root_cause,
        "whatWentRight": input.what_went_right,
        "whatWentWrong": input.what_went_wrong,
    }
    for name, items in (
        ("preventiveActions", input.preventive_actions),
        ("actionOwners", input.action_owners),
    ):
        texts.update({f"{name}[{index}]": item for index, item in enumerate(items)})
    for field, value in texts.items():
        _bounded(value, field=field)
    for index, owner in enumerate(input.action_owners):
        if len(owner) > OWNER_MAX:
            raise DomainError(
                f"actionOwners[{index}]", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=OWNER_MAX
            )
    post_mortem = incidents.PostMortem(
        summary=input.summary,
        timeline=input.timeline,
        root_cause=input.root_cause,
        what_went_right=input.what_went_right,
        what_went_wrong=input.what_went_wrong,
        preventive_actions=tuple(input.preventive_actions),
        action_owners=tuple(input.action_owners),
        deadline=input.deadline,
    )

    async def change(session: AsyncSession, principal: Principal, current: Incident) -> Incident:
        return incidents.submit_post_mortem(current, post_mortem)

    return await _edit(info, "submitPostMortem", input.id, input.version, change)


@refusals_as_data
async def post_incident_update(
    info: CtxInfo,
    input: Annotated[
        types.PostIncidentUpdateInput,
        strawberry.argument(
            description="The incident, the version you read and the update's text."
        ),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WORK_INCIDENTS, field="postIncidentUpdate")
    incident_id = pk_of(input.id, ENTITY)
    if input.body is not None:
        _bounded(input.body, field="body", required=True)
    if input.body_en is not None:
        _bounded(input.body_en, field="bodyEn", required=True)
    facts = incident_templates.Facts(
        input.incident_kind, input.data_type, input.service, input.expected_time
    )
    incident_templates.check_facts(facts)
    async with ctx.transaction() as session:
        current = await _locked(session, principal, incident_id)
        incidents.check_version(current.version, input.version)
        body, body_en = _update_texts(current, input.body, input.body_en, facts, ctx.now)
        changed = incidents.post_update(current, now=ctx.now)
        draft_ids = []
        for customer_id, locale in await store.affected_locales(
            session, org_id=principal.org_id, incident_id=incident_id
        ):
            english = locale == Locale.EN and body_en is not None
            draft_ids.append(
                await drafts.create(
                    session,
                    org_id=principal.org_id,
                    customer_id=customer_id,
                    kind=DraftKind.INCIDENT_UPDATE.value,
                    subject_type=ENTITY,
                    subject_id=incident_id,
                    locale=locale,
                    body=body_en if english and body_en else body,
                    now=ctx.now,
                )
            )
        await store.save(session, org_id=principal.org_id, incident=changed, now=ctx.now)
        after = (ledger.snapshot(changed) or {}) | {"draft_ids": draft_ids}
        await _record(session, ctx, principal, "postIncidentUpdate", incident_id, current, after)
    return types.PostIncidentUpdatePayload.build(_map(ctx, changed), draft_ids)


@refusals_as_data
async def tick_response_step(
    info: CtxInfo,
    input: Annotated[
        types.TickResponseStepInput,
        strawberry.argument(description="The incident and the step's position."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WORK_INCIDENTS, field="tickResponseStep")
    incident_id = pk_of(input.incident_id, ENTITY, field="incidentId")
    if input.channel is not None and input.position != 1:
        raise DomainError("channel", ErrorCode.INVALID, Msg.CHANNEL_ONLY_ON_STEP_ONE)
    async with ctx.transaction() as session:
        current = await _locked(session, principal, incident_id, field="incidentId")
        incidents.ensure_not_closed(current)
        step = await store.step_for_update(
            session, org_id=principal.org_id, incident_id=incident_id, position=input.position
        )
        if step is None:
            raise DomainError("position", ErrorCode.NOT_FOUND, Msg.NO_SUCH_STEP)
        if step.done_at is not None:
            raise DomainError("position", ErrorCode.INVALID_TRANSITION, Msg.STEP_ALREADY_TICKED)
        ticked = await store.tick_step(
            session,
            org_id=principal.org_id,
            step=step,
            operator_id=principal.operator_id,
            now=ctx.now,
        )
        if input.channel is not None:
            await channel_use_cases.freeze(
                session,
                principal.org_id,
                input.channel,
                FreezeCause.INCIDENT,
                ctx.now,
                incident_id=incident_id,
            )
        await _record(session, ctx, principal, "tickResponseStep", incident_id, step, ticked)
    changed = dataclasses.replace(current, first_action_at=current.first_action_at or ctx.now)
    return types.TickResponseStepPayload(
        incident=_map(ctx, changed), step=types.ResponseStep.from_store(ticked)
    )


@refusals_as_data
async def attach_ticket_to_incident(
    info: CtxInfo,
    input: Annotated[
        types.AttachTicketToIncidentInput,
        strawberry.argument(description="The incident and the ticket."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WORK_INCIDENTS, field="attachTicketToIncident")
    incident_id = pk_of(input.incident_id, ENTITY, field="incidentId")
    ticket_id = pk_of(input.ticket_id, "Ticket", field="ticketId")
    async with ctx.transaction() as session:
        current = await _locked(session, principal, incident_id, field="incidentId")
        incidents.ensure_not_closed(current)
        exists, attached_to = await store.ticket_incident_for_update(
            session, org_id=principal.org_id, ticket_id=ticket_id
        )
        if not exists:
            raise DomainError("ticketId", ErrorCode.NOT_FOUND, Msg.NO_SUCH_TICKET_IN_ORG)
        if attached_to == incident_id:
            raise DomainError("ticketId", ErrorCode.DUPLICATE, Msg.ALREADY_ATTACHED_HERE)
        if attached_to is not None:
            raise DomainError("ticketId", ErrorCode.PRECONDITION_FAILED, Msg.ATTACHED_ELSEWHERE)
        await store.attach_ticket(
            session,
            org_id=principal.org_id,
            ticket_id=ticket_id,
            incident_id=incident_id,
            now=ctx.now,
        )
        before = {"ticket_id": ticket_id, "incident_id": None}
        after = {"ticket_id": ticket_id, "incident_id": incident_id}
        await _record(session, ctx, principal, "attachTicketToIncident", incident_id, before, after)
    return types.AttachTicketToIncidentPayload(
        incident=_map(ctx, current), ticket_id=input.ticket_id
    )


# Shared steps ---------------------------------------------------------------------------------

Change = Callable[[AsyncSession, Principal, Incident], Awaitable[Incident]]


async def _edit(info: CtxInfo, action: str, id: strawberry.ID, version: int, change: Change) -> Any:
    """An edit of the incident row: lock, check the version, change, save, ledger, map."""
    ctx = info.context
    principal = ctx.authorize(Action.WORK_INCIDENTS, field=action)
    incident_id = pk_of(id, ENTITY)
    async with ctx.transaction() as session:
        current = await _locked(session, principal, incident_id)
        incidents.check_version(current.version, version)
        changed = await change(session, principal, current)
        await store.save(session, org_id=principal.org_id, incident=changed, now=ctx.now)
        await _record(session, ctx, principal, action, incident_id, current, changed)
    return types.IncidentPayload(incident=_map(ctx, changed))


async def _replan_if_needed(
    session: AsyncSession, principal: Principal, current: Incident, changed: Incident
) -> None:
    # The plan's extras belong to the severity: a new severity brings its own, and every tick
    # stays (the first action is the earliest tick; it never moves later).
    if changed.severity is not current.severity:
        steps = await store.plan_of(session, org_id=principal.org_id, incident_id=_pk(current))
        await store.replan(
            session,
            org_id=principal.org_id,
            incident_id=_pk(current),
            plan=incidents.replan(
                [(step.text_ar, step.done_at is not None) for step in steps], changed.severity
            ),
        )


async def _locked(
    session: AsyncSession, principal: Principal, incident_id: int, *, field: str = "id"
) -> Incident:
    found = await store.get_for_update(session, org_id=principal.org_id, incident_id=incident_id)
    if found is None:
        raise DomainError(field, ErrorCode.NOT_FOUND, Msg.NO_SUCH_INCIDENT_IN_ORG)
    return found


async def _require_customers(
    session: AsyncSession, org_id: int, customer_ids: Sequence[int], *, field: str
) -> None:
    if not customer_ids:
        return
    found = await store.customer_locales(session, org_id=org_id, customer_ids=customer_ids)
    if len(found) != len(customer_ids):
        raise DomainError(field, ErrorCode.NOT_FOUND, Msg.NO_SUCH_CUSTOMER_IN_ORG)


async def _record(
    session: AsyncSession,
    ctx: Context,
    principal: Principal,
    action: str,
    incident_id: int,
    before: Any,
    after: Any,
) -> None:
    await ledger.record(
        session,
        principal=principal,
        action=action,
        entity=ENTITY,
        entity_id=incident_id,
        before=before,
        after=after,
        now=ctx.now,
    )


def _customer_pks(ids: Sequence[strawberry.ID], *, field: str) -> list[int]:
    if len(ids) > MAX_CUSTOMERS_PER_CALL:
        raise DomainError(
            field, ErrorCode.OUT_OF_RANGE, Msg.CUSTOMERS_PER_CALL, limit=MAX_CUSTOMERS_PER_CALL
        )
    # Order kept, repeats dropped: naming a customer twice affects it once.
    return list(dict.fromkeys(pk_of(value, "Customer", field=field) for value in ids))


def _detected_at(value: datetime | None, *, now: datetime) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None or value.utcoffset() is None:
        raise DomainError("detectedAt", ErrorCode.INVALID, Msg.NEEDS_TIME_ZONE, field="detectedAt")
    if value > now:
        raise DomainError("detectedAt", ErrorCode.INVALID, Msg.FIELD_IN_FUTURE, field="detectedAt")
    return value


def _update_texts(
    incident: Incident,
    body: str | None,
    body_en: str | None,
    facts: incident_templates.Facts,
    now: datetime,
) -> tuple[str, str | None]:
    """The update's Arabic and English texts: as given, or the §8.5 template's when no body."""
    if body is not None:
        return body, body_en
    template = incident_templates.template_for(incident, now=now)
    if template is None:
        raise DomainError("body", ErrorCode.REQUIRED, Msg.FIELD_REQUIRED, field="body")
    arabic, english = incident_templates.fill(template, incident, facts)
    return arabic, body_en or english


def _bounded(value: str, *, field: str, required: bool = False) -> None:
    if required and text.blank(value):
        raise DomainError(field, ErrorCode.REQUIRED, Msg.FIELD_REQUIRED, field=field)
    if len(value) > BODY_MAX:
        raise DomainError(
            field, ErrorCode.TOO_LONG, Msg.FIELD_OVER_CHARS, field=field, limit=BODY_MAX
        )


def _pk(incident: Incident) -> int:
    assert incident.id is not None
    return incident.id


def _map(ctx: Context, incident: Incident) -> types.Incident:
    return types.Incident.from_domain(incident, now=ctx.now)
