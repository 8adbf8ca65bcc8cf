"""Customer-success steps for the demo loader (`wafi demo`): success plans, Proof Packs,
check-ins, NPS, onboarding and connectors, each as its mutation does it (domain rule, store
write, ledger row), as the demo's owner inside the loader's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from domain import connectors, metrics, onboarding, signals, success_plans
from domain.connectors import ConnectorKey, ConnectorState
from domain.onboarding import Step
from resolvers.store import connectors as connector_store
from resolvers.store import customers as customer_store
from resolvers.store import onboarding as onboarding_store
from resolvers.store import signals as signal_store
from resolvers.store import success_plans as plan_store
from resolvers.store.demo_steps import Actor


async def start_plan(actor: Actor, customer_id: int, start: date, at: datetime) -> int:
    """startSuccessPlan from the customer's bundle (§4.3); the plan's id."""
    customer = await customer_store.get_for_update(
        actor.session, org_id=actor.org_id, customer_id=customer_id
    )
    assert customer is not None
    renews = customer.renews_at
    items = success_plans.full_plan(
        customer.bundle,
        start,
        customer.subscription_started_at.astimezone(UTC).date(),
        None if renews is None else renews.astimezone(UTC).date(),
    )
    plan = await plan_store.insert(
        actor.session,
        org_id=actor.org_id,
        customer_id=customer_id,
        bundle=customer.bundle,
        started_on=start,
        items=items,
        now=at,
    )
    await actor.log("startSuccessPlan", "SuccessPlan", plan.id, {"bundle": plan.bundle}, at)
    return plan.id


async def complete_plan_items(
    actor: Actor, plan_id: int, day_offsets: Iterable[int], at: datetime
) -> None:
    """completePlanItem for the bundle's items at these day offsets, each done on its due day
    (no upgrade or upsell item before the first Proof Pack, §4.3)."""
    plan = await plan_store.get_for_update(actor.session, org_id=actor.org_id, plan_id=plan_id)
    assert plan is not None
    delivered = await signal_store.first_proof_pack_delivered(
        actor.session, org_id=actor.org_id, customer_id=plan.customer_id
    )
    wanted = set(day_offsets)
    for entry in plan.entries:
        item = entry.item
        if item.day_offset not in wanted or item.kind is success_plans.ItemKind.QBR:
            continue
        done = success_plans.complete_item(item, item.due_on, delivered)
        assert done.done_on is not None
        await plan_store.save_done(
            actor.session,
            org_id=actor.org_id,
            item_id=entry.id,
            done_on=done.done_on,
            done_by=actor.principal.operator_id,
        )
        after = {"title": done.title, "done_on": done.done_on.isoformat()}
        await actor.log("completePlanItem", "SuccessPlanItem", entry.id, after, at)


async def deliver_proof_pack(actor: Actor, customer_id: int, title: str, at: datetime) -> None:
    pack = signals.ProofPack(customer_id, signals.validate_title(title), at)
    saved = await signal_store.add_proof_pack(actor.session, org_id=actor.org_id, pack=pack)
    assert saved.id is not None
    await actor.log("deliverProofPack", "ProofPack", saved.id, saved, at)


async def record_check_in(actor: Actor, check_in: signals.CheckIn, at: datetime) -> None:
    """recordCheckInMetrics: at most one check-in per customer per 7 days (§4.3)."""
    valid = signals.validate_check_in(check_in)
    nearest = await signal_store.nearest_check_in(
        actor.session, org_id=actor.org_id, customer_id=valid.customer_id, on=valid.week_of
    )
    success_plans.check_check_in_allowed(nearest, valid.week_of)
    saved = await signal_store.add_check_in(
        actor.session, org_id=actor.org_id, check_in=valid, now=at
    )
    assert saved.id is not None
    await actor.log("recordCheckInMetrics", "CheckIn", saved.id, saved, at)


async def record_nps(actor: Actor, customer_id: int, score: int, at: datetime) -> None:
    answer = signals.NpsResponse(customer_id, metrics.validate_nps(score), at)
    saved = await signal_store.add_nps(actor.session, org_id=actor.org_id, response=answer)
    assert saved.id is not None
    await actor.log("recordNps", "NpsResponse", saved.id, saved, at)


async def complete_onboarding(
    actor: Actor, customer_id: int, steps: Iterable[tuple[Step, datetime]]
) -> None:
    """completeOnboardingStep for each (step, when), in order (§4.4)."""
    done = set(
        await onboarding_store.done_steps(
            actor.session, org_id=actor.org_id, customer_id=customer_id
        )
    )
    for step, at in steps:
        after = onboarding.complete_step(done, step)
        await onboarding_store.mark_done(
            actor.session,
            org_id=actor.org_id,
            customer_id=customer_id,
            step=step,
            by=actor.principal.operator_id,
            now=at,
        )
        done.add(step)
        state = {"step": step.value, "done": [s.value for s in after.completed]}
        await actor.log("completeOnboardingStep", "Customer", customer_id, state, at)


async def move_connector(
    actor: Actor, customer_id: int, key: ConnectorKey, path: Iterable[ConnectorState], at: datetime
) -> None:
    """moveConnector through `path`; each move must be one the state machine lists (§4.5)."""
    current = await connector_store.state_for_update(
        actor.session, org_id=actor.org_id, customer_id=customer_id, key=key
    )
    for target in path:
        moved = connectors.transition(current, target)
        await connector_store.save(
            actor.session,
            org_id=actor.org_id,
            customer_id=customer_id,
            key=key,
            state=moved,
            now=at,
        )
        await actor.log(
            "moveConnector",
            "Customer",
            customer_id,
            {"connector": key.value, "from": current.value, "state": moved.value},
            at,
        )
        current = moved
