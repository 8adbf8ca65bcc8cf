"""Alert payloads, typed per kind (docs/rules.md §5): global ids for every entity, DateTime dates.

Stored payloads are JSON written by the rules (in SQL and in Python), so their dates come in
several spellings and their ids are bare integers; this module is the one place that reads them.
The referenced entity's id comes from the alert's subject columns, never from the JSON. A value
an older payload lacks is null rather than an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import strawberry

from domain import alerts, incidents, scores, tickets
from domain.alerts import AlertKind
from domain.channels import FreezeCause
from schema.types import channels as _registers_freeze_cause  # noqa: F401  (the enum first)
from schema.types.relay import to_global_id

E = TypeVar("E", bound=StrEnum)


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _enum(kind: type[E], value: Any) -> E | None:
    try:
        return kind(str(value)) if value is not None else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@strawberry.type(description="A ticket's SLA clock ran past its due time (§2.6).")
class SlaBreachDetails:
    ticket_id: strawberry.ID = strawberry.field(description="Global id of the breached ticket.")
    priority: tickets.Priority | None = strawberry.field(
        description="The ticket's priority when it breached (sets the alert's severity)."
    )
    due_at: datetime | None = strawberry.field(description="The due time that passed.")

    @classmethod
    def read(cls, subject_id: int, payload: Mapping[str, Any]) -> SlaBreachDetails:
        return cls(
            ticket_id=to_global_id("Ticket", subject_id),
            priority=_enum(tickets.Priority, payload.get("priority")),
            due_at=_datetime(payload.get("dueAt")),
        )


@strawberry.type(description="SLA_FIRST_RESPONSE_BREACH: no first response by its due time.")
class FirstResponseBreachDetails(SlaBreachDetails):
    pass


@strawberry.type(description="SLA_RESOLUTION_BREACH: not resolved by its due time.")
class ResolutionBreachDetails(SlaBreachDetails):
    pass


@strawberry.type(description="SLA_HEALTH_CRITICAL: the organisation's SLA health turned critical.")
class SlaHealthCriticalDetails:
    organisation_id: strawberry.ID = strawberry.field(description="Global id of your organisation.")
    breach_rate: float | None = strawberry.field(
        description="Share of tickets that breached an SLA clock in the window (0–1)."
    )
    window_days: int | None = strawberry.field(description="The window the rate covers, in days.")


@strawberry.type(description="AT_RISK: a customer's at-risk severity rose, or a renewal is near.")
class AtRiskDetails:
    customer_id: strawberry.ID = strawberry.field(description="Global id of the customer.")
    risk_severity: scores.Severity | None = strawberry.field(
        description="The §4.1 severity reached."
    )
    previous_severity: scores.Severity | None = strawberry.field(
        description="The severity before the rise; null the first time the customer is scored."
    )
    score: int | None = strawberry.field(description="The §4.1 at-risk score (0–100).")
    reasons: list[str] = strawberry.field(description="Why, in the scan's words (Arabic).")
    recommended_action: str | None = strawberry.field(description="What §4.1 recommends.")
    reason: str | None = strawberry.field(
        description="Set for a rule other than the score: `renewal_7_day` (renewal in 7 days)."
    )
    renews_on: date | None = strawberry.field(description="For `renewal_7_day`: the renewal day.")
    draft_id: strawberry.ID | None = strawberry.field(
        description="For `renewal_7_day`: global id of the offer draft written for approval."
    )


@strawberry.type(description="INCIDENT_UPDATE_OVERDUE: an incident's next update is overdue (§3).")
class IncidentUpdateOverdueDetails:
    incident_id: strawberry.ID = strawberry.field(description="Global id of the incident.")
    title: str | None = strawberry.field(description="The incident's title.")
    incident_severity: incidents.Severity | None = strawberry.field(
        description="The incident's severity (sets the alert's severity)."
    )
    due_at: datetime | None = strawberry.field(description="When the update was due.")


@strawberry.type(description="PDPL_DEADLINE_NEAR: a data leak's PDPL notification is due soon.")
class PdplDeadlineNearDetails:
    incident_id: strawberry.ID = strawberry.field(description="Global id of the incident.")
    title: str | None = strawberry.field(description="The incident's title.")
    incident_severity: incidents.Severity | None = strawberry.field(
        description="The incident's severity."
    )
    notify_by: datetime | None = strawberry.field(
        description="When the affected customers must have been notified."
    )


@strawberry.type(description="ONBOARDING_STALLED: onboarding unfinished 3 days after the start.")
class OnboardingStalledDetails:
    customer_id: strawberry.ID = strawberry.field(description="Global id of the customer.")
    steps_done: int | None = strawberry.field(description="Onboarding steps done.")
    steps_total: int | None = strawberry.field(description="Onboarding steps in all.")
    subscription_started_at: datetime | None = strawberry.field(
        description="When the subscription started."
    )


@strawberry.type(description="INACTIVE_CUSTOMER: no customer activity for 7 days (§4.6).")
class InactiveCustomerDetails:
    customer_id: strawberry.ID = strawberry.field(description="Global id of the customer.")
    last_activity_at: datetime | None = strawberry.field(
        description="The last recorded activity; null if there never was one."
    )
    inactive_since: datetime | None = strawberry.field(
        description="Since when: the last activity, or the subscription start if none."
    )


@strawberry.type(description="PAYMENT_PAST_DUE: the subscription is past due.")
class PaymentPastDueDetails:
    customer_id: strawberry.ID = strawberry.field(description="Global id of the customer.")
    renews_at: datetime | None = strawberry.field(description="The renewal date it fell due on.")


@strawberry.type(description="FOLLOW_UP_OVERDUE: an escalation follow-up passed its due time (§7).")
class FollowUpOverdueDetails:
    ticket_id: strawberry.ID = strawberry.field(description="Global id of the ticket.")
    follow_up_id: strawberry.ID | None = strawberry.field(description="Global id of the follow-up.")
    follow_up_kind: str | None = strawberry.field(
        description="COMPLAINT_OR_CHURN, TECHNICAL_FAILURE or LEGAL_QUESTION."
    )
    due_at: datetime | None = strawberry.field(description="When it was due.")


@strawberry.type(description="WEBHOOK_DISABLED: an endpoint failed every retry for a day.")
class WebhookDisabledDetails:
    endpoint_id: strawberry.ID = strawberry.field(description="Global id of the endpoint.")
    url: str | None = strawberry.field(description="Where it was sending to.")
    reason: str | None = strawberry.field(description="The attempts made and the last error.")


@strawberry.type(
    description="CHANNEL_FROZEN: a channel froze; its drafts wait for an owner's lift."
)
class ChannelFrozenDetails:
    freeze_id: strawberry.ID = strawberry.field(description="Global id of the channel freeze.")
    channel: tickets.Channel | None = strawberry.field(description="The frozen channel.")
    cause: FreezeCause | None = strawberry.field(
        description="Why: a rate above its limit (docs/rules.md §8.5) or an incident's step 1."
    )
    sent: int | None = strawberry.field(description="Sent in the trailing 7 days.")
    bounce_rate: float | None = strawberry.field(description="Bounced / sent (0–1).")
    complaint_rate: float | None = strawberry.field(description="Complaints / sent (0–1).")
    block_rate: float | None = strawberry.field(description="Blocks / sent (0–1).")
    frozen_by_incident_id: strawberry.ID | None = strawberry.field(
        description="For `incident`: global id of the incident whose step 1 froze it."
    )


@strawberry.type(
    description="RED_FLAG / RED_FLAG_OVERDUE: a red flag to escalate (docs/rules.md §8.2)."
)
class RedFlagDetails:
    customer_id: strawberry.ID = strawberry.field(description="Global id of the customer.")
    red_flag_id: strawberry.ID | None = strawberry.field(description="Global id of the red flag.")
    category: str | None = strawberry.field(description="churn, arabic_quality, expectation, ...")
    due_at: datetime | None = strawberry.field(description="When it must be escalated by.")


def _red_flag(subject_id: int, p: Mapping[str, Any]) -> RedFlagDetails:
    flag = _int(p.get("redFlagId"))
    return RedFlagDetails(
        customer_id=to_global_id("Customer", subject_id),
        red_flag_id=None if flag is None else to_global_id("RedFlag", flag),
        category=_text(p.get("category")),
        due_at=_datetime(p.get("dueAt")),
    )


AlertDetails = Annotated[
    FirstResponseBreachDetails
    | ResolutionBreachDetails
    | SlaHealthCriticalDetails
    | AtRiskDetails
    | IncidentUpdateOverdueDetails
    | PdplDeadlineNearDetails
    | OnboardingStalledDetails
    | InactiveCustomerDetails
    | PaymentPastDueDetails
    | WebhookDisabledDetails
    | FollowUpOverdueDetails
    | ChannelFrozenDetails
    | RedFlagDetails,
    strawberry.union("AlertDetails", description="An alert's details: one type per alert kind."),
]


def _at_risk(subject_id: int, p: Mapping[str, Any]) -> AtRiskDetails:
    draft = _int(p.get("draftId"))
    reasons = p.get("reasons")
    return AtRiskDetails(
        customer_id=to_global_id("Customer", subject_id),
        risk_severity=_enum(scores.Severity, p.get("severity")),
        previous_severity=_enum(scores.Severity, p.get("previousSeverity")),
        score=_int(p.get("score")),
        reasons=[str(r) for r in reasons] if isinstance(reasons, list) else [],
        recommended_action=_text(p.get("recommendedAction")),
        reason=_text(p.get("reason")),
        renews_on=_date(p.get("renewsOn")),
        draft_id=None if draft is None else to_global_id("Draft", draft),
    )


def _incident(subject_id: int, p: Mapping[str, Any]) -> IncidentUpdateOverdueDetails:
    return IncidentUpdateOverdueDetails(
        incident_id=to_global_id("Incident", subject_id),
        title=_text(p.get("title")),
        incident_severity=_enum(incidents.Severity, p.get("severity")),
        due_at=_datetime(p.get("dueAt")),
    )


def _pdpl(subject_id: int, p: Mapping[str, Any]) -> PdplDeadlineNearDetails:
    return PdplDeadlineNearDetails(
        incident_id=to_global_id("Incident", subject_id),
        title=_text(p.get("title")),
        incident_severity=_enum(incidents.Severity, p.get("severity")),
        notify_by=_datetime(p.get("notifyBy")),
    )


def _follow_up(subject_id: int, p: Mapping[str, Any]) -> FollowUpOverdueDetails:
    follow_up = _int(p.get("followUpId"))
    return FollowUpOverdueDetails(
        ticket_id=to_global_id("Ticket", subject_id),
        follow_up_id=None if follow_up is None else to_global_id("TicketFollowUp", follow_up),
        follow_up_kind=_text(p.get("followUpKind")),
        due_at=_datetime(p.get("dueAt")),
    )


_READERS: dict[AlertKind, Callable[[int, Mapping[str, Any]], Any]] = {
    AlertKind.SLA_FIRST_RESPONSE_BREACH: FirstResponseBreachDetails.read,
    AlertKind.SLA_RESOLUTION_BREACH: ResolutionBreachDetails.read,
    AlertKind.SLA_HEALTH_CRITICAL: lambda pk, p: SlaHealthCriticalDetails(
        organisation_id=to_global_id("Organisation", pk),
        breach_rate=_float(p.get("breachRate")),
        window_days=_int(p.get("windowDays")),
    ),
    AlertKind.AT_RISK: _at_risk,
    AlertKind.INCIDENT_UPDATE_OVERDUE: _incident,
    AlertKind.PDPL_DEADLINE_NEAR: _pdpl,
    AlertKind.ONBOARDING_STALLED: lambda pk, p: OnboardingStalledDetails(
        customer_id=to_global_id("Customer", pk),
        steps_done=_int(p.get("stepsDone")),
        steps_total=_int(p.get("stepsTotal")),
        subscription_started_at=_datetime(p.get("subscriptionStartedAt")),
    ),
    AlertKind.INACTIVE_CUSTOMER: lambda pk, p: InactiveCustomerDetails(
        customer_id=to_global_id("Customer", pk),
        last_activity_at=_datetime(p.get("lastActivityAt")),
        inactive_since=_datetime(p.get("inactiveSince")),
    ),
    AlertKind.PAYMENT_PAST_DUE: lambda pk, p: PaymentPastDueDetails(
        customer_id=to_global_id("Customer", pk), renews_at=_datetime(p.get("renewsAt"))
    ),
    AlertKind.FOLLOW_UP_OVERDUE: _follow_up,
    AlertKind.WEBHOOK_DISABLED: lambda pk, p: WebhookDisabledDetails(
        endpoint_id=to_global_id("WebhookEndpoint", pk),
        url=_text(p.get("url")),
        reason=_text(p.get("reason")),
    ),
    AlertKind.CHANNEL_FROZEN: lambda pk, p: ChannelFrozenDetails(
        freeze_id=to_global_id("ChannelFreeze", pk),
        channel=_enum(tickets.Channel, p.get("channel")),
        cause=_enum(FreezeCause, p.get("cause")),
        sent=_int(p.get("sent")),
        bounce_rate=_float(p.get("bounceRate")),
        complaint_rate=_float(p.get("complaintRate")),
        block_rate=_float(p.get("blockRate")),
        frozen_by_incident_id=None
        if _int(p.get("incidentId")) is None
        else to_global_id("Incident", p["incidentId"]),
    ),
    AlertKind.RED_FLAG: _red_flag,
    AlertKind.RED_FLAG_OVERDUE: _red_flag,
}


def details(alert: alerts.Alert) -> Any:
    """The typed payload of `alert`, by its kind."""
    return _READERS[alert.kind](alert.subject_id, alert.payload)
