"""What a client sees of success plans, their items and cadence (docs/rules.md §4.3)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain import success_plans
from schema.types import errors, relations
from schema.types.relay import Node, to_global_id

if TYPE_CHECKING:
    from domain.customers import Bundle  # the GraphQL enum is declared in schema.types.customers

# Relation name the resolvers layer provides a loader for (schema.types.relations).
PLAN = "customer_success_plan"

CadenceType = strawberry.enum(success_plans.CadenceType, description="§4.3 cadence type.")
PlanItemKind = strawberry.enum(
    success_plans.ItemKind, name="PlanItemKind", description="What a plan item is."
)


@strawberry.type(description="One dated item of a success plan.")
class SuccessPlanItem(Node):
    pk: strawberry.Private[int]
    day_offset: int = strawberry.field(description="Days from the plan's start to the due date.")
    title: str = strawberry.field(description="What to do, as the bundle's plan says.")
    kind: success_plans.ItemKind = strawberry.field(
        description=(
            "What kind of item it is (kick-off, review, Proof Pack, "
            "check-in, QBR, …), whatever its wording."
        )
    )
    is_upgrade_or_upsell: bool = strawberry.field(
        description="May be done only after the first Proof Pack is delivered."
    )
    due_on: date = strawberry.field(
        description="Plan start + dayOffset, in the organisation's time zone."
    )
    done_on: date | None = strawberry.field(description="The day it was done; null while open.")
    renewal_offer_draft_id: strawberry.ID | None = strawberry.field(
        description="The founder's 15%-off draft made when the 7-day renewal item fell due."
    )

    @classmethod
    def from_domain(cls, entry: success_plans.PlanEntry) -> SuccessPlanItem:
        item = entry.item
        return cls(
            id=to_global_id("SuccessPlanItem", entry.id),
            pk=entry.id,
            day_offset=item.day_offset,
            title=item.title,
            kind=item.kind,
            is_upgrade_or_upsell=item.is_upgrade_or_upsell,
            due_on=item.due_on,
            done_on=item.done_on,
            renewal_offer_draft_id=None
            if entry.draft_id is None
            else to_global_id("Draft", entry.draft_id),
        )


@strawberry.type(description="§4.3: a customer's success plan, made from its bundle.")
class SuccessPlan(Node):
    pk: strawberry.Private[int]
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    version: int = strawberry.field(description="Pass it back to change the cadence.")
    bundle: Annotated[Bundle, strawberry.lazy("schema.types.customers")] = strawberry.field(
        description="The bundle the items were made from (docs/rules.md §4.3)."
    )
    started_on: date = strawberry.field(
        description="Day 0 of the plan, in the organisation's time zone."
    )
    cadence: success_plans.CadenceType = strawberry.field(
        description="The plan's current cadence type."
    )
    items: list[SuccessPlanItem] = strawberry.field(description="By due date.")

    @classmethod
    def from_domain(cls, plan: success_plans.SuccessPlan) -> SuccessPlan:
        return cls(
            id=to_global_id("SuccessPlan", plan.id),
            pk=plan.id,
            customer_id=to_global_id("Customer", plan.customer_id),
            version=plan.version,
            bundle=plan.bundle,
            started_on=plan.started_on,
            cadence=plan.cadence,
            items=[SuccessPlanItem.from_domain(entry) for entry in plan.entries],
        )


async def resolve_plan(root: Any, info: strawberry.Info) -> SuccessPlan | None:
    """`Customer.successPlan`, batched over a page."""
    found: success_plans.SuccessPlan | None = await relations.loader(info.context, PLAN).load(
        root.pk
    )
    return None if found is None else SuccessPlan.from_domain(found)


@strawberry.input(description="Start a customer's success plan from its bundle.")
class StartSuccessPlanInput:
    customer_id: strawberry.ID = strawberry.field(
        description="The customer's global id; one plan per customer."
    )
    start_on: date | None = strawberry.field(default=None, description="Default: today.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeat with the same key returns the first result."
    )


@strawberry.input(description="Mark a plan item done.")
class CompletePlanItemInput:
    id: strawberry.ID = strawberry.field(description="The plan item's global id.")
    done_on: date | None = strawberry.field(default=None, description="Default: today.")


@strawberry.input(
    description="Change a plan's cadence: only with the customer's consent, recorded with who "
    "gave it and how and when (both kept in the change's ledger entry)."
)
class ChangePlanCadenceInput:
    id: strawberry.ID = strawberry.field(description="The plan's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    cadence: success_plans.CadenceType = strawberry.field(
        description="The new cadence type (docs/rules.md §4.3)."
    )
    consent_recorded: bool = strawberry.field(
        description="True only when the customer's consent to the change is on record."
    )
    consent_given_by: str | None = strawberry.field(
        default=None,
        description="Required: the customer contact who consented, by name or email "
        f"(at most {success_plans.CONSENT_GIVEN_BY_LIMIT} characters).",
    )
    consent_note: str | None = strawberry.field(
        default=None,
        description="Required: how and when the customer consented, e.g. 'by email on 2 Nov' "
        f"(at most {success_plans.CONSENT_NOTE_LIMIT} characters).",
    )


@strawberry.type(description="The plan after the change.")
class SuccessPlanPayload:
    plan: SuccessPlan = strawberry.field(description="The plan as it is now.")


SuccessPlanResult = Annotated[
    SuccessPlanPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("SuccessPlanResult", description="The plan, or why it was refused."),
]
