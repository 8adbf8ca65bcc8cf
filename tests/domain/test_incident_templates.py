"""docs/rules.md §8.5: which template an incident update starts from, filled exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain import incident_templates as templates
from domain.errors import DomainError, ErrorCode
from domain.incident_templates import Facts, UpdateTemplate
from domain.incidents import Incident, IncidentStatus, Severity

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
# Copied from the playbook, character for character.
FIRST_HOUR = (
    "اكتشفنا حدث أمني/تشغيلي يتعلق بـ [نوع الحادث]. أوقفنا الـ live actions على القناة المتأثرة. "
    "نتواصل معك خلال 30 دقيقة بتحديث."
)
LEAK = (
    "نأسف. اكتشفنا تسريب بيانات يتعلق بـ [نوع البيانات]. نراجع الأثر الآن وسنتواصل معك خلال 24 "
    "ساعة بتفاصيل + خطوات الحماية. PDPL يلزم بالإبلاغ خلال 72 ساعة لذا سنحرص على إعلامك بكل ما "
    "نعرفه."
)
SEV2 = (
    "خدمة [اسم الخدمة] متعطلة جزئياً. الفريق يعمل على الإصلاح ونتوقع الاستعادة خلال [وقت]. "
    "سنحدثك كل ساعة."
)


def incident(severity: Severity, *, leak: bool = False) -> Incident:
    return Incident(
        title="تعطل الإرسال",
        description="",
        severity=severity,
        triage_severity=severity,
        reason_ar="",
        has_data_leak=leak,
        has_unauthorized_send=False,
        status=IncidentStatus.OPEN,
        detected_at=T0,
        first_action_due_at=T0,
        next_update_due_at=None,
        affected_count=1,
    )


def test_the_templates_are_the_playbooks() -> None:
    assert templates.ARABIC == {
        UpdateTemplate.SEV1_FIRST_HOUR: FIRST_HOUR,
        UpdateTemplate.SEV1_DATA_LEAK: LEAK,
        UpdateTemplate.SEV2_HOURLY: SEV2,
    }


@pytest.mark.parametrize(
    ("severity", "leak", "minutes", "expected"),
    [
        (Severity.SEV1, False, 0, UpdateTemplate.SEV1_FIRST_HOUR),
        (Severity.SEV1, False, 59.99, UpdateTemplate.SEV1_FIRST_HOUR),
        (Severity.SEV1, False, 60, None),
        (Severity.SEV1, True, 0, UpdateTemplate.SEV1_DATA_LEAK),
        (Severity.SEV1, True, 600, UpdateTemplate.SEV1_DATA_LEAK),
        (Severity.SEV2, False, 0, UpdateTemplate.SEV2_HOURLY),
        (Severity.SEV2, False, 600, UpdateTemplate.SEV2_HOURLY),
        (Severity.SEV3, False, 0, None),
    ],
)
def test_template_for(
    severity: Severity, leak: bool, minutes: float, expected: UpdateTemplate | None
) -> None:
    found = templates.template_for(
        incident(severity, leak=leak), now=T0 + timedelta(minutes=minutes)
    )
    assert found is expected


def test_placeholders_fill_from_the_facts_or_the_title() -> None:
    sev1 = incident(Severity.SEV1)
    ar, en = templates.fill(UpdateTemplate.SEV1_FIRST_HOUR, sev1, Facts())
    assert ar == FIRST_HOUR.replace("[نوع الحادث]", "تعطل الإرسال")
    assert en.startswith("We detected a security/operational event involving تعطل الإرسال.")
    ar, _ = templates.fill(UpdateTemplate.SEV1_DATA_LEAK, sev1, Facts(data_type="أرقام الجوال"))
    assert ar == LEAK.replace("[نوع البيانات]", "أرقام الجوال")
    ar, en = templates.fill(
        UpdateTemplate.SEV2_HOURLY, sev1, Facts(service="واتساب", expected_time="ساعتين")
    )
    assert ar == SEV2.replace("[اسم الخدمة]", "واتساب").replace("[وقت]", "ساعتين")
    assert en == (
        "The واتساب service is partly down. The team is working on a fix and we expect it back "
        "within ساعتين. We will update you every hour."
    )


def test_the_expected_time_has_no_default() -> None:
    with pytest.raises(DomainError) as refused:
        templates.fill(UpdateTemplate.SEV2_HOURLY, incident(Severity.SEV2), Facts(service="x"))
    assert (refused.value.field, refused.value.code) == ("expectedTime", ErrorCode.REQUIRED)
