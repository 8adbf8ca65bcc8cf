"""`wafi demo`: the demo organisation shows the product through the API, bilingual."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from domain.tickets import Priority, first_response_draft
from schema import demo
from tests.factories import Clock, gql

ROOT = Path(__file__).resolve().parents[1]

SHOWCASE = """
{
  customers(first: 100) { edges { node {
    name locale bundle stage subscription { status }
    health { value band }
    atRisk { score severity reasons }
    onboarding { progress currentStep done }
    connectorSummary { connected readyForFirstService blockingMissing }
    successPlan { bundle startedOn items { dayOffset kind dueOn doneOn } }
    sequences { kind stopReason steps { day kind state draft { locale status } } }
    pilot { day status totalLeads totalDemos averageResponseSeconds drafts { kind body } }
    redFlags { category source reason }
  } } }
  tickets(first: 100) { edges { node {
    subject priority classifiedPriority matchedKeyword reasonAr status
    openedAt firstResponseAt resolvedAt closedAt closedConfirmedBy
    customer { name locale }
    firstResponseDraft { kind locale body status approvalRequired liveSendAllowed }
    history { event }
  } } }
  incidents(first: 10) { edges { node {
    title severity triageSeverity reasonAr hasDataLeak status detectedAt pdplNotifyBy
    firstActionDueAt firstActionAt liveActionsFrozen affectedCustomerCount
    responsePlan { position textAr done doneAt }
    affectedCustomers { edges { node { name } } }
    tickets { subject priority }
  } } }
  supportMetrics(from: "2026-10-01T00:00:00Z", to: "2026-11-02T00:00:00Z") {
    csatPct nps avgFirstResponseMinutes avgResolutionHours
  }
}
"""


# What the scans find in the demo at once (§5): two at-risk rises (Najm medium, Al-Ibdaa
# high), Al-Ibdaa inactive 16 days, Itqan's onboarding stalled, a subscription past due, the
# pricing question opened 5 hours ago past its support mode's 4-hour first response (§7), and
# two red flags (§8.2): Al-Ibdaa's, recorded 20 minutes ago, and Itqan's WhatsApp connector
# failed 20 hours ago, unacknowledged since, so overdue too.
DEMO_ALERTS = [
    "AT_RISK",
    "AT_RISK",
    "CHANNEL_FROZEN",
    "INACTIVE_CUSTOMER",
    "ONBOARDING_STALLED",
    "PAYMENT_PAST_DUE",
    "RED_FLAG",
    "RED_FLAG",
    "RED_FLAG_OVERDUE",
    "SLA_FIRST_RESPONSE_BREACH",
]


def _nodes(data: dict[str, Any], field: str) -> list[dict[str, Any]]:
    return [edge["node"] for edge in data[field]["edges"]]


def _drafted(sequence: dict[str, Any]) -> list[str]:
    return [s["kind"] for s in sequence["steps"] if s["state"] == "DRAFTED"]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_demo_organisation_shows_customers_tickets_incident_and_scores(
    database_url: str, client: httpx.AsyncClient, clock: Clock, system_pool: asyncpg.Pool
) -> None:
    slug, token = await demo.load(database_url, now=clock())
    body = await gql(client, SHOWCASE, token=token)
    assert "errors" not in body, body
    data = body["data"]

    customers = {c["name"]: c for c in _nodes(data, "customers")}
    assert len(customers) == 6
    assert {c["locale"] for c in customers.values()} == {"AR", "EN"}
    assert {c["bundle"] for c in customers.values()} == {
        "GROWTH_STARTER",
        "EXECUTIVE_GROWTH_OS",
        "PARTNERSHIP_GROWTH",
    }
    assert {c["stage"] for c in customers.values()} == {
        "ONBOARDING",
        "ADOPTION",
        "EXPANSION",
        "ADVOCACY",
    }

    # Classification in both languages (§2.2), each ticket with its first-response draft (§2.4).
    tickets = {t["subject"]: t for t in _nodes(data, "tickets")}
    assert {s: (t["priority"], t["matchedKeyword"]) for s, t in tickets.items()} == {
        "اكتشفت تسريب في trace logs": ("P0", "تسريب"),
        "Pilot stopped working today": ("P1", "Pilot stopped"),
        "Proof Pack مفقود من تقرير الأسبوع": ("P1", "Proof Pack مفقود"),
        "My Gmail connector won't authenticate": ("P2", "connector"),
        "كيف أربط Calendar مع حسابنا؟": ("P2", "Calendar"),
        "سؤال بسيط عن الأسعار": ("P3", None),
    }
    assert tickets["سؤال بسيط عن الأسعار"]["reasonAr"] == "افتراضي — سؤال أو تحسين."
    for ticket in tickets.values():
        draft = ticket["firstResponseDraft"]
        locale = ticket["customer"]["locale"].lower()
        assert draft["locale"] == locale
        assert draft["body"] == first_response_draft(Priority(ticket["priority"]), locale)
        assert (draft["approvalRequired"], draft["liveSendAllowed"]) == (True, False)
    assert tickets["اكتشفت تسريب في trace logs"]["firstResponseDraft"]["body"].startswith(
        "وصلني بلاغك الآن. نتعامل معه كأولوية حرجة."
    )

    # One ticket answered through its sent draft, resolved and closed on the customer's word.
    closed = [t for t in tickets.values() if t["status"] == "CLOSED"]
    assert [t["subject"] for t in closed] == ["Proof Pack مفقود من تقرير الأسبوع"]
    done = closed[0]
    assert _at(done["firstResponseAt"]) - _at(done["openedAt"]) == timedelta(minutes=35)
    assert _at(done["resolvedAt"]) - _at(done["openedAt"]) == timedelta(hours=9)
    assert done["closedConfirmedBy"] == "Layla Haddad (Sahara Analytics)"
    assert done["firstResponseDraft"]["status"] == "SENT"
    assert [h["event"] for h in done["history"]] == [
        "OPENED",
        "FIRST_RESPONSE",
        "RESOLVED",
        "CLOSED",
    ]
    assert {t["status"] for t in tickets.values() if t is not done} == {"OPEN"}

    # A SEV1 data leak with its PDPL deadline and the first two response steps ticked (§3).
    [incident] = _nodes(data, "incidents")
    assert (incident["severity"], incident["triageSeverity"]) == ("SEV1", "SEV1")
    assert incident["reasonAr"] == "تسريب أمان أو إرسال غير معتمد — أعلى أولوية."
    assert _at(incident["pdplNotifyBy"]) - _at(incident["detectedAt"]) == timedelta(hours=72)
    assert incident["liveActionsFrozen"] is True
    assert incident["affectedCustomerCount"] == 2
    assert [s["done"] for s in incident["responsePlan"]] == [True, True] + [False] * 6
    assert (
        incident["responsePlan"][0]["textAr"] == "تجميد الـ live actions على القناة المعنية فوراً."
    )
    assert incident["firstActionAt"] == incident["responsePlan"][0]["doneAt"]
    assert incident["tickets"] == [{"subject": "اكتشفت تسريب في trace logs", "priority": "P0"}]

    # Scores with something to say (§4.1, §4.2).
    scores = {
        name: (
            c["health"]["value"],
            c["health"]["band"],
            c["atRisk"]["score"],
            c["atRisk"]["severity"],
        )
        for name, c in customers.items()
    }
    assert scores == {
        "شركة الأفق للتقنية": (79.0, "HEALTHY", 20, "LOW"),
        # Five drafts await approval: three onboarding steps (§8.3) and the pilot's check-in and
        # soft ask (§8.1): −5 health (§4.2), +10 at-risk for 5 pending, +20 for the red flag.
        "مؤسسة إتقان التجارية": (8.0, "AT_RISK", 30, "MEDIUM"),
        "Najm Logistics": (24.0, "AT_RISK", 50, "MEDIUM"),
        "مكتب الإبداع الهندسي": (0.0, "AT_RISK", 90, "HIGH"),
        "Sahara Analytics": (100.0, "HEALTHY", 0, "LOW"),
        "Tamkeen HR": (0.0, "AT_RISK", 0, "LOW"),
    }
    assert customers["مكتب الإبداع الهندسي"]["atRisk"]["reasons"] == [
        "العميل غير نشط منذ 16 يوم.",
        "آخر Proof Pack قبل 60 يوم — يتجاوز SLA.",
        "علامة حمراء خلال آخر 14 يوم.",
    ]
    assert data["supportMetrics"] == {
        "csatPct": 100.0,
        "nps": 20.0,
        "avgFirstResponseMinutes": 35.0,
        "avgResolutionHours": 9.0,
    }

    # Onboarding for two new customers, connectors moved, one success plan under way (§4.3–4.5).
    onboarding = {n: c["onboarding"] for n, c in customers.items() if not c["onboarding"]["done"]}
    assert onboarding == {
        "مؤسسة إتقان التجارية": {
            "progress": 37.5,
            "currentStep": "CONNECT_CHANNELS",
            "done": False,
        },
        "Tamkeen HR": {"progress": 62.5, "currentStep": "RISK_REVIEW", "done": False},
    }
    assert customers["Tamkeen HR"]["connectorSummary"] == {
        "connected": 3,
        "readyForFirstService": True,
        "blockingMissing": [],
    }
    assert customers["مؤسسة إتقان التجارية"]["connectorSummary"]["blockingMissing"] == [
        "WHATSAPP_CLOUD"
    ]
    plans = {n: c["successPlan"] for n, c in customers.items() if c["successPlan"]}
    assert list(plans) == ["شركة الأفق للتقنية"]
    items = plans["شركة الأفق للتقنية"]["items"]
    assert [i["kind"] for i in items if i["doneOn"]] == ["KICKOFF", "PROOF_PACK", "CHECK_IN"]

    # Sequences in progress (§8.3): two onboardings and Al-Ibdaa's win-back, drafts awaiting
    # approval in each customer's language.
    sequences = {
        n: [(s["kind"], s["stopReason"], _drafted(s)) for s in c["sequences"]]
        for n, c in customers.items()
        if c["sequences"]
    }
    assert sequences == {
        "مؤسسة إتقان التجارية": [("ONBOARDING", None, ["WELCOME", "QUICK_WIN", "TIPS"])],
        "مكتب الإبداع الهندسي": [("WIN_BACK", None, ["WE_MISS_YOU", "WHATS_MISSING"])],
        "Tamkeen HR": [("ONBOARDING", None, ["WELCOME", "QUICK_WIN"])],
    }
    itqan = customers["مؤسسة إتقان التجارية"]["sequences"][0]["steps"]
    assert [(s["day"], s["state"]) for s in itqan] == [
        (0, "DRAFTED"),
        (1, "DRAFTED"),
        (3, "DRAFTED"),
        (7, "SCHEDULED"),
        (14, "SCHEDULED"),
        (21, "SCHEDULED"),
    ]
    assert {s["draft"]["locale"] for s in itqan if s["draft"]} == {"ar"}
    tamkeen = customers["Tamkeen HR"]["sequences"][0]["steps"]
    assert {(s["draft"]["locale"], s["draft"]["status"]) for s in tamkeen if s["draft"]} == {
        ("en", "DRAFT")
    }
    # A pilot on day 5 (§8.1): the scan drafted the day's check-in and the soft ask.
    pilots = {n: c["pilot"] for n, c in customers.items() if c["pilot"]}
    assert pilots == {
        "مؤسسة إتقان التجارية": {
            "day": 5,
            "status": "RUNNING",
            "totalLeads": 25,
            "totalDemos": 3,
            "averageResponseSeconds": 45,
            "drafts": [
                {"kind": "PILOT_CHECK_IN", "body": "اليوم: رددنا على 25 leads، حجزنا 3 demos"},
                {
                    "kind": "PILOT_SOFT_ASK",
                    "body": "أيام قليلة باقية في pilot. بناءً على النتائج حتى الآن،"
                    " هل تتوقع الاستمرار؟",
                },
            ],
        }
    }
    # Red flags with their reasons (§8.2).
    flagged = {n: c["redFlags"] for n, c in customers.items() if c["redFlags"]}
    assert flagged == {
        "مؤسسة إتقان التجارية": [
            {
                "category": "INTEGRATION_BREAK",
                "source": "CONNECTOR",
                "reason": "Integration break: connector whatsapp_cloud moved to failed",
            }
        ],
        "مكتب الإبداع الهندسي": [
            {
                "category": "FEATURE_MISSING",
                "source": "OPERATOR",
                "reason": "A feature not built: “طلب ربط نظام المحاسبة وهو غير متوفر”",
            }
        ],
    }

    # The scans ran once at the end of the demo: its alert list is not empty (README).
    alerts = await gql(client, "{ alerts(first: 100) { edges { node { kind } } } }", token=token)
    kinds = sorted(edge["node"]["kind"] for edge in alerts["data"]["alerts"]["edges"])
    assert kinds == DEMO_ALERTS, kinds

    # A frozen channel (docs/rules.md §8.5): WhatsApp's blocks are 6 of 120 sent, above 3%.
    health = await gql(
        client,
        "{ channelHealth { channel sent blocks bounceRate frozen freezeCause } }",
        token=token,
    )
    assert health["data"]["channelHealth"] == [
        {"channel": "EMAIL", "sent": 200, "blocks": 0, "bounceRate": 0.02, "frozen": False,
         "freezeCause": None},
        {"channel": "WHATSAPP", "sent": 120, "blocks": 6, "bounceRate": 0.0, "frozen": True,
         "freezeCause": "BLOCK_RATE"},
    ]  # fmt: skip

    # Every demo step wrote its ledger row in the owner's name.
    roles = await system_pool.fetch(
        "SELECT DISTINCT l.role FROM ledger l JOIN organisations o ON o.id = l.org_id "
        "WHERE o.slug = $1",
        slug,
    )
    assert [r["role"] for r in roles] == ["owner"]


async def test_wafi_demo_command_prints_a_working_owner_token(
    database_url: str, client: httpx.AsyncClient
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAFI_")}
    env["WAFI_DATABASE_URL"] = database_url
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "schema.cli", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    first, token = done.stdout.strip().splitlines()
    assert re.fullmatch(
        r"demo organisation demo-[0-9a-f]{6} loaded\. Owner token \(shown once\):", first
    )
    body = await gql(client, "{ customers(first: 100) { edges { node { name } } } }", token=token)
    assert "errors" not in body, body
    assert len(_nodes(body["data"], "customers")) == 6
