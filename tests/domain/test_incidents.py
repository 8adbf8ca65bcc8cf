"""docs/rules.md §3: every number and text of the incident rules."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from domain import incidents
from domain.errors import DomainError, ErrorCode
from domain.incidents import IncidentStatus, Severity
from domain.messages import Language

SEV1, SEV2, SEV3 = Severity.SEV1, Severity.SEV2, Severity.SEV3
OPEN, MITIGATED = IncidentStatus.OPEN, IncidentStatus.MITIGATED
RESOLVED, CLOSED = IncidentStatus.RESOLVED, IncidentStatus.CLOSED
DETECTED = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)

COMMON_STEPS = (
    "تجميد الـ live actions على القناة المعنية فوراً.",
    "إخطار المؤسس + on-call operator.",
    "إنشاء incident channel مع timeline.",
    "مراجعة Action Ledger للأفعال المرتبطة.",
    "إذا تسريب: إخطار العملاء المتأثرين خلال 72 ساعة (PDPL).",
)
SEV1_REASON = "تسريب أمان أو إرسال غير معتمد — أعلى أولوية."
SEV3_REASON = "حدث محدود التأثير."


def test_severity_values_and_rank_put_sev1_highest() -> None:
    assert [str(s) for s in Severity] == ["SEV1", "SEV2", "SEV3"]
    assert [incidents.rank(s) for s in Severity] == [3, 2, 1]


@pytest.mark.parametrize(
    ("severity", "label_ar", "first_action", "cadence", "post_mortem_hours"),
    [
        (SEV1, "حرج جداً — تسريب أمان / إرسال خاطئ / تعطل كامل", 15, 30, 24),
        (SEV2, "خدمة مهمة معطلة لعدد كبير من العملاء", 30, 60, 48),
        (SEV3, "خدمة معطلة لعميل واحد أو degraded performance", 120, 240, None),
    ],
)
def test_policy_numbers_and_labels(
    severity: Severity,
    label_ar: str,
    first_action: int,
    cadence: int,
    post_mortem_hours: int | None,
) -> None:
    assert incidents.POLICIES[severity] == incidents.SeverityPolicy(
        severity, label_ar, first_action, cadence, post_mortem_hours
    )
    assert incidents.POLICIES[severity].post_mortem_required is (post_mortem_hours is not None)


def test_policies_cover_every_severity_once() -> None:
    assert list(incidents.POLICIES) == [SEV1, SEV2, SEV3]


@pytest.mark.parametrize(
    ("affected", "data_leak", "unauthorized_send", "severity", "reason_ar"),
    [
        (1, True, False, SEV1, SEV1_REASON),
        (0, True, False, SEV1, SEV1_REASON),
        (0, False, True, SEV1, SEV1_REASON),
        (3, False, True, SEV1, SEV1_REASON),
        (40, True, True, SEV1, SEV1_REASON),
        (10, False, False, SEV2, "عدد العملاء المتأثرين: 10 ≥ 5."),
        (5, False, False, SEV2, "عدد العملاء المتأثرين: 5 ≥ 5."),
        (4, False, False, SEV3, SEV3_REASON),
        (1, False, False, SEV3, SEV3_REASON),
        (0, False, False, SEV3, SEV3_REASON),
    ],
)
def test_triage(
    affected: int, data_leak: bool, unauthorized_send: bool, severity: Severity, reason_ar: str
) -> None:
    assert incidents.triage(affected, data_leak, unauthorized_send) == incidents.Triage(
        severity, reason_ar
    )


def test_triage_refuses_a_negative_count() -> None:
    with pytest.raises(DomainError) as caught:
        incidents.triage(-1, False, False)
    assert (caught.value.field, caught.value.code) == ("affectedCount", ErrorCode.OUT_OF_RANGE)


@pytest.mark.parametrize(
    ("current", "floor", "requested"),
    [
        (SEV3, SEV3, SEV3),
        (SEV3, SEV3, SEV2),
        (SEV3, SEV3, SEV1),
        (SEV2, SEV3, SEV3),
        (SEV2, SEV2, SEV2),
        (SEV2, SEV2, SEV1),
        (SEV1, SEV2, SEV2),
        (SEV1, SEV1, SEV1),
    ],
)
def test_severity_may_be_set_at_or_above_triage(
    current: Severity, floor: Severity, requested: Severity
) -> None:
    assert incidents.raise_severity(current, floor, requested) is requested


@pytest.mark.parametrize(
    ("current", "floor", "requested"),
    [
        (SEV2, SEV2, SEV3),
        (SEV1, SEV2, SEV3),
        (SEV1, SEV1, SEV2),
        (SEV1, SEV1, SEV3),
    ],
)
def test_refuses_severity_below_triage(
    current: Severity, floor: Severity, requested: Severity
) -> None:
    with pytest.raises(DomainError) as caught:
        incidents.raise_severity(current, floor, requested)
    assert (caught.value.field, caught.value.code) == ("severity", ErrorCode.SEVERITY_LOWERED)
    assert caught.value.message(Language.EN) == (
        f"cannot change severity from {current} to {requested}: triage gave {floor}"
    )


@pytest.mark.parametrize(
    ("severity", "extras"),
    [
        (
            SEV1,
            (
                "تواصل مباشر مع المؤسس + خلية أزمة.",
                "كتابة post-mortem خلال 24 ساعة.",
                "مراجعة قانونية إن لزم.",
            ),
        ),
        (SEV2, ("تحديث العملاء المتأثرين كل 60 دقيقة.", "post-mortem خلال 48 ساعة.")),
        (SEV3, ("تحديث العميل المتأثر مع كل خطوة.", "post-mortem اختياري.")),
    ],
)
def test_response_plan_is_common_steps_then_extras(
    severity: Severity, extras: tuple[str, ...]
) -> None:
    assert incidents.response_plan(severity) == COMMON_STEPS + extras


@pytest.mark.parametrize(("severity", "length"), [(SEV1, 8), (SEV2, 7), (SEV3, 7)])
def test_response_plan_length(severity: Severity, length: int) -> None:
    assert len(incidents.response_plan(severity)) == length


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("a" * 120, ""),
        ("ت" * 120, "و" * 500),
        ("Gmail drafts leaked", "d" * 500),
        ("x", ""),
    ],
)
def test_accepts_text_within_limits(title: str, description: str) -> None:
    incidents.validate_text(title, description)  # no DomainError


@pytest.mark.parametrize(
    ("title", "description", "field", "code", "message"),
    [
        ("a" * 121, "", "title", ErrorCode.TOO_LONG, "title is 121 characters > 120"),
        ("ت" * 121, "", "title", ErrorCode.TOO_LONG, "title is 121 characters > 120"),
        ("ok", "d" * 501, "description", ErrorCode.TOO_LONG, "description is 501 characters > 500"),
        ("", "", "title", ErrorCode.REQUIRED, "title is required"),
        ("  \n\t", "fine", "title", ErrorCode.REQUIRED, "title is required"),
    ],
)
def test_refuses_text(
    title: str, description: str, field: str, code: ErrorCode, message: str
) -> None:
    with pytest.raises(DomainError) as caught:
        incidents.validate_text(title, description)
    assert (caught.value.field, caught.value.code, caught.value.message(Language.EN)) == (
        field,
        code,
        message,
    )


def test_status_values_in_lifecycle_order() -> None:
    assert [str(s) for s in IncidentStatus] == ["open", "mitigated", "resolved", "closed"]


@pytest.mark.parametrize(
    ("current", "target", "severity"),
    [
        (OPEN, MITIGATED, SEV1),
        (MITIGATED, RESOLVED, SEV1),
        (OPEN, MITIGATED, SEV3),
        (MITIGATED, RESOLVED, SEV2),
        (RESOLVED, CLOSED, SEV3),
    ],
)
def test_allowed_transitions(
    current: IncidentStatus, target: IncidentStatus, severity: Severity
) -> None:
    moved = incidents.transition(current, target, severity=severity, has_post_mortem=False)
    assert moved is target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (OPEN, OPEN),
        (OPEN, RESOLVED),
        (OPEN, CLOSED),
        (MITIGATED, OPEN),
        (MITIGATED, MITIGATED),
        (MITIGATED, CLOSED),
        (RESOLVED, OPEN),
        (RESOLVED, MITIGATED),
        (RESOLVED, RESOLVED),
        (CLOSED, OPEN),
        (CLOSED, MITIGATED),
        (CLOSED, RESOLVED),
        (CLOSED, CLOSED),
    ],
)
def test_refuses_other_transitions(current: IncidentStatus, target: IncidentStatus) -> None:
    with pytest.raises(DomainError) as caught:
        incidents.transition(current, target, severity=SEV3, has_post_mortem=True)
    assert (caught.value.field, caught.value.code) == ("status", ErrorCode.INVALID_TRANSITION)
    assert (
        caught.value.message(Language.EN) == f"cannot move an incident from {current} to {target}"
    )


@pytest.mark.parametrize("severity", [SEV1, SEV2])
def test_refuses_closing_sev1_sev2_without_post_mortem(severity: Severity) -> None:
    with pytest.raises(DomainError) as caught:
        incidents.transition(RESOLVED, CLOSED, severity=severity, has_post_mortem=False)
    assert (caught.value.field, caught.value.code) == ("postMortem", ErrorCode.PRECONDITION_FAILED)
    assert caught.value.message(Language.EN) == (
        f"a {severity} incident cannot be closed without its post-mortem"
    )


@pytest.mark.parametrize(
    ("severity", "has_post_mortem"),
    [(SEV1, True), (SEV2, True), (SEV3, True), (SEV3, False)],
)
def test_closes_with_post_mortem_or_sev3(severity: Severity, has_post_mortem: bool) -> None:
    closed = incidents.transition(
        RESOLVED, CLOSED, severity=severity, has_post_mortem=has_post_mortem
    )
    assert closed is CLOSED


@pytest.mark.parametrize(
    ("severity", "due"),
    [
        (SEV1, datetime(2025, 3, 1, 10, 15, tzinfo=UTC)),
        (SEV2, datetime(2025, 3, 1, 10, 30, tzinfo=UTC)),
        (SEV3, datetime(2025, 3, 1, 12, 0, tzinfo=UTC)),
    ],
)
def test_first_action_due(severity: Severity, due: datetime) -> None:
    assert incidents.first_action_due(DETECTED, severity) == due


@pytest.mark.parametrize(
    ("severity", "due"),
    [
        (SEV1, datetime(2025, 3, 1, 10, 30, tzinfo=UTC)),
        (SEV2, datetime(2025, 3, 1, 11, 0, tzinfo=UTC)),
        (SEV3, datetime(2025, 3, 1, 14, 0, tzinfo=UTC)),
    ],
)
def test_next_update_due_every_cadence(severity: Severity, due: datetime) -> None:
    assert incidents.next_update_due(DETECTED, severity) == due


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        (datetime(2025, 3, 1, 10, 29, 59, tzinfo=UTC), False),
        (datetime(2025, 3, 1, 10, 30, tzinfo=UTC), False),
        (datetime(2025, 3, 1, 10, 30, 1, tzinfo=UTC), True),
        (datetime(2025, 3, 2, 0, 0, tzinfo=UTC), True),
    ],
)
def test_update_overdue_only_strictly_after_due(now: datetime, overdue: bool) -> None:
    due = datetime(2025, 3, 1, 10, 30, tzinfo=UTC)
    assert incidents.update_overdue(due, now) is overdue


def test_pdpl_deadline_is_72_hours_after_detection_and_alert_12_hours_before() -> None:
    notify_by = incidents.pdpl_notify_by(DETECTED)
    assert notify_by == datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
    assert notify_by - DETECTED == timedelta(hours=72)
    assert incidents.pdpl_alert_at(notify_by) == datetime(2025, 3, 3, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("severity", "due"),
    [
        (SEV1, datetime(2025, 3, 2, 10, 0, tzinfo=UTC)),
        (SEV2, datetime(2025, 3, 3, 10, 0, tzinfo=UTC)),
        (SEV3, None),
    ],
)
def test_post_mortem_due(severity: Severity, due: datetime | None) -> None:
    assert incidents.post_mortem_due(DETECTED, severity) == due


def test_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        incidents.first_action_due(datetime(2025, 3, 1, 10, 0), SEV1)  # noqa: DTZ001


def test_post_mortem_fields_in_order() -> None:
    assert incidents.POST_MORTEM_FIELDS == (
        "summary",
        "timeline",
        "root_cause",
        "what_went_right",
        "what_went_wrong",
        "preventive_actions",
        "action_owners",
        "deadline",
    )
    names = tuple(f.name for f in dataclasses.fields(incidents.PostMortem))
    assert names == incidents.POST_MORTEM_FIELDS


def _post_mortem(
    *,
    summary: str = "Drafts were sent without approval for 20 minutes.",
    root_cause: str = "A retry path skipped the approval gate.",
    actions: tuple[str, ...] = ("Gate every send path", "Add an alert"),
    owners: tuple[str, ...] = ("founder", "operator_oncall"),
    deadline: datetime = datetime(2025, 3, 10, 0, 0, tzinfo=UTC),
) -> incidents.PostMortem:
    return incidents.PostMortem(
        summary=summary,
        timeline="10:00 detected; 10:05 frozen; 10:40 resolved",
        root_cause=root_cause,
        what_went_right="The freeze held.",
        what_went_wrong="Detection took 20 minutes.",
        preventive_actions=actions,
        action_owners=owners,
        deadline=deadline,
    )


def test_accepts_a_complete_post_mortem() -> None:
    _post_mortem().validate()  # no DomainError


@pytest.mark.parametrize(
    ("post_mortem", "field"),
    [
        (_post_mortem(summary=" "), "summary"),
        (_post_mortem(root_cause=""), "rootCause"),
        (dataclasses.replace(_post_mortem(), timeline="\n"), "timeline"),
        (dataclasses.replace(_post_mortem(), what_went_right=""), "whatWentRight"),
        (dataclasses.replace(_post_mortem(), what_went_wrong="  "), "whatWentWrong"),
        (_post_mortem(actions=(), owners=()), "preventiveActions"),
        (_post_mortem(actions=("Gate", " "), owners=("a", "b")), "preventiveActions"),
        (_post_mortem(owners=("founder",)), "actionOwners"),
        (_post_mortem(owners=("founder", "")), "actionOwners"),
    ],
)
def test_refuses_incomplete_post_mortem(post_mortem: incidents.PostMortem, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        post_mortem.validate()
    assert (caught.value.field, caught.value.code) == (field, ErrorCode.REQUIRED)


def test_refuses_post_mortem_deadline_without_time_zone() -> None:
    naive = _post_mortem(deadline=datetime(2025, 3, 10, 0, 0))  # noqa: DTZ001
    with pytest.raises(DomainError) as caught:
        naive.validate()
    assert (caught.value.field, caught.value.code) == ("deadline", ErrorCode.INVALID)


def test_an_incident_freeze_holds_every_draft_but_incident_updates() -> None:
    from domain.drafts import DraftKind

    held = {kind: incidents.held_by_incident_freeze(kind) for kind in DraftKind}
    assert held == {kind: kind is not DraftKind.INCIDENT_UPDATE for kind in DraftKind}
    assert incidents.held_by_incident_freeze(None) is True


def test_a_new_plan_keeps_every_ticked_step_and_drops_the_untouched_extras() -> None:
    sev3 = incidents.response_plan(SEV3)
    sev1_extras = incidents.response_plan(SEV1)[5:]
    untouched = [(text, False) for text in sev3]
    assert incidents.replan(untouched, SEV1) == incidents.response_plan(SEV1)
    ticked = [(text, index in (0, 6)) for index, text in enumerate(sev3)]
    assert incidents.replan(ticked, SEV1) == (*COMMON_STEPS, sev3[6], *sev1_extras)
    # Back to a severity whose extra is already there (and done): it is not listed twice.
    sev1 = incidents.replan(ticked, SEV1)
    again = [(text, text == sev3[6] or text == sev1_extras[1]) for text in sev1]
    assert incidents.replan(again, SEV3) == (*COMMON_STEPS, sev3[6], sev1_extras[1], sev3[5])
