"""The founder's at-risk email (docs/rules.md §4.1) and the weekly check-in note (§4.3): outbound
texts Wafi drafts for a customer, in the customer's locale (`ar` or `en`), approval first (§1)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from domain import scores, success_plans
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.signals import CheckIn

LOCALES = ("ar", "en")


def _require(locale: str, customer_name: str) -> str:
    if locale not in LOCALES:
        raise DomainError("locale", ErrorCode.INVALID, Msg.UNSUPPORTED_LOCALE, locale=locale)
    name = customer_name.strip()
    if not name:
        raise DomainError("customerName", ErrorCode.REQUIRED, Msg.CUSTOMER_NAME_REQUIRED)
    return name


# --- §4.1 high: "أرسل إيميل personal من المؤسس + احجز QBR هذا الأسبوع." -------------------------

_AT_RISK_AR = (
    "مرحباً فريق {name}،\n\n"
    "أكتب لكم شخصياً كمؤسس Wafi، لأن نجاحكم معنا يهمني. لاحظنا مؤخراً مؤشرات تستحق أن نقف "
    "عندها معاً:\n"
    "{reasons}\n\n"
    "أقترح أن نحجز جلسة مراجعة أعمال (QBR) هذا الأسبوع، نراجع فيها النتائج ونتفق على خطوات "
    "واضحة للأسابيع القادمة. ما الوقت الأنسب لكم؟\n\n"
    "مع خالص التحية،\n"
    "مؤسس Wafi"
)
_AT_RISK_EN = (
    "Hello {name} team,\n\n"
    "I'm writing to you personally as Wafi's founder, because your success with us matters to "
    "me. We noticed a few signs that deserve a closer look together:\n"
    "{reasons}\n\n"
    "I'd like to book a quarterly business review (QBR) with you this week, to go over the "
    "results and agree on clear next steps for the coming weeks. Which time suits you best?\n\n"
    "Warm regards,\n"
    "Wafi's founder"
)

# Each §4.1 reason (and the product's two extra signals) as the English email says it.
_REASONS_EN: tuple[tuple[str, str], ...] = (
    (scores.REASON_INACTIVE_AR, "We have not seen your team in Wafi for {d} days."),
    (scores.REASON_LOW_ACTIVITY_AR, "Activity in Wafi has been lower for {d} days."),
    (scores.REASON_PENDING_AR, "{n} drafts are waiting for your approval."),
    (scores.REASON_PENDING_BUILDUP_AR, "{n} drafts have built up awaiting approval."),
    (
        scores.REASON_PROOF_PACK_AR,
        "Your last Proof Pack was {d} days ago, later than our SLA promises.",
    ),
    (scores.SEV1_INCIDENT_OPEN.reason_ar, "An open SEV1 incident is affecting your account."),
    (
        scores.P0_SLA_BREACHED_14_DAYS.reason_ar,
        "A P0 ticket of yours missed its SLA in the last 14 days.",
    ),
)


def _pattern(template: str) -> re.Pattern[str]:
    escaped = re.escape(template)
    for slot in ("d", "n"):
        escaped = escaped.replace(re.escape("{" + slot + "}"), f"(?P<{slot}>[0-9]+)")
    return re.compile(f"^{escaped}$")


_REASON_PATTERNS = tuple((_pattern(ar), en) for ar, en in _REASONS_EN)


def reason_en(reason_ar: str) -> str:
    """A §4.1 reason in English, with its number; an unknown reason is kept as it is."""
    for pattern, english in _REASON_PATTERNS:
        found = pattern.match(reason_ar)
        if found is not None:
            return english.format(**found.groupdict())
    return reason_ar


def at_risk_email(locale: str, customer_name: str, reasons: Sequence[str]) -> str:
    """§4.1 high: the founder's personal email naming the customer, the at-risk reasons (one
    bullet each, §4.1 wording in Arabic) and a QBR proposed for this week."""
    name = _require(locale, customer_name)
    if not reasons:
        raise DomainError("reasons", ErrorCode.REQUIRED, Msg.EMAIL_NEEDS_REASONS)
    if locale == "ar":
        return _AT_RISK_AR.format(name=name, reasons="\n".join(f"- {r}" for r in reasons))
    lines = "\n".join(f"- {reason_en(r)}" for r in reasons)
    return _AT_RISK_EN.format(name=name, reasons=lines)


# --- §4.3 weekly check-in note ------------------------------------------------------------------

AGENDA_TITLES_EN: Mapping[str, str] = MappingProxyType(
    {
        "مراجعة آخر Proof Pack": "Review the latest Proof Pack",
        "أبرز فرصة في الـ pipeline": "The top opportunity in the pipeline",
        "أبرز خطر في القنوات": "The top risk in the channels",
        "خطة الأسبوع القادم": "Next week's plan",
        "أي مساعدة من فريقنا؟": "Anything our team can help with?",
    }
)


def check_in_note(locale: str, customer_name: str, check_in: CheckIn) -> str:
    """§4.3: the weekly check-in as a note to the customer: a greeting line, the five 5-minute
    agenda items, then the week's talking points (the §4.3 Arabic wording, or English)."""
    name = _require(locale, customer_name)
    agenda = success_plans.weekly_check_in(
        check_in.drafts_approved,
        check_in.replies,
        check_in.meetings,
        check_in.risks_blocked,
        check_in.pipeline_sar,
    )
    week = check_in.week_of.isoformat()
    if locale == "ar":
        items = [f"{i}. {a.title} ({a.minutes} دقائق)" for i, a in enumerate(agenda.agenda, 1)]
        lines = [
            f"مرحباً فريق {name}، هذه ملاحظات الـ check-in الأسبوعي لأسبوع {week}.",
            "",
            f"جدول الأعمال ({agenda.total_minutes} دقيقة):",
            *items,
            "",
            "أبرز أرقام الأسبوع:",
            *(f"- {point}" for point in agenda.talking_points),
        ]
        return "\n".join(lines)
    items = [
        f"{i}. {AGENDA_TITLES_EN[a.title]} ({a.minutes} min)"
        for i, a in enumerate(agenda.agenda, 1)
    ]
    points = (
        f"You approved {check_in.drafts_approved} messages this week and received "
        f"{check_in.replies} replies.",
        f"{check_in.meetings} meetings were prepared.",
        f"{check_in.risks_blocked} risks were blocked automatically.",
        f"Pipeline influenced: {check_in.pipeline_sar:,.0f} SAR.",
    )
    lines = [
        f"Hello {name} team, here are the notes for our weekly check-in, week of {week}.",
        "",
        f"Agenda ({agenda.total_minutes} minutes):",
        *items,
        "",
        "This week in numbers:",
        *(f"- {point}" for point in points),
    ]
    return "\n".join(lines)
