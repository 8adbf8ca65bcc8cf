"""Onboarding checklist use-cases (docs/rules.md §4.4): complete or reopen a step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import onboarding
from domain.roles import Action
from resolvers.common import refusals_as_data
from resolvers.store import ledger
from resolvers.store import onboarding as store
from resolvers.success import locked_customer
from schema.context import Context
from schema.types import onboarding as types
from schema.types.relay import pk_of

CtxInfo = Info[Context, None]


@refusals_as_data
async def complete_onboarding_step(
    info: CtxInfo,
    input: Annotated[
        types.OnboardingStepInput, strawberry.argument(description="The customer and the step.")
    ],
) -> Any:
    return await _change(info, input, "completeOnboardingStep", onboarding.complete_step)


@refusals_as_data
async def reopen_onboarding_step(
    info: CtxInfo,
    input: Annotated[
        types.OnboardingStepInput, strawberry.argument(description="The customer and the step.")
    ],
) -> Any:
    return await _change(info, input, "reopenOnboardingStep", onboarding.reopen_step)


async def _change(
    info: CtxInfo,
    input: types.OnboardingStepInput,
    action: str,
    rule: Callable[[set[onboarding.Step], onboarding.Step], onboarding.Onboarding],
) -> types.OnboardingPayload:
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field=action)
    customer_id = pk_of(input.customer_id, "Customer", field="customerId")
    org_id = principal.org_id
    async with ctx.transaction() as session:
        await locked_customer(session, org_id, customer_id)
        done_at = await store.done_steps(session, org_id=org_id, customer_id=customer_id)
        before = onboarding.progress(done_at.keys())
        after = rule(set(done_at), input.step)
        if input.step in after.completed:
            await store.mark_done(
                session,
                org_id=org_id,
                customer_id=customer_id,
                step=input.step,
                by=principal.operator_id,
                now=ctx.now,
            )
            done_at[input.step] = ctx.now
        else:
            await store.reopen(session, org_id=org_id, customer_id=customer_id, step=input.step)
            del done_at[input.step]
        await ledger.record(
            session,
            principal=principal,
            action=action,
            entity="Customer",
            entity_id=customer_id,
            before=_state(input.step, before),
            after=_state(input.step, after),
            now=ctx.now,
        )
    return types.OnboardingPayload(
        customer_id=input.customer_id, onboarding=types.Onboarding.build(done_at)
    )


def _state(step: onboarding.Step, value: onboarding.Onboarding) -> dict[str, Any]:
    """The checklist as a ledger before/after (§6): the step changed, the steps done, progress."""
    return {
        "step": step.value,
        "done": [done.value for done in value.completed],
        "progress": value.progress,
    }
