"""The demo organisation's scenario (`wafi demo`): who the customers are and what happened to
them, as facts relative to the moment the demo is loaded. schema/demo.py plays it through the
API's mutations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.connectors import ConnectorKey
from domain.connectors import ConnectorState as C
from domain.customers import Bundle, Locale, Stage, SubscriptionStatus
from domain.tickets import Channel

DAY = timedelta(days=1)

ORG_NAME = "وافي — عرض تجريبي"
OWNER_NAME = "المؤسس"
ORG_AGE_DAYS = 600


@dataclass(frozen=True, slots=True)
class Seed:
    name: str
    locale: Locale
    bundle: Bundle
    stage: Stage
    status: SubscriptionStatus
    age_days: int  # since the subscription started
    idle_days: int  # since the last activity
    email: str

    def started(self, now: datetime) -> datetime:
        return now - self.age_days * DAY

    def last_activity(self, now: datetime) -> datetime:
        return now - self.idle_days * DAY - timedelta(hours=2)

    def create_input(self, now: datetime) -> dict[str, Any]:
        """createCustomer's input, on the day the subscription started; the next anniversary
        is the renewal."""
        started = self.started(now)
        years = self.age_days // 365 + 1
        return {
            "name": self.name,
            "locale": self.locale.name,
            "bundle": self.bundle.name,
            "stage": self.stage.name,
            "subscriptionStatus": self.status.name,
            "subscriptionStartedAt": started.isoformat(),
            "renewsAt": (started + 365 * years * DAY).isoformat(),
            "contactEmail": self.email,
        }


_AR, _EN = Locale.AR, Locale.EN
_EGO, _GS, _PG = Bundle.EXECUTIVE_GROWTH_OS, Bundle.GROWTH_STARTER, Bundle.PARTNERSHIP_GROWTH
_ACTIVE, _PILOT = SubscriptionStatus.ACTIVE, SubscriptionStatus.PILOT
CUSTOMERS = {
    "ofuq": Seed(
        "شركة الأفق للتقنية", _AR, _EGO, Stage.ADOPTION, _ACTIVE, 120, 1, "ops@alofuq.example"
    ),
    "itqan": Seed(
        "مؤسسة إتقان التجارية", _AR, _GS, Stage.ONBOARDING, _PILOT, 5, 0, "info@itqan.example"
    ),
    "najm": Seed("Najm Logistics", _EN, _PG, Stage.EXPANSION, _ACTIVE, 300, 3, "cs@najm.example"),
    "ibdaa": Seed(
        "مكتب الإبداع الهندسي",
        _AR,
        _GS,
        Stage.ADOPTION,
        SubscriptionStatus.PAST_DUE,
        60,
        16,
        "office@ibdaa.example",
    ),
    "sahara": Seed(
        "Sahara Analytics", _EN, _EGO, Stage.ADVOCACY, _ACTIVE, 500, 0, "layla@sahara.example"
    ),
    "tamkeen": Seed(
        "Tamkeen HR", _EN, _GS, Stage.ONBOARDING, _PILOT, 2, 0, "hello@tamkeen.example"
    ),
}

# The days (before the demo's moment) the sequences scan is replayed on (§8.3): Itqan's and
# Tamkeen's onboarding and Al-Ibdaa's win-back each show their first steps drafted.
SEQUENCE_DAYS_AGO = (5, 4, 2, 1)

RESOLVED = "Proof Pack مفقود من تقرير الأسبوع"
LEAK = "اكتشفت تسريب في trace logs"
# (customer, subject, body, channel, opened minutes ago), oldest first.
TICKETS = (
    ("sahara", RESOLVED, "This week's Proof Pack never reached our inbox.", Channel.EMAIL, 5760),
    (
        "ibdaa",
        "سؤال بسيط عن الأسعار",
        "هل تختلف الباقة السنوية عن الشهرية في عدد المستخدمين؟",
        Channel.EMAIL,
        300,
    ),
    (
        "najm",
        "My Gmail connector won't authenticate",
        "It asks us to sign in again after every approval.",
        Channel.PORTAL,
        180,
    ),
    (
        "itqan",
        "كيف أربط Calendar مع حسابنا؟",
        "نريد أن تظهر الاجتماعات المحجوزة في تقويم الفريق.",
        Channel.WHATSAPP,
        120,
    ),
    (
        "sahara",
        "Pilot stopped working today",
        "No new drafts since this morning.",
        Channel.EMAIL,
        50,
    ),
    ("ofuq", LEAK, "ظهرت أرقام جوالات العملاء كاملة في سجلات التتبع.", Channel.WHATSAPP, 20),
)
# The resolved ticket: answered, resolved and closed this long after it was opened, then rated.
ANSWERED_AFTER = timedelta(minutes=35)
RESOLVED_AFTER = timedelta(hours=9)
CLOSED_AFTER = DAY
RATED_AFTER = DAY + timedelta(hours=1)
CONFIRMED_BY = "Layla Haddad (Sahara Analytics)"
CSAT = 5

# The leak reported by Al-Ofuq: a SEV1 for the two customers whose logs held the numbers.
INCIDENT = {
    "title": "تسريب أرقام جوالات العملاء في trace logs",
    "description": (
        "ظهرت أرقام جوالات عملاء كاملة في سجلات التتبع لخدمة المسودات. "
        "أوقفنا تصدير السجلات ونراجع من وصل إليها."
    ),
    "hasDataLeak": True,
}
INCIDENT_CUSTOMERS = ("ofuq", "najm")
DETECTED_AGO = timedelta(minutes=25)
# (response-plan position, minutes after detection); the leak ticket is attached after them.
TICKED = ((1, 6), (2, 10))
ATTACHED_AFTER = timedelta(minutes=13)

# (customer, weeks ago, drafts approved, replies, meetings, risks blocked, pipeline SAR)
CHECK_INS = (
    ("ofuq", 2, 12, 7, 2, 3, 36_000),
    ("ofuq", 1, 15, 9, 3, 1, 42_000),
    ("najm", 2, 8, 4, 1, 0, 18_000),
    ("najm", 1, 5, 2, 1, 2, 15_000),
    ("sahara", 2, 20, 14, 2, 2, 60_000),
    ("sahara", 1, 18, 11, 1, 1, 64_000),
    ("ibdaa", 2, 2, 0, 0, 0, 4_000),
    ("itqan", 1, 3, 1, 1, 0, 6_000),
)
# (customer, title, days ago)
PROOF_PACKS = (
    ("najm", "Partner pipeline — month 9", 20),
    ("ofuq", "Proof Pack v1 — أول أسبوع", 13),
    ("ofuq", "Proof Pack — الأسبوع الثاني", 6),
    ("sahara", "Weekly Proof Pack — week 71", 3),
)
# (customer, score, days ago)
NPS = (("sahara", 10, 12), ("ofuq", 9, 10), ("najm", 7, 8), ("itqan", 8, 2), ("ibdaa", 4, 20))
# (customer, connector, states in order), moved this long ago.
CONNECTORS = (
    ("ofuq", ConnectorKey.GMAIL, (C.CONFIGURING, C.CONNECTED_DRAFT_ONLY)),
    ("ofuq", ConnectorKey.WHATSAPP_CLOUD, (C.CONFIGURING, C.CONNECTED_DRAFT_ONLY)),
    ("ofuq", ConnectorKey.MOYASAR, (C.CONFIGURING, C.SKIPPED)),
    ("itqan", ConnectorKey.GMAIL, (C.CONFIGURING, C.CONNECTED_DRAFT_ONLY)),
    ("itqan", ConnectorKey.GOOGLE_CALENDAR, (C.CONFIGURING,)),
    ("itqan", ConnectorKey.WHATSAPP_CLOUD, (C.CONFIGURING, C.FAILED)),
    ("tamkeen", ConnectorKey.GMAIL, (C.CONFIGURING, C.CONNECTED_DRAFT_ONLY)),
    ("tamkeen", ConnectorKey.GOOGLE_SHEETS, (C.CONFIGURING, C.CONNECTED_APPROVED_EXECUTE)),
    ("tamkeen", ConnectorKey.WHATSAPP_CLOUD, (C.CONFIGURING, C.CONNECTED_DRAFT_ONLY)),
)
CONNECTORS_MOVED_AGO = timedelta(hours=20)
# Onboarding steps done: everything for the established customers, a start for the new ones;
# all eight a day apart from the subscription's start, a partial start seven hours apart.
ONBOARDED = {"ofuq": 8, "najm": 8, "ibdaa": 8, "sahara": 8, "itqan": 3, "tamkeen": 5}
# Al-Ofuq's success plan started 20 days ago; kick-off, first weekly Proof Pack and the day-14
# check-in were done on their due days (marked 6 days ago); day 21 is due next.
PLAN_CUSTOMER = "ofuq"
PLAN_STARTED_AGO = 20
PLAN_DONE_OFFSETS = (1, 7, 14)
PLAN_MARKED_AGO = 6

# Channel health (docs/rules.md §8.5), local days ago: email is healthy (2% bounced); WhatsApp's
# blocks reach 5% of 120 sent over 7 days, above the 3% limit, so the channel is frozen.
# (channel, days ago, sent, bounced, complaints, blocks)
CHANNEL_STATS = (
    (Channel.EMAIL, 2, 120, 2, 0, 0),
    (Channel.EMAIL, 1, 80, 2, 0, 0),
    (Channel.WHATSAPP, 3, 40, 0, 0, 1),
    (Channel.WHATSAPP, 2, 35, 0, 0, 2),
    (Channel.WHATSAPP, 1, 45, 0, 0, 3),
)
# Playbooks (docs/rules.md §8.1, §8.2): Itqan, five days into its subscription, is on day 5 of
# a pilot with three check-ins recorded (the scan drafts day 5's check-in and the soft ask);
# Al-Ibdaa has a red flag an operator recorded 20 minutes ago (RED_FLAG, due within the hour).
PILOT_CUSTOMER = "itqan"
PILOT_CHECK_INS = ((2, True, 8, 1, 45), (3, True, 11, 2, 38), (4, False, 6, 0, 52))
RED_FLAG = ("ibdaa", "FEATURE_MISSING", "طلب ربط نظام المحاسبة وهو غير متوفر")
RED_FLAG_AGO = timedelta(minutes=20)
