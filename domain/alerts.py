"""Alerts: their kinds, and what acknowledging one requires (DOMAIN.md §5, §4.1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.errors import DomainError, ErrorCode

ACTION_LIMIT = 1_000


class AlertKind(StrEnum):
    """§5: every kind of alert Wafi raises."""

    SLA_FIRST_RESPONSE_BREACH = "SLA_FIRST_RESPONSE_BREACH"
    SLA_RESOLUTION_BREACH = "SLA_RESOLUTION_BREACH"
    SLA_HEALTH_CRITICAL = "SLA_HEALTH_CRITICAL"
    AT_RISK = "AT_RISK"
    INCIDENT_UPDATE_OVERDUE = "INCIDENT_UPDATE_OVERDUE"
    PDPL_DEADLINE_NEAR = "PDPL_DEADLINE_NEAR"
    ONBOARDING_STALLED = "ONBOARDING_STALLED"
    INACTIVE_CUSTOMER = "INACTIVE_CUSTOMER"
    PAYMENT_PAST_DUE = "PAYMENT_PAST_DUE"
    FOLLOW_UP_OVERDUE = "FOLLOW_UP_OVERDUE"


# The subscriptions that narrow the alert stream to one concern.
SLA_BREACH_KINDS = frozenset({AlertKind.SLA_FIRST_RESPONSE_BREACH, AlertKind.SLA_RESOLUTION_BREACH})
AT_RISK_KINDS = frozenset({AlertKind.AT_RISK})
INCIDENT_KINDS = frozenset({AlertKind.INCIDENT_UPDATE_OVERDUE, AlertKind.PDPL_DEADLINE_NEAR})


@dataclass(frozen=True, slots=True)
class Alert:
    """§5: one stored alert; `id` increases with every alert raised."""

    id: int
    kind: AlertKind
    subject: str
    subject_id: int
    occurrence: str
    customer_id: int | None
    for_role: str
    payload: Mapping[str, Any]
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = None
    action_taken: str | None = None

    @property
    def severity(self) -> str | None:
        """The at-risk severity the payload carries (§4.1), if any."""
        value = self.payload.get("severity")
        return None if value is None else str(value)


def needs_recorded_action(alert: Alert) -> bool:
    """§4.1: a `high` at-risk alert cannot be dismissed without a recorded action."""
    return alert.kind is AlertKind.AT_RISK and alert.severity == "high"


def acknowledge(alert: Alert, *, action: str | None, by: int, now: datetime) -> Alert:
    """§4.1/§5: the alert acknowledged by operator `by`, with the action taken if any."""
    if alert.acknowledged_at is not None:
        raise DomainError("id", ErrorCode.INVALID_TRANSITION, "the alert is already acknowledged")
    recorded = (action or "").strip() or None
    if recorded is not None and len(recorded) > ACTION_LIMIT:
        raise DomainError("action", ErrorCode.TOO_LONG, f"at most {ACTION_LIMIT} characters")
    if recorded is None and needs_recorded_action(alert):
        raise DomainError(
            "action", ErrorCode.REQUIRED, "a high at-risk alert needs the action taken recorded"
        )
    return replace(alert, acknowledged_at=now, acknowledged_by=by, action_taken=recorded)
