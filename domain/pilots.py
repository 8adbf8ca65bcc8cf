"""The 7-day pilot playbook (docs/rules.md §8.1): its days, the drafts each day brings, the firm
ask's totals, and the outcome (Starter from the next Monday, or declined with the answer)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final

from domain import text
from domain.drafts import Draft, DraftKind
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

LENGTH_DAYS: Final = 7
CHECK_IN_DAYS: Final = range(2, 7)  # days 2–6
SOFT_ASK_DAY: Final = 5
REVIEW_DAY: Final = 7
MISSED_IN_A_ROW: Final = 3  # §8.2: three consecutive missed daily check-ins
PLAN_NAME: Final = "Starter"
PLAN_PRICE_SAR: Final = 999
REASON_LIMIT: Final = 1_000
FIGURE_LIMIT: Final = 1_000_000

SOFT_ASK: Final = "أيام قليلة باقية في pilot. بناءً على النتائج حتى الآن، هل تتوقع الاستمرار؟"
FIRM_ASK: Final = (
    "الـ pilot انتهى اليوم. النتائج كانت [{leads} leads, {demos} demos, {response} ثانية"
    " متوسط الرد]. تبغى تكمل Starter (999 ريال/شهر) من الاثنين؟"
)
CHECK_IN: Final = "اليوم: رددنا على {leads} leads، حجزنا {demos} demos"
DECLINE_QUESTION: Final = "ما اللي منع الاستمرار؟"
# Not in the playbook's words: Wafi's own, short and with no promise of results.
TESTIMONIAL_ASK: Final = "شكراً لتجربتكم Wafi. هل تسمحون لنا بكلمتين عن تجربتكم نشاركها مع غيركم؟"
REFERRAL_ASK: Final = "هل تعرفون فريقاً آخر يستفيد من تجربة pilot مثلكم؟ يسعدنا تعريفكم بهم."
# For a customer whose locale is English: Wafi's own English for the same drafts (the playbook's
# words are Arabic), the same figures, no promise of results.
ENGLISH: Final = {
    DraftKind.PILOT_CHECK_IN: "Today: we replied to {leads} leads and booked {demos} demos",
    DraftKind.PILOT_SOFT_ASK: (
        "A few days are left in your pilot. Based on the results so far, do you expect to continue?"
    ),
    DraftKind.PILOT_FIRM_ASK: (
        "Your pilot ended today. The results were [{leads} leads, {demos} demos, {response} "
        "seconds average response]. Would you like to continue on Starter (999 SAR/month) "
        "from Monday?"
    ),
    DraftKind.TESTIMONIAL_ASK: (
        "Thank you for trying Wafi. May we share a few words about your experience with others?"
    ),
    DraftKind.REFERRAL_ASK: (
        "Do you know another team that would benefit from a pilot like yours? We would be glad "
        "to be introduced."
    ),
}


class PilotStatus(StrEnum):
    """§8.1: a pilot runs, then converts or is declined."""

    RUNNING = "running"
    CONVERTED = "converted"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class Step:
    """One draft the scan writes once: its key (unique per pilot) and its draft kind."""

    key: str
    kind: DraftKind


@dataclass(frozen=True, slots=True)
class Totals:
    """§8.1: the pilot's totals from its check-ins; `response_seconds` is their average."""

    leads: int
    demos: int
    response_seconds: int


@dataclass(frozen=True, slots=True)
class CheckIn:
    """§8.1: one pilot day's check-in: attended or not, and that day's figures."""

    day: int
    attended: bool
    leads: int
    demos: int
    response_seconds: int


@dataclass(frozen=True, slots=True)
class Pilot:
    """A stored pilot (§8.1)."""

    id: int
    customer_id: int
    started_at: datetime
    start_day: date
    status: PilotStatus
    decided_at: datetime | None
    decline_reason: str | None
    plan_starts_on: date | None


@dataclass(frozen=True, slots=True)
class PilotView:
    """A customer's pilot as the API shows it: the pilot, its check-ins, and today's day."""

    pilot: Pilot
    check_ins: tuple[CheckIn, ...]
    day: int
    drafts: tuple[Draft, ...] = ()


def day_of(start_day: date, today: date) -> int:
    """§8.1: the pilot day of `today` (both the organisation's local dates); day 0 is the start."""
    return (today - start_day).days


def due_steps(day: int, status: PilotStatus) -> tuple[Step, ...]:
    """§8.1: the drafts due on pilot day `day`: the check-in on days 2–6 and the soft ask on
    day 5 while the pilot runs; from day 7 the firm ask (while it runs) and the testimonial and
    referral asks whatever the outcome."""
    running = status is PilotStatus.RUNNING
    steps: list[Step] = []
    if running and day in CHECK_IN_DAYS:
        steps.append(Step(f"check_in_{day}", DraftKind.PILOT_CHECK_IN))
    if running and day == SOFT_ASK_DAY:
        steps.append(Step("soft_ask", DraftKind.PILOT_SOFT_ASK))
    if day >= REVIEW_DAY:
        if running:
            steps.append(Step("firm_ask", DraftKind.PILOT_FIRM_ASK))
        steps.append(Step("testimonial_ask", DraftKind.TESTIMONIAL_ASK))
        steps.append(Step("referral_ask", DraftKind.REFERRAL_ASK))
    return tuple(steps)


def totals(check_ins: Sequence[CheckIn]) -> Totals:
    """§8.1: leads and demos summed; the response time averaged (rounded half up), 0 if none."""
    return Totals(
        leads=sum(c.leads for c in check_ins),
        demos=sum(c.demos for c in check_ins),
        response_seconds=average(sum(c.response_seconds for c in check_ins), len(check_ins)),
    )


def average(total: int, n: int) -> int:
    """§8.1: `total / n` rounded half up; 0 when there is nothing to average."""
    return (2 * total + n) // (2 * n) if n else 0


def body(step: Step, figures: Totals, locale: str = "ar") -> str:
    """§8.1: the exact text of a step's draft, filled from the pilot's totals so far; in English
    for a customer whose locale is `en`, else the playbook's Arabic."""
    if locale == "en":
        return ENGLISH[step.kind].format(
            leads=figures.leads, demos=figures.demos, response=figures.response_seconds
        )
    if step.kind is DraftKind.PILOT_CHECK_IN:
        return CHECK_IN.format(leads=figures.leads, demos=figures.demos)
    if step.kind is DraftKind.PILOT_SOFT_ASK:
        return SOFT_ASK
    if step.kind is DraftKind.PILOT_FIRM_ASK:
        return FIRM_ASK.format(
            leads=figures.leads, demos=figures.demos, response=figures.response_seconds
        )
    return TESTIMONIAL_ASK if step.kind is DraftKind.TESTIMONIAL_ASK else REFERRAL_ASK


def next_monday(today: date) -> date:
    """§8.1: the Monday after `today` (a week on when `today` is itself a Monday)."""
    return today + timedelta(days=7 - today.weekday())


def require_running(status: PilotStatus) -> None:
    """§8.1: a decided pilot is decided once."""
    if status is not PilotStatus.RUNNING:
        raise DomainError("pilotId", ErrorCode.INVALID_TRANSITION, Msg.PILOT_DECIDED, status=status)


def decline_reason(answer: str) -> str:
    """§8.1: the answer to `ما اللي منع الاستمرار؟`, required and at most 1,000 characters."""
    if text.blank(answer):
        raise DomainError("reason", ErrorCode.REQUIRED, Msg.FIELD_REQUIRED, field="reason")
    cleaned = answer.strip()
    if len(cleaned) > REASON_LIMIT:
        raise DomainError("reason", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=REASON_LIMIT)
    return cleaned


def check_in(day: int, today: int, attended: bool, figures: Mapping[str, int]) -> CheckIn:
    """§8.1: a check-in for pilot day `day` (2–6, not after today); figures 0..1,000,000."""
    low, high = CHECK_IN_DAYS.start, CHECK_IN_DAYS.stop - 1
    if not low <= day <= high:
        raise DomainError(
            "day",
            ErrorCode.OUT_OF_RANGE,
            Msg.FIELD_BETWEEN,
            field="day",
            low=low,
            high=high,
            value=day,
        )
    if day > today:
        raise DomainError("day", ErrorCode.PRECONDITION_FAILED, Msg.PILOT_NOT_STARTED, day=day)
    for name, value in figures.items():
        if not 0 <= value <= FIGURE_LIMIT:
            raise DomainError(
                name, ErrorCode.OUT_OF_RANGE, Msg.FIELD_COUNT_RANGE, field=name, limit=FIGURE_LIMIT
            )
    return CheckIn(
        day=day,
        attended=attended,
        leads=figures["leads"],
        demos=figures["demos"],
        response_seconds=figures["responseSeconds"],
    )


def missed_in_a_row(check_ins: Sequence[CheckIn], day: int) -> bool:
    """§8.2: True when the check-ins of `day` and the two days before were all missed."""
    missed = {c.day for c in check_ins if not c.attended}
    return all(d in missed for d in range(day - MISSED_IN_A_ROW + 1, day + 1))
