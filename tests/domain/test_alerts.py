"""§5: each alert kind's severity (the mapping `Alert.severity` answers)."""

from __future__ import annotations

from typing import Any

import pytest

from domain.alerts import AlertKind, AlertSeverity, severity_of


@pytest.mark.parametrize(
    ("kind", "payload", "expected"),
    [
        ("SLA_FIRST_RESPONSE_BREACH", {"priority": "P0"}, AlertSeverity.HIGH),
        ("SLA_FIRST_RESPONSE_BREACH", {"priority": "P1"}, AlertSeverity.MEDIUM),
        ("SLA_RESOLUTION_BREACH", {"priority": "P2"}, AlertSeverity.LOW),
        ("SLA_RESOLUTION_BREACH", {"priority": "P3"}, AlertSeverity.LOW),
        ("SLA_RESOLUTION_BREACH", {}, AlertSeverity.MEDIUM),
        ("INCIDENT_UPDATE_OVERDUE", {"severity": "SEV1"}, AlertSeverity.HIGH),
        ("INCIDENT_UPDATE_OVERDUE", {"severity": "SEV3"}, AlertSeverity.LOW),
        ("PDPL_DEADLINE_NEAR", {"severity": "SEV3"}, AlertSeverity.HIGH),
        ("AT_RISK", {"severity": "low"}, AlertSeverity.LOW),
        ("AT_RISK", {}, AlertSeverity.MEDIUM),
        ("SLA_HEALTH_CRITICAL", {}, AlertSeverity.HIGH),
        ("PAYMENT_PAST_DUE", {}, AlertSeverity.HIGH),
        ("INACTIVE_CUSTOMER", {"severity": "high"}, AlertSeverity.MEDIUM),
        ("ONBOARDING_STALLED", {}, AlertSeverity.LOW),
    ],
)
def test_severity_per_kind(kind: str, payload: dict[str, Any], expected: AlertSeverity) -> None:
    assert severity_of(AlertKind(kind), payload) is expected
