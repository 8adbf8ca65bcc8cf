"""A bilingual demo organisation that shows the product (`wafi demo`).

Six customers in Arabic and English; support tickets classified from their text, each with its
first-response draft, one answered, resolved, closed and rated; a SEV1 data leak with its PDPL
deadline and the first response steps ticked; a success plan under way, onboarding and
connectors in progress, check-ins, Proof Packs and NPS answers, so health and at-risk scores
have something to say. Everything goes through the same domain rules and store writes as the
mutations (demo_steps.py, demo_success.py), in one transaction scoped to the new organisation,
with a ledger row per step in the owner's name. Times are relative to `now`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from domain.connectors import ConnectorKey
from domain.connectors import ConnectorState as C
from domain.customers import Bundle, Customer, Locale, Stage, SubscriptionStatus
from domain.onboarding import STEPS
from domain.roles import Principal, Role
from domain.signals import CheckIn
from domain.tickets import Channel
from resolvers.store import demo_steps as support
from resolvers.store import demo_success as success
from resolvers.store import engine, orgs
from resolvers.store.demo_steps import Actor

_DAY = timedelta(days=1)


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

    def customer(self, now: datetime) -> Customer:
        started = now - self.age_days * _DAY
        years = self.age_days // 365 + 1  # the next anniversary is the renewal
        return Customer(
            name=self.name,
            locale=self.locale,
            bundle=self.bundle,
            stage=self.stage,
            subscription_status=self.status,
            subscription_started_at=started,
            renews_at=started + 365 * years * _DAY,
            contact_email=self.email,
            last_activity_at=now - self.idle_days * _DAY - timedelta(hours=2),
        )


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
NPS = (("sahara", 10, 12), ("ofuq", 9, 10), ("najm", 7, 8), ("itqan", 8, 2), ("ibdaa", 4, 20))
# (customer, connector, states in order)
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
# Onboarding steps done: everything for the established customers, a start for the new ones.
ONBOARDED = {"ofuq": 8, "najm": 8, "ibdaa": 8, "sahara": 8, "itqan": 3, "tamkeen": 5}


async def load(database_url: str, *, now: datetime) -> tuple[str, str]:
    """A new demo organisation; returns its slug and its owner's token."""
    conn = await asyncpg.connect(engine.asyncpg_dsn(database_url))
    try:
        org, token = await orgs.create_organisation(
            conn,
            slug="demo-" + secrets.token_hex(3),
            name="وافي — عرض تجريبي",
            owner_name="المؤسس",
            now=now - 600 * _DAY,
        )
        owner_id = await conn.fetchval(
            "SELECT id FROM operators WHERE org_id = $1 AND role = 'owner'", org.id
        )
    finally:
        await conn.close()
    write = engine.create_write_engine(database_url, size=1)
    try:
        async with engine.transaction(engine.sessions(write), org.id) as session:
            actor = Actor(session, Principal(org.id, owner_id, Role.OWNER))
            await _populate(actor, now.astimezone(UTC))
    finally:
        await write.dispose()
    return org.slug, token


async def _populate(actor: Actor, now: datetime) -> None:
    ids = {
        key: await support.add_customer(actor, seed.customer(now))
        for key, seed in CUSTOMERS.items()
    }
    await _support(actor, ids, now)
    await _success(actor, ids, now)


async def _support(actor: Actor, ids: dict[str, int], now: datetime) -> None:
    opened = {}
    for key, subject, body, channel, minutes in TICKETS:
        at = now - timedelta(minutes=minutes)
        opened[subject] = await support.open_ticket(actor, ids[key], subject, body, channel, at)
    # Sahara's missing Proof Pack: answered in 35 minutes, fixed, confirmed, rated.
    first = opened[RESOLVED]
    opened_at = first.lifecycle.opened_at
    answered = await support.send_first_response(actor, first, opened_at + timedelta(minutes=35))
    closed = await support.resolve_and_close(
        actor,
        answered,
        resolved_at=opened_at + timedelta(hours=9),
        confirmed_by="Layla Haddad (Sahara Analytics)",
        closed_at=opened_at + _DAY,
    )
    await support.rate_ticket(actor, closed, 5, opened_at + _DAY + timedelta(hours=1))
    # The leak reported by Al-Ofuq is a SEV1 for the two customers whose logs held the numbers.
    detected = now - timedelta(minutes=25)
    incident_id = await support.declare_incident(
        actor,
        title="تسريب أرقام جوالات العملاء في trace logs",
        description=(
            "ظهرت أرقام جوالات عملاء كاملة في سجلات التتبع لخدمة المسودات. "
            "أوقفنا تصدير السجلات ونراجع من وصل إليها."
        ),
        customer_ids=[ids["ofuq"], ids["najm"]],
        leak=True,
        at=detected,
    )
    for position, minutes in ((1, 6), (2, 10)):
        await support.tick_response_step(
            actor, incident_id, position, detected + timedelta(minutes=minutes)
        )
    leak_ticket = opened[LEAK].id
    assert leak_ticket is not None
    await support.attach_ticket(actor, incident_id, leak_ticket, detected + timedelta(minutes=13))


async def _success(actor: Actor, ids: dict[str, int], now: datetime) -> None:
    for key, done in ONBOARDED.items():
        started = now - CUSTOMERS[key].age_days * _DAY
        pace = _DAY if done == len(STEPS) else timedelta(hours=7)
        steps = [(spec.step, started + (i + 1) * pace) for i, spec in enumerate(STEPS[:done])]
        await success.complete_onboarding(actor, ids[key], steps)
    for key, connector, path in CONNECTORS:
        await success.move_connector(actor, ids[key], connector, path, now - timedelta(hours=20))
    today = now.date()
    plan_start = today - timedelta(days=20)
    plan_id = await success.start_plan(actor, ids["ofuq"], plan_start, now - 20 * _DAY)
    for key, title, days in PROOF_PACKS:
        await success.deliver_proof_pack(actor, ids[key], title, now - days * _DAY)
    # Kick-off, first weekly Proof Pack and the day-14 check-in are done; day 21 is due next.
    await success.complete_plan_items(actor, plan_id, (1, 7, 14), now - 6 * _DAY)
    for key, weeks, approved, replies, meetings, risks, pipeline in CHECK_INS:
        week_of = today - timedelta(days=7 * weeks - 1)
        check_in = CheckIn(ids[key], week_of, approved, replies, meetings, risks, pipeline)
        await success.record_check_in(actor, check_in, now - (7 * weeks - 5) * _DAY)
    for key, score, days in NPS:
        await success.record_nps(actor, ids[key], score, now - days * _DAY)
