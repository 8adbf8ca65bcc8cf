"""docs/rules.md §3 through the GraphQL API: triage, response plans, deadlines, post-mortems,
links to customers and tickets, and every refusal leaving the database as it was."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.roles import Role
from tests.factories import T0, Org

SEV1_REASON = "تسريب أمان أو إرسال غير معتمد — أعلى أولوية."
SEV3_REASON = "حدث محدود التأثير."
LABELS = {
    "SEV1": "حرج جداً — تسريب أمان / إرسال خاطئ / تعطل كامل",
    "SEV2": "خدمة مهمة معطلة لعدد كبير من العملاء",
    "SEV3": "خدمة معطلة لعميل واحد أو degraded performance",
}
COMMON_STEPS = [
    "تجميد الـ live actions على القناة المعنية فوراً.",
    "إخطار المؤسس + on-call operator.",
    "إنشاء incident channel مع timeline.",
    "مراجعة Action Ledger للأفعال المرتبطة.",
    "إذا تسريب: إخطار العملاء المتأثرين خلال 72 ساعة (PDPL).",
]
EXTRA_STEPS = {
    "SEV1": [
        "تواصل مباشر مع المؤسس + خلية أزمة.",
        "كتابة post-mortem خلال 24 ساعة.",
        "مراجعة قانونية إن لزم.",
    ],
    "SEV2": ["تحديث العملاء المتأثرين كل 60 دقيقة.", "post-mortem خلال 48 ساعة."],
    "SEV3": ["تحديث العميل المتأثر مع كل خطوة.", "post-mortem اختياري."],
}

INCIDENT_FIELDS = """
id version title description severity severityLabelAr triageSeverity reasonAr hasDataLeak
hasUnauthorizedSend status detectedAt firstActionDueAt firstActionAt firstActionOverdue
nextUpdateDueAt lastUpdateAt updateOverdue pdplNotifyBy pdplNotifiedAt resolvedAt closedAt
postMortemRequired postMortemDueAt liveActionsFrozen affectedCustomerCount tickets { id subject }
postMortem { summary timeline rootCause whatWentRight whatWentWrong preventiveActions
  actionOwners deadline }
responsePlan { position textAr done doneAt doneBy }
affectedCustomers(first: 20) { edges { node { id name } } pageInfo { hasNextPage } }
"""


def _mutation(name: str, input_type: str, payload: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {name}(input: $input) {{
    __typename
    ... on {payload} {{ incident {{ {INCIDENT_FIELDS} }} }}
    ... on UserError {{ field code message }}
  }}
}}"""


DECLARE = _mutation("declareIncident", "DeclareIncidentInput", "IncidentPayload")
RAISE = _mutation("raiseIncidentSeverity", "RaiseIncidentSeverityInput", "IncidentPayload")
ADD = _mutation("addAffectedCustomers", "AddAffectedCustomersInput", "IncidentPayload")
STATUS = _mutation("changeIncidentStatus", "ChangeIncidentStatusInput", "IncidentPayload")
PDPL = _mutation("recordPdplNotification", "RecordPdplNotificationInput", "IncidentPayload")
POST_MORTEM = _mutation("submitPostMortem", "SubmitPostMortemInput", "IncidentPayload")
TICK = """
mutation($input: TickResponseStepInput!) {
  tickResponseStep(input: $input) {
    __typename
    ... on TickResponseStepPayload { step { position textAr done doneAt doneBy }
      incident { firstActionAt firstActionOverdue version } }
    ... on UserError { field code message }
  }
}"""
UPDATE = """
mutation($input: PostIncidentUpdateInput!) {
  postIncidentUpdate(input: $input) {
    __typename
    ... on PostIncidentUpdatePayload { draftIds approvalRequired liveSendAllowed
      incident { version lastUpdateAt nextUpdateDueAt updateOverdue } }
    ... on UserError { field code message }
  }
}"""
GET = f"query($id: ID!) {{ incident(id: $id) {{ {INCIDENT_FIELDS} }} }}"
LIST = """
query($first: Int, $after: String, $filter: IncidentFilter) {
  incidents(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id title severity status } }
    pageInfo { hasNextPage endCursor }
  }
}"""
# Everything an incident mutation can write: attaching a ticket moves the ticket's row, and a
# scan writes alerts.
TABLES = (
    "incidents",
    "incident_customers",
    "incident_steps",
    "ledger",
    "drafts",
    "tickets",
    "alerts",
)


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def customers(org: Org, count: int, *, locale: str = "AR") -> list[str]:
    ids = []
    for index in range(count):
        data = await org.data(
            "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) "
            "{ ... on CustomerPayload { customer { id } } } }",
            {
                "input": {
                    "name": f"عميل {index}",
                    "locale": locale,
                    "subscriptionStartedAt": "2026-01-01T00:00:00+00:00",
                }
            },
        )
        ids.append(data["createCustomer"]["customer"]["id"])
    return ids


async def declare(org: Org, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"title": "تعطل الإرسال", "description": "وصف"}
    payload.update(fields)
    data = await org.data(DECLARE, {"input": payload})
    result: dict[str, Any] = data["declareIncident"]
    return result


async def declared(org: Org, **fields: Any) -> dict[str, Any]:
    result = await declare(org, **fields)
    assert result["__typename"] == "IncidentPayload", result
    incident: dict[str, Any] = result["incident"]
    return incident


async def run(org: Org, query: str, name: str, role: Role = Role.OWNER, **fields: Any) -> Any:
    data = await org.data(query, {"input": fields}, role=role)
    return data[name]


async def snapshot(org: Org) -> dict[str, list[Any]]:
    """Every row of the slice's tables (and the ledger) for the organisation."""
    found = {}
    async with org.pool.acquire() as conn:
        for table in TABLES:
            rows = await conn.fetch(f"SELECT * FROM {table} WHERE org_id = $1", org.id)
            found[table] = sorted(tuple(row.items()) for row in rows)
    return found


def refused(result: dict[str, Any], typename: str, field: str, code: str) -> None:
    assert (result["__typename"], result["field"], result["code"]) == (typename, field, code)


# Triage and plans ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("leak", "unauthorized", "count", "severity", "reason", "steps", "first_action", "cadence"),
    [
        (True, False, 1, "SEV1", SEV1_REASON, 8, 15, 30),
        (False, True, 0, "SEV1", SEV1_REASON, 8, 15, 30),
        (False, False, 10, "SEV2", "عدد العملاء المتأثرين: 10 ≥ 5.", 7, 30, 60),
        (False, False, 5, "SEV2", "عدد العملاء المتأثرين: 5 ≥ 5.", 7, 30, 60),
        (False, False, 4, "SEV3", SEV3_REASON, 7, 120, 240),
        (False, False, 0, "SEV3", SEV3_REASON, 7, 120, 240),
    ],
)
async def test_declaring_triages_and_builds_the_severity_plan(
    org: Org,
    leak: bool,
    unauthorized: bool,
    count: int,
    severity: str,
    reason: str,
    steps: int,
    first_action: int,
    cadence: int,
) -> None:
    ids = await customers(org, count)
    incident = await declared(
        org, affectedCustomerIds=ids, hasDataLeak=leak, hasUnauthorizedSend=unauthorized
    )
    assert incident["severity"] == incident["triageSeverity"] == severity
    assert incident["reasonAr"] == reason
    assert incident["severityLabelAr"] == LABELS[severity]
    assert incident["status"] == "OPEN"
    assert incident["version"] == 1
    plan = incident["responsePlan"]
    assert len(plan) == steps
    assert [s["textAr"] for s in plan] == COMMON_STEPS + EXTRA_STEPS[severity]
    assert [s["position"] for s in plan] == list(range(1, steps + 1))
    assert not any(s["done"] for s in plan)
    assert incident["detectedAt"] == iso(T0)
    assert incident["firstActionDueAt"] == iso(T0 + timedelta(minutes=first_action))
    assert incident["nextUpdateDueAt"] == iso(T0 + timedelta(minutes=cadence))
    assert incident["pdplNotifyBy"] == (iso(T0 + timedelta(hours=72)) if leak else None)
    assert incident["affectedCustomerCount"] == count
    edges = incident["affectedCustomers"]["edges"]
    assert sorted(e["node"]["id"] for e in edges) == sorted(ids)
    assert incident["liveActionsFrozen"] is (severity == "SEV1")
    assert incident["postMortemRequired"] is (severity != "SEV3")
    assert incident["firstActionOverdue"] is False
    assert incident["updateOverdue"] is False


async def test_declaring_accepts_the_longest_title_and_description(org: Org) -> None:
    incident = await declared(org, title="t" * 120, description="d" * 500)
    assert (len(incident["title"]), len(incident["description"])) == (120, 500)


async def test_declaring_with_an_earlier_detection_counts_deadlines_from_it(org: Org) -> None:
    detected = T0 - timedelta(hours=1)
    incident = await declared(org, detectedAt=iso(detected), hasDataLeak=True)
    assert incident["firstActionDueAt"] == iso(detected + timedelta(minutes=15))
    assert incident["pdplNotifyBy"] == iso(detected + timedelta(hours=72))
    assert incident["firstActionOverdue"] is True
    assert incident["updateOverdue"] is True


@pytest.mark.parametrize(
    ("fields", "typename", "field", "code"),
    [
        ({"title": "t" * 121}, "ValidationError", "title", "TOO_LONG"),
        ({"title": "   "}, "ValidationError", "title", "REQUIRED"),
        ({"description": "d" * 501}, "ValidationError", "description", "TOO_LONG"),
        (
            {"detectedAt": iso(T0 + timedelta(minutes=1))},
            "ValidationError",
            "detectedAt",
            "INVALID",
        ),
        (
            {"affectedCustomerIds": ["bm9wZQ=="]},
            "NotFoundError",
            "affectedCustomerIds",
            "NOT_FOUND",
        ),
        (
            {"affectedCustomerIds": ["bm9wZQ=="] * 1001},
            "ValidationError",
            "affectedCustomerIds",
            "OUT_OF_RANGE",
        ),
    ],
)
async def test_declaring_refuses_bad_input_and_writes_nothing(
    org: Org, fields: dict[str, Any], typename: str, field: str, code: str
) -> None:
    before = await snapshot(org)
    refused(await declare(org, **fields), typename, field, code)
    assert await snapshot(org) == before


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-11-01T08:00:00", "needs a time zone offset"),
        ("0001-01-01T00:00:00Z", "between 1900 and 2199"),
        ("9999-12-31T00:00:00Z", "between 1900 and 2199"),
    ],
)
async def test_naive_or_out_of_range_times_are_refused_at_the_edge(
    org: Org, value: str, reason: str
) -> None:
    before = await snapshot(org)
    body = await org.gql(
        "mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { __typename } }",
        {"input": {"title": "Down", "detectedAt": value}},
    )
    assert body["data"] is None
    assert "detectedAt" in body["errors"][0]["message"]
    assert reason in body["errors"][0]["message"]
    assert await snapshot(org) == before


async def test_declaring_refuses_another_organisations_customer(org: Org, other_org: Org) -> None:
    theirs = await customers(other_org, 1)
    before = await snapshot(org)
    result = await declare(org, affectedCustomerIds=theirs)
    refused(result, "NotFoundError", "affectedCustomerIds", "NOT_FOUND")
    assert await snapshot(org) == before


async def test_a_viewer_cannot_declare(org: Org) -> None:
    before = await snapshot(org)
    result = await run(org, DECLARE, "declareIncident", role=Role.VIEWER, title="x")
    refused(result, "ForbiddenError", "declareIncident", "FORBIDDEN")
    assert await snapshot(org) == before


async def test_declaring_twice_with_one_key_makes_one_incident(org: Org) -> None:
    first = await declared(org, idempotencyKey="k-1")
    again = await declared(org, idempotencyKey="k-1")
    assert again["id"] == first["id"]
    assert again["title"] == first["title"]
    reused = await declare(org, idempotencyKey="k-1", title="another")
    assert (reused["__typename"], reused["code"]) == ("ConflictError", "IDEMPOTENCY_KEY_REUSED")
    assert len((await snapshot(org))["incidents"]) == 1


# Severity ------------------------------------------------------------------------------------


async def test_raising_severity_swaps_the_unticked_extras_and_keeps_every_tick(org: Org) -> None:
    incident = await declared(org)
    await run(org, TICK, "tickResponseStep", incidentId=incident["id"], position=1)
    await run(org, TICK, "tickResponseStep", incidentId=incident["id"], position=6)
    result = await run(
        org, RAISE, "raiseIncidentSeverity", id=incident["id"], version=1, severity="SEV1"
    )
    raised = result["incident"]
    assert (raised["severity"], raised["triageSeverity"], raised["version"]) == ("SEV1", "SEV3", 2)
    plan = raised["responsePlan"]
    # The SEV3 extra already done stays, done, in its place; the one not done goes; SEV1's follow.
    done_sev3 = EXTRA_STEPS["SEV3"][:1]
    assert [s["textAr"] for s in plan] == COMMON_STEPS + done_sev3 + EXTRA_STEPS["SEV1"]
    assert [s["done"] for s in plan] == [True] + [False] * 4 + [True] + [False] * 3
    assert [s["position"] for s in plan] == list(range(1, 10))
    assert raised["firstActionDueAt"] == iso(T0 + timedelta(minutes=15))
    assert raised["nextUpdateDueAt"] == iso(T0 + timedelta(minutes=30))
    assert raised["liveActionsFrozen"] is True
    # Back down to SEV2 is allowed: it is still above what triage gave (SEV3).
    down = await run(
        org, RAISE, "raiseIncidentSeverity", id=incident["id"], version=2, severity="SEV2"
    )
    assert [(s["textAr"], s["done"]) for s in down["incident"]["responsePlan"]] == (
        [(text, index == 0) for index, text in enumerate(COMMON_STEPS)]
        + [(done_sev3[0], True)]
        + [(text, False) for text in EXTRA_STEPS["SEV2"]]
    )


@pytest.mark.parametrize("how", ["raise", "re-triage"])
async def test_a_new_severity_never_loses_the_first_action(org: Org, how: str) -> None:
    ids = await customers(org, 5)
    incident = await declared(org, affectedCustomerIds=ids[:4])
    org.clock.advance(minutes=10)
    ticked = await run(org, TICK, "tickResponseStep", incidentId=incident["id"], position=6)
    step = ticked["step"]
    assert (step["textAr"], step["doneAt"]) == (
        EXTRA_STEPS["SEV3"][0],
        iso(T0 + timedelta(minutes=10)),
    )
    org.clock.advance(minutes=10)
    if how == "raise":
        result = await run(
            org, RAISE, "raiseIncidentSeverity", id=incident["id"], version=1, severity="SEV1"
        )
    else:
        result = await run(
            org, ADD, "addAffectedCustomers", id=incident["id"], version=1, customerIds=[ids[4]]
        )
    assert result["__typename"] == "IncidentPayload", result
    for found in (result["incident"], (await org.data(GET, {"id": incident["id"]}))["incident"]):
        assert found["severity"] == ("SEV1" if how == "raise" else "SEV2")
        assert found["firstActionAt"] == iso(T0 + timedelta(minutes=10))
        assert found["firstActionDueAt"] == iso(
            T0 + timedelta(minutes=15 if how == "raise" else 30)
        )
        assert found["firstActionOverdue"] is False
        assert step in found["responsePlan"]
        assert sum(s["done"] for s in found["responsePlan"]) == 1


async def test_severity_never_goes_below_triage(org: Org) -> None:
    incident = await declared(org, affectedCustomerIds=await customers(org, 5))
    before = await snapshot(org)
    result = await run(
        org, RAISE, "raiseIncidentSeverity", id=incident["id"], version=1, severity="SEV3"
    )
    refused(result, "RuleError", "severity", "SEVERITY_LOWERED")
    assert await snapshot(org) == before


async def test_a_stale_version_is_a_conflict(org: Org) -> None:
    incident = await declared(org)
    before = await snapshot(org)
    result = await run(
        org, RAISE, "raiseIncidentSeverity", id=incident["id"], version=7, severity="SEV1"
    )
    refused(result, "ConflictError", "version", "CONFLICT")
    assert await snapshot(org) == before


async def test_reaching_five_customers_makes_a_sev3_a_sev2(org: Org) -> None:
    ids = await customers(org, 5)
    incident = await declared(org, affectedCustomerIds=ids[:4])
    assert incident["severity"] == "SEV3"
    # Naming an affected customer again changes nothing: it counts once.
    same = await run(
        org, ADD, "addAffectedCustomers", id=incident["id"], version=1, customerIds=ids[:2]
    )
    assert (same["incident"]["severity"], same["incident"]["affectedCustomerCount"]) == ("SEV3", 4)
    result = await run(
        org, ADD, "addAffectedCustomers", id=incident["id"], version=2, customerIds=[ids[4]]
    )
    grown = result["incident"]
    assert (grown["severity"], grown["triageSeverity"]) == ("SEV2", "SEV2")
    assert grown["reasonAr"] == "عدد العملاء المتأثرين: 5 ≥ 5."
    assert grown["affectedCustomerCount"] == 5
    assert [s["textAr"] for s in grown["responsePlan"]] == COMMON_STEPS + EXTRA_STEPS["SEV2"]
    assert grown["firstActionDueAt"] == iso(T0 + timedelta(minutes=30))
    assert grown["nextUpdateDueAt"] == iso(T0 + timedelta(minutes=60))


async def test_adding_customers_never_lowers_a_raised_severity(org: Org) -> None:
    ids = await customers(org, 5)
    incident = await declared(org, affectedCustomerIds=ids[:4])
    await run(org, RAISE, "raiseIncidentSeverity", id=incident["id"], version=1, severity="SEV1")
    result = await run(
        org, ADD, "addAffectedCustomers", id=incident["id"], version=2, customerIds=[ids[4]]
    )
    assert (result["incident"]["severity"], result["incident"]["triageSeverity"]) == (
        "SEV1",
        "SEV2",
    )


@pytest.mark.parametrize(
    ("ids", "typename", "code"),
    [([], "ValidationError", "REQUIRED"), (["bm9wZQ=="], "NotFoundError", "NOT_FOUND")],
)
async def test_adding_customers_refuses_none_or_unknown(
    org: Org, ids: list[str], typename: str, code: str
) -> None:
    incident = await declared(org)
    before = await snapshot(org)
    result = await run(
        org, ADD, "addAffectedCustomers", id=incident["id"], version=1, customerIds=ids
    )
    refused(result, typename, "customerIds", code)
    assert await snapshot(org) == before


# Checklist -----------------------------------------------------------------------------------


async def test_ticking_a_step_records_who_and_when(org: Org) -> None:
    incident = await declared(org, hasDataLeak=True)
    org.clock.advance(minutes=10)
    result = await run(org, TICK, "tickResponseStep", incidentId=incident["id"], position=2)
    assert result["step"]["position"] == 2
    assert result["step"]["textAr"] == COMMON_STEPS[1]
    assert result["step"]["done"] is True
    assert result["step"]["doneAt"] == iso(T0 + timedelta(minutes=10))
    assert result["step"]["doneBy"] is not None
    assert result["incident"]["firstActionAt"] == iso(T0 + timedelta(minutes=10))
    assert result["incident"]["firstActionOverdue"] is False
    org.clock.advance(minutes=60)
    again = (await org.data(GET, {"id": incident["id"]}))["incident"]
    assert again["firstActionOverdue"] is False
    assert [s["done"] for s in again["responsePlan"]] == [False, True] + [False] * 6


async def test_first_action_is_overdue_strictly_after_its_due_time(org: Org) -> None:
    incident = await declared(org, hasUnauthorizedSend=True)
    org.clock.advance(minutes=15)
    on_time = (await org.data(GET, {"id": incident["id"]}))["incident"]
    assert on_time["firstActionOverdue"] is False
    org.clock.advance(minutes=1)
    late = (await org.data(GET, {"id": incident["id"]}))["incident"]
    assert late["firstActionOverdue"] is True
    result = await run(org, TICK, "tickResponseStep", incidentId=incident["id"], position=1)
    assert result["incident"]["firstActionOverdue"] is True


@pytest.mark.parametrize(
    ("position", "typename", "code"),
    [(1, "RuleError", "INVALID_TRANSITION"), (8, "NotFoundError", "NOT_FOUND")],
)
async def test_ticking_refuses_a_done_or_missing_step(
    org: Org, position: int, typename: str, code: str
) -> None:
    incident = await declared(org)
    await run(org, TICK, "tickResponseStep", incidentId=incident["id"], position=1)
    before = await snapshot(org)
    result = await run(org, TICK, "tickResponseStep", incidentId=incident["id"], position=position)
    refused(result, typename, "position", code)
    assert await snapshot(org) == before


# Updates, PDPL -------------------------------------------------------------------------------


async def test_an_update_drafts_one_approval_first_message_per_customer(org: Org) -> None:
    arabic = await customers(org, 1)
    english = await customers(org, 1, locale="EN")
    incident = await declared(org, affectedCustomerIds=arabic + english, hasDataLeak=True)
    org.clock.advance(minutes=31)
    overdue = (await org.data(GET, {"id": incident["id"]}))["incident"]
    assert overdue["updateOverdue"] is True
    result = await run(
        org,
        UPDATE,
        "postIncidentUpdate",
        id=incident["id"],
        version=1,
        body="نعمل على الحل.",
        bodyEn="We are working on a fix.",
    )
    assert result["__typename"] == "PostIncidentUpdatePayload"
    assert (result["approvalRequired"], result["liveSendAllowed"]) == (True, False)
    assert len(result["draftIds"]) == 2
    moved = result["incident"]
    assert moved["lastUpdateAt"] == iso(T0 + timedelta(minutes=31))
    assert moved["nextUpdateDueAt"] == iso(T0 + timedelta(minutes=61))
    assert (moved["updateOverdue"], moved["version"]) == (False, 2)
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT kind, subject_type, locale, body, status FROM drafts WHERE org_id = $1 "
            "ORDER BY customer_id",
            org.id,
        )
    assert [tuple(row) for row in rows] == [
        ("incident_update", "Incident", "ar", "نعمل على الحل.", "draft"),
        ("incident_update", "Incident", "en", "We are working on a fix.", "draft"),
    ]


@pytest.mark.parametrize(
    ("with_customer", "body", "typename", "field", "code"),
    [
        (False, "تحديث", "RuleError", "id", "PRECONDITION_FAILED"),
        (True, "  ", "ValidationError", "body", "REQUIRED"),
        (True, "x" * 10_001, "ValidationError", "body", "TOO_LONG"),
    ],
)
async def test_an_update_is_refused_without_customers_or_text(
    org: Org, with_customer: bool, body: str, typename: str, field: str, code: str
) -> None:
    ids = await customers(org, 1) if with_customer else []
    incident = await declared(org, affectedCustomerIds=ids)
    before = await snapshot(org)
    result = await run(org, UPDATE, "postIncidentUpdate", id=incident["id"], version=1, body=body)
    refused(result, typename, field, code)
    assert await snapshot(org) == before


async def test_recording_the_pdpl_notification_clears_the_deadline(org: Org) -> None:
    incident = await declared(org, hasDataLeak=True)
    org.clock.advance(hours=5)
    result = await run(org, PDPL, "recordPdplNotification", id=incident["id"], version=1)
    notified = result["incident"]
    assert notified["pdplNotifyBy"] is None
    assert notified["pdplNotifiedAt"] == iso(T0 + timedelta(hours=5))
    before = await snapshot(org)
    again = await run(org, PDPL, "recordPdplNotification", id=incident["id"], version=2)
    refused(again, "RuleError", "id", "INVALID_TRANSITION")
    assert await snapshot(org) == before


async def test_pdpl_notification_needs_a_data_leak(org: Org) -> None:
    incident = await declared(org)
    before = await snapshot(org)
    result = await run(org, PDPL, "recordPdplNotification", id=incident["id"], version=1)
    refused(result, "RuleError", "id", "PRECONDITION_FAILED")
    assert await snapshot(org) == before


# Lifecycle and post-mortem -------------------------------------------------------------------


def post_mortem(incident_id: str, version: int, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": incident_id,
        "version": version,
        "summary": "ملخص",
        "timeline": "09:00 اكتشاف",
        "rootCause": "مفتاح مكشوف",
        "whatWentRight": "الاستجابة السريعة",
        "whatWentWrong": "تأخر الإخطار",
        "preventiveActions": ["تدوير المفاتيح", "مراجعة السجلات"],
        "actionOwners": ["سارة", "علي"],
        "deadline": iso(T0 + timedelta(days=7)),
    }
    values.update(fields)
    return values


async def walk(org: Org, incident_id: str, *statuses: str, version: int = 1) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for status in statuses:
        result = await run(
            org, STATUS, "changeIncidentStatus", id=incident_id, version=version, status=status
        )
        version += 1
    return result


@pytest.mark.parametrize(("severity_input", "hours"), [({"hasDataLeak": True}, 24), ({}, 48)])
async def test_a_sev1_or_sev2_closes_only_with_its_post_mortem(
    org: Org, severity_input: dict[str, Any], hours: int
) -> None:
    ids = await customers(org, 0 if severity_input else 5)
    incident = await declared(org, affectedCustomerIds=ids, **severity_input)
    await walk(org, incident["id"], "MITIGATED")
    org.clock.advance(hours=2)
    resolved = (await walk(org, incident["id"], "RESOLVED", version=2))["incident"]
    assert resolved["resolvedAt"] == iso(T0 + timedelta(hours=2))
    assert resolved["postMortemDueAt"] == iso(T0 + timedelta(hours=2 + hours))
    assert resolved["nextUpdateDueAt"] is None
    assert resolved["liveActionsFrozen"] is False
    before = await snapshot(org)
    refusal = await walk(org, incident["id"], "CLOSED", version=3)
    refused(refusal, "RuleError", "postMortem", "PRECONDITION_FAILED")
    assert await snapshot(org) == before
    written = await run(org, POST_MORTEM, "submitPostMortem", **post_mortem(incident["id"], 3))
    assert written["incident"]["postMortem"] == {
        "summary": "ملخص",
        "timeline": "09:00 اكتشاف",
        "rootCause": "مفتاح مكشوف",
        "whatWentRight": "الاستجابة السريعة",
        "whatWentWrong": "تأخر الإخطار",
        "preventiveActions": ["تدوير المفاتيح", "مراجعة السجلات"],
        "actionOwners": ["سارة", "علي"],
        "deadline": iso(T0 + timedelta(days=7)),
    }
    closed = (await walk(org, incident["id"], "CLOSED", version=4))["incident"]
    assert (closed["status"], closed["closedAt"]) == ("CLOSED", iso(T0 + timedelta(hours=2)))


async def test_a_sev3_closes_without_a_post_mortem(org: Org) -> None:
    incident = await declared(org)
    closed = (await walk(org, incident["id"], "MITIGATED", "RESOLVED", "CLOSED"))["incident"]
    assert (closed["status"], closed["postMortem"], closed["postMortemDueAt"]) == (
        "CLOSED",
        None,
        None,
    )


async def test_the_post_mortem_lists_its_eight_fields_in_order(org: Org) -> None:
    data = await org.data('{ __type(name: "PostMortem") { fields { name } } }')
    assert [f["name"] for f in data["__type"]["fields"]] == [
        "summary",
        "timeline",
        "rootCause",
        "whatWentRight",
        "whatWentWrong",
        "preventiveActions",
        "actionOwners",
        "deadline",
    ]


async def test_status_moves_one_step_at_a_time_and_closed_is_final(org: Org) -> None:
    incident = await declared(org)
    before = await snapshot(org)
    refused(
        await walk(org, incident["id"], "RESOLVED"), "RuleError", "status", "INVALID_TRANSITION"
    )
    assert await snapshot(org) == before
    await walk(org, incident["id"], "MITIGATED", "RESOLVED", "CLOSED")
    before = await snapshot(org)
    for result in (
        await run(
            org, RAISE, "raiseIncidentSeverity", id=incident["id"], version=4, severity="SEV1"
        ),
        await run(org, TICK, "tickResponseStep", incidentId=incident["id"], position=1),
    ):
        assert (result["__typename"], result["code"]) == ("RuleError", "INVALID_TRANSITION")
    assert await snapshot(org) == before


@pytest.mark.parametrize(
    ("status_path", "fields", "typename", "field", "code"),
    [
        (["MITIGATED"], {}, "RuleError", "id", "PRECONDITION_FAILED"),
        (
            ["MITIGATED", "RESOLVED"],
            {"actionOwners": ["سارة"]},
            "ValidationError",
            "actionOwners",
            "REQUIRED",
        ),
        (["MITIGATED", "RESOLVED"], {"summary": " "}, "ValidationError", "summary", "REQUIRED"),
        (
            ["MITIGATED", "RESOLVED"],
            {"rootCause": "x" * 10_001},
            "ValidationError",
            "rootCause",
            "TOO_LONG",
        ),
        (
            ["MITIGATED", "RESOLVED"],
            {"preventiveActions": [], "actionOwners": []},
            "ValidationError",
            "preventiveActions",
            "REQUIRED",
        ),
    ],
)
async def test_a_post_mortem_is_refused_before_resolution_or_incomplete(
    org: Org,
    status_path: list[str],
    fields: dict[str, Any],
    typename: str,
    field: str,
    code: str,
) -> None:
    incident = await declared(org)
    await walk(org, incident["id"], *status_path)
    version = 1 + len(status_path)
    before = await snapshot(org)
    result = await run(
        org, POST_MORTEM, "submitPostMortem", **post_mortem(incident["id"], version, **fields)
    )
    refused(result, typename, field, code)
    assert await snapshot(org) == before


# Freeze --------------------------------------------------------------------------------------


async def test_a_sev1_freezes_its_customers_until_resolved(org: Org, settings: Any) -> None:
    from domain.drafts import DraftKind
    from resolvers.store import engine, freezes

    affected, bystander = await customers(org, 2)
    incident = await declared(org, affectedCustomerIds=[affected], hasUnauthorizedSend=True)
    write = engine.create_write_engine(settings.database_url, size=1)
    sessions = engine.sessions(write)

    async def reason(customer: str, kind: DraftKind | None = None) -> str | None:
        customer_pk = pk(customer)
        async with engine.transaction(sessions, org.id) as session:
            return await freezes.active_reason(
                session, org_id=org.id, customer_id=customer_pk, draft_kind=kind
            )

    try:
        assert (await reason(affected) or "").startswith("SEV1 incident")
        assert (await reason(affected, DraftKind.FIRST_RESPONSE) or "").startswith("SEV1")
        assert await reason(affected, DraftKind.INCIDENT_UPDATE) is None
        assert await reason(bystander) is None
        await walk(org, incident["id"], "MITIGATED")
        assert await reason(affected) is not None
        await walk(org, incident["id"], "RESOLVED", version=2)
        assert await reason(affected) is None
    finally:
        await write.dispose()


def pk(global_id: str) -> int:
    return int(base64.urlsafe_b64decode(global_id).decode().split(":")[1])


# Reads, links, timeline ----------------------------------------------------------------------


async def test_incidents_list_filters_and_pages_newest_first(org: Org) -> None:
    ids = await customers(org, 5)
    sev3 = await declared(org, title="one", affectedCustomerIds=[ids[0]])
    sev2 = await declared(org, title="two", affectedCustomerIds=ids)
    sev1 = await declared(org, title="three", hasDataLeak=True)
    await walk(org, sev3["id"], "MITIGATED")

    async def titles(**variables: Any) -> list[str]:
        data = await org.data(LIST, variables)
        return [edge["node"]["title"] for edge in data["incidents"]["edges"]]

    assert await titles() == ["three", "two", "one"]
    assert await titles(filter={"severity": "SEV2"}) == ["two"]
    assert await titles(filter={"status": "MITIGATED"}) == ["one"]
    assert await titles(filter={"customer": ids[0]}) == ["two", "one"]
    assert await titles(filter={"customer": ids[1], "status": "OPEN"}) == ["two"]
    first = (await org.data(LIST, {"first": 2}))["incidents"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await titles(first=2, after=first["pageInfo"]["endCursor"])
    assert rest == ["one"]
    assert sev1["id"] != sev2["id"]


async def test_a_customer_lists_the_incidents_that_hurt_it(org: Org) -> None:
    ids = await customers(org, 2)
    await declared(org, title="older", affectedCustomerIds=ids)
    await declared(org, title="newer", affectedCustomerIds=[ids[0]])
    query = """query($id: ID!) { customer(id: $id) { incidents(first: 10) {
        edges { node { title affectedCustomers { edges { node { id } } } } } } } }"""
    first = (await org.data(query, {"id": ids[0]}))["customer"]["incidents"]["edges"]
    second = (await org.data(query, {"id": ids[1]}))["customer"]["incidents"]["edges"]
    assert [e["node"]["title"] for e in first] == ["newer", "older"]
    assert [e["node"]["title"] for e in second] == ["older"]
    assert len(first[1]["node"]["affectedCustomers"]["edges"]) == 2


async def test_the_timeline_shows_every_change_oldest_first(org: Org) -> None:
    incident = await declared(org, hasDataLeak=True)
    await run(org, TICK, "tickResponseStep", incidentId=incident["id"], position=1)
    await run(org, PDPL, "recordPdplNotification", id=incident["id"], version=1)
    await walk(org, incident["id"], "MITIGATED", version=2)
    query = """query($id: ID!) { incident(id: $id) { timeline(first: 10) {
        edges { node { action entity role } } } } }"""
    edges = (await org.data(query, {"id": incident["id"]}))["incident"]["timeline"]["edges"]
    assert [e["node"]["action"] for e in edges] == [
        "declareIncident",
        "tickResponseStep",
        "recordPdplNotification",
        "changeIncidentStatus",
    ]
    assert {e["node"]["entity"] for e in edges} == {"Incident"}
    assert {e["node"]["role"] for e in edges} == {"owner"}


async def test_another_organisations_incident_is_not_found(org: Org, other_org: Org) -> None:
    theirs = await declared(other_org)
    body = await org.gql(GET, {"id": theirs["id"]})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    before = await snapshot(other_org)
    result = await run(
        org, STATUS, "changeIncidentStatus", id=theirs["id"], version=1, status="MITIGATED"
    )
    refused(result, "NotFoundError", "id", "NOT_FOUND")
    tick = await run(org, TICK, "tickResponseStep", incidentId=theirs["id"], position=1)
    refused(tick, "NotFoundError", "incidentId", "NOT_FOUND")
    assert await snapshot(other_org) == before


async def test_a_viewer_reads_incidents_but_changes_nothing(org: Org) -> None:
    incident = await declared(org)
    data = await org.data(GET, {"id": incident["id"]}, role=Role.VIEWER)
    assert data["incident"]["id"] == incident["id"]
    before = await snapshot(org)
    result = await run(
        org, TICK, "tickResponseStep", role=Role.VIEWER, incidentId=incident["id"], position=1
    )
    refused(result, "ForbiddenError", "tickResponseStep", "FORBIDDEN")
    assert await snapshot(org) == before


ATTACH = """
mutation($input: AttachTicketToIncidentInput!) {
  attachTicketToIncident(input: $input) {
    __typename
    ... on AttachTicketToIncidentPayload { ticketId incident { id } }
    ... on UserError { field code message }
  }
}"""


async def open_ticket(org: Org, customer: str, subject: str) -> str:
    data = await org.data(
        "mutation($input: OpenTicketInput!) { openTicket(input: $input) "
        "{ __typename ... on OpenTicketPayload { ticket { id } } ... on UserError { code } } }",
        {"input": {"customer": customer, "subject": subject, "body": "Gmail outage"}},
    )
    ticket_id: str = data["openTicket"]["ticket"]["id"]
    return ticket_id


async def test_tickets_attach_to_an_incident_once(org: Org) -> None:
    (customer,) = await customers(org, 1)
    incident = await declared(org, affectedCustomerIds=[customer])
    other = await declared(org, title="other")
    first = await open_ticket(org, customer, "first")
    second = await open_ticket(org, customer, "second")
    for ticket in (second, first):
        result = await run(
            org, ATTACH, "attachTicketToIncident", incidentId=incident["id"], ticketId=ticket
        )
        assert result == {
            "__typename": "AttachTicketToIncidentPayload",
            "ticketId": ticket,
            "incident": {"id": incident["id"]},
        }
    found = (await org.data(GET, {"id": incident["id"]}))["incident"]
    assert [t["subject"] for t in found["tickets"]] == ["first", "second"]
    before = await snapshot(org)
    again = await run(
        org, ATTACH, "attachTicketToIncident", incidentId=incident["id"], ticketId=first
    )
    refused(again, "ValidationError", "ticketId", "DUPLICATE")
    elsewhere = await run(
        org, ATTACH, "attachTicketToIncident", incidentId=other["id"], ticketId=first
    )
    refused(elsewhere, "RuleError", "ticketId", "PRECONDITION_FAILED")
    missing = await run(
        org,
        ATTACH,
        "attachTicketToIncident",
        incidentId=incident["id"],
        ticketId="VGlja2V0Ojk5OTk5OTk5",
    )
    refused(missing, "NotFoundError", "ticketId", "NOT_FOUND")
    assert await snapshot(org) == before
    timeline = (
        """query($id: ID!) { incident(id: $id) { timeline { edges { node { action } } } } }"""
    )
    edges = (await org.data(timeline, {"id": incident["id"]}))["incident"]["timeline"]["edges"]
    assert [e["node"]["action"] for e in edges][-2:] == ["attachTicketToIncident"] * 2


APPROVE = """
mutation($input: ApproveDraftInput!) {
  approveDraft(input: $input) {
    __typename
    ... on DraftPayload { draft { id } }
    ... on UserError { field code message }
  }
}"""


async def first_response_draft(org: Org, customer: str) -> str:
    data = await org.data(
        "mutation($input: OpenTicketInput!) { openTicket(input: $input) "
        "{ ... on OpenTicketPayload { draft { id } } } }",
        {"input": {"customer": customer, "subject": "سؤال", "body": "كيف أغير كلمة المرور؟"}},
    )
    draft_id: str = data["openTicket"]["draft"]["id"]
    return draft_id


async def update_drafts(org: Org, incident_id: str, version: int) -> list[str]:
    result = await run(
        org, UPDATE, "postIncidentUpdate", id=incident_id, version=version, body="نعمل على الحل."
    )
    assert result["__typename"] == "PostIncidentUpdatePayload", result
    ids: list[str] = result["draftIds"]
    return ids


async def test_a_sev1_freeze_lets_its_updates_through_and_holds_every_other_draft(
    org: Org,
) -> None:
    (customer,) = await customers(org, 1)
    incident = await declared(org, affectedCustomerIds=[customer], hasDataLeak=True)
    other = await first_response_draft(org, customer)
    (update,) = await update_drafts(org, incident["id"], 1)
    before = await snapshot(org)
    frozen = await run(org, APPROVE, "approveDraft", id=other, version=1)
    assert (frozen["__typename"], frozen["code"]) == ("ForbiddenError", "FROZEN")
    assert await snapshot(org) == before
    # The PDPL notice and every cadence update go out while the freeze holds everything else.
    approved = await run(org, APPROVE, "approveDraft", id=update, version=1)
    assert approved == {"__typename": "DraftPayload", "draft": {"id": update}}
    found = (await org.data(GET, {"id": incident["id"]}))["incident"]
    assert (found["liveActionsFrozen"], found["status"]) == (True, "OPEN")
    still = await run(org, APPROVE, "approveDraft", id=other, version=1)
    assert (still["__typename"], still["code"]) == ("ForbiddenError", "FROZEN")
    await walk(org, incident["id"], "MITIGATED", "RESOLVED", version=2)
    thawed = await run(org, APPROVE, "approveDraft", id=other, version=1)
    assert thawed["__typename"] == "DraftPayload"


async def test_any_incidents_updates_pass_every_incident_freeze(org: Org) -> None:
    # A customer hurt by two SEV1s (and a SEV3) hears about each of them: an incident update is
    # exempt from all incident freezes, not only from its own incident's.
    (customer,) = await customers(org, 1)
    leak = await declared(org, affectedCustomerIds=[customer], hasDataLeak=True)
    send = await declared(org, affectedCustomerIds=[customer], hasUnauthorizedSend=True)
    minor = await declared(org, affectedCustomerIds=[customer])
    drafts = [
        *(await update_drafts(org, leak["id"], 1)),
        *(await update_drafts(org, send["id"], 1)),
        *(await update_drafts(org, minor["id"], 1)),
    ]
    for draft in drafts:
        approved = await run(org, APPROVE, "approveDraft", id=draft, version=1)
        assert approved["__typename"] == "DraftPayload", approved
    async with org.pool.acquire() as conn:
        statuses = await conn.fetch(
            "SELECT kind, status FROM drafts WHERE org_id = $1 AND customer_id = $2",
            org.id,
            pk(customer),
        )
    assert sorted(tuple(row) for row in statuses) == [("incident_update", "approved")] * 3


async def test_the_organisation_wide_freeze_still_holds_incident_updates(org: Org) -> None:
    (customer,) = await customers(org, 1)
    incident = await declared(org, affectedCustomerIds=[customer], hasDataLeak=True)
    (update,) = await update_drafts(org, incident["id"], 1)
    async with org.pool.acquire() as conn:
        await conn.execute(
            "UPDATE organisations SET frozen_at = $2, frozen_reason = 'SLA health critical' "
            "WHERE id = $1",
            org.id,
            org.clock(),
        )
    before = await snapshot(org)
    frozen = await run(org, APPROVE, "approveDraft", id=update, version=1)
    assert (frozen["__typename"], frozen["code"]) == ("ForbiddenError", "FROZEN")
    assert await snapshot(org) == before


async def test_the_timeline_is_for_ledger_readers_only(org: Org) -> None:

    declared = await org.data(
        "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { "
        "... on IncidentPayload { incident { id } } } }",
        {"i": {"title": "Down"}},
    )
    incident = declared["declareIncident"]["incident"]["id"]
    query = "query($id: ID!) { incident(id: $id) { timeline { edges { node { action } } } } }"
    for role in (Role.AGENT, Role.VIEWER):
        body = await org.gql(query, {"id": incident}, role=role)
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "field": "timeline"}
    data = await org.data(query, {"id": incident}, role=Role.MANAGER)
    assert [e["node"]["action"] for e in data["incident"]["timeline"]["edges"]] == [
        "declareIncident"
    ]
