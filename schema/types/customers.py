"""What a client sees of customers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain import customers
from schema.types import connectors as connector_types
from schema.types import errors
from schema.types import onboarding as onboarding_types
from schema.types import scores as score_types
from schema.types import success_plans as plan_types
from schema.types.relay import Connection, Node, to_global_id

if TYPE_CHECKING:
    from schema.types.incidents import Incident
    from schema.types.tickets import Ticket

Locale = strawberry.enum(customers.Locale, description="Language Wafi writes to the customer in.")
Bundle = strawberry.enum(customers.Bundle, description="The bundle the customer bought.")
Stage = strawberry.enum(customers.Stage, description="Lifecycle stage (docs/rules.md §4.6).")
SubscriptionStatus = strawberry.enum(
    customers.SubscriptionStatus, description="Where the subscription stands."
)


@strawberry.type(description="A subscription: its status and dates.")
class CustomerSubscription:
    status: customers.SubscriptionStatus
    started_at: datetime
    renews_at: datetime | None


async def _incidents(
    root: Customer, info: strawberry.Info, first: int | None = None, after: str | None = None
) -> Connection[Annotated[Incident, strawberry.lazy("schema.types.incidents")]]:
    from schema.types import incidents  # the incident types import this module

    return await incidents.of_customer(info, root.pk, first=first, after=after)


async def _tickets(
    root: Customer, info: strawberry.Info, first: int | None = None, after: str | None = None
) -> Connection[Annotated[Ticket, strawberry.lazy("schema.types.tickets")]]:
    from schema.types import tickets  # the ticket types import this module

    return await tickets.of_customer(info, root.pk, first=first, after=after)


@strawberry.type(description="An account your organisation sells to and serves.")
class Customer(Node):
    pk: strawberry.Private[int]
    version: int = strawberry.field(description="Pass it back on update; it moves on every change.")
    name: str
    locale: customers.Locale
    bundle: customers.Bundle
    stage: customers.Stage
    subscription: CustomerSubscription
    contact_email: str | None
    last_activity_at: datetime | None
    archived_at: datetime | None

    @classmethod
    def from_domain(cls, value: customers.Customer) -> Customer:
        assert value.id is not None
        return cls(
            id=to_global_id("Customer", value.id),
            pk=value.id,
            version=value.version,
            name=value.name,
            locale=value.locale,
            bundle=value.bundle,
            stage=value.stage,
            subscription=CustomerSubscription(
                status=value.subscription_status,
                started_at=value.subscription_started_at,
                renews_at=value.renews_at,
            ),
            contact_email=value.contact_email,
            last_activity_at=value.last_activity_at,
            archived_at=value.archived_at,
        )

    incidents = strawberry.field(
        resolver=_incidents, description="Incidents that affect this customer, newest first (§3)."
    )

    tickets = strawberry.field(
        resolver=_tickets, description="This customer's support tickets, newest first (§2)."
    )

    # Customer success (docs/rules.md §4): each batched over a page through one loader per kind.
    health: score_types.CustomerHealth = strawberry.field(
        resolver=score_types.resolve_health,
        description="Health now (§4.2), with each contribution.",
    )
    at_risk: score_types.AtRisk = strawberry.field(
        resolver=score_types.resolve_at_risk,
        description="At-risk score now (§4.1) and its reasons.",
    )
    health_history: list[score_types.HealthPoint] = strawberry.field(
        resolver=score_types.resolve_health_history, description="Daily health points (§4.2)."
    )
    onboarding: onboarding_types.Onboarding = strawberry.field(
        resolver=onboarding_types.resolve_onboarding, description="The onboarding checklist (§4.4)."
    )
    connectors: list[connector_types.Connector] = strawberry.field(
        resolver=connector_types.resolve_connectors, description="The eleven connectors (§4.5)."
    )
    connector_summary: connector_types.ConnectorSummary = strawberry.field(
        resolver=connector_types.resolve_summary, description="Connectors at a glance (§4.5)."
    )
    success_plan: plan_types.SuccessPlan | None = strawberry.field(
        resolver=plan_types.resolve_plan, description="The success plan, once started (§4.3)."
    )


@strawberry.input(description="Filters for the customers list; all are optional and combine.")
class CustomerFilter:
    stage: customers.Stage | None = None
    bundle: customers.Bundle | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the name; Arabic matches without hamza or diacritics."
    )
    include_archived: bool = False


@strawberry.input(description="A new customer.")
class CreateCustomerInput:
    name: str
    subscription_started_at: datetime
    locale: customers.Locale = customers.Locale.AR
    bundle: customers.Bundle = customers.Bundle.GROWTH_STARTER
    stage: customers.Stage = customers.Stage.ONBOARDING
    subscription_status: customers.SubscriptionStatus = customers.SubscriptionStatus.PILOT
    renews_at: datetime | None = None
    contact_email: str | None = None
    last_activity_at: datetime | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeat with the same key returns the first result."
    )


@strawberry.input(description="Changes to a customer; fields left out stay as they are.")
class UpdateCustomerInput:
    id: strawberry.ID
    version: int
    name: str | None = None
    locale: customers.Locale | None = None
    bundle: customers.Bundle | None = None
    subscription_status: customers.SubscriptionStatus | None = None
    subscription_started_at: datetime | None = None
    renews_at: datetime | None = None
    contact_email: str | None = None
    last_activity_at: datetime | None = None


@strawberry.input(description="Archive a customer: it leaves lists but keeps its history.")
class ArchiveCustomerInput:
    id: strawberry.ID
    version: int


@strawberry.type(description="The customer as it is after the mutation.")
class CustomerPayload:
    customer: Customer


CustomerResult = Annotated[
    CustomerPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("CustomerResult", description="The customer, or why it was refused."),
]
