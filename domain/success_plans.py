"""Cadences, success plans, renewals and the weekly check-in (docs/rules.md §4.3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from domain import text
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg


class Bundle(StrEnum):
    """The bundle a customer buys; it decides the success plan's template."""

    GROWTH_STARTER = "growth_starter"
    EXECUTIVE_GROWTH_OS = "executive_growth_os"
    PARTNERSHIP_GROWTH = "partnership_growth"


class CadenceType(StrEnum):
    """The recurring touch-points of customer success."""

    WEEKLY_CHECK_IN = "weekly_check_in"
    MONTHLY_PROOF_REVIEW = "monthly_proof_review"
    QUARTERLY_BUSINESS_REVIEW = "quarterly_business_review"
    AT_RISK_ALERT = "at_risk_alert"
    RENEWAL_30_DAY = "renewal_30_day"
    RENEWAL_7_DAY = "renewal_7_day"


class ItemKind(StrEnum):
    """What a plan item is, independent of its wording."""

    KICKOFF = "kickoff"
    REVIEW = "review"
    MILESTONE = "milestone"
    PROOF_PACK = "proof_pack"
    CHECK_IN = "check_in"
    MONTHLY_REVIEW = "monthly_review"
    SCORECARD = "scorecard"
    QBR = "qbr"
    RENEWAL = "renewal"


@dataclass(frozen=True, slots=True)
class PlanItemTemplate:
    """One line of a bundle's plan: due `day_offset` days after the plan's start."""

    day_offset: int
    title: str
    kind: ItemKind
    is_upgrade_or_upsell: bool = False


@dataclass(frozen=True, slots=True)
class PlanItem:
    """A dated plan item; `done_on` is None until an operator completes it."""

    day_offset: int
    title: str
    kind: ItemKind
    is_upgrade_or_upsell: bool
    due_on: date
    done_on: date | None = None


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One slot of the weekly check-in agenda."""

    title: str
    minutes: int


@dataclass(frozen=True, slots=True)
class CheckInAgenda:
    """The weekly check-in: five 5-minute agenda items and talking points from the week."""

    agenda: tuple[AgendaItem, ...]
    talking_points: tuple[str, ...]

    @property
    def total_minutes(self) -> int:
        """Length of the whole meeting."""
        return sum(item.minutes for item in self.agenda)


_T = PlanItemTemplate
PLAN_TEMPLATES: Mapping[Bundle, tuple[PlanItemTemplate, ...]] = MappingProxyType(
    {
        Bundle.GROWTH_STARTER: (
            _T(1, "kick-off call + intake", ItemKind.KICKOFF),
            _T(3, "review first 3 opportunities + drafts", ItemKind.REVIEW),
            _T(7, "deliver Proof Pack v1", ItemKind.PROOF_PACK),
            _T(14, "weekly check-in + upsell offer", ItemKind.CHECK_IN, True),
            _T(
                30,
                "monthly proof review + renewal/upgrade decision",
                ItemKind.MONTHLY_REVIEW,
                True,
            ),
        ),
        Bundle.EXECUTIVE_GROWTH_OS: (
            _T(1, "onboarding + connect channels", ItemKind.KICKOFF),
            _T(7, "first weekly Proof Pack", ItemKind.PROOF_PACK),
            _T(14, "weekly check-in + Founder Shadow Board v1", ItemKind.CHECK_IN),
            _T(21, "monthly proof review", ItemKind.MONTHLY_REVIEW),
            _T(30, "QBR + annual upgrade conversation", ItemKind.QBR, True),
        ),
        Bundle.PARTNERSHIP_GROWTH: (
            _T(1, "partner ICP intake", ItemKind.KICKOFF),
            _T(5, "20 partners list + 10 outreach drafts", ItemKind.MILESTONE),
            _T(10, "5 partner meetings booked", ItemKind.MILESTONE),
            _T(14, "weekly check-in", ItemKind.CHECK_IN),
            _T(30, "partner scorecard + revenue share setup", ItemKind.SCORECARD),
        ),
    }
)

QBR_AFTER = timedelta(days=90)
RENEWAL_LEAD_DAYS: tuple[int, ...] = (30, 7)
CHECK_IN_MIN_GAP = timedelta(days=7)
ANNUAL_DISCOUNT_PCT = 15

AGENDA_TITLES: tuple[str, ...] = (
    "مراجعة آخر Proof Pack",
    "أبرز فرصة في الـ pipeline",
    "أبرز خطر في القنوات",
    "خطة الأسبوع القادم",
    "أي مساعدة من فريقنا؟",
)
AGENDA_ITEM_MINUTES = 5

_RENEWAL_TITLES: Mapping[int, str] = MappingProxyType(
    {
        30: "renewal 30 days out: monthly Proof Pack + friendly note",
        7: "renewal 7 days out: founder email if not renewed",
    }
)

_OFFER_AR = (
    "أهلاً {name}،\n\n"
    "اشتراككم يتجدد خلال 7 أيام، وأحب أشكركم شخصياً على ثقتكم بنا. "
    "إذا جددتم اشتراكاً سنوياً نقدم لكم خصم {pct}% على الاشتراك السنوي.\n\n"
    "يسعدني أسمع رأيكم أو نحجز مكالمة قصيرة هذا الأسبوع.\n\n"
    "مع التحية،\nالمؤسس"
)
_OFFER_EN = (
    "Hi {name},\n\n"
    "Your subscription renews in 7 days, and I wanted to thank you personally for your trust. "
    "If you renew for a year, we will take {pct}% off the annual plan.\n\n"
    "I would be glad to hear your thoughts or book a short call this week.\n\n"
    "Best regards,\nThe founder"
)
_OFFERS: Mapping[str, str] = MappingProxyType({"ar": _OFFER_AR, "en": _OFFER_EN})


def build_plan(bundle: Bundle, start: date) -> tuple[PlanItem, ...]:
    """§4.3: the bundle's plan; an item of day offset N is due on `start` + N days."""
    return tuple(
        PlanItem(
            day_offset=t.day_offset,
            title=t.title,
            kind=t.kind,
            is_upgrade_or_upsell=t.is_upgrade_or_upsell,
            due_on=start + timedelta(days=t.day_offset),
        )
        for t in PLAN_TEMPLATES[bundle]
    )


def qbr_due(subscription_start: date) -> date:
    """§4.3: a QBR is due 90 days into a subscription."""
    return subscription_start + QBR_AFTER


def renewal_items(renews_at: date) -> tuple[PlanItem, ...]:
    """§4.3: renewal items due 30 and 7 days before `renews_at` (day offsets -30 and -7)."""
    return tuple(
        PlanItem(
            day_offset=-days,
            title=_RENEWAL_TITLES[days],
            kind=ItemKind.RENEWAL,
            is_upgrade_or_upsell=False,
            due_on=renews_at - timedelta(days=days),
        )
        for days in RENEWAL_LEAD_DAYS
    )


def renewal_offer_draft(locale: str, customer_name: str) -> str:
    """§4.3: the founder's 7-day renewal email draft offering 15% off annual (`ar` or `en`)."""
    template = _OFFERS.get(locale)
    if template is None:
        raise DomainError("locale", ErrorCode.INVALID, Msg.UNSUPPORTED_LOCALE, locale=locale)
    name = customer_name.strip()
    if not name:
        raise DomainError("customerName", ErrorCode.REQUIRED, Msg.CUSTOMER_NAME_REQUIRED)
    return template.format(name=name, pct=ANNUAL_DISCOUNT_PCT)


def check_can_complete(item: PlanItem, first_proof_pack_delivered: bool) -> None:
    """§4.3: no upgrade or upsell item may be done before the first proof pack is delivered."""
    if item.is_upgrade_or_upsell and not first_proof_pack_delivered:
        raise DomainError(
            "item",
            ErrorCode.PRECONDITION_FAILED,
            Msg.UPSELL_NEEDS_PROOF_PACK,
            title=item.title,
        )


def complete_item(item: PlanItem, on: date, first_proof_pack_delivered: bool) -> PlanItem:
    """§4.3: mark a plan item done on `on`; refuses a done item and early upsells."""
    if item.done_on is not None:
        raise DomainError("item", ErrorCode.CONFLICT, Msg.ITEM_ALREADY_DONE, title=item.title)
    check_can_complete(item, first_proof_pack_delivered)
    return replace(item, done_on=on)


def check_check_in_allowed(last_check_in: date | None, on: date) -> None:
    """§4.3: at most one check-in per customer per 7 days (exactly 7 days apart is allowed)."""
    if last_check_in is None:
        return
    gap = abs(on - last_check_in)
    if gap < CHECK_IN_MIN_GAP:
        raise DomainError(
            "weekOf",
            ErrorCode.CONFLICT,
            Msg.CHECK_IN_TOO_SOON,
            last=last_check_in.isoformat(),
            days=gap.days,
            on=on.isoformat(),
        )


def check_cadence_change(consent_recorded: bool) -> None:
    """§4.3: changing a plan's cadence needs the customer's recorded consent."""
    if not consent_recorded:
        raise DomainError(
            "consentRecorded",
            ErrorCode.PRECONDITION_FAILED,
            Msg.CADENCE_NEEDS_CONSENT,
        )


CONSENT_GIVEN_BY_LIMIT = 254
CONSENT_NOTE_LIMIT = 500


@dataclass(frozen=True, slots=True)
class CadenceConsent:
    """§4.3: the customer's consent to a cadence change, as recorded: who at the customer gave
    it (a contact's name or email) and how and when (a short note)."""

    given_by: str
    note: str


def cadence_consent(
    consent_recorded: bool, given_by: str | None, note: str | None
) -> CadenceConsent:
    """§4.3: the consent a cadence change needs: recorded, naming who gave it and how/when.

    Refuses an unrecorded consent, a missing or blank giver or note, and over-long ones."""
    check_cadence_change(consent_recorded)
    return CadenceConsent(
        given_by=_consent_text(
            "consentGivenBy",
            given_by,
            CONSENT_GIVEN_BY_LIMIT,
            Msg.NAME_WHO_CONSENTED,
        ),
        note=_consent_text("consentNote", note, CONSENT_NOTE_LIMIT, Msg.SAY_HOW_CONSENTED),
    )


def _consent_text(field: str, value: str | None, limit: int, missing: Msg) -> str:
    trimmed = "" if value is None else value.strip()
    if text.blank(trimmed):
        raise DomainError(field, ErrorCode.REQUIRED, missing)
    if len(trimmed) > limit:
        raise DomainError(field, ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=limit)
    return trimmed


def weekly_check_in(
    drafts_approved: int, replies: int, meetings: int, risks_blocked: int, pipeline_sar: float
) -> CheckInAgenda:
    """§4.3: the weekly check-in agenda (five 5-minute items) and the week's talking points."""
    counts = {
        "draftsApproved": drafts_approved,
        "replies": replies,
        "meetings": meetings,
        "risksBlocked": risks_blocked,
        "pipelineSar": pipeline_sar,
    }
    for field, value in counts.items():
        if value < 0:
            raise DomainError(field, ErrorCode.OUT_OF_RANGE, Msg.FIELD_NOT_NEGATIVE, field=field)
    return CheckInAgenda(
        agenda=tuple(AgendaItem(title, AGENDA_ITEM_MINUTES) for title in AGENDA_TITLES),
        talking_points=(
            f"اعتمدتم {drafts_approved} رسالة هذا الأسبوع، ووصلكم {replies} رد.",
            f"تم تجهيز {meetings} اجتماع.",
            f"تم منع {risks_blocked} مخاطر تلقائياً.",
            f"Pipeline متأثر بقيمة {pipeline_sar:.0f} ريال.",
        ),
    )


QBR_TITLE = "quarterly business review (90 days into the subscription)"


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """A stored plan item: its id, the item, and the renewal offer drafted for it, if any."""

    id: int
    item: PlanItem
    draft_id: int | None = None


@dataclass(frozen=True, slots=True)
class SuccessPlan:
    """§4.3: a customer's plan as stored; `version` moves when the plan itself changes."""

    id: int
    customer_id: int
    bundle: Bundle
    started_on: date
    cadence: CadenceType
    version: int
    entries: tuple[PlanEntry, ...]


def full_plan(
    bundle: Bundle, start: date, subscription_start: date, renews_at: date | None
) -> tuple[PlanItem, ...]:
    """§4.3: the bundle's items, the QBR 90 days into the subscription and, when the customer
    renews on a date, the renewal items 30 and 7 days before it; by due date."""
    qbr_on = qbr_due(subscription_start)
    qbr = PlanItem(
        day_offset=(qbr_on - start).days,
        title=QBR_TITLE,
        kind=ItemKind.QBR,
        is_upgrade_or_upsell=False,
        due_on=qbr_on,
    )
    template = build_plan(bundle, start)
    # A bundle's own QBR that falls on the same day already is the 90-day one.
    qbrs = () if any((i.kind, i.due_on) == (qbr.kind, qbr.due_on) for i in template) else (qbr,)
    renewals = renewal_items(renews_at) if renews_at is not None else ()
    renewals = tuple(replace(r, day_offset=(r.due_on - start).days) for r in renewals)
    items = (*template, *qbrs, *renewals)
    return tuple(sorted(items, key=lambda item: (item.due_on, item.day_offset)))


def change_cadence(
    current: CadenceType, target: CadenceType, consent_recorded: bool
) -> CadenceType:
    """§4.3: a plan's cadence changes only with the customer's recorded consent."""
    check_cadence_change(consent_recorded)
    if target == current:
        raise DomainError("cadence", ErrorCode.INVALID, Msg.CADENCE_ALREADY, current=current)
    return target
