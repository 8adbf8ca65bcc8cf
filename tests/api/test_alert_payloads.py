"""Alert payloads typed per kind (docs/rules.md §5): global ids, one date format, severity always
set — the same through the `alerts` query and the `alerts` subscription."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg

from domain import onboarding
from domain.alerts import AlertKind
from jobs import incidents as incident_jobs
from jobs import sla as sla_jobs
from jobs import success as success_jobs
from resolvers.store import engine
from schema.types.relay import to_global_id
from tests.api.test_incidents import declared
from tests.factories import T0, Org, new_customer, open_ticket, raise_alerts
from tests.live import Live

DETAILS = """
fragment D on AlertDetails {
  __typename
  ... on FirstResponseBreachDetails { ticketId priority dueAt }
  ... on ResolutionBreachDetails { ticketId priority dueAt }
  ... on SlaHealthCriticalDetails { organisationId breachRate windowDays }
  ... on AtRiskDetails { customerId riskSeverity previousSeverity score reasons
                         recommendedAction reason renewsOn draftId }
  ... on IncidentUpdateOverdueDetails { incidentId title incidentSeverity dueAt }
  ... on PdplDeadlineNearDetails { incidentId title incidentSeverity notifyBy }
  ... on OnboardingStalledDetails { customerId stepsDone stepsTotal subscriptionStartedAt }
  ... on InactiveCustomerDetails { customerId lastActivityAt inactiveSince }
  ... on PaymentPastDueDetails { customerId renewsAt }
  ... on WebhookDisabledDetails { endpointId url reason }
  ... on FollowUpOverdueDetails { ticketId followUpId followUpKind dueAt }
  ... on ChannelFrozenDetails { freezeId channel cause sent bounceRate complaintRate blockRate
                                frozenByIncidentId }
  ... on RedFlagDetails { customerId redFlagId category dueAt }
}
"""
LIST = (
    "query { alerts(first: 100) { edges { node { kind severity payload { ...D } } } } }" + DETAILS
)
FEED = "subscription { alerts { kind severity payload { ...D } } }" + DETAILS

DUE = "2026-11-01T09:15:00+00:00"  # what the DateTime scalar answers for T0 + 15 minutes

# kind, subject, stored payload (as each rule writes it: ids bare, dates spelt three ways),
# the severity, and the typed payload the API answers (subject id 7).
CASES: list[tuple[str, str, dict[str, Any], str, dict[str, Any]]] = [
    (
        "SLA_FIRST_RESPONSE_BREACH",
        "Ticket",
        {"ticketId": 7, "clock": "first_response", "priority": "P0",
         "dueAt": "2026-11-01T09:15:00.000000Z"},
        "HIGH",
        {"__typename": "FirstResponseBreachDetails", "ticketId": to_global_id("Ticket", 7),
         "priority": "P0", "dueAt": DUE},
    ),
    (
        "SLA_RESOLUTION_BREACH",
        "Ticket",
        {"ticketId": 7, "clock": "resolution", "priority": "P2",
         "dueAt": "2026-11-01 09:15:00+00:00"},
        "LOW",
        {"__typename": "ResolutionBreachDetails", "ticketId": to_global_id("Ticket", 7),
         "priority": "P2", "dueAt": DUE},
    ),
    (
        "SLA_HEALTH_CRITICAL",
        "Organisation",
        {"breachRate": 0.25, "verdict": "critical", "windowDays": 30},
        "HIGH",
        {"__typename": "SlaHealthCriticalDetails",
         "organisationId": to_global_id("Organisation", 7), "breachRate": 0.25, "windowDays": 30},
    ),
    (
        "AT_RISK",
        "Customer",
        {"severity": "medium", "previousSeverity": "low", "score": 40, "reasons": ["خامل"],
         "recommendedAction": "اتصل"},
        "MEDIUM",
        {"__typename": "AtRiskDetails", "customerId": to_global_id("Customer", 7),
         "riskSeverity": "MEDIUM", "previousSeverity": "LOW", "score": 40, "reasons": ["خامل"],
         "recommendedAction": "اتصل", "reason": None, "renewsOn": None, "draftId": None},
    ),
    (
        "INCIDENT_UPDATE_OVERDUE",
        "Incident",
        {"incidentId": 7, "title": "انقطاع", "severity": "SEV2",
         "dueAt": "2026-11-01T09:15:00.000000Z"},
        "MEDIUM",
        {"__typename": "IncidentUpdateOverdueDetails", "incidentId": to_global_id("Incident", 7),
         "title": "انقطاع", "incidentSeverity": "SEV2", "dueAt": DUE},
    ),
    (
        "PDPL_DEADLINE_NEAR",
        "Incident",
        {"incidentId": 7, "title": "تسريب", "severity": "SEV1",
         "notifyBy": "2026-11-01T09:15:00.000000Z"},
        "HIGH",
        {"__typename": "PdplDeadlineNearDetails", "incidentId": to_global_id("Incident", 7),
         "title": "تسريب", "incidentSeverity": "SEV1", "notifyBy": DUE},
    ),
    (
        "ONBOARDING_STALLED",
        "Customer",
        {"customerId": 7, "stepsDone": 2, "stepsTotal": 6,
         "subscriptionStartedAt": "2026-11-01T09:15:00+00:00"},
        "LOW",
        {"__typename": "OnboardingStalledDetails", "customerId": to_global_id("Customer", 7),
         "stepsDone": 2, "stepsTotal": 6, "subscriptionStartedAt": DUE},
    ),
    (
        "INACTIVE_CUSTOMER",
        "Customer",
        {"customerId": 7, "lastActivityAt": None, "inactiveSince": "2026-11-01T09:15:00+00:00"},
        "MEDIUM",
        {"__typename": "InactiveCustomerDetails", "customerId": to_global_id("Customer", 7),
         "lastActivityAt": None, "inactiveSince": DUE},
    ),
    (
        "PAYMENT_PAST_DUE",
        "Customer",
        {"customerId": 7, "renewsAt": "2026-11-01T12:15:00+03:00"},
        "HIGH",
        {"__typename": "PaymentPastDueDetails", "customerId": to_global_id("Customer", 7),
         "renewsAt": DUE},
    ),
    (
        "FOLLOW_UP_OVERDUE",
        "Ticket",
        {"ticketId": 7, "followUpId": 3, "followUpKind": "LEGAL_QUESTION",
         "dueAt": "2026-11-01T09:15:00.000000Z"},
        "HIGH",
        {"__typename": "FollowUpOverdueDetails", "ticketId": to_global_id("Ticket", 7),
         "followUpId": to_global_id("TicketFollowUp", 3), "followUpKind": "LEGAL_QUESTION",
         "dueAt": DUE},
    ),
    (
        "WEBHOOK_DISABLED",
        "WebhookEndpoint",
        {"url": "https://hooks.example.com/wafi", "reason": "11 attempts failed"},
        "HIGH",
        {"__typename": "WebhookDisabledDetails", "endpointId": to_global_id("WebhookEndpoint", 7),
         "url": "https://hooks.example.com/wafi",
         "reason": "11 attempts failed"},
    ),
    (
        "CHANNEL_FROZEN",
        "ChannelFreeze",
        {"channel": "whatsapp", "cause": "block_rate", "sent": 100, "bounceRate": 0.0,
         "complaintRate": 0.0, "blockRate": 0.04, "incidentId": None},
        "HIGH",
        {"__typename": "ChannelFrozenDetails", "freezeId": to_global_id("ChannelFreeze", 7),
         "channel": "WHATSAPP", "cause": "BLOCK_RATE", "sent": 100, "bounceRate": 0.0,
         "complaintRate": 0.0, "blockRate": 0.04, "frozenByIncidentId": None},
    ),
    (
        "RED_FLAG",
        "Customer",
        {"customerId": 7, "redFlagId": 3, "category": "churn",
         "dueAt": "2026-11-01T12:15:00+03:00"},
        "HIGH",
        {"__typename": "RedFlagDetails", "customerId": to_global_id("Customer", 7),
         "redFlagId": to_global_id("RedFlag", 3), "category": "churn", "dueAt": DUE},
    ),
    (
        "RED_FLAG_OVERDUE",
        "Customer",
        {"customerId": 7, "redFlagId": 3, "category": "expectation",
         "dueAt": "2026-11-01T12:15:00+03:00"},
        "HIGH",
        {"__typename": "RedFlagDetails", "customerId": to_global_id("Customer", 7),
         "redFlagId": to_global_id("RedFlag", 3), "category": "expectation", "dueAt": DUE},
    ),
]  # fmt: skip


def test_every_kind_has_a_case() -> None:
    assert sorted(case[0] for case in CASES) == sorted(kind.value for kind in AlertKind)


async def _raise_each(pool: asyncpg.Pool, org_id: int) -> None:
    for kind, subject, payload, _, _ in CASES:
        await raise_alerts(
            pool, org_id, kind=kind, subject=subject, first_subject_id=7, payload=payload
        )


def _expected() -> list[dict[str, Any]]:
    return [
        {"kind": kind, "severity": severity, "payload": typed}
        for kind, _, _, severity, typed in CASES
    ]


async def test_the_alerts_query_types_each_kind(org: Org, system_pool: asyncpg.Pool) -> None:
    await _raise_each(system_pool, org.id)
    data = await org.data(LIST)
    nodes = [edge["node"] for edge in data["alerts"]["edges"]]
    assert list(reversed(nodes)) == _expected()


async def test_the_subscription_sends_the_same_types(live: Live, tenant: Org) -> None:
    async with live.subscriber(tenant) as client:
        op = await client.subscribe(FEED)
        await live.listening(tenant)
        await _raise_each(live.pool, tenant.id)
        await live.relay()
        got = []
        for _ in CASES:
            message = await client.receive()
            assert (message["type"], message["id"]) == ("next", op), message
            got.append(message["payload"]["data"]["alerts"])
    assert got == _expected()


async def test_a_p0_breach_from_the_scan_is_high_with_a_global_ticket_id(
    system_pool: asyncpg.Pool, org: Org
) -> None:
    customer = await new_customer(org)
    ticket = (await open_ticket(org, customer, "outage"))["ticket"]
    assert ticket["priority"] == "P0"
    org.clock.now = T0 + timedelta(hours=2)
    await sla_jobs.scan_sla_breaches({"db": system_pool, "clock": org.clock})
    data = await org.data(LIST)
    [node] = [e["node"] for e in data["alerts"]["edges"] if e["node"]["kind"].endswith("_BREACH")]
    assert node == {
        "kind": "SLA_FIRST_RESPONSE_BREACH",
        "severity": "HIGH",
        "payload": {
            "__typename": "FirstResponseBreachDetails",
            "ticketId": ticket["id"],
            "priority": "P0",
            "dueAt": ticket["firstResponseDueAt"],
        },
    }


async def test_the_scans_payloads_read_back_typed(
    org: Org, system_pool: asyncpg.Pool, settings: engine.Settings
) -> None:
    customer = await new_customer(org)  # started at T0, never active, onboarding not begun
    await org.data(
        "mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { __typename } }",
        {
            "i": {
                "id": customer,
                "version": 1,
                "subscriptionStatus": "PAST_DUE",
                "renewsAt": "2026-11-05T12:00:00+03:00",
            }
        },
    )
    incident = await declared(org, affectedCustomerIds=[customer])
    at = T0 + timedelta(days=8)
    ctx = {"db": system_pool, "clock": org.clock, "settings": settings}
    await success_jobs.scan_customers(ctx, now=at)
    await incident_jobs.scan_incident_updates(ctx, now=at)
    data = await org.data(LIST)
    got = {e["node"]["kind"]: e["node"] for e in data["alerts"]["edges"]}
    assert got["ONBOARDING_STALLED"] == {
        "kind": "ONBOARDING_STALLED",
        "severity": "LOW",
        "payload": {
            "__typename": "OnboardingStalledDetails",
            "customerId": customer,
            "stepsDone": 0,
            "stepsTotal": len(onboarding.STEPS),
            "subscriptionStartedAt": T0.isoformat(),
        },
    }
    assert got["INACTIVE_CUSTOMER"]["payload"] == {
        "__typename": "InactiveCustomerDetails",
        "customerId": customer,
        "lastActivityAt": None,
        "inactiveSince": T0.isoformat(),
    }
    assert got["PAYMENT_PAST_DUE"]["payload"] == {
        "__typename": "PaymentPastDueDetails",
        "customerId": customer,
        "renewsAt": "2026-11-05T09:00:00+00:00",
    }
    overdue = got["INCIDENT_UPDATE_OVERDUE"]
    assert (
        overdue["severity"]
        == {"SEV1": "HIGH", "SEV2": "MEDIUM", "SEV3": "LOW"}[incident["severity"]]
    )
    assert overdue["payload"] == {
        "__typename": "IncidentUpdateOverdueDetails",
        "incidentId": incident["id"],
        "title": incident["title"],
        "incidentSeverity": incident["severity"],
        "dueAt": incident["nextUpdateDueAt"],
    }
