"""What a client sees of customers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain import customers, signals
from schema import cost
from schema.types import compiling, errors
from schema.types import connectors as connector_types
from schema.types import onboarding as onboarding_types
from schema.types import playbooks as playbook_types
from schema.types import scores as score_types
from schema.types import sequences as sequence_types
from schema.types import success_plans as plan_types
from schema.types.relay import Connection, Direction, Node, PageAfter, PageFirst, to_global_id

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
    status: customers.SubscriptionStatus = strawberry.field(
        description=(
            "Pilot, active, past due or cancelled; past due raises an alert (docs/rules.md §4.6)."
        )
    )
    started_at: datetime = strawberry.field(
        description="When the subscription began; the success plan's QBR falls 90 days after it."
    )
    renews_at: datetime | None = strawberry.field(
        description="When it renews; renewal items fall 30 and 7 days before (docs/rules.md §4.3)."
    )


async def _incidents(
    root: Customer,
    info: strawberry.Info,
    first: PageFirst = None,
    after: PageAfter = None,
) -> Connection[Annotated[Incident, strawberry.lazy("schema.types.incidents")]]:
    from schema.types import incidents  # the incident types import this module

    return await incidents.of_customer(info, root.pk, first=first, after=after)


async def _tickets(
    root: Customer,
    info: strawberry.Info,
    first: PageFirst = None,
    after: PageAfter = None,
) -> Connection[Annotated[Ticket, strawberry.lazy("schema.types.tickets")]]:
    from schema.types import tickets  # the ticket types import this module

    return await tickets.of_customer(info, root.pk, first=first, after=after)


@strawberry.type(description="An account your organisation sells to and serves.")
class Customer(Node):
    pk: strawberry.Private[int]
    version: int = strawberry.field(description="Pass it back on update; it moves on every change.")
    name: str = strawberry.field(description="Up to 120 characters; Arabic or English.")
    locale: customers.Locale = strawberry.field(
        description="The language Wafi drafts in for this customer (Arabic by default)."
    )
    bundle: customers.Bundle = strawberry.field(
        description="What the customer bought; its success plan follows it (docs/rules.md §4.3)."
    )
    stage: customers.Stage = strawberry.field(
        description="Where the customer is in its lifecycle (docs/rules.md §4.6)."
    )
    subscription: CustomerSubscription = strawberry.field(
        description="Status, start and renewal of the subscription."
    )
    contact_email: str | None = strawberry.field(description="Who to write to; null when unknown.")
    last_activity_at: datetime | None = strawberry.field(
        description=(
            "The last recorded activity; null if never active (days "
            "inactive then count from the subscription start)."
        )
    )
    archived_at: datetime | None = strawberry.field(
        description=(
            "When it was archived; null while live. Archived customers "
            "leave lists unless asked for."
        )
    )

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
    sequences: list[sequence_types.CustomerSequence] = strawberry.field(
        resolver=sequence_types.resolve_sequences,
        description="Onboarding and win-back sequences, oldest first, each step with its state "
        "(docs/rules.md §8.3).",
    )
    pilot: playbook_types.Pilot | None = strawberry.field(
        resolver=playbook_types.resolve_pilot, description="The 7-day pilot, if any (§8.1)."
    )
    red_flags: list[playbook_types.RedFlag] = strawberry.field(
        resolver=playbook_types.resolve_red_flags,
        description="Red flags with their reasons, newest first (§8.2).",
    )


def _history_weight(arguments: Mapping[str, Any]) -> int:
    # Out-of-range days are refused by the resolver: cost them at the nearest allowed value.
    days = arguments.get("days")
    days = days if isinstance(days, int) else 30
    return 1 + min(max(days, 1), signals.HISTORY_MAX_DAYS) // 10


# Query cost (schema/cost.py): a history reads and scores one snapshot per day asked for.
cost.weigh_field("Customer", "healthHistory", _history_weight)


# The compiled read path (schema/types/compiling.py): the stored fields, the list, the scores.
compiling.register(
    "Customer",
    {
        "id": compiling.GlobalId("Customer"),
        "version": compiling.column("version"),
        "name": compiling.column("name"),
        "locale": compiling.enum("locale", customers.Locale),
        "bundle": compiling.enum("bundle", customers.Bundle),
        "stage": compiling.enum("stage", customers.Stage),
        "subscription": compiling.Embedded("CustomerSubscription"),
        "contactEmail": compiling.column("contact_email"),
        "lastActivityAt": compiling.column("last_activity_at", compiling.Kind.DATETIME),
        "archivedAt": compiling.column("archived_at", compiling.Kind.DATETIME),
        "tickets": compiling.Source(
            "tickets", "Ticket", descending=True, parent_key="customer_id", nested_pages=True
        ),
        # Computed now from the scores' inputs, by the resolvers' loader (resolvers/compiled.py).
        "health": compiling.Computed("Customer.health", (compiling.column("id"),)),
        "atRisk": compiling.Computed("Customer.atRisk", (compiling.column("id"),)),
    },
    table="customers",
)
compiling.register(
    "CustomerSubscription",
    {
        "status": compiling.enum("subscription_status", customers.SubscriptionStatus),
        "startedAt": compiling.column("subscription_started_at", compiling.Kind.DATETIME),
        "renewsAt": compiling.column("renews_at", compiling.Kind.DATETIME),
    },
)
compiling.register_root(
    "customers", compiling.Source("customers", "Customer", descending=False, live_only=True)
)


class CustomerOrderField(StrEnum):
    """What the customers list can be ordered by."""

    HEALTH_SCORE = "HEALTH_SCORE"
    AT_RISK_SCORE = "AT_RISK_SCORE"
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"


strawberry.enum(
    CustomerOrderField,
    description="HEALTH_SCORE and AT_RISK_SCORE order by the last daily snapshot (the last "
    "point of `healthHistory`), not the live `health`/`atRisk`; customers never scored come "
    "last in either direction. NAME by the name as stored; CREATED_AT by when it was added.",
)

# How each ordering's sort key, as a cursor holds it, is read back (a bad one is refused).
ORDER_KEYS: dict[CustomerOrderField, Callable[[str], object]] = {
    CustomerOrderField.HEALTH_SCORE: Decimal,
    CustomerOrderField.AT_RISK_SCORE: int,
    CustomerOrderField.NAME: str,
    CustomerOrderField.CREATED_AT: datetime.fromisoformat,
}


@strawberry.input(description="An order for the customers list; ties are broken by id.")
class CustomerOrder:
    field: CustomerOrderField = strawberry.field(description="The sort key.")
    direction: Direction = strawberry.field(
        default=Direction.ASC, description="ASC: smallest first (default); DESC: largest first."
    )


@strawberry.input(description="Filters for the customers list; all are optional and combine.")
class CustomerFilter:
    stage: customers.Stage | None = strawberry.field(
        default=None, description="Only customers in this lifecycle stage."
    )
    bundle: customers.Bundle | None = strawberry.field(
        default=None, description="Only customers on this bundle."
    )
    search: str | None = strawberry.field(
        default=None, description="Part of the name; Arabic matches without hamza or diacritics."
    )
    include_archived: bool = strawberry.field(
        default=False, description="Also list archived customers (default false)."
    )


@strawberry.input(description="A new customer.")
class CreateCustomerInput:
    name: str = strawberry.field(description="1..120 characters, trimmed.")
    subscription_started_at: datetime = strawberry.field(
        description=(
            "When the subscription began; until the customer is active, "
            "days inactive and Proof Pack age count from here "
            "(docs/rules.md §4.1), so use today's date for a new "
            "customer."
        )
    )
    locale: customers.Locale = strawberry.field(
        default=customers.Locale.AR, description="The language Wafi drafts in for this customer."
    )
    bundle: customers.Bundle = strawberry.field(
        default=customers.Bundle.GROWTH_STARTER,
        description="What was sold; it decides the success plan (docs/rules.md §4.3).",
    )
    stage: customers.Stage = strawberry.field(
        default=customers.Stage.ONBOARDING,
        description="Where the customer starts in its lifecycle (docs/rules.md §4.6).",
    )
    subscription_status: customers.SubscriptionStatus = strawberry.field(
        default=customers.SubscriptionStatus.PILOT,
        description="The subscription's status; past_due raises a PAYMENT_PAST_DUE alert.",
    )
    renews_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When the subscription renews, after its start; renewal items"
            " fall 30 and 7 days before (docs/rules.md §4.3)."
        ),
    )
    contact_email: str | None = strawberry.field(
        default=None, description="An email address, at most 254 characters."
    )
    last_activity_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "The customer's last activity, if known; drives days inactive"
            " (docs/rules.md §4.1, §4.2)."
        ),
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A repeat with the same key returns the first result."
    )


@strawberry.input(description="Changes to a customer; fields left out stay as they are.")
class UpdateCustomerInput:
    id: strawberry.ID = strawberry.field(description="The customer's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )
    name: str | None = strawberry.field(default=None, description="New name, 1..120 characters.")
    locale: customers.Locale | None = strawberry.field(
        default=None, description="New drafting language."
    )
    bundle: customers.Bundle | None = strawberry.field(default=None, description="New bundle.")
    subscription_status: customers.SubscriptionStatus | None = strawberry.field(
        default=None, description="New subscription status."
    )
    subscription_started_at: datetime | None = strawberry.field(
        default=None, description="New subscription start."
    )
    renews_at: datetime | None = strawberry.field(
        default=None, description="New renewal time, after the subscription start."
    )
    contact_email: str | None = strawberry.field(
        default=None, description="New contact email, at most 254 characters."
    )
    last_activity_at: datetime | None = strawberry.field(
        default=None, description="New last activity time."
    )


@strawberry.input(description="Archive a customer: it leaves lists but keeps its history.")
class ArchiveCustomerInput:
    id: strawberry.ID = strawberry.field(description="The customer's global id.")
    version: int = strawberry.field(
        description="The version you read; a ConflictError if it has moved since."
    )


@strawberry.type(description="The customer as it is after the mutation.")
class CustomerPayload:
    customer: Customer = strawberry.field(description="The customer as it is now.")


CustomerResult = Annotated[
    CustomerPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("CustomerResult", description="The customer, or why it was refused."),
]
