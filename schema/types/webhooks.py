"""What a client sees of webhooks: endpoints (never a secret but once), the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import alerts, webhooks
from schema.types import alerts as _alert_types  # noqa: F401  (registers AlertKind)
from schema.types import errors
from schema.types.relay import Node, to_global_id

DeliveryStatus = strawberry.enum(
    webhooks.DeliveryStatus,
    name="WebhookDeliveryStatus",
    description="Pending (waiting or retrying), succeeded, or failed for good.",
)


@strawberry.type(
    description="A URL that receives the organisation's alerts, signed (README: Webhooks)."
)
class WebhookEndpoint(Node):
    pk: strawberry.Private[int]
    url: str = strawberry.field(description="Where messages are POSTed.")
    kinds: list[alerts.AlertKind] = strawberry.field(
        description="The alert kinds it receives; empty: every kind."
    )
    created_at: datetime = strawberry.field(description="When it was added.")
    disabled_at: datetime | None = strawberry.field(
        description="When it stopped receiving (by an operator, or after a day of failures)."
    )
    disabled_reason: str | None = strawberry.field(description="Why it was disabled.")
    secret_rotated_at: datetime | None = strawberry.field(
        description="When its secret was last rotated."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until when messages are also signed with the secret before the rotation."
    )

    @classmethod
    def from_domain(cls, value: webhooks.Endpoint) -> WebhookEndpoint:
        return cls(
            id=to_global_id("WebhookEndpoint", value.id),
            pk=value.id,
            url=value.url,
            kinds=list(value.kinds),
            created_at=value.created_at,
            disabled_at=value.disabled_at,
            disabled_reason=value.disabled_reason,
            secret_rotated_at=value.secret_rotated_at,
            previous_secret_expires_at=value.previous_secret_expires_at,
        )


@strawberry.type(description="One alert for one endpoint, and how sending it went.")
class WebhookDelivery(Node):
    pk: strawberry.Private[int]
    message_id: str = strawberry.field(
        description="The `webhook-id` header: the same on every retry and redelivery."
    )
    kind: str = strawberry.field(description="The alert kind it carries.")
    status: webhooks.DeliveryStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="Attempts made so far.")
    next_attempt_at: datetime = strawberry.field(
        description="When it is (or was last) due to be tried."
    )
    last_response_code: int | None = strawberry.field(
        description="The HTTP status the receiver last answered; null: no answer."
    )
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")
    last_latency_ms: int | None = strawberry.field(description="How long the last attempt took.")
    created_at: datetime = strawberry.field(description="When the alert was published.")
    delivered_at: datetime | None = strawberry.field(description="When a 2xx answered it.")

    @classmethod
    def from_domain(cls, value: webhooks.Delivery) -> WebhookDelivery:
        return cls(
            id=to_global_id("WebhookDelivery", value.id),
            pk=value.id,
            message_id=webhooks.message_id(value.event_id),
            kind=value.kind,
            status=value.status,
            attempts=value.attempts,
            next_attempt_at=value.next_attempt_at,
            last_response_code=value.last_response_code,
            last_error=value.last_error,
            last_latency_ms=value.last_latency_ms,
            created_at=value.created_at,
            delivered_at=value.delivered_at,
        )


@strawberry.input(description="A new endpoint; its signing secret is in the answer only.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="http(s) URL of a public host (private and loopback hosts are refused)."
    )
    kinds: list[alerts.AlertKind] = strawberry.field(
        default_factory=list, description="Alert kinds to receive; empty: every kind."
    )


@strawberry.input(description="A new signing secret; the old one keeps signing for a while.")
class RotateWebhookSecretInput:
    id: strawberry.ID = strawberry.field(description="The endpoint's global id.")
    overlap_hours: int = strawberry.field(
        default=24, description="Hours the old secret also signs (0 to 168), for a smooth switch."
    )


@strawberry.input(description="An endpoint to disable or enable.")
class WebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint's global id.")


@strawberry.input(description="A message to send again, with the same message id.")
class RedeliverWebhookInput:
    id: strawberry.ID = strawberry.field(description="The delivery's global id.")


@strawberry.type(description="The endpoint and its signing secret, shown this once.")
class WebhookSecretPayload:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(
        description="`whsec_…`: verify signatures with it; it is never shown again."
    )


@strawberry.type(description="The endpoint as it is after the mutation.")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")


@strawberry.type(description="The delivery, queued to be sent again.")
class WebhookDeliveryPayload:
    delivery: WebhookDelivery = strawberry.field(description="The delivery.")


WebhookSecretResult = Annotated[
    WebhookSecretPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("WebhookSecretResult", description="The endpoint and secret, or why not."),
]
WebhookEndpointResult = Annotated[
    WebhookEndpointPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("WebhookEndpointResult", description="The endpoint, or why not."),
]
WebhookDeliveryResult = Annotated[
    WebhookDeliveryPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("WebhookDeliveryResult", description="The delivery, or why not."),
]
