"""Alerts: their kinds, and what acknowledging one requires (docs/rules.md §5, §4.1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain import text
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

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
    # Not a §5 rule: a webhook endpoint that failed every retry for about a day was disabled.
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"
    FOLLOW_UP_OVERDUE = "FOLLOW_UP_OVERDUE"
    # §8.5: a channel froze (its rates, or incident response-plan step 1).
    CHANNEL_FROZEN = "CHANNEL_FROZEN"
    # §8.2: a red flag, escalated within the hour; still unacknowledged an hour on.
    RED_FLAG = "RED_FLAG"
    RED_FLAG_OVERDUE = "RED_FLAG_OVERDUE"


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
    def severity(self) -> AlertSeverity:
        """§5: how urgent it is, by `severity_of`."""
        return severity_of(self.kind, self.payload)


class AlertSeverity(StrEnum):
    """§5: every alert's urgency, on the at-risk scale (§4.1), lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


# §5 severity per kind. A kind whose urgency varies reads it from the payload: a ticket's
# priority, an incident's severity, the at-risk severity the scan computed. A value the
# payload lacks (an alert stored before it was recorded) counts as MEDIUM.
_BY_PRIORITY = {"P0": AlertSeverity.HIGH, "P1": AlertSeverity.MEDIUM}  # P2, P3: LOW
_BY_INCIDENT = {"SEV1": AlertSeverity.HIGH, "SEV2": AlertSeverity.MEDIUM, "SEV3": AlertSeverity.LOW}
_FIXED = {
    AlertKind.SLA_HEALTH_CRITICAL: AlertSeverity.HIGH,
    AlertKind.PDPL_DEADLINE_NEAR: AlertSeverity.HIGH,
    AlertKind.PAYMENT_PAST_DUE: AlertSeverity.HIGH,
    AlertKind.INACTIVE_CUSTOMER: AlertSeverity.MEDIUM,
    AlertKind.ONBOARDING_STALLED: AlertSeverity.LOW,
    AlertKind.WEBHOOK_DISABLED: AlertSeverity.HIGH,
    AlertKind.FOLLOW_UP_OVERDUE: AlertSeverity.HIGH,
    AlertKind.CHANNEL_FROZEN: AlertSeverity.HIGH,
    AlertKind.RED_FLAG: AlertSeverity.HIGH,
    AlertKind.RED_FLAG_OVERDUE: AlertSeverity.HIGH,
}


def severity_of(kind: AlertKind, payload: Mapping[str, Any]) -> AlertSeverity:
    """§5: an alert's severity — SLA breaches by the ticket's priority (P0 high, P1 medium,
    P2/P3 low), incident alerts by the incident's (SEV1 high, SEV2 medium, SEV3 low) except the
    PDPL deadline (high), at-risk by its §4.1 severity, the rest fixed per kind."""
    if kind in _FIXED:
        return _FIXED[kind]
    if kind in SLA_BREACH_KINDS:
        priority = payload.get("priority")
        if priority is None:
            return AlertSeverity.MEDIUM
        return _BY_PRIORITY.get(str(priority), AlertSeverity.LOW)
    if kind is AlertKind.INCIDENT_UPDATE_OVERDUE:
        return _BY_INCIDENT.get(str(payload.get("severity")), AlertSeverity.MEDIUM)
    try:
        return AlertSeverity(str(payload.get("severity")))
    except ValueError:
        return AlertSeverity.MEDIUM


def needs_recorded_action(alert: Alert) -> bool:
    """§4.1: a `high` at-risk alert cannot be dismissed without a recorded action."""
    return alert.kind is AlertKind.AT_RISK and alert.severity is AlertSeverity.HIGH


def acknowledge(alert: Alert, *, action: str | None, by: int, now: datetime) -> Alert:
    """§4.1/§5: the alert acknowledged by operator `by`, with the action taken if any."""
    if alert.acknowledged_at is not None:
        raise DomainError("id", ErrorCode.INVALID_TRANSITION, Msg.ALERT_ACKNOWLEDGED)
    recorded = None if action is None or text.blank(action) else action.strip()
    if recorded is not None and len(recorded) > ACTION_LIMIT:
        raise DomainError("action", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=ACTION_LIMIT)
    if recorded is None and needs_recorded_action(alert):
        raise DomainError("action", ErrorCode.REQUIRED, Msg.HIGH_ALERT_NEEDS_ACTION)
    return replace(alert, acknowledged_at=now, acknowledged_by=by, action_taken=recorded)
