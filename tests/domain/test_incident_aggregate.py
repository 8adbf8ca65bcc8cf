"""docs/rules.md §3: the incident aggregate's moves, without I/O."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain import incidents
from domain.errors import DomainError, ErrorCode
from domain.incidents import IncidentStatus, Severity

DETECTED = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def declare(count: int = 0, *, leak: bool = False, send: bool = False) -> incidents.Incident:
    return incidents.declare(
        title=" عطل ",
        description="",
        affected_count=count,
        has_data_leak=leak,
        has_unauthorized_send=send,
        detected_at=DETECTED,
    )


def test_declare_trims_the_title_and_sets_every_deadline() -> None:
    incident = declare(1, leak=True)
    assert incident.title == "عطل"
    assert (incident.severity, incident.triage_severity) == (Severity.SEV1, Severity.SEV1)
    assert incident.first_action_due_at == DETECTED + timedelta(minutes=15)
    assert incident.next_update_due_at == DETECTED + timedelta(minutes=30)
    assert incident.pdpl_notify_by == DETECTED + timedelta(hours=72)
    assert incident.freezes_live_actions is True


@pytest.mark.parametrize(
    ("before", "after", "severity", "reason"),
    [
        (4, 5, Severity.SEV2, "عدد العملاء المتأثرين: 5 ≥ 5."),
        (1, 4, Severity.SEV3, "حدث محدود التأثير."),
        (5, 9, Severity.SEV2, "عدد العملاء المتأثرين: 9 ≥ 5."),
    ],
)
def test_adding_customers_re_triages(
    before: int, after: int, severity: Severity, reason: str
) -> None:
    grown = incidents.add_affected(declare(before), after)
    assert (grown.severity, grown.triage_severity, grown.reason_ar) == (severity, severity, reason)
    assert grown.affected_count == after
    assert grown.version == 2


def test_adding_customers_to_a_sev1_keeps_its_reason() -> None:
    grown = incidents.add_affected(declare(1, send=True), 6)
    assert grown.severity is Severity.SEV1
    assert grown.reason_ar == "تسريب أمان أو إرسال غير معتمد — أعلى أولوية."


def test_changing_severity_moves_the_deadlines_from_the_last_update() -> None:
    updated = incidents.post_update(declare(1), now=DETECTED + timedelta(minutes=50))
    raised = incidents.change_severity(updated, Severity.SEV1)
    assert raised.first_action_due_at == DETECTED + timedelta(minutes=15)
    assert raised.next_update_due_at == DETECTED + timedelta(minutes=80)
    with pytest.raises(DomainError) as refused:
        incidents.change_severity(declare(5), Severity.SEV3)
    assert refused.value.code is ErrorCode.SEVERITY_LOWERED


def test_resolving_stops_updates_and_starts_the_post_mortem_clock() -> None:
    resolved_at = DETECTED + timedelta(hours=3)
    mitigated = incidents.advance(declare(5), IncidentStatus.MITIGATED, now=DETECTED)
    resolved = incidents.advance(mitigated, IncidentStatus.RESOLVED, now=resolved_at)
    assert resolved.next_update_due_at is None
    assert resolved.post_mortem_due_at == resolved_at + timedelta(hours=48)
    assert incidents.update_overdue_now(resolved, now=resolved_at + timedelta(days=9)) is False


@pytest.mark.parametrize(
    ("acted_after", "checked_after", "overdue"),
    [(None, 15, False), (None, 16, True), (15, 60, False), (16, 60, True)],
)
def test_first_action_is_overdue_only_strictly_after_its_due_time(
    acted_after: int | None, checked_after: int, overdue: bool
) -> None:
    acted = None if acted_after is None else DETECTED + timedelta(minutes=acted_after)
    incident = dataclasses.replace(declare(1, leak=True), first_action_at=acted)
    now = DETECTED + timedelta(minutes=checked_after)
    assert incidents.first_action_overdue(incident, now=now) is overdue


def test_a_closed_incident_refuses_every_change() -> None:
    closed = dataclasses.replace(declare(), status=IncidentStatus.CLOSED)
    moves: tuple[Callable[[], object], ...] = (
        lambda: incidents.change_severity(closed, Severity.SEV1),
        lambda: incidents.add_affected(closed, 3),
        lambda: incidents.post_update(closed, now=DETECTED),
        lambda: incidents.record_pdpl_notification(closed, now=DETECTED),
    )
    for move in moves:
        with pytest.raises(DomainError) as refused:
            move()
        assert refused.value.code is ErrorCode.INVALID_TRANSITION
