"""docs/rules.md §4.3: cadences, success plans, renewals and the weekly check-in."""

from __future__ import annotations

from datetime import date

import pytest

from domain import success_plans
from domain.errors import DomainError, ErrorCode
from domain.success_plans import Bundle, CadenceType, ItemKind, PlanItem

START = date(2025, 3, 1)


def test_cadence_types_are_the_six_of_the_spec() -> None:
    assert [c.value for c in CadenceType] == [
        "weekly_check_in",
        "monthly_proof_review",
        "quarterly_business_review",
        "at_risk_alert",
        "renewal_30_day",
        "renewal_7_day",
    ]


def test_bundles_are_the_three_of_the_spec() -> None:
    assert [b.value for b in Bundle] == [
        "growth_starter",
        "executive_growth_os",
        "partnership_growth",
    ]


@pytest.mark.parametrize(
    ("bundle", "expected"),
    [
        (
            Bundle.GROWTH_STARTER,
            [
                (1, "kick-off call + intake", ItemKind.KICKOFF, False),
                (3, "review first 3 opportunities + drafts", ItemKind.REVIEW, False),
                (7, "deliver Proof Pack v1", ItemKind.PROOF_PACK, False),
                (14, "weekly check-in + upsell offer", ItemKind.CHECK_IN, True),
                (
                    30,
                    "monthly proof review + renewal/upgrade decision",
                    ItemKind.MONTHLY_REVIEW,
                    True,
                ),
            ],
        ),
        (
            Bundle.EXECUTIVE_GROWTH_OS,
            [
                (1, "onboarding + connect channels", ItemKind.KICKOFF, False),
                (7, "first weekly Proof Pack", ItemKind.PROOF_PACK, False),
                (14, "weekly check-in + Founder Shadow Board v1", ItemKind.CHECK_IN, False),
                (21, "monthly proof review", ItemKind.MONTHLY_REVIEW, False),
                (30, "QBR + annual upgrade conversation", ItemKind.QBR, True),
            ],
        ),
        (
            Bundle.PARTNERSHIP_GROWTH,
            [
                (1, "partner ICP intake", ItemKind.KICKOFF, False),
                (5, "20 partners list + 10 outreach drafts", ItemKind.MILESTONE, False),
                (10, "5 partner meetings booked", ItemKind.MILESTONE, False),
                (14, "weekly check-in", ItemKind.CHECK_IN, False),
                (30, "partner scorecard + revenue share setup", ItemKind.SCORECARD, False),
            ],
        ),
    ],
)
def test_plan_template_per_bundle(
    bundle: Bundle, expected: list[tuple[int, str, ItemKind, bool]]
) -> None:
    templates = success_plans.PLAN_TEMPLATES[bundle]
    assert [(t.day_offset, t.title, t.kind, t.is_upgrade_or_upsell) for t in templates] == expected


def test_every_bundle_has_a_template() -> None:
    assert set(success_plans.PLAN_TEMPLATES) == set(Bundle)


@pytest.mark.parametrize(
    ("bundle", "due_dates"),
    [
        (
            Bundle.GROWTH_STARTER,
            [
                date(2025, 3, 2),
                date(2025, 3, 4),
                date(2025, 3, 8),
                date(2025, 3, 15),
                date(2025, 3, 31),
            ],
        ),
        (
            Bundle.EXECUTIVE_GROWTH_OS,
            [
                date(2025, 3, 2),
                date(2025, 3, 8),
                date(2025, 3, 15),
                date(2025, 3, 22),
                date(2025, 3, 31),
            ],
        ),
        (
            Bundle.PARTNERSHIP_GROWTH,
            [
                date(2025, 3, 2),
                date(2025, 3, 6),
                date(2025, 3, 11),
                date(2025, 3, 15),
                date(2025, 3, 31),
            ],
        ),
    ],
)
def test_build_plan_due_on_start_plus_day_offset(bundle: Bundle, due_dates: list[date]) -> None:
    plan = success_plans.build_plan(bundle, START)
    assert [item.due_on for item in plan] == due_dates
    assert all(item.done_on is None for item in plan)
    assert [item.title for item in plan] == [t.title for t in success_plans.PLAN_TEMPLATES[bundle]]


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (date(2025, 1, 1), date(2025, 4, 1)),
        (date(2024, 1, 1), date(2024, 3, 31)),
        (date(2025, 11, 15), date(2026, 2, 13)),
    ],
)
def test_qbr_is_due_90_days_into_a_subscription(start: date, due: date) -> None:
    assert success_plans.qbr_due(start) == due
    assert (success_plans.qbr_due(start) - start).days == 90


def test_renewal_items_at_30_and_7_days_before_renewal() -> None:
    items = success_plans.renewal_items(date(2025, 6, 30))
    assert [(i.day_offset, i.due_on, i.kind) for i in items] == [
        (-30, date(2025, 5, 31), ItemKind.RENEWAL),
        (-7, date(2025, 6, 23), ItemKind.RENEWAL),
    ]
    assert not any(i.is_upgrade_or_upsell for i in items)


@pytest.mark.parametrize(
    ("locale", "greeting", "signature"),
    [
        ("ar", "أهلاً شركة النخبة،", "المؤسس"),
        ("en", "Hi شركة النخبة,", "The founder"),
    ],
)
def test_renewal_offer_offers_15_percent_off_annual(
    locale: str, greeting: str, signature: str
) -> None:
    text = success_plans.renewal_offer_draft(locale, "  شركة النخبة ")
    assert text.startswith(greeting)
    assert text.endswith(signature)
    assert "15%" in text
    assert "7" in text


def test_renewal_offer_english_wording() -> None:
    text = success_plans.renewal_offer_draft("en", "Acme")
    assert "we will take 15% off the annual plan" in text


def test_renewal_offer_arabic_wording() -> None:
    text = success_plans.renewal_offer_draft("ar", "Acme")
    assert "خصم 15% على الاشتراك السنوي" in text


@pytest.mark.parametrize(
    ("locale", "name", "field", "code"),
    [
        ("fr", "Acme", "locale", ErrorCode.INVALID),
        ("ar", "   ", "customerName", ErrorCode.REQUIRED),
        ("en", "", "customerName", ErrorCode.REQUIRED),
    ],
)
def test_renewal_offer_refuses_bad_input(
    locale: str, name: str, field: str, code: ErrorCode
) -> None:
    with pytest.raises(DomainError) as err:
        success_plans.renewal_offer_draft(locale, name)
    assert (err.value.field, err.value.code) == (field, code)


def _item(title: str, upsell: bool, done_on: date | None = None) -> PlanItem:
    return PlanItem(14, title, ItemKind.CHECK_IN, upsell, date(2025, 3, 15), done_on)


@pytest.mark.parametrize(
    ("bundle", "day"),
    [
        (Bundle.GROWTH_STARTER, 14),
        (Bundle.GROWTH_STARTER, 30),
        (Bundle.EXECUTIVE_GROWTH_OS, 30),
    ],
)
def test_refuses_upgrade_or_upsell_before_first_proof_pack(bundle: Bundle, day: int) -> None:
    item = next(i for i in success_plans.build_plan(bundle, START) if i.day_offset == day)
    with pytest.raises(DomainError) as err:
        success_plans.check_can_complete(item, first_proof_pack_delivered=False)
    assert (err.value.field, err.value.code) == ("item", ErrorCode.PRECONDITION_FAILED)
    success_plans.check_can_complete(item, first_proof_pack_delivered=True)


@pytest.mark.parametrize("delivered", [False, True])
def test_allows_ordinary_items_before_first_proof_pack(delivered: bool) -> None:
    success_plans.check_can_complete(_item("weekly check-in", False), delivered)


def test_complete_item_sets_done_date() -> None:
    done = success_plans.complete_item(_item("weekly check-in", False), date(2025, 3, 16), False)
    assert done.done_on == date(2025, 3, 16)
    assert done.title == "weekly check-in"


@pytest.mark.parametrize(
    ("item", "delivered", "code"),
    [
        (_item("weekly check-in", False, date(2025, 3, 15)), True, ErrorCode.CONFLICT),
        (_item("weekly check-in + upsell offer", True), False, ErrorCode.PRECONDITION_FAILED),
    ],
)
def test_complete_item_refuses(item: PlanItem, delivered: bool, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as err:
        success_plans.complete_item(item, date(2025, 3, 16), delivered)
    assert (err.value.field, err.value.code) == ("item", code)


@pytest.mark.parametrize(
    ("last", "on"),
    [
        (None, date(2025, 3, 1)),
        (date(2025, 3, 1), date(2025, 3, 8)),
        (date(2025, 3, 1), date(2025, 3, 20)),
        (date(2025, 3, 8), date(2025, 3, 1)),
    ],
)
def test_allows_check_in_7_or_more_days_apart(last: date | None, on: date) -> None:
    success_plans.check_check_in_allowed(last, on)


@pytest.mark.parametrize(
    ("last", "on"),
    [
        (date(2025, 3, 1), date(2025, 3, 1)),
        (date(2025, 3, 1), date(2025, 3, 2)),
        (date(2025, 3, 1), date(2025, 3, 7)),
        (date(2025, 3, 7), date(2025, 3, 1)),
    ],
)
def test_refuses_check_in_less_than_7_days_apart(last: date, on: date) -> None:
    with pytest.raises(DomainError) as err:
        success_plans.check_check_in_allowed(last, on)
    assert (err.value.field, err.value.code) == ("weekOf", ErrorCode.CONFLICT)


def test_refuses_cadence_change_without_consent() -> None:
    with pytest.raises(DomainError) as err:
        success_plans.check_cadence_change(consent_recorded=False)
    assert (err.value.field, err.value.code) == ("consentRecorded", ErrorCode.PRECONDITION_FAILED)


def test_allows_cadence_change_with_consent() -> None:
    success_plans.check_cadence_change(consent_recorded=True)


def test_weekly_check_in_agenda_is_five_5_minute_items() -> None:
    agenda = success_plans.weekly_check_in(12, 4, 2, 3, 18000.0)
    assert [(a.title, a.minutes) for a in agenda.agenda] == [
        ("مراجعة آخر Proof Pack", 5),
        ("أبرز فرصة في الـ pipeline", 5),
        ("أبرز خطر في القنوات", 5),
        ("خطة الأسبوع القادم", 5),
        ("أي مساعدة من فريقنا؟", 5),
    ]
    assert agenda.total_minutes == 25


@pytest.mark.parametrize(
    ("metrics", "points"),
    [
        (
            (12, 4, 2, 3, 18000.0),
            (
                "اعتمدتم 12 رسالة هذا الأسبوع، ووصلكم 4 رد.",
                "تم تجهيز 2 اجتماع.",
                "تم منع 3 مخاطر تلقائياً.",
                "Pipeline متأثر بقيمة 18000 ريال.",
            ),
        ),
        (
            (0, 0, 0, 0, 1234.6),
            (
                "اعتمدتم 0 رسالة هذا الأسبوع، ووصلكم 0 رد.",
                "تم تجهيز 0 اجتماع.",
                "تم منع 0 مخاطر تلقائياً.",
                "Pipeline متأثر بقيمة 1235 ريال.",
            ),
        ),
    ],
)
def test_weekly_check_in_talking_points(
    metrics: tuple[int, int, int, int, float], points: tuple[str, ...]
) -> None:
    assert success_plans.weekly_check_in(*metrics).talking_points == points


@pytest.mark.parametrize(
    ("metrics", "field"),
    [
        ((-1, 0, 0, 0, 0.0), "draftsApproved"),
        ((0, -1, 0, 0, 0.0), "replies"),
        ((0, 0, -1, 0, 0.0), "meetings"),
        ((0, 0, 0, -1, 0.0), "risksBlocked"),
        ((0, 0, 0, 0, -0.5), "pipelineSar"),
    ],
)
def test_weekly_check_in_refuses_negative_metrics(
    metrics: tuple[int, int, int, int, float], field: str
) -> None:
    with pytest.raises(DomainError) as err:
        success_plans.weekly_check_in(*metrics)
    assert (err.value.field, err.value.code) == (field, ErrorCode.OUT_OF_RANGE)
