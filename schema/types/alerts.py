"""What a client sees of alerts (docs/rules.md §5): stored, listed, acknowledged, pushed live."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import alerts
from schema.types import alert_payloads, errors
from schema.types.relay import Node, to_global_id

AlertKind = strawberry.enum(
    alerts.AlertKind, description="Why an alert was raised (docs/rules.md §5)."
)
AlertSeverity = strawberry.enum(
    alerts.AlertSeverity,
    description="How urgent an alert is: by the ticket's priority, the incident's severity, the "
    "at-risk severity, or fixed per kind (see `Alert.severity`).",
)


def _type_name(subject: str) -> str:
    # Subjects are stored in snake case ("ticket", "success_plan"): the GraphQL type's name.
    return "".join(part[:1].upper() + part[1:] for part in subject.split("_"))


@strawberry.type(description="Something that needs attention, raised once per occurrence.")
class Alert(Node):
    pk: strawberry.Private[int]
    kind: alerts.AlertKind = strawberry.field(description="Which rule raised it.")
    subject: str = strawberry.field(description="What it is about: ticket, customer, incident…")
    subject_id: strawberry.ID = strawberry.field(description="The global id of the subject.")
    occurrence: str = strawberry.field(
        description="Which occurrence of the rule for this subject (an alert fires once each)."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="The customer concerned, if any."
    )
    for_role: str = strawberry.field(description="The role the alert is addressed to.")
    severity: alerts.AlertSeverity = strawberry.field(
        description="Always set. SLA breaches: P0 HIGH, P1 MEDIUM, P2/P3 LOW. Incident update "
        "overdue: SEV1 HIGH, SEV2 MEDIUM, SEV3 LOW. At-risk: its §4.1 severity. PDPL deadline, "
        "SLA health critical, payment past due: HIGH. Inactive customer: MEDIUM. Onboarding "
        "stalled: LOW. A value an older alert lacks counts as MEDIUM."
    )
    payload: alert_payloads.AlertDetails = strawberry.field(
        description="The rule's details, typed by kind: global ids, DateTime dates."
    )
    created_at: datetime = strawberry.field(description="When it was raised.")
    acknowledged_at: datetime | None = strawberry.field(description="When someone took it.")
    acknowledged_by: strawberry.ID | None = strawberry.field(
        description="The operator who acknowledged it."
    )
    action_taken: str | None = strawberry.field(description="What was done about it.")

    @classmethod
    def from_domain(cls, value: alerts.Alert) -> Alert:
        return cls(
            id=to_global_id("Alert", value.id),
            pk=value.id,
            kind=value.kind,
            subject=value.subject,
            subject_id=to_global_id(_type_name(value.subject), value.subject_id),
            occurrence=value.occurrence,
            customer_id=None
            if value.customer_id is None
            else to_global_id("Customer", value.customer_id),
            for_role=value.for_role,
            severity=value.severity,
            payload=alert_payloads.details(value),
            created_at=value.created_at,
            acknowledged_at=value.acknowledged_at,
            acknowledged_by=None
            if value.acknowledged_by is None
            else to_global_id("Operator", value.acknowledged_by),
            action_taken=value.action_taken,
        )


@strawberry.input(description="Filters for the alerts list; all are optional and combine.")
class AlertFilter:
    kinds: list[alerts.AlertKind] | None = strawberry.field(
        default=None, description="Only these kinds."
    )
    acknowledged: bool | None = strawberry.field(
        default=None, description="true: only acknowledged; false: only open ones."
    )
    customer: strawberry.ID | None = strawberry.field(
        default=None, description="Only alerts about this customer (like the tickets filter)."
    )


@strawberry.type(description="The alert as it is after the mutation.")
class AlertPayload:
    alert: Alert = strawberry.field(description="The alert, acknowledged.")


AcknowledgeAlertResult = Annotated[
    AlertPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("AcknowledgeAlertResult", description="The alert, or why it was refused."),
]
