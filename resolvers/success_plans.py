"""Success plan use-cases (docs/rules.md §4.3): start from the bundle, complete items, change the
cadence with consent."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from domain import success_plans
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action, Principal
from resolvers.common import refusals_as_data
from resolvers.store import idempotency, ledger
from resolvers.store import signals as signal_store
from resolvers.store import success_plans as store
from resolvers.success import ledger_view, locked_customer
from schema.context import Context
from schema.types import success_plans as types
from schema.types.relay import pk_of

CtxInfo = Info[Context, None]
START = "startSuccessPlan"


@refusals_as_data
async def start_success_plan(
    info: CtxInfo,
    input: Annotated[
        types.StartSuccessPlanInput,
        strawberry.argument(description="The customer and the plan's first day."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field=START)
    customer_id = pk_of(input.customer_id, "Customer", field="customerId")
    org_id = principal.org_id
    async with ctx.transaction() as session:
        once = await idempotency.once(
            session,
            org_id=org_id,
            key=input.idempotency_key,
            operation=START,
            request=input,
            now=ctx.now,
        )
        if once.previous is not None:
            return types.SuccessPlanPayload(plan=await _plan(session, org_id, once.previous))
        customer = await locked_customer(session, org_id, customer_id)
        if await store.exists_for_customer(session, org_id=org_id, customer_id=customer_id):
            raise DomainError("customerId", ErrorCode.CONFLICT, Msg.ALREADY_HAS_PLAN)
        # Days are the organisation's (its time zone), not UTC's.
        today, started, renews = await store.local_days(
            session,
            org_id=org_id,
            instants=[ctx.now, customer.subscription_started_at, customer.renews_at],
        )
        assert today is not None
        assert started is not None
        start = input.start_on or today
        items = success_plans.full_plan(customer.bundle, start, started, renews)
        plan = await store.insert(
            session,
            org_id=org_id,
            customer_id=customer_id,
            bundle=customer.bundle,
            started_on=start,
            items=items,
            now=ctx.now,
        )
        await once.made(plan.id)
        await _ledger(session, ctx, principal, START, plan.id, None, plan)
    return types.SuccessPlanPayload(plan=types.SuccessPlan.from_domain(plan))


@refusals_as_data
async def complete_plan_item(
    info: CtxInfo,
    input: Annotated[
        types.CompletePlanItemInput,
        strawberry.argument(description="The item and the day it was done."),
    ],
) -> Any:
    """§4.3: no upgrade or upsell item before the first Proof Pack is delivered."""
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="completePlanItem")
    item_id = pk_of(input.id, "SuccessPlanItem")
    org_id = principal.org_id
    async with ctx.transaction() as session:
        owner = await store.plan_of_item(session, org_id=org_id, item_id=item_id)
        if owner is None:
            raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_PLAN_ITEM_IN_ORG)
        plan_id, customer_id = owner
        await locked_customer(session, org_id, customer_id, field="id")
        plan = await _plan_locked(session, org_id, plan_id)
        entry = next(e for e in plan.entries if e.id == item_id)
        delivered = await signal_store.first_proof_pack_delivered(
            session, org_id=org_id, customer_id=plan.customer_id
        )
        done_on = input.done_on or await _today(session, org_id, ctx)
        done = success_plans.complete_item(entry.item, done_on, delivered)
        await store.save_done(
            session, org_id=org_id, item_id=item_id, done_on=done_on, done_by=principal.operator_id
        )
        await _ledger(session, ctx, principal, "completePlanItem", item_id, entry.item, done)
        entries = tuple(
            dataclasses.replace(e, item=done) if e.id == item_id else e for e in plan.entries
        )
    return types.SuccessPlanPayload(
        plan=types.SuccessPlan.from_domain(dataclasses.replace(plan, entries=entries))
    )


@refusals_as_data
async def change_plan_cadence(
    info: CtxInfo,
    input: Annotated[
        types.ChangePlanCadenceInput,
        strawberry.argument(
            description="The plan, the version you read, the cadence and the customer's consent."
        ),
    ],
) -> Any:
    """§4.3: a cadence changes only with the customer's recorded consent: who gave it and how
    and when go into the change's ledger entry."""
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="changePlanCadence")
    plan_id = pk_of(input.id, "SuccessPlan")
    consent = success_plans.cadence_consent(
        input.consent_recorded, input.consent_given_by, input.consent_note
    )
    org_id = principal.org_id
    async with ctx.transaction() as session:
        customer_id = await store.customer_of_plan(session, org_id=org_id, plan_id=plan_id)
        if customer_id is None:
            raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_PLAN_IN_ORG)
        await locked_customer(session, org_id, customer_id, field="id")
        plan = await _plan_locked(session, org_id, plan_id)
        if plan.version != input.version:
            raise DomainError("version", ErrorCode.CONFLICT, Msg.PLAN_CHANGED, current=plan.version)
        cadence = success_plans.change_cadence(plan.cadence, input.cadence, input.consent_recorded)
        changed = dataclasses.replace(plan, cadence=cadence, version=plan.version + 1)
        await store.save_cadence(session, org_id=org_id, plan=changed, consent_at=ctx.now)
        await _ledger(
            session,
            ctx,
            principal,
            "changePlanCadence",
            plan_id,
            {"cadence": plan.cadence.value, "version": plan.version},
            {
                "cadence": cadence.value,
                "version": changed.version,
                "consent": {
                    "recorded": True,
                    "givenBy": consent.given_by,
                    "note": consent.note,
                    "recordedAt": ctx.now.isoformat(),
                },
            },
        )
    return types.SuccessPlanPayload(plan=types.SuccessPlan.from_domain(changed))


async def _today(session: AsyncSession, org_id: int, ctx: Context) -> date:
    """The organisation's day now (its time zone)."""
    (today,) = await store.local_days(session, org_id=org_id, instants=[ctx.now])
    assert today is not None
    return today


async def _plan_locked(
    session: AsyncSession, org_id: int, plan_id: int
) -> success_plans.SuccessPlan:
    plan = await store.get_for_update(session, org_id=org_id, plan_id=plan_id)
    if plan is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_PLAN_IN_ORG)
    return plan


async def _plan(session: AsyncSession, org_id: int, plan_id: int) -> types.SuccessPlan:
    return types.SuccessPlan.from_domain(await _plan_locked(session, org_id, plan_id))


async def _ledger(
    session: AsyncSession,
    ctx: Context,
    principal: Principal,
    action: str,
    entity_id: int,
    before: Any,
    after: Any,
) -> None:
    entity = "SuccessPlanItem" if action == "completePlanItem" else "SuccessPlan"
    await ledger.record(
        session,
        principal=principal,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=ledger_view(before),
        after=ledger_view(after),
        now=ctx.now,
    )
