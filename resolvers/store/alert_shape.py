"""How a stored alert reads: its payload whole, and as the event the relay publishes.

An SLA breach alert stores only what its columns do not already say (docs/architecture.md,
Alerts step 1): its ticket is its subject, its clock follows from its kind, and its due time is
its occurrence, so its payload keeps the ticket's priority alone. Every read shows the payload
whole — `ticketId`, `clock`, `priority`, `dueAt` — as one SQL expression over the row, so the
API, the live event and the webhook body agree, and an alert stored whole (before migration
0025) reads the same (its stored keys win).
"""

from __future__ import annotations

from typing import Final

from domain.alerts import AlertKind

_BREACH_CLOCKS: Final = (
    (AlertKind.SLA_FIRST_RESPONSE_BREACH, "first_response"),
    (AlertKind.SLA_RESOLUTION_BREACH, "resolution"),
)


def payload_sql(row: str) -> str:
    """The alert's payload as every reader sees it, for the `alerts` row named `row`."""
    breaches = " ".join(
        f"WHEN '{kind.value}' THEN jsonb_build_object('ticketId', {row}.subject_id, "
        f"'clock', '{clock}', 'dueAt', {row}.occurrence) || {row}.payload"
        for kind, clock in _BREACH_CLOCKS
    )
    return f"CASE {row}.kind {breaches} ELSE {row}.payload END"


# An alert as published (`alerts.from_event` reads it back), for an `alerts` row named `a`: by
# the relay for Redis and for the webhook deliveries it makes.
ALERT_EVENT_SQL: Final = (
    "jsonb_build_object('id', a.id, 'kind', a.kind, 'subject', a.subject, "
    "'subjectId', a.subject_id, 'occurrence', a.occurrence, 'customerId', a.customer_id, "
    f"'forRole', a.for_role, 'payload', {payload_sql('a')}, 'createdAt', a.created_at)"
)
