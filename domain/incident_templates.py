"""Incident update templates (docs/rules.md §8.5): the playbook texts, filled from the incident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from domain import text
from domain.errors import DomainError, ErrorCode
from domain.incidents import Incident, Severity
from domain.messages import Msg

FIRST_HOUR: Final = timedelta(hours=1)
FACT_LIMIT: Final = 120


class UpdateTemplate(StrEnum):
    """Which §8.5 template an update starts from."""

    SEV1_FIRST_HOUR = "sev1_first_hour"
    SEV1_DATA_LEAK = "sev1_data_leak"
    SEV2_HOURLY = "sev2_hourly"


# The playbook's Arabic, exactly; `[…]` are its placeholders. English: Wafi's own words.
ARABIC: Final = {
    UpdateTemplate.SEV1_FIRST_HOUR: "اكتشفنا حدث أمني/تشغيلي يتعلق بـ [نوع الحادث]. أوقفنا الـ "
    "live actions على القناة المتأثرة. نتواصل معك خلال 30 دقيقة بتحديث.",
    UpdateTemplate.SEV1_DATA_LEAK: "نأسف. اكتشفنا تسريب بيانات يتعلق بـ [نوع البيانات]. نراجع "
    "الأثر الآن وسنتواصل معك خلال 24 ساعة بتفاصيل + خطوات الحماية. PDPL يلزم بالإبلاغ خلال 72 "
    "ساعة لذا سنحرص على إعلامك بكل ما نعرفه.",
    UpdateTemplate.SEV2_HOURLY: "خدمة [اسم الخدمة] متعطلة جزئياً. الفريق يعمل على الإصلاح "
    "ونتوقع الاستعادة خلال [وقت]. سنحدثك كل ساعة.",
}
ENGLISH: Final = {
    UpdateTemplate.SEV1_FIRST_HOUR: "We detected a security/operational event involving "
    "[نوع الحادث]. We have stopped live actions on the affected channel. We will update you "
    "within 30 minutes.",
    UpdateTemplate.SEV1_DATA_LEAK: "We are sorry. We detected a data leak involving "
    "[نوع البيانات]. We are reviewing the impact now and will contact you within 24 hours with "
    "details and protection steps. PDPL requires notification within 72 hours, so we will "
    "make sure you know everything we know.",
    UpdateTemplate.SEV2_HOURLY: "The [اسم الخدمة] service is partly down. The team is working "
    "on a fix and we expect it back within [وقت]. We will update you every hour.",
}
# Placeholder → the input field that fills it.
PLACEHOLDERS: Final = {
    "[نوع الحادث]": "incidentKind",
    "[نوع البيانات]": "dataType",
    "[اسم الخدمة]": "service",
    "[وقت]": "expectedTime",
}


@dataclass(frozen=True, slots=True)
class Facts:
    """What fills the placeholders; a kind, data type or service left out is the incident's
    title; the expected time has no default."""

    incident_kind: str | None = None
    data_type: str | None = None
    service: str | None = None
    expected_time: str | None = None


def template_for(incident: Incident, *, now: datetime) -> UpdateTemplate | None:
    """§8.5: a SEV1 data leak → the leak template; another SEV1 in its first hour after
    detection → the first-hour one; a SEV2 → the hourly one; anything else has none."""
    if incident.severity is Severity.SEV1:
        if incident.has_data_leak:
            return UpdateTemplate.SEV1_DATA_LEAK
        if now < incident.detected_at + FIRST_HOUR:
            return UpdateTemplate.SEV1_FIRST_HOUR
        return None
    if incident.severity is Severity.SEV2:
        return UpdateTemplate.SEV2_HOURLY
    return None


def fill(template: UpdateTemplate, incident: Incident, facts: Facts) -> tuple[str, str]:
    """§8.5: the template in Arabic and English with its placeholders filled; refuses a
    placeholder nothing fills (REQUIRED, naming the input field)."""
    values = {
        "incidentKind": facts.incident_kind or incident.title,
        "dataType": facts.data_type or incident.title,
        "service": facts.service or incident.title,
        "expectedTime": facts.expected_time,
    }
    filled = []
    for body in (ARABIC[template], ENGLISH[template]):
        for placeholder, field in PLACEHOLDERS.items():
            if placeholder not in body:
                continue
            value = values[field]
            if value is None or text.blank(value):
                raise DomainError(field, ErrorCode.REQUIRED, Msg.TEMPLATE_NEEDS, field=field)
            body = body.replace(placeholder, value.strip())
        filled.append(body)
    return filled[0], filled[1]


def check_facts(facts: Facts) -> None:
    """Each fact is at most 120 characters."""
    for field, value in (
        ("incidentKind", facts.incident_kind),
        ("dataType", facts.data_type),
        ("service", facts.service),
        ("expectedTime", facts.expected_time),
    ):
        if value is not None and len(value) > FACT_LIMIT:
            raise DomainError(
                field, ErrorCode.TOO_LONG, Msg.FIELD_OVER_CHARS, field=field, limit=FACT_LIMIT
            )
