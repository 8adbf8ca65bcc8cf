"""docs/rules.md §5 and §6 through the GraphQL API: the alert kinds (§5's nine, §7's
FOLLOW_UP_OVERDUE and the webhook one), one breach alert per clock seen through the `alerts`
query, and one ledger row per mutation — who, role, action, entity, before and after — across
every slice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg

from domain.roles import Role
from jobs import sla as sla_jobs
from schema.types.relay import to_global_id
from tests.factories import T0, Org, new_customer, open_ticket, raise_alerts

LEDGER = """{ ledger(first: 100) { edges { node {
  id operatorId role action entity entityId before after at } } } }"""


async def ledger(org: Org) -> list[dict[str, Any]]:
    data = await org.data(LEDGER)
    return [edge["node"] for edge in data["ledger"]["edges"]]


# §5 ----------------------------------------------------------------------------------------------


async def test_the_alert_kinds(org: Org) -> None:
    data = await org.data('{ __type(name: "AlertKind") { enumValues { name } } }')
    assert [v["name"] for v in data["__type"]["enumValues"]] == [
        "SLA_FIRST_RESPONSE_BREACH",
        "SLA_RESOLUTION_BREACH",
        "SLA_HEALTH_CRITICAL",
        "AT_RISK",
        "INCIDENT_UPDATE_OVERDUE",
        "PDPL_DEADLINE_NEAR",
        "ONBOARDING_STALLED",
        "INACTIVE_CUSTOMER",
        "PAYMENT_PAST_DUE",
        # Not a §5 rule: an endpoint disabled after a day of failed deliveries (README: Webhooks).
        "WEBHOOK_DISABLED",
        "FOLLOW_UP_OVERDUE",
        # docs/rules.md §8.5: a channel froze.
        "CHANNEL_FROZEN",
        # Playbooks (docs/rules.md §8.2): a red flag, and the same flag unacknowledged after 1 h.
        "RED_FLAG",
        "RED_FLAG_OVERDUE",
    ]


async def test_a_ticket_breaches_its_first_response_once_as_the_alerts_query_shows(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, "outage")
    ctx = {"db": system_pool, "clock": org.clock}
    org.clock.now = T0 + timedelta(minutes=31)
    await sla_jobs.scan_sla_breaches(ctx)
    org.clock.now = T0 + timedelta(minutes=45)
    await sla_jobs.scan_sla_breaches(ctx)
    # The late reply is recorded; it does not alert the same clock again.
    reply = await org.data(
        "mutation($i: TicketStepInput!) { logReply(input: $i) { __typename } }",
        {"i": {"id": opened["ticket"]["id"], "version": 1}},
    )
    assert reply["logReply"]["__typename"] == "TicketPayload"
    await sla_jobs.scan_sla_breaches(ctx)
    data = await org.data(
        "query($f: AlertFilter) { alerts(first: 100, filter: $f) { edges { node { "
        "kind subject subjectId occurrence customerId } } } }",
        {"f": {"kinds": ["SLA_FIRST_RESPONSE_BREACH", "SLA_RESOLUTION_BREACH"]}},
        role=Role.VIEWER,
    )
    assert [edge["node"] for edge in data["alerts"]["edges"]] == [
        {
            "kind": "SLA_FIRST_RESPONSE_BREACH",
            "subject": "Ticket",
            "subjectId": opened["ticket"]["id"],
            "occurrence": "2026-11-01T09:30:00.000000Z",
            "customerId": customer,
        }
    ]


# §6 ----------------------------------------------------------------------------------------------


class Walk:
    """Runs mutations one at a time, checking each wrote exactly one ledger row."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.seen = 0
        self.operators: dict[Role, str] = {}

    async def start(self) -> None:
        self.seen = len(await ledger(self.org))

    async def __call__(
        self,
        name: str,
        input_type: str | None,
        variables: dict[str, Any],
        selection: str = "",
        *,
        role: Role = Role.AGENT,
    ) -> dict[str, Any]:
        args = "(input: $i)" if input_type else ""
        head = f"mutation($i: {input_type}!)" if input_type else "mutation"
        query = (
            f"{head} {{ {name}{args} {{ __typename {selection} "
            "... on UserError { field code message } } }"
        )
        data = await self.org.data(query, {"i": variables} if input_type else None, role=role)
        result: dict[str, Any] = data[name]
        assert "code" not in result, (name, result)
        entries = await ledger(self.org)
        assert len(entries) == self.seen + 1, (name, [e["action"] for e in entries[:3]])
        self.seen += 1
        newest = entries[0]
        assert newest["action"] == name
        assert newest["role"] == role.value
        assert newest["operatorId"] is not None
        assert self.operators.setdefault(role, newest["operatorId"]) == newest["operatorId"]
        assert newest["at"] == self.org.clock().isoformat()
        assert newest["entity"]
        assert newest["after"] is not None, (name, newest)
        return result


VERSION = """query($id: ID!) { node(id: $id) { ... on Customer { version } ... on Ticket { version }
  ... on Incident { version } ... on Draft { version } } }"""


async def version(org: Org, node_id: str) -> int:
    data = await org.data(VERSION, {"id": node_id})
    found: int = data["node"]["version"]
    return found


async def plan_version(org: Org, customer_id: str) -> int:
    data = await org.data(
        "query($id: ID!) { customer(id: $id) { successPlan { version } } }", {"id": customer_id}
    )
    found: int = data["customer"]["successPlan"]["version"]
    return found


async def test_every_mutation_writes_exactly_one_ledger_row_naming_who_and_what(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    walk = Walk(org)
    await walk.start()

    # Customers and customer success.
    made = await walk(
        "createCustomer",
        "CreateCustomerInput",
        {"name": "شركة الأفق", "subscriptionStartedAt": (T0 - timedelta(days=10)).isoformat()},
        "... on CustomerPayload { customer { id } }",
    )
    c = made["customer"]["id"]
    entry = (await ledger(org))[0]
    assert (entry["entity"], entry["entityId"], entry["before"]) == ("Customer", c, None)
    await walk(
        "updateCustomer",
        "UpdateCustomerInput",
        {"id": c, "version": await version(org, c), "name": "شركة الأفق الجديدة"},
    )
    entry = (await ledger(org))[0]
    assert (entry["before"]["name"], entry["after"]["name"]) == (
        "شركة الأفق",
        "شركة الأفق الجديدة",
    )
    await walk("recordCustomerActivity", "RecordCustomerActivityInput", {"customerId": c})
    await walk(
        "changeCustomerStage",
        "ChangeCustomerStageInput",
        {"id": c, "version": await version(org, c), "stage": "ADOPTION"},
    )
    step = {"customerId": c, "step": "SELECT_GOAL"}
    await walk("completeOnboardingStep", "OnboardingStepInput", step)
    entry = (await ledger(org))[0]
    assert (entry["before"]["done"], entry["after"]["done"]) == ([], ["select_goal"])
    await walk("reopenOnboardingStep", "OnboardingStepInput", step)
    entry = (await ledger(org))[0]
    assert (entry["before"]["done"], entry["after"]["done"]) == (["select_goal"], [])
    await walk(
        "moveConnector",
        "MoveConnectorInput",
        {"customerId": c, "key": "GMAIL", "to": "CONFIGURING"},
    )
    await walk("deliverProofPack", "DeliverProofPackInput", {"customerId": c, "title": "v1"})
    await walk("recordNps", "RecordNpsInput", {"customerId": c, "score": 9})
    await walk(
        "recordCheckInMetrics",
        "RecordCheckInMetricsInput",
        {
            "customerId": c,
            "weekOf": "2026-10-26",
            "draftsApproved": 1,
            "replies": 1,
            "meetings": 1,
            "risksBlocked": 0,
            "pipelineSar": 1000,
        },
    )
    await walk(
        "draftCheckInNote",
        "DraftCheckInNoteInput",
        {"customerId": c, "weekOf": "2026-10-26"},
        "... on DraftPayload { draft { id } }",
    )
    plan = await walk(
        "startSuccessPlan",
        "StartSuccessPlanInput",
        {"customerId": c},
        "... on SuccessPlanPayload { plan { id items { id } } }",
    )
    plan_id = plan["plan"]["id"]
    await walk("completePlanItem", "CompletePlanItemInput", {"id": plan["plan"]["items"][0]["id"]})
    await walk(
        "changePlanCadence",
        "ChangePlanCadenceInput",
        {
            "id": plan_id,
            "version": await plan_version(org, c),
            "cadence": "MONTHLY_PROOF_REVIEW",
            "consentRecorded": True,
            "consentGivenBy": "Nora",
            "consentNote": "by phone on 30 Oct",
        },
    )
    entry = (await ledger(org))[0]
    assert (entry["before"]["cadence"], entry["after"]["cadence"]) == (
        "weekly_check_in",
        "monthly_proof_review",
    )
    assert (entry["after"]["consent"]["givenBy"], entry["after"]["consent"]["note"]) == (
        "Nora",
        "by phone on 30 Oct",
    )
    gone = await walk(
        "createCustomer",
        "CreateCustomerInput",
        {"name": "شركة المدى", "subscriptionStartedAt": (T0 - timedelta(days=10)).isoformat()},
        "... on CustomerPayload { customer { id } }",
    )
    gone_id = gone["customer"]["id"]
    await walk(
        "changeCustomerStage",
        "ChangeCustomerStageInput",
        {"id": gone_id, "version": await version(org, gone_id), "stage": "CHURNED"},
    )
    await walk(
        "recordExitSurvey",
        "RecordExitSurveyInput",
        {"customerId": gone_id, "primaryReason": "TOO_EXPENSIVE", "wouldReturn": "MAYBE"},
    )
    entry = (await ledger(org))[0]
    assert (entry["entity"], entry["before"], entry["after"]["primary_reason"]) == (
        "ExitSurvey",
        None,
        "too_expensive",
    )

    # Tickets and drafts.
    ticket_fields = "... on OpenTicketPayload { ticket { id } draft { id } }"
    opened = await walk(
        "openTicket",
        "OpenTicketInput",
        {"customer": c, "subject": "سؤال", "body": ""},
        ticket_fields,
    )
    tid, did = opened["ticket"]["id"], opened["draft"]["id"]

    async def on_ticket(name: str, input_type: str, **extra: Any) -> None:
        await walk(name, input_type, {"id": tid, "version": await version(org, tid), **extra})

    async def on_draft(name: str, draft_id: str) -> None:
        await walk(
            name,
            f"{name[0].upper()}{name[1:]}Input",
            {"id": draft_id, "version": await version(org, draft_id)},
        )

    await on_ticket("raiseTicketPriority", "RaiseTicketPriorityInput", priority="P2")
    await on_ticket("editTicket", "EditTicketInput", body="تفاصيل")
    await on_ticket("escalateTicket", "EscalateTicketInput")
    await on_draft("approveDraft", did)
    await on_draft("markDraftSent", did)
    await on_ticket("resolveTicket", "TicketStepInput")
    await on_ticket("reopenTicket", "TicketStepInput")
    await on_ticket("recordTicketEvent", "RecordTicketEventInput", event="resolved")
    await on_ticket("confirmTicketClosed", "ConfirmTicketClosedInput", confirmedBy="Sara")
    await walk("rateTicket", "RateTicketInput", {"ticketId": tid, "rating": 5})
    second = await walk(
        "openTicket",
        "OpenTicketInput",
        {"customer": c, "subject": "سؤال آخر", "body": ""},
        ticket_fields,
    )
    await on_draft("rejectDraft", second["draft"]["id"])
    await walk("logReply", "TicketStepInput", {"id": second["ticket"]["id"], "version": 1})
    sid = second["ticket"]["id"]
    follow_up = await walk(
        "addTicketFollowUp",
        "AddTicketFollowUpInput",
        {"ticket": sid, "kind": "COMPLAINT_OR_CHURN"},
        "... on TicketFollowUpPayload { followUp { id } }",
    )
    done = await org.data(
        "mutation($id: ID!) { completeTicketFollowUp(id: $id) { __typename } }",
        {"id": follow_up["followUp"]["id"]},
        role=Role.AGENT,
    )
    assert done["completeTicketFollowUp"]["__typename"] == "TicketFollowUpPayload"
    assert (await ledger(org))[0]["action"] == "completeTicketFollowUp"
    walk.seen += 1
    await walk(
        "setTicketSupportMode",
        "SetTicketSupportModeInput",
        {"id": sid, "version": await version(org, sid), "mode": "PRICING_QUESTION"},
    )
    for name in ("awaitCustomer", "logCustomerReply"):
        await walk(name, "TicketStepInput", {"id": sid, "version": await version(org, sid)})

    # Working time (§7).
    await walk("setTimeZone", "SetTimeZoneInput", {"timeZone": "Asia/Riyadh"}, role=Role.MANAGER)
    created = await walk(
        "createCalendar",
        "CreateCalendarInput",
        {"name": "office"},
        "... on CalendarPayload { calendar { id } }",
        role=Role.MANAGER,
    )
    cal = created["calendar"]["id"]
    await walk(
        "updateCalendar",
        "UpdateCalendarInput",
        {"id": cal, "version": 1, "name": "المكتب"},
        role=Role.MANAGER,
    )
    holiday = {"calendar": cal, "version": 2, "holidays": [{"day": "2026-12-07", "name": "عيد"}]}
    await walk("addHolidays", "AddHolidaysInput", holiday, role=Role.MANAGER)
    await walk(
        "removeHoliday",
        "RemoveHolidayInput",
        {"calendar": cal, "version": 3, "day": "2026-12-07"},
        role=Role.MANAGER,
    )
    await walk(
        "setPriorityCalendar",
        "SetPriorityCalendarInput",
        {"priority": "P3", "calendar": cal},
        role=Role.MANAGER,
    )

    # Incidents.
    incident = await walk(
        "declareIncident",
        "DeclareIncidentInput",
        {"title": "تعطل", "affectedCustomerIds": [c]},
        "... on IncidentPayload { incident { id } }",
    )
    iid = incident["incident"]["id"]

    async def on_incident(name: str, input_type: str, incident_id: str = iid, **extra: Any) -> None:
        current = await version(org, incident_id)
        await walk(name, input_type, {"id": incident_id, "version": current, **extra})

    await on_incident("raiseIncidentSeverity", "RaiseIncidentSeverityInput", severity="SEV2")
    await walk("tickResponseStep", "TickResponseStepInput", {"incidentId": iid, "position": 1})
    await on_incident("postIncidentUpdate", "PostIncidentUpdateInput", body="تحديث")
    await walk(
        "attachTicketToIncident",
        "AttachTicketToIncidentInput",
        {"incidentId": iid, "ticketId": tid},
    )
    other = await new_customer(org)
    walk.seen += 1  # new_customer wrote its own row
    await on_incident("addAffectedCustomers", "AddAffectedCustomersInput", customerIds=[other])
    await on_incident("changeIncidentStatus", "ChangeIncidentStatusInput", status="MITIGATED")
    await on_incident("changeIncidentStatus", "ChangeIncidentStatusInput", status="RESOLVED")
    await on_incident(
        "submitPostMortem",
        "SubmitPostMortemInput",
        summary="ملخص",
        timeline="خط زمني",
        rootCause="سبب",
        whatWentRight="سرعة",
        whatWentWrong="تأخر",
        preventiveActions=["تدوير المفاتيح"],
        actionOwners=["سارة"],
        deadline=(T0 + timedelta(days=7)).isoformat(),
    )
    leak = await walk(
        "declareIncident",
        "DeclareIncidentInput",
        {"title": "تسريب", "hasDataLeak": True},
        "... on IncidentPayload { incident { id } }",
    )
    await on_incident(
        "recordPdplNotification", "RecordPdplNotificationInput", leak["incident"]["id"]
    )

    # Alerts, the freeze, archiving.
    [alert] = await raise_alerts(system_pool, org.id)
    data = await org.data(
        'mutation($id: ID!) { acknowledgeAlert(id: $id, action: "اتصلت") { __typename } }',
        {"id": to_global_id("Alert", alert)},
        role=Role.AGENT,
    )
    assert data["acknowledgeAlert"]["__typename"] == "AlertPayload"
    entries = await ledger(org)
    assert len(entries) == walk.seen + 1
    assert (entries[0]["action"], entries[0]["role"]) == ("acknowledgeAlert", "agent")
    walk.seen += 1
    async with org.pool.acquire() as conn:
        await conn.execute(
            "UPDATE organisations SET frozen_at = $2, frozen_reason = 'SLA health critical' "
            "WHERE id = $1",
            org.id,
            org.clock(),
        )
    await walk("liftFreeze", None, {}, role=Role.OWNER)
    await walk(
        "archiveCustomer",
        "ArchiveCustomerInput",
        {"id": other, "version": await version(org, other)},
        role=Role.MANAGER,
    )

    # API tokens and webhooks (owners and managers).
    token = await walk(
        "createApiToken",
        "CreateApiTokenInput",
        {"name": "CRM", "role": "AGENT"},
        "... on CreateApiTokenPayload { token { id } }",
        role=Role.MANAGER,
    )
    await walk(
        "revokeApiToken", "RevokeApiTokenInput", {"id": token["token"]["id"]}, role=Role.MANAGER
    )
    # A public IP literal: saved without a DNS lookup; the endpoint ends disabled, so no worker
    # of the test run ever sends to it.
    hook = await walk(
        "createWebhookEndpoint",
        "CreateWebhookEndpointInput",
        {"url": "https://93.184.216.34/wafi"},
        "... on WebhookSecretPayload { endpoint { id } }",
        role=Role.MANAGER,
    )
    endpoint_id = hook["endpoint"]["id"]
    await walk(
        "rotateWebhookSecret", "RotateWebhookSecretInput", {"id": endpoint_id}, role=Role.MANAGER
    )
    await walk(
        "disableWebhookEndpoint", "WebhookEndpointInput", {"id": endpoint_id}, role=Role.MANAGER
    )
    async with org.pool.acquire() as conn:
        delivery = await conn.fetchval(
            "INSERT INTO webhook_deliveries (org_id, endpoint_id, event_id, kind, payload, "
            "status, next_attempt_at, created_at) SELECT org_id, id, 1, 'AT_RISK', '{}', "
            "'failed', $2, $2 FROM webhook_endpoints WHERE org_id = $1 RETURNING id",
            org.id,
            org.clock(),
        )
    await walk(
        "enableWebhookEndpoint", "WebhookEndpointInput", {"id": endpoint_id}, role=Role.MANAGER
    )
    await walk(
        "redeliverWebhook",
        "RedeliverWebhookInput",
        {"id": to_global_id("WebhookDelivery", delivery)},
        role=Role.MANAGER,
    )
    async with org.pool.acquire() as conn:  # disabled again before any worker could send it
        await conn.execute(
            "UPDATE webhook_endpoints SET disabled_at = $2 WHERE org_id = $1", org.id, org.clock()
        )

    # CSV imports: one ledger row per import job.
    csv = "external_id,name,subscription_started_at\nw-1,Walk Co,2026-01-01\n"
    job = "... on ImportPayload { job { id } }"
    await walk("importCustomers", "ImportCsvInput", {"csv": csv}, job, role=Role.MANAGER)
    csv = "external_id,customer_external_id,subject,opened_at\nw-t,w-1,Hello,2026-10-01\n"
    await walk("importTickets", "ImportCsvInput", {"csv": csv}, job, role=Role.OWNER)
    # Channel health (docs/rules.md §8.5): 1 bounce in 20 sent freezes email; the owner lifts.
    day = org.clock().date().isoformat()
    await walk(
        "recordChannelStats",
        "RecordChannelStatsInput",
        {"channel": "EMAIL", "day": day, "sent": 20, "bounced": 2},
        role=Role.AGENT,
    )
    await walk("liftChannelFreeze", "LiftChannelFreezeInput", {"channel": "EMAIL"}, role=Role.OWNER)
    # Weekly CS review (docs/rules.md §8.4): an objection, on the first ticket's customer.
    await walk(
        "logObjection",
        "LogObjectionInput",
        {"category": "PRICE", "text": "غالي", "ticket": tid},
        role=Role.AGENT,
    )
    # Playbooks (docs/rules.md §8.1, §8.2); last, since a check-in needs the pilot's day 2.
    pilot_fields = "... on PilotPayload { pilot { id } }"
    pilot = await walk("startPilot", "StartPilotInput", {"customerId": c}, pilot_fields)
    org.clock.advance(days=3)
    check_in = {"pilotId": pilot["pilot"]["id"], "day": 2, "attended": True, "leads": 3}
    await walk("recordDailyCheckIn", "RecordDailyCheckInInput", check_in)
    await walk("convertPilot", "ConvertPilotInput", {"pilotId": pilot["pilot"]["id"]})
    declined = await new_customer(org)
    walk.seen += 1  # new_customer wrote its own row
    pilot = await walk("startPilot", "StartPilotInput", {"customerId": declined}, pilot_fields)
    await walk(
        "declinePilot", "DeclinePilotInput", {"pilotId": pilot["pilot"]["id"], "reason": "السعر"}
    )
    await walk(
        "recordRedFlag",
        "RecordRedFlagInput",
        {"customerId": c, "category": "CHURN", "detail": "قال إنه سيلغي"},
    )

    # Every mutation of the schema was walked.
    actions = {entry["action"] for entry in await ledger(org)}
    schema = await org.data('{ __type(name: "Mutation") { fields { name } } }')
    assert {f["name"] for f in schema["__type"]["fields"]} - actions == set()


async def test_a_refused_mutation_writes_no_ledger_row(org: Org) -> None:
    customer = await new_customer(org)
    opened = await open_ticket(org, customer, "outage")
    before = await ledger(org)
    refused = await org.data(
        "mutation($i: RaiseTicketPriorityInput!) { raiseTicketPriority(input: $i) { __typename } }",
        {"i": {"id": opened["ticket"]["id"], "version": 1, "priority": "P3"}},
    )
    assert refused["raiseTicketPriority"]["__typename"] == "RuleError"
    viewer = await org.data(
        "mutation($i: ApproveDraftInput!) { approveDraft(input: $i) { __typename } }",
        {"i": {"id": opened["draft"]["id"], "version": 1}},
        role=Role.VIEWER,
    )
    assert viewer["approveDraft"]["__typename"] == "ForbiddenError"
    assert await ledger(org) == before
