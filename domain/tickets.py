"""Support tickets: priority tiers, classification, priority raises, lifecycle, first drafts."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from domain.calendars import RoundTheClock, WorkCalendar
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.support_modes import Detected
from domain.text import blank, normalise


class Priority(StrEnum):
    """Ticket priority; P0 is the highest (a lower number outranks a higher one)."""

    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"

    @property
    def rank(self) -> int:
        """0 for P0 … 3 for P3: smaller is more urgent."""
        return int(self.value[1])


def outranks(a: Priority, b: Priority) -> bool:
    """§2.3: True when `a` is a strictly higher priority than `b` (P0 outranks P1)."""
    return a.rank < b.rank


def higher(a: Priority, b: Priority) -> Priority:
    """§2.3: the higher (more urgent) of two priorities."""
    return a if a.rank <= b.rank else b


class Owner(StrEnum):
    """Who answers a tier's tickets (§2.1)."""

    FOUNDER = "founder"
    OPERATOR_ONCALL = "operator_oncall"
    OPERATOR_TEAM = "operator_team"


@dataclass(frozen=True, slots=True)
class PriorityTier:
    """One row of the §2.1 tier table."""

    priority: Priority
    label_ar: str
    first_response_minutes: int
    resolution_hours: int
    owner: Owner


TIERS: Mapping[Priority, PriorityTier] = MappingProxyType(
    {
        Priority.P0: PriorityTier(
            Priority.P0, "حرج جداً — أمان / إرسال خاطئ / تعطل كامل", 30, 4, Owner.FOUNDER
        ),
        Priority.P1: PriorityTier(Priority.P1, "خدمة مهمة معطلة", 120, 24, Owner.OPERATOR_ONCALL),
        Priority.P2: PriorityTier(
            Priority.P2, "Connector أو Proof Pack متأخر", 480, 72, Owner.OPERATOR_ONCALL
        ),
        Priority.P3: PriorityTier(Priority.P3, "سؤال عام / تحسين", 1440, 168, Owner.OPERATOR_TEAM),
    }
)

# §2.2 keyword lists, scanned tier by tier and in this order: the order is part of the contract
# (`أرسل رسالة بدون موافقتي` reports `بدون موافقتي` because it is listed first).
KEYWORDS: Mapping[Priority, tuple[str, ...]] = MappingProxyType(
    {
        Priority.P0: (
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
        ),
        Priority.P1: (
            "service down",
            "خدمة معطلة",
            "service failed",
            "Pilot stopped",
            "Proof Pack مفقود",
            "حرج",
            "urgent",
        ),
        Priority.P2: (
            "connector",
            "Gmail",
            "Calendar",
            "Sheets",
            "WhatsApp setup",
            "Moyasar invoice",
        ),
    }
)

REASON_TEMPLATES: Mapping[Priority, str] = MappingProxyType(
    {
        Priority.P0: "كلمة حرجة مطابقة: {kw}",
        Priority.P1: "خدمة مهمة معطلة: {kw}",
        Priority.P2: "connector أو Proof Pack: {kw}",
    }
)
REASON_DEFAULT = "افتراضي — سؤال أو تحسين."
REASON_EMPTY = "لا يوجد نص — اعتبار افتراضي."


@dataclass(frozen=True, slots=True)
class Classification:
    """The §2.2 verdict on a ticket's text."""

    priority: Priority
    matched_keyword: str | None
    reason_ar: str


def matcher(keyword: str) -> Callable[[str], bool]:
    """Build a predicate over already-normalised text for one §2.2 keyword."""
    needle = normalise(keyword)
    if not keyword.isascii():
        # Arabic and mixed keywords: plain substring, so `التسريب` matches `تسريب`.
        return lambda text: needle in text
    words = r" ".join(re.escape(word) for word in needle.split(" "))
    # Only Latin letters and digits bound a Latin word: `secretary` does not match `secret`, but
    # `api_secret` does, and so does a word glued to Arabic (`بالـGmail`, `الـconnector`).
    pattern = re.compile(rf"(?<![a-z0-9]){words}(?:s|es|ed|ing)?(?![a-z0-9])")
    return lambda text: pattern.search(text) is not None


_MATCHERS: tuple[tuple[Priority, str, Callable[[str], bool]], ...] = tuple(
    (priority, keyword, matcher(keyword))
    for priority, keywords in KEYWORDS.items()
    for keyword in keywords
)


def classify(subject: str, body: str) -> Classification:
    """§2.2: classify a ticket from its subject and body; the first listed keyword wins."""
    text = normalise(f"{subject}\n{body}")
    if not text:
        return Classification(Priority.P3, None, REASON_EMPTY)
    for priority, keyword, matches in _MATCHERS:
        if matches(text):
            return Classification(priority, keyword, REASON_TEMPLATES[priority].format(kw=keyword))
    return Classification(Priority.P3, None, REASON_DEFAULT)


def raise_priority(current: Priority, floor: Priority, requested: Priority) -> Priority:
    """§2.3: accept `requested` only if it is strictly higher than the current priority (which
    is never below the classified floor); lowering, or keeping the same, is refused."""
    if outranks(floor, requested):
        raise DomainError(
            "priority",
            ErrorCode.PRIORITY_LOWERED,
            Msg.PRIORITY_BELOW_FLOOR,
            requested=requested,
            floor=floor,
        )
    if outranks(current, requested):
        raise DomainError(
            "priority",
            ErrorCode.PRIORITY_LOWERED,
            Msg.PRIORITY_BELOW_CURRENT,
            requested=requested,
            current=current,
        )
    if requested is current:
        # A raise to where the ticket already is changes nothing: refused, not recorded.
        highest = requested is Priority.P0
        raise DomainError(
            "priority",
            ErrorCode.PRIORITY_LOWERED,
            Msg.PRIORITY_ALREADY_HIGHEST if highest else Msg.PRIORITY_ALREADY,
            requested=requested,
        )
    return requested


def effective_priority(classified: Priority, manual_raise: Priority | None) -> Priority:
    """§2.3: the higher of the classification and any manual raise."""
    return classified if manual_raise is None else higher(classified, manual_raise)


class TicketStatus(StrEnum):
    """Where a ticket is in its §2.5 lifecycle."""

    OPEN = "open"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketEvent(StrEnum):
    """The only SLA events (§2.5)."""

    OPENED = "opened"
    FIRST_RESPONSE = "first_response"
    RESOLVED = "resolved"
    ESCALATED = "escalated"


@dataclass(frozen=True, slots=True)
class Pause:
    """§7: a span the resolution clock stood still while the customer was awaited; `end` is
    None while it lasts."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """The part of a ticket that §2.3 and §2.5 rule over; all datetimes aware UTC."""

    status: TicketStatus
    classified: Priority
    manual_raise: Priority | None
    opened_at: datetime
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    closed_confirmed_by: str | None = None
    pauses: tuple[Pause, ...] = ()

    @property
    def priority(self) -> Priority:
        """The priority the SLA clocks run on (§2.3)."""
        return effective_priority(self.classified, self.manual_raise)


def _aware(at: datetime) -> datetime:
    # A naive datetime is a programming error, never a user's input: fail loudly.
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("datetimes in the domain must be timezone-aware")
    return at


def _not_before(at: datetime, earliest: datetime, field: str, what: Msg) -> datetime:
    if _aware(at) < earliest:
        raise DomainError(field, ErrorCode.INVALID, what, field=field)
    return at


def backdated(at: datetime, now: datetime, last_event_at: datetime) -> datetime:
    """History import: an event recorded at its real time `at` — not in the future and not
    before the ticket's last recorded event (so a ticket's history stays in order)."""
    if _aware(at) > now:
        raise DomainError("at", ErrorCode.OUT_OF_RANGE, Msg.AT_IN_FUTURE)
    if at < last_event_at:
        raise DomainError(
            "at",
            ErrorCode.OUT_OF_RANGE,
            Msg.AT_BEFORE_LAST_EVENT,
            last=last_event_at.isoformat(),
        )
    return at


def _refuse(current: TicketStatus, target: TicketStatus) -> DomainError:
    return DomainError(
        "status",
        ErrorCode.INVALID_TRANSITION,
        Msg.TICKET_MOVE,
        current=current,
        target=target,
    )


def open_ticket(classified: Priority, opened_at: datetime) -> Lifecycle:
    """§2.5 `opened`: a new open ticket at its classified priority."""
    return Lifecycle(TicketStatus.OPEN, classified, None, _aware(opened_at))


def record_first_response(lifecycle: Lifecycle, at: datetime) -> Lifecycle:
    """§2.5 `first_response`: the first reply sent stops the clock; later replies change nothing."""
    if lifecycle.first_response_at is not None:
        return lifecycle
    _not_before(at, lifecycle.opened_at, "firstResponseAt", Msg.NOT_BEFORE_OPENED)
    return replace(lifecycle, first_response_at=at)


def await_customer(lifecycle: Lifecycle, at: datetime) -> Lifecycle:
    """§7 pause: an open, answered ticket waits on the customer; its resolution clock stops.
    The first-response clock never pauses, so a ticket not yet answered cannot wait."""
    if lifecycle.status != TicketStatus.OPEN:
        raise _refuse(lifecycle.status, TicketStatus.WAITING_ON_CUSTOMER)
    if lifecycle.first_response_at is None:
        raise DomainError(
            "status",
            ErrorCode.PRECONDITION_FAILED,
            Msg.FIRST_RESPONSE_NEVER_PAUSES,
        )
    _not_before(at, lifecycle.first_response_at, "at", Msg.NOT_BEFORE_FIRST_RESPONSE)
    return replace(
        lifecycle,
        status=TicketStatus.WAITING_ON_CUSTOMER,
        pauses=(*lifecycle.pauses, Pause(_aware(at))),
    )


def _end_pause(lifecycle: Lifecycle, at: datetime) -> tuple[Pause, ...]:
    *done, last = lifecycle.pauses
    return (*done, Pause(last.start, max(last.start, _aware(at))))


def customer_replied(lifecycle: Lifecycle, at: datetime) -> Lifecycle:
    """§7 resume: the customer's reply, logged, restarts the resolution clock."""
    if lifecycle.status != TicketStatus.WAITING_ON_CUSTOMER or not lifecycle.pauses:
        raise DomainError(
            "status",
            ErrorCode.INVALID_TRANSITION,
            Msg.NOT_WAITING_ON_CUSTOMER,
            status=lifecycle.status,
        )
    return replace(lifecycle, status=TicketStatus.OPEN, pauses=_end_pause(lifecycle, at))


def resolve(lifecycle: Lifecycle, at: datetime) -> Lifecycle:
    """§2.5 `resolved`: only an open ticket that has had its first response (one waiting on
    the customer too: the resolution ends the pause)."""
    if lifecycle.status == TicketStatus.WAITING_ON_CUSTOMER and lifecycle.pauses:
        lifecycle = replace(lifecycle, status=TicketStatus.OPEN, pauses=_end_pause(lifecycle, at))
    if lifecycle.status != TicketStatus.OPEN:
        raise _refuse(lifecycle.status, TicketStatus.RESOLVED)
    if lifecycle.first_response_at is None:
        raise DomainError(
            "status",
            ErrorCode.PRECONDITION_FAILED,
            Msg.RESOLVE_BEFORE_FIRST_RESPONSE,
        )
    _not_before(at, lifecycle.first_response_at, "resolvedAt", Msg.NOT_BEFORE_FIRST_RESPONSE)
    return replace(lifecycle, status=TicketStatus.RESOLVED, resolved_at=at)


def confirm_closed(lifecycle: Lifecycle, confirmed_by: str, confirmed_at: datetime) -> Lifecycle:
    """§2.5 closing: the customer's confirmation, recorded with who and when, after `resolved`."""
    if lifecycle.status != TicketStatus.RESOLVED or lifecycle.resolved_at is None:
        raise _refuse(lifecycle.status, TicketStatus.CLOSED)
    who = confirmed_by.strip()
    if blank(who):
        raise DomainError("confirmedBy", ErrorCode.REQUIRED, Msg.SAY_WHO_CONFIRMED)
    if len(who) > NAME_MAX:
        raise DomainError("confirmedBy", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=NAME_MAX)
    _not_before(confirmed_at, lifecycle.resolved_at, "confirmedAt", Msg.NOT_BEFORE_RESOLVED)
    return replace(
        lifecycle, status=TicketStatus.CLOSED, closed_at=confirmed_at, closed_confirmed_by=who
    )


def reopen(lifecycle: Lifecycle) -> Lifecycle:
    """§2.5: reopen a resolved or closed ticket; its clocks keep running from `opened_at`."""
    if lifecycle.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise _refuse(lifecycle.status, TicketStatus.OPEN)
    # The first response stays met; resolution runs again from the original opening.
    return replace(
        lifecycle,
        status=TicketStatus.OPEN,
        resolved_at=None,
        closed_at=None,
        closed_confirmed_by=None,
    )


def escalate(lifecycle: Lifecycle, requested: Priority) -> Lifecycle:
    """§2.3/§2.5 `escalated`: an operator raises an open ticket; never below its classification."""
    if lifecycle.status != TicketStatus.OPEN:
        raise DomainError(
            "status",
            ErrorCode.INVALID_TRANSITION,
            Msg.ESCALATE_ONLY_OPEN,
            status=lifecycle.status,
        )
    raised = raise_priority(lifecycle.priority, lifecycle.classified, requested)
    return replace(lifecycle, manual_raise=raised)


def reclassify(lifecycle: Lifecycle, classified: Priority) -> Lifecycle:
    """§2.3: edited text re-classifies; the priority becomes the higher of it and any raise."""
    return replace(lifecycle, classified=classified)


class Locale(StrEnum):
    """Customer locales with first-response bodies (§2.4); Arabic is the default."""

    AR = "ar"
    EN = "en"


_DRAFTS_AR: Mapping[Priority, str] = MappingProxyType(
    {
        Priority.P0: "وصلني بلاغك الآن. نتعامل معه كأولوية حرجة. سأرد عليك خلال 30 دقيقة بتفاصيل ما حدث + الإجراءات المتخذة. إذا اكتشفت أي إرسال غير معتمد أو تسريب بيانات، سأتواصل معك مباشرة.",  # noqa: E501
        Priority.P1: "وصلني بلاغك. نتعامل معه كأولوية عالية. سأرد بتفاصيل خلال ساعتين كحد أقصى.",
        Priority.P2: "وصلني سؤالك حول الـ connector / Proof Pack. سأتابع خلال 8 ساعات عمل وأرسل لك حل أو خطوات تالية.",  # noqa: E501
        Priority.P3: "شاكر لك على ملاحظتك. سأرد عليك خلال 24 ساعة عمل. إذا الأمر عاجل، اكتب 'حرج' في رسالة جديدة وأرفعها للأولوية.",  # noqa: E501
    }
)

_DRAFTS_EN: Mapping[Priority, str] = MappingProxyType(
    {
        Priority.P0: (
            "I have just received your report and we are treating it as a critical priority. "
            "I will get back to you within 30 minutes with the details of what happened and "
            "the actions we have taken. If I find any unapproved send or data leak, I will "
            "contact you directly."
        ),
        Priority.P1: (
            "I have received your report and we are treating it as a high priority. "
            "I will reply with details within 2 hours at the latest."
        ),
        Priority.P2: (
            "I have received your question about the connector / Proof Pack. I will follow up "
            "within 8 business hours with a fix or the next steps."
        ),
        Priority.P3: (
            "Thank you for your note. I will reply within 24 business hours. If it is urgent, "
            "write 'urgent' (or 'حرج') in a new message and I will raise its priority."
        ),
    }
)


def first_response_draft(priority: Priority, locale: str = Locale.AR) -> str:
    """§2.4: the first-response body for `priority` in the customer's locale (Arabic default)."""
    # Accept tags such as `en-US`; any locale without an English body gets the Arabic one.
    language = locale.strip().lower().replace("_", "-").split("-")[0]
    bodies = _DRAFTS_EN if language == Locale.EN else _DRAFTS_AR
    return bodies[priority]


class Channel(StrEnum):
    """Where the customer wrote from."""

    EMAIL = "email"
    WHATSAPP = "whatsapp"
    PHONE = "phone"
    PORTAL = "portal"
    OTHER = "other"


class HistoryEvent(StrEnum):
    """What a ticket's history records: the four §2.5 SLA events and the other changes."""

    OPENED = "opened"
    FIRST_RESPONSE = "first_response"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    EDITED = "edited"
    CLOSED = "closed"
    REOPENED = "reopened"
    AWAITING_CUSTOMER = "awaiting_customer"
    CUSTOMER_REPLIED = "customer_replied"
    SUPPORT_MODE_SET = "support_mode_set"
    REPLIED = "replied"  # a later reply logged with its text (§8.2 reads it)

    @property
    def is_sla_event(self) -> bool:
        """§2.5: only `opened`, `first_response`, `resolved` and `escalated` are SLA events."""
        return self.value in {event.value for event in TicketEvent}


SUBJECT_MAX = 120
BODY_MAX = 10_000
NAME_MAX = 120  # who confirmed a ticket closed
NOTE_MAX = BODY_MAX  # an escalation's note
REPLY_MAX = BODY_MAX  # a logged reply's text


def validate_text(subject: str, body: str) -> None:
    """Limits (docs/architecture.md#request-path): a subject ≤ 120 characters, a body ≤ 10,000."""
    if len(subject) > SUBJECT_MAX:
        raise DomainError("subject", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=SUBJECT_MAX)
    if len(body) > BODY_MAX:
        raise DomainError("body", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=BODY_MAX)


def validate_note(note: str | None) -> str | None:
    """An escalation's optional note: at most 10,000 characters, like a body."""
    if note is not None and len(note) > NOTE_MAX:
        raise DomainError("note", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=NOTE_MAX)
    return note


def validate_reply_text(text: str | None) -> str | None:
    """A logged reply's optional text: at most 10,000 characters, like a body."""
    if text is not None and len(text) > REPLY_MAX:
        raise DomainError("text", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=REPLY_MAX)
    return text


def one_tier_up(priority: Priority) -> Priority:
    """§2.5 `escalated` without a chosen priority: the next tier up (P0 stays P0, which
    `escalate` then refuses: there is nothing higher)."""
    return Priority(f"P{max(priority.rank - 1, 0)}")


@dataclass(frozen=True, slots=True)
class Ticket:
    """The ticket aggregate: its text, its §2.2 classification and its §2.5 lifecycle."""

    customer_id: int
    subject: str
    body: str
    channel: Channel
    classification: Classification
    lifecycle: Lifecycle
    id: int | None = None
    version: int = 1
    # Whether each clock's breach has been flagged (and alerted) for its current due time.
    first_response_breached: bool = False
    resolution_breached: bool = False
    # What its priority's clocks count in (§7): a business calendar, or round the clock in the
    # organisation's zone; None (a ticket not read from the store) is round the clock in the
    # default zone.
    calendar: WorkCalendar | RoundTheClock | None = None
    # Its support mode (§7): an earlier first-response target than the tier's, if any.
    support_mode: Detected | None = None

    @property
    def priority(self) -> Priority:
        """The current priority (§2.3): the SLA clocks run on it."""
        return self.lifecycle.priority


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of a ticket's history (§2.3, §2.5): what happened, who did it, when."""

    id: int
    ticket_id: int
    event: HistoryEvent
    detail: Mapping[str, object]
    operator_id: int | None
    at: datetime
