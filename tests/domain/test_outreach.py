"""The founder's at-risk email (§4.1 high) and the weekly check-in note (§4.3)."""

from __future__ import annotations

from datetime import date

import pytest

from domain import outreach, scores, success_plans
from domain.errors import DomainError, ErrorCode
from domain.signals import CheckIn

REASONS = ("العميل غير نشط منذ 14 يوم.", "11 مسودة معلقة بدون اعتماد.")

AT_RISK_AR = """مرحباً فريق شركة الأفق،

أكتب لكم شخصياً كمؤسس Wafi، لأن نجاحكم معنا يهمني. لاحظنا مؤخراً مؤشرات تستحق أن نقف عندها معاً:
- العميل غير نشط منذ 14 يوم.
- 11 مسودة معلقة بدون اعتماد.

أقترح أن نحجز جلسة مراجعة أعمال (QBR) هذا الأسبوع، نراجع فيها النتائج ونتفق على خطوات واضحة للأسابيع القادمة. ما الوقت الأنسب لكم؟

مع خالص التحية،
مؤسس Wafi"""  # noqa: E501

AT_RISK_EN = """Hello Horizon Co team,

I'm writing to you personally as Wafi's founder, because your success with us matters to me. We noticed a few signs that deserve a closer look together:
- We have not seen your team in Wafi for 14 days.
- 11 drafts are waiting for your approval.

I'd like to book a quarterly business review (QBR) with you this week, to go over the results and agree on clear next steps for the coming weeks. Which time suits you best?

Warm regards,
Wafi's founder"""  # noqa: E501

WEEK = CheckIn(
    customer_id=1,
    week_of=date(2026, 10, 26),
    drafts_approved=12,
    replies=4,
    meetings=2,
    risks_blocked=3,
    pipeline_sar=18000.4,
    id=7,
)

CHECK_IN_AR = """مرحباً فريق شركة الأفق، هذه ملاحظات الـ check-in الأسبوعي لأسبوع 2026-10-26.

جدول الأعمال (25 دقيقة):
1. مراجعة آخر Proof Pack (5 دقائق)
2. أبرز فرصة في الـ pipeline (5 دقائق)
3. أبرز خطر في القنوات (5 دقائق)
4. خطة الأسبوع القادم (5 دقائق)
5. أي مساعدة من فريقنا؟ (5 دقائق)

أبرز أرقام الأسبوع:
- اعتمدتم 12 رسالة هذا الأسبوع، ووصلكم 4 رد.
- تم تجهيز 2 اجتماع.
- تم منع 3 مخاطر تلقائياً.
- Pipeline متأثر بقيمة 18000 ريال."""

CHECK_IN_EN = """Hello Horizon Co team, here are the notes for our weekly check-in, week of 2026-10-26.

Agenda (25 minutes):
1. Review the latest Proof Pack (5 min)
2. The top opportunity in the pipeline (5 min)
3. The top risk in the channels (5 min)
4. Next week's plan (5 min)
5. Anything our team can help with? (5 min)

This week in numbers:
- You approved 12 messages this week and received 4 replies.
- 2 meetings were prepared.
- 3 risks were blocked automatically.
- Pipeline influenced: 18,000 SAR."""  # noqa: E501


def test_the_arabic_at_risk_email_names_the_customer_lists_the_reasons_and_proposes_a_qbr() -> None:
    assert outreach.at_risk_email("ar", "  شركة الأفق ", REASONS) == AT_RISK_AR


def test_the_english_at_risk_email_says_the_reasons_in_english() -> None:
    assert outreach.at_risk_email("en", "Horizon Co", REASONS) == AT_RISK_EN


@pytest.mark.parametrize(
    ("reason", "english"),
    [
        (scores.REASON_INACTIVE_AR.format(d=20), "We have not seen your team in Wafi for 20 days."),
        (scores.REASON_LOW_ACTIVITY_AR.format(d=8), "Activity in Wafi has been lower for 8 days."),
        (scores.REASON_PENDING_AR.format(n=15), "15 drafts are waiting for your approval."),
        (scores.REASON_PENDING_BUILDUP_AR.format(n=6), "6 drafts have built up awaiting approval."),
        (
            scores.REASON_PROOF_PACK_AR.format(d=21),
            "Your last Proof Pack was 21 days ago, later than our SLA promises.",
        ),
        (
            scores.SEV1_INCIDENT_OPEN.reason_ar,
            "An open SEV1 incident is affecting your account.",
        ),
        (
            scores.P0_SLA_BREACHED_14_DAYS.reason_ar,
            "A P0 ticket of yours missed its SLA in the last 14 days.",
        ),
        ("سبب آخر", "سبب آخر"),
    ],
)
def test_every_at_risk_reason_has_its_english_line(reason: str, english: str) -> None:
    assert outreach.reason_en(reason) == english


def test_the_reasons_of_a_real_high_verdict_all_translate() -> None:
    verdict = scores.at_risk(20, 15, 21, extra=[scores.SEV1_INCIDENT_OPEN])
    assert verdict.severity is scores.Severity.HIGH
    body = outreach.at_risk_email("en", "Horizon Co", verdict.reasons)
    assert body.isascii()
    assert "20 days." in body
    assert "15 drafts" in body
    assert "21 days ago" in body


@pytest.mark.parametrize(
    ("locale", "name", "reasons", "field", "code"),
    [
        ("fr", "Horizon", REASONS, "locale", ErrorCode.INVALID),
        ("ar", "  ", REASONS, "customerName", ErrorCode.REQUIRED),
        ("en", "Horizon", (), "reasons", ErrorCode.REQUIRED),
    ],
)
def test_an_at_risk_email_refuses_bad_input(
    locale: str, name: str, reasons: tuple[str, ...], field: str, code: ErrorCode
) -> None:
    with pytest.raises(DomainError) as refused:
        outreach.at_risk_email(locale, name, reasons)
    assert (refused.value.field, refused.value.code) == (field, code)


def test_the_arabic_check_in_note_is_a_greeting_the_agenda_and_the_talking_points() -> None:
    assert outreach.check_in_note("ar", "شركة الأفق", WEEK) == CHECK_IN_AR


def test_the_english_check_in_note_says_the_same() -> None:
    assert outreach.check_in_note("en", "Horizon Co", WEEK) == CHECK_IN_EN


def test_every_agenda_title_has_its_english_line() -> None:
    assert tuple(outreach.AGENDA_TITLES_EN) == success_plans.AGENDA_TITLES


@pytest.mark.parametrize(
    ("locale", "name", "field", "code"),
    [
        ("fr", "Horizon", "locale", ErrorCode.INVALID),
        ("en", "", "customerName", ErrorCode.REQUIRED),
    ],
)
def test_a_check_in_note_refuses_bad_input(
    locale: str, name: str, field: str, code: ErrorCode
) -> None:
    with pytest.raises(DomainError) as refused:
        outreach.check_in_note(locale, name, WEEK)
    assert (refused.value.field, refused.value.code) == (field, code)
