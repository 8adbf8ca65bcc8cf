"""docs/rules.md §2.1–§2.5: tiers, classification, priority raises, lifecycle, first drafts."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from domain import tickets
from domain.errors import DomainError, ErrorCode
from domain.messages import Language
from domain.tickets import Owner, Priority, TicketStatus

# Hypothesis caches to `./.hypothesis` by default; pyproject's `norecursedirs` replaces pytest's
# defaults, so that folder in the repo root would turn the next run's collection into an error.
if not os.getenv("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "wafi-hypothesis")

P0, P1, P2, P3 = Priority.P0, Priority.P1, Priority.P2, Priority.P3
OPENED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

P0_KEYWORDS = [
    "أمان",
    "تسريب",
    "إرسال خاطئ",
    "إرسال بدون موافقة",
    "بدون موافقتي",
    "أرسل رسالة بدون",
    "أرسل بدون",
    "secret",
    "leak",
    "data breach",
    "outage",
    "completely down",
    "live charge",
    "charge بدون موافقة",
    "unauthorized",
]
P1_KEYWORDS = [
    "service down",
    "خدمة معطلة",
    "service failed",
    "Pilot stopped",
    "Proof Pack مفقود",
    "حرج",
    "urgent",
]
P2_KEYWORDS = ["connector", "Gmail", "Calendar", "Sheets", "WhatsApp setup", "Moyasar invoice"]
ALL_KEYWORDS = [
    *((P0, k) for k in P0_KEYWORDS),
    *((P1, k) for k in P1_KEYWORDS),
    *((P2, k) for k in P2_KEYWORDS),
]

DRAFTS_AR = {
    P0: "وصلني بلاغك الآن. نتعامل معه كأولوية حرجة. سأرد عليك خلال 30 دقيقة بتفاصيل ما حدث + الإجراءات المتخذة. إذا اكتشفت أي إرسال غير معتمد أو تسريب بيانات، سأتواصل معك مباشرة.",  # noqa: E501
    P1: "وصلني بلاغك. نتعامل معه كأولوية عالية. سأرد بتفاصيل خلال ساعتين كحد أقصى.",
    P2: "وصلني سؤالك حول الـ connector / Proof Pack. سأتابع خلال 8 ساعات عمل وأرسل لك حل أو خطوات تالية.",  # noqa: E501
    P3: "شاكر لك على ملاحظتك. سأرد عليك خلال 24 ساعة عمل. إذا الأمر عاجل، اكتب 'حرج' في رسالة جديدة وأرفعها للأولوية.",  # noqa: E501
}

# Tashkeel (harakat, tanween, shadda, sukun, Quranic marks) and tatweel, as §2.2 strips them.
MARKS = [
    *map(chr, range(0x0610, 0x061B)),
    *map(chr, range(0x064B, 0x0660)),
    "\u0670",
    *map(chr, range(0x06D6, 0x06EE)),
    "\u0640",
]


# §2.1 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "label", "first_response", "resolution", "owner"),
    [
        (P0, "حرج جداً — أمان / إرسال خاطئ / تعطل كامل", 30, 4, "founder"),
        (P1, "خدمة مهمة معطلة", 120, 24, "operator_oncall"),
        (P2, "Connector أو Proof Pack متأخر", 480, 72, "operator_oncall"),
        (P3, "سؤال عام / تحسين", 1440, 168, "operator_team"),
    ],
)
def test_tier_table(
    priority: Priority, label: str, first_response: int, resolution: int, owner: str
) -> None:
    tier = tickets.TIERS[priority]
    assert tier == tickets.PriorityTier(priority, label, first_response, resolution, Owner(owner))
    assert tier.owner == owner


def test_four_tiers_p0_to_p3() -> None:
    assert [p.value for p in Priority] == ["P0", "P1", "P2", "P3"]
    assert list(tickets.TIERS) == [P0, P1, P2, P3]


@pytest.mark.parametrize(
    ("a", "b", "outranks", "higher"),
    [
        (P0, P1, True, P0),
        (P1, P0, False, P0),
        (P2, P3, True, P2),
        (P3, P0, False, P0),
        (P2, P2, False, P2),
    ],
)
def test_lower_number_is_higher_priority(
    a: Priority, b: Priority, outranks: bool, higher: Priority
) -> None:
    assert tickets.outranks(a, b) is outranks
    assert tickets.higher(a, b) is higher


# §2.2 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "priority", "keyword"),
    [
        ("اكتشفت تسريب في trace logs", P0, "تسريب"),
        ("Dealix أرسل رسالة بدون موافقتي", P0, "بدون موافقتي"),
        ("Pilot stopped working today", P1, "Pilot stopped"),
        ("pilot STOPPED", P1, "Pilot stopped"),
        ("My Gmail connector won't authenticate", P2, "connector"),
        ("Gmail outage", P0, "outage"),
        ("calendar invite", P2, "Calendar"),
        ("whatsapp not working", P3, None),
        ("سؤال بسيط عن الأسعار", P3, None),
        ("The secretary asked", P3, None),
    ],
)
def test_reference_cases(text: str, priority: Priority, keyword: str | None) -> None:
    result = tickets.classify(text, "")
    assert (result.priority, result.matched_keyword) == (priority, keyword)
    assert tickets.classify("", text) == result


@pytest.mark.parametrize(("priority", "keyword"), ALL_KEYWORDS)
def test_every_keyword_classifies_to_its_tier(priority: Priority, keyword: str) -> None:
    result = tickets.classify("", keyword)
    assert (result.priority, result.matched_keyword) == (priority, keyword)


@pytest.mark.parametrize(("priority", "keyword"), ALL_KEYWORDS)
def test_every_keyword_matches_inside_a_sentence(priority: Priority, keyword: str) -> None:
    result = tickets.classify("Ticket", f"مرحبا، {keyword.upper()} منذ الصباح.")
    assert (result.priority, result.matched_keyword) == (priority, keyword)


@pytest.mark.parametrize(
    ("text", "priority", "keyword"),
    [
        ("API keys leaks in logs", P0, "leak"),
        ("our data leaked yesterday", P0, "leak"),
        ("memory leaking again", P0, "leak"),
        ("two connectors broke", P2, "connector"),
        ("three outages this week", P0, "outage"),
        ("secrets exposed", P0, "secret"),
        ("two data breaches", P0, "data breach"),
        ("the service failed", P1, "service failed"),
        ("all our Sheets", P2, "Sheets"),
        ("the SECRET was exposed", P0, "secret"),
        ("stored in API_SECRET", P0, "secret"),
        ("data   \n  breach", P0, "data breach"),
        ("The secretary asked", P3, None),
        ("a leakage test", P3, None),
        ("connectorx", P3, None),
        ("ourgmail account", P3, None),
        ("urgently please", P3, None),
        ("leak2", P3, None),
        ("WhatsApp setups pending", P2, "WhatsApp setup"),
    ],
)
def test_latin_keywords_match_whole_words_with_english_endings(
    text: str, priority: Priority, keyword: str | None
) -> None:
    result = tickets.classify("", text)
    assert (result.priority, result.matched_keyword) == (priority, keyword)


@pytest.mark.parametrize(
    ("text", "priority", "keyword"),
    [
        ("مشكلة في الـconnector", P2, "connector"),
        ("بالـGmail", P2, "Gmail"),
        ("مشكلة بالـGmail", P2, "Gmail"),
        ("في الconnectors", P2, "connector"),
        ("عندنا outageاليوم", P0, "outage"),
        ("الـleaked data", P0, "leak"),
        ("وsecret", P0, "secret"),
        ("الـsecretary", P3, None),
        ("الـleakage", P3, None),
        ("الـconnector2", P3, None),
    ],
)
def test_latin_keywords_glued_to_arabic_letters_still_match(
    text: str, priority: Priority, keyword: str | None
) -> None:
    # Only Latin letters and digits bound a Latin keyword; Arabic letters around it do not.
    result = tickets.classify("", text)
    assert (result.priority, result.matched_keyword) == (priority, keyword)


@pytest.mark.parametrize(
    ("text", "priority", "keyword"),
    [
        ("امان الحساب", P0, "أمان"),
        ("آمان الحساب", P0, "أمان"),
        ("التسريب حصل", P0, "تسريب"),
        ("تَسْرِيبٌ", P0, "تسريب"),
        ("تســـريب", P0, "تسريب"),
        ("ارسال خاطئ للعميل", P0, "إرسال خاطئ"),
        ("ارسل بدون ما اسأل", P0, "أرسل بدون"),
        ("أُرسِلَ بدون علمنا", P0, "أرسل بدون"),
        ("بدون موافقتى", P0, "بدون موافقتي"),
        ("CHARGE بدون   موافقة", P0, "charge بدون موافقة"),
        ("recharge بدون موافقة", P0, "charge بدون موافقة"),
        ("proof pack مفقود", P1, "Proof Pack مفقود"),
        ("الخدمة معطلة", P1, "خدمة معطلة"),
        ("خدمة مُعَطَّلة", P1, "خدمة معطلة"),
        ("حـــرج", P1, "حرج"),
        ("الوضع حرجٌ", P1, "حرج"),
    ],
)
def test_arabic_keywords_match_substrings_after_normalising(
    text: str, priority: Priority, keyword: str | None
) -> None:
    result = tickets.classify("", text)
    assert (result.priority, result.matched_keyword) == (priority, keyword)


@pytest.mark.parametrize(
    ("subject", "body", "priority", "keyword"),
    [
        ("Gmail", "outage", P0, "outage"),
        ("Gmail", "", P2, "Gmail"),
        ("", "Moyasar invoice missing", P2, "Moyasar invoice"),
        ("urgent", "connector", P1, "urgent"),
    ],
)
def test_subject_and_body_are_read_together(
    subject: str, body: str, priority: Priority, keyword: str
) -> None:
    result = tickets.classify(subject, body)
    assert (result.priority, result.matched_keyword) == (priority, keyword)


@pytest.mark.parametrize(
    ("subject", "body", "reason"),
    [
        ("", "اكتشفت تسريب في trace logs", "كلمة حرجة مطابقة: تسريب"),
        ("", "Gmail outage", "كلمة حرجة مطابقة: outage"),
        ("", "pilot STOPPED", "خدمة مهمة معطلة: Pilot stopped"),
        ("", "My Gmail connector won't authenticate", "connector أو Proof Pack: connector"),
        ("", "سؤال بسيط عن الأسعار", "افتراضي — سؤال أو تحسين."),
        ("", "", "لا يوجد نص — اعتبار افتراضي."),
        ("   ", "\n\t ", "لا يوجد نص — اعتبار افتراضي."),
        ("ـــ", "َ", "لا يوجد نص — اعتبار افتراضي."),
    ],
)
def test_reasons_exact(subject: str, body: str, reason: str) -> None:
    assert tickets.classify(subject, body).reason_ar == reason


def test_empty_text_is_p3_without_keyword() -> None:
    assert tickets.classify("", " ") == tickets.Classification(
        P3, None, "لا يوجد نص — اعتبار افتراضي."
    )


KEYWORDISH = st.lists(
    st.one_of(
        st.sampled_from([k for _, k in ALL_KEYWORDS] + ["secretary", "leaks", "امان", "ى"]),
        st.text(max_size=12),
    ),
    max_size=6,
).map(" ".join)


@settings(database=None, deadline=None, max_examples=300)
@given(
    text=KEYWORDISH,
    marks=st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(MARKS)), max_size=8),
)
def test_tashkeel_or_tatweel_anywhere_never_changes_priority(
    text: str, marks: list[tuple[int, str]]
) -> None:
    marked = text
    for position, mark in marks:
        at = position % (len(marked) + 1)
        marked = marked[:at] + mark + marked[at:]
    assert tickets.classify("", marked).priority == tickets.classify("", text).priority


ARABIC_LETTERS = st.text(alphabet="ابتثجحخدذرزسشصضطظعغفقكلمنهويءةـ", max_size=6)


@settings(database=None, deadline=None, max_examples=300)
@given(
    case=st.sampled_from([(p, k) for p, k in ALL_KEYWORDS if k.isascii()]),
    before=ARABIC_LETTERS,
    after=ARABIC_LETTERS,
)
def test_arabic_letters_glued_to_a_latin_keyword_never_hide_it(
    case: tuple[Priority, str], before: str, after: str
) -> None:
    priority, keyword = case
    assert tickets.classify("", f"{before}{keyword}{after}").priority.rank <= priority.rank


@settings(database=None, deadline=None, max_examples=300)
@given(subject=KEYWORDISH, body=KEYWORDISH, extra=KEYWORDISH)
def test_appending_text_never_lowers_priority(subject: str, body: str, extra: str) -> None:
    # Appended as a new line, as a follow-up message arrives; gluing letters onto the last word
    # could legitimately turn `secret` into `secretary`.
    before = tickets.classify(subject, body).priority
    after = tickets.classify(subject, f"{body}\n{extra}").priority
    assert after.rank <= before.rank


# §2.3 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "floor", "requested"),
    [(P3, P3, P1), (P3, P3, P0), (P2, P2, P1), (P1, P3, P0), (P2, P3, P1)],
)
def test_raises_priority(current: Priority, floor: Priority, requested: Priority) -> None:
    assert tickets.raise_priority(current, floor, requested) is requested


@pytest.mark.parametrize(
    ("current", "floor", "requested", "message"),
    [
        (P1, P1, P2, "P2 is below the classified priority P1; priority may only go up."),
        (P1, P1, P3, "P3 is below the classified priority P1; priority may only go up."),
        (P1, P3, P2, "P2 is lower than the current priority P1; priority may only go up."),
        (P0, P2, P1, "P1 is lower than the current priority P0; priority may only go up."),
        (P2, P2, P2, "P2 is already the current priority; priority may only go up."),
        (P1, P3, P1, "P1 is already the current priority; priority may only go up."),
        (P0, P3, P0, "P0 is already the current priority, the highest; priority may only go up."),
    ],
)
def test_refuses_lowering_priority(
    current: Priority, floor: Priority, requested: Priority, message: str
) -> None:
    with pytest.raises(DomainError) as caught:
        tickets.raise_priority(current, floor, requested)
    assert (caught.value.field, caught.value.code) == ("priority", ErrorCode.PRIORITY_LOWERED)
    assert caught.value.message(Language.EN) == message


@pytest.mark.parametrize(
    ("classified", "manual", "effective"),
    [(P3, None, P3), (P3, P1, P1), (P0, P2, P0), (P2, P2, P2), (P1, P0, P0)],
)
def test_effective_priority_is_the_higher(
    classified: Priority, manual: Priority | None, effective: Priority
) -> None:
    assert tickets.effective_priority(classified, manual) is effective


# §2.5 ----------------------------------------------------------------------------------------


def _at(minutes: int) -> datetime:
    return OPENED + timedelta(minutes=minutes)


def test_full_lifecycle() -> None:
    opened = tickets.open_ticket(P3, OPENED)
    assert (opened.status, opened.priority, opened.opened_at) == (TicketStatus.OPEN, P3, OPENED)
    answered = tickets.record_first_response(opened, _at(10))
    resolved = tickets.resolve(answered, _at(60))
    closed = tickets.confirm_closed(resolved, "  Sara (customer)  ", _at(90))
    assert closed == tickets.Lifecycle(
        status=TicketStatus.CLOSED,
        classified=P3,
        manual_raise=None,
        opened_at=OPENED,
        first_response_at=_at(10),
        resolved_at=_at(60),
        closed_at=_at(90),
        closed_confirmed_by="Sara (customer)",
    )


def test_later_replies_keep_the_first_response() -> None:
    answered = tickets.record_first_response(tickets.open_ticket(P1, OPENED), _at(5))
    assert tickets.record_first_response(answered, _at(50)).first_response_at == _at(5)


def test_refuses_first_response_before_opening() -> None:
    with pytest.raises(DomainError) as caught:
        tickets.record_first_response(tickets.open_ticket(P1, OPENED), _at(-1))
    assert (caught.value.field, caught.value.code) == ("firstResponseAt", ErrorCode.INVALID)


def test_refuses_resolving_before_first_response() -> None:
    with pytest.raises(DomainError) as caught:
        tickets.resolve(tickets.open_ticket(P1, OPENED), _at(30))
    assert (caught.value.field, caught.value.code) == ("status", ErrorCode.PRECONDITION_FAILED)


def test_refuses_resolving_twice() -> None:
    answered = tickets.record_first_response(tickets.open_ticket(P1, OPENED), _at(5))
    resolved = tickets.resolve(answered, _at(30))
    with pytest.raises(DomainError) as caught:
        tickets.resolve(resolved, _at(40))
    assert caught.value.code == ErrorCode.INVALID_TRANSITION
    assert caught.value.message(Language.EN) == "A ticket cannot go from 'resolved' to 'resolved'."


def test_refuses_closing_an_open_ticket() -> None:
    answered = tickets.record_first_response(tickets.open_ticket(P1, OPENED), _at(5))
    with pytest.raises(DomainError) as caught:
        tickets.confirm_closed(answered, "Sara", _at(30))
    assert (caught.value.field, caught.value.code) == ("status", ErrorCode.INVALID_TRANSITION)
    assert caught.value.message(Language.EN) == "A ticket cannot go from 'open' to 'closed'."


@pytest.mark.parametrize(
    ("who", "minutes", "field", "code"),
    [
        ("", 90, "confirmedBy", ErrorCode.REQUIRED),
        ("   ", 90, "confirmedBy", ErrorCode.REQUIRED),
        ("Sara", 59, "confirmedAt", ErrorCode.INVALID),
    ],
)
def test_closing_needs_who_and_when(who: str, minutes: int, field: str, code: ErrorCode) -> None:
    answered = tickets.record_first_response(tickets.open_ticket(P1, OPENED), _at(5))
    resolved = tickets.resolve(answered, _at(60))
    with pytest.raises(DomainError) as caught:
        tickets.confirm_closed(resolved, who, _at(minutes))
    assert (caught.value.field, caught.value.code) == (field, code)


@pytest.mark.parametrize("close", [False, True])
def test_reopen_keeps_clocks(close: bool) -> None:
    answered = tickets.record_first_response(tickets.open_ticket(P2, OPENED), _at(5))
    done = tickets.resolve(answered, _at(60))
    if close:
        done = tickets.confirm_closed(done, "Sara", _at(70))
    reopened = tickets.reopen(done)
    assert reopened == tickets.Lifecycle(
        status=TicketStatus.OPEN,
        classified=P2,
        manual_raise=None,
        opened_at=OPENED,
        first_response_at=_at(5),
    )


def test_refuses_reopening_an_open_ticket() -> None:
    with pytest.raises(DomainError) as caught:
        tickets.reopen(tickets.open_ticket(P2, OPENED))
    assert (caught.value.field, caught.value.code) == ("status", ErrorCode.INVALID_TRANSITION)


def test_escalate_raises_and_keeps_classification_as_floor() -> None:
    raised = tickets.escalate(tickets.open_ticket(P3, OPENED), P1)
    assert (raised.classified, raised.manual_raise, raised.priority) == (P3, P1, P1)
    with pytest.raises(DomainError) as caught:
        tickets.escalate(raised, P2)
    assert caught.value.code == ErrorCode.PRIORITY_LOWERED


def test_escalating_to_the_same_priority_is_refused() -> None:
    raised = tickets.escalate(tickets.open_ticket(P3, OPENED), P1)
    for ticket, requested in (
        (tickets.open_ticket(P2, OPENED), P2),
        (raised, P1),
        (tickets.open_ticket(P0, OPENED), tickets.one_tier_up(P0)),
    ):
        with pytest.raises(DomainError) as caught:
            tickets.escalate(ticket, requested)
        assert (caught.value.field, caught.value.code) == ("priority", ErrorCode.PRIORITY_LOWERED)


def test_refuses_escalating_a_resolved_ticket() -> None:
    answered = tickets.record_first_response(tickets.open_ticket(P3, OPENED), _at(5))
    with pytest.raises(DomainError) as caught:
        tickets.escalate(tickets.resolve(answered, _at(6)), P0)
    assert (caught.value.field, caught.value.code) == ("status", ErrorCode.INVALID_TRANSITION)


@pytest.mark.parametrize(
    ("manual", "reclassified", "effective"),
    [(P1, P3, P1), (P1, P0, P0), (None, P3, P3), (None, P0, P0)],
)
def test_reclassify_takes_the_higher_of_text_and_raise(
    manual: Priority | None, reclassified: Priority, effective: Priority
) -> None:
    ticket = tickets.open_ticket(P2, OPENED)
    if manual is not None:
        ticket = tickets.escalate(ticket, manual)
    assert tickets.reclassify(ticket, reclassified).priority is effective


def test_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        tickets.open_ticket(P1, datetime(2025, 3, 1, 9, 0))  # noqa: DTZ001


def test_sla_events() -> None:
    assert [e.value for e in tickets.TicketEvent] == [
        "opened",
        "first_response",
        "resolved",
        "escalated",
    ]
    assert [s.value for s in TicketStatus] == [
        "open",
        "waiting_on_customer",
        "resolved",
        "closed",
    ]


# §2.4 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("priority", list(Priority))
def test_arabic_first_response_exact(priority: Priority) -> None:
    assert tickets.first_response_draft(priority, "ar") == DRAFTS_AR[priority]
    assert tickets.first_response_draft(priority) == DRAFTS_AR[priority]


@pytest.mark.parametrize(
    ("priority", "number"),
    [(P0, "30 minutes"), (P1, "2 hours"), (P2, "8 business hours"), (P3, "24 business hours")],
)
def test_english_first_response_carries_the_same_numbers(priority: Priority, number: str) -> None:
    body = tickets.first_response_draft(priority, "en")
    assert number in body
    assert body.isascii() or priority is P3


def test_english_p3_invites_the_escalation_words() -> None:
    body = tickets.first_response_draft(P3, "en")
    assert "'urgent'" in body
    assert "'حرج'" in body
    assert tickets.classify("", "urgent").priority is P1
    assert tickets.classify("", "حرج").priority is P1


@pytest.mark.parametrize(
    ("locale", "english"),
    [("en", True), ("EN", True), ("en-US", True), ("en_GB", True), ("ar-SA", False), ("fr", False)],
)
def test_locale_picks_the_language_arabic_by_default(locale: str, english: bool) -> None:
    body = tickets.first_response_draft(P1, locale)
    assert body == (tickets.first_response_draft(P1, "en") if english else DRAFTS_AR[P1])
