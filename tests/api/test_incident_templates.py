"""docs/rules.md §8.5 through the GraphQL API: postIncidentUpdate without a body starts from the
matching template, its placeholders filled from the incident."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.test_incidents import UPDATE, customers, declared, refused, run, snapshot
from tests.domain.test_incident_templates import FIRST_HOUR, LEAK, SEV2
from tests.factories import T0, Org


async def bodies(org: Org, ids: list[str]) -> list[tuple[str, str]]:
    found = []
    for draft_id in ids:
        data = await org.data(
            "query($id: ID!) { draft(id: $id) { locale body } }", {"id": draft_id}
        )
        found.append((data["draft"]["locale"], data["draft"]["body"]))
    return sorted(found)


async def post(org: Org, incident: dict[str, Any], **fields: Any) -> Any:
    return await run(org, UPDATE, "postIncidentUpdate", id=incident["id"], version=1, **fields)


async def test_a_sev1_in_its_first_hour_gets_the_first_hour_template(org: Org) -> None:
    ar = await customers(org, 1)
    en = await customers(org, 1, locale="EN")
    incident = await declared(
        org, title="إرسال خاطئ", affectedCustomerIds=ar + en, hasUnauthorizedSend=True
    )
    org.clock.now = T0 + timedelta(minutes=59)
    result = await post(org, incident, incidentKind="رسائل واتساب")
    assert result["__typename"] == "PostIncidentUpdatePayload"
    assert await bodies(org, result["draftIds"]) == [
        ("ar", FIRST_HOUR.replace("[نوع الحادث]", "رسائل واتساب")),
        (
            "en",
            "We detected a security/operational event involving رسائل واتساب. We have "
            "stopped live actions on the affected channel. We will update you within 30 minutes.",
        ),
    ]


async def test_after_the_first_hour_a_sev1_without_a_leak_needs_a_body(org: Org) -> None:
    ids = await customers(org, 1)
    incident = await declared(org, affectedCustomerIds=ids, hasUnauthorizedSend=True)
    org.clock.now = T0 + timedelta(minutes=60)
    before = await snapshot(org)
    result = await post(org, incident)
    refused(result, "ValidationError", "body", "REQUIRED")
    assert await snapshot(org) == before


async def test_a_data_leak_gets_the_pdpl_template_with_the_data_type(org: Org) -> None:
    ids = await customers(org, 1)
    incident = await declared(org, title="تسريب", affectedCustomerIds=ids, hasDataLeak=True)
    org.clock.now = T0 + timedelta(hours=3)
    result = await post(org, incident, dataType="أرقام الجوال")
    assert await bodies(org, result["draftIds"]) == [
        ("ar", LEAK.replace("[نوع البيانات]", "أرقام الجوال"))
    ]


async def test_a_sev2_gets_the_hourly_template_and_needs_the_expected_time(org: Org) -> None:
    ids = await customers(org, 5)
    incident = await declared(org, title="تعطل التقويم", affectedCustomerIds=ids)
    assert incident["severity"] == "SEV2"
    before = await snapshot(org)
    result = await post(org, incident, service="Calendar")
    refused(result, "ValidationError", "expectedTime", "REQUIRED")
    too_long = await post(org, incident, service="x" * 121, expectedTime="ساعتين")
    refused(too_long, "ValidationError", "service", "TOO_LONG")
    assert await snapshot(org) == before
    result = await post(org, incident, expectedTime="ساعتين")
    expected = SEV2.replace("[اسم الخدمة]", "تعطل التقويم").replace("[وقت]", "ساعتين")
    assert await bodies(org, result["draftIds"]) == [("ar", expected)] * 5


async def test_a_sev3_has_no_template_and_a_given_body_wins(org: Org) -> None:
    ids = await customers(org, 1)
    incident = await declared(org, affectedCustomerIds=ids)
    before = await snapshot(org)
    refused(await post(org, incident), "ValidationError", "body", "REQUIRED")
    assert await snapshot(org) == before
    result = await post(org, incident, body="نعمل على الحل.", service="ignored")
    assert await bodies(org, result["draftIds"]) == [("ar", "نعمل على الحل.")]
