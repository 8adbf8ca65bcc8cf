"""Onboarding and win-back sequences and the exit survey (docs/rules.md §8.3).

Every step is a draft (approval first, §1) written on the customer's organisation's local day.
A step is drafted on its day, or on a later day before the next step's day (a scan that did not
run on a step's day still catches up); a step whose day passed with a later one due is missed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from domain import text
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg


class SequenceKind(StrEnum):
    """§8.3: onboarding (from the subscription start) or win-back (from inactivity or churn)."""

    ONBOARDING = "onboarding"
    WIN_BACK = "win_back"


class StepKind(StrEnum):
    """§8.3: what one step of a sequence says."""

    WELCOME = "welcome"
    QUICK_WIN = "quick_win"
    TIPS = "tips"
    CHECK_IN = "check_in"
    SUCCESS_STORY = "success_story"
    UPGRADE = "upgrade"
    WE_MISS_YOU = "we_miss_you"
    WHATS_MISSING = "whats_missing"
    FOUNDER_MESSAGE = "founder_message"
    OFFER = "offer"
    EXIT_SURVEY = "exit_survey"


class StepState(StrEnum):
    """Where a step is: scheduled (its day is ahead), due (the next scan drafts it), held (day 21
    waits for the first Proof Pack), drafted, missed (a later step fell due first) or stopped."""

    SCHEDULED = "scheduled"
    DUE = "due"
    HELD = "held"
    DRAFTED = "drafted"
    MISSED = "missed"
    STOPPED = "stopped"


class StopReason(StrEnum):
    """§8.3: why a sequence stopped."""

    CHURNED = "churned"
    INACTIVE = "inactive"
    RETURNED = "returned"
    ARCHIVED = "archived"


STEPS: Mapping[SequenceKind, tuple[tuple[int, StepKind], ...]] = MappingProxyType(
    {
        SequenceKind.ONBOARDING: (
            (0, StepKind.WELCOME),
            (1, StepKind.QUICK_WIN),
            (3, StepKind.TIPS),
            (7, StepKind.CHECK_IN),
            (14, StepKind.SUCCESS_STORY),
            (21, StepKind.UPGRADE),
        ),
        SequenceKind.WIN_BACK: (
            (1, StepKind.WE_MISS_YOU),
            (7, StepKind.WHATS_MISSING),
            (14, StepKind.FOUNDER_MESSAGE),
            (30, StepKind.OFFER),
            (60, StepKind.EXIT_SURVEY),
        ),
    }
)
# §4.3: no upgrade or upsell before the first Proof Pack is delivered.
HELD_UNTIL_PROOF_PACK: Final = frozenset({StepKind.UPGRADE})


def last_day(kind: SequenceKind) -> int:
    """§8.3: the day of a sequence's last step; a sequence starts only while it is ahead."""
    return STEPS[kind][-1][0]


def latest_due(kind: SequenceKind, day: int) -> tuple[int, StepKind] | None:
    """§8.3: the step whose turn it is on `day` (days since the start, local): the latest one
    whose day has come; None before the first."""
    due = [step for step in STEPS[kind] if step[0] <= day]
    return due[-1] if due else None


def to_draft(
    kind: SequenceKind, day: int, proof_pack_delivered: bool
) -> tuple[int, StepKind] | None:
    """§8.3/§4.3: the step (its day and kind) a scan drafts on `day` unless already drafted;
    None when none is due or it is held until the first Proof Pack."""
    due = latest_due(kind, day)
    if due is None:
        return None
    if due[1] in HELD_UNTIL_PROOF_PACK and not proof_pack_delivered:
        return None
    return due


@dataclass(frozen=True, slots=True)
class StepView:
    """One step as the customer's sequence shows it; `draft_id` once drafted."""

    day: int
    kind: StepKind
    state: StepState
    draft_id: int | None


def steps_view(
    kind: SequenceKind,
    day: int,
    *,
    stopped: bool,
    proof_pack_delivered: bool,
    drafted: Mapping[int, int],
) -> list[StepView]:
    """§8.3: every step of a sequence on `day` with its state; `drafted` maps a step's day to
    its draft's id."""
    due = latest_due(kind, day)
    views = []
    for step_day, step in STEPS[kind]:
        state: StepState
        if step_day in drafted:
            state = StepState.DRAFTED
        elif stopped:
            state = StepState.STOPPED
        elif step_day > day:
            state = StepState.SCHEDULED
        elif due is not None and due[0] == step_day:
            held = step in HELD_UNTIL_PROOF_PACK and not proof_pack_delivered
            state = StepState.HELD if held else StepState.DUE
        else:
            state = StepState.MISSED
        views.append(StepView(step_day, step, state, drafted.get(step_day)))
    return views


_BODIES: Mapping[StepKind, tuple[str, str]] = MappingProxyType(
    {
        StepKind.WELCOME: (
            "أهلاً {name}! سعداء بانضمامكم إلى وافي. نحن هنا معكم من أول يوم، "
            "وأي سؤال يصلنا نرد عليه بسرعة.",
            "Welcome aboard, {name}! We're glad you're with Wafi. We're here from day one; "
            "send us any question and we'll get back to you quickly.",
        ),
        StepKind.QUICK_WIN: (
            "مرحباً {name}، خطوة صغيرة تبدأ بها اليوم: اربط قناة واحدة وراجع أول مسودة. "
            "عشر دقائق تكفي.",
            "Hi {name}, one small step for today: connect one channel and review your first "
            "draft. Ten minutes is enough.",
        ),
        StepKind.TIPS: (
            "مرحباً {name}، ثلاث نصائح من تجربة عملائنا: راجع المسودات يومياً، "
            "وحدّث بيانات شركتك، واسألنا عن أي شيء غير واضح.",
            "Hi {name}, three tips from other customers: review drafts daily, keep your company "
            "details current, and ask us about anything unclear.",
        ),
        StepKind.CHECK_IN: (
            "مرحباً {name}، مر أسبوع على بدايتكم. كيف تسير الأمور؟ يسعدنا ترتيب مكالمة قصيرة "
            "متى ناسبكم.",
            "Hi {name}, it's been a week. How is it going? We'd be happy to set up a short "
            "call whenever suits you.",
        ),
        StepKind.SUCCESS_STORY: (
            "مرحباً {name}، نشارككم قصة عميل بدأ مثلكم وكيف رتّب متابعة عملائه مع وافي. "
            "قد تلهمكم فكرة أو اثنتين.",
            "Hi {name}, here's how a customer who started like you organised their follow-ups "
            "with Wafi. It may spark an idea or two.",
        ),
        StepKind.UPGRADE: (
            "مرحباً {name}، بعد أول Proof Pack قد يناسبكم التوسع لفريق أكبر أو قنوات أكثر. "
            "نرتب لكم حديثاً قصيراً إن رغبتم.",
            "Hi {name}, now that your first Proof Pack is in, growing to more of your team or "
            "more channels may suit you. Happy to talk it through if you'd like.",
        ),
        StepKind.WE_MISS_YOU: (
            "مرحباً {name}، لاحظنا أنكم لم تزورونا مؤخراً. هل كل شيء على ما يرام؟ نحن هنا إن "
            "احتجتم شيئاً.",
            "Hi {name}, we noticed you haven't been around lately. Is everything all right? "
            "We're here if you need anything.",
        ),
        StepKind.WHATS_MISSING: (
            "مرحباً {name}، هذا ما أضفناه مؤخراً وقد يفيدكم، ومسوداتكم بانتظار مراجعتكم متى عدتم.",
            "Hi {name}, here's what you're missing: a few recent additions that may help, and "
            "your drafts waiting whenever you're back.",
        ),
        StepKind.FOUNDER_MESSAGE: (
            "مرحباً {name}، معك مؤسس وافي. أود أن أسمع منك مباشرة: ما الذي يمكننا فعله "
            "بشكل أفضل لكم؟",
            "Hi {name}, this is Wafi's founder. I'd love to hear from you directly: what could "
            "we do better for you?",
        ),
        StepKind.OFFER: (
            "مرحباً {name}، إن رغبتم بالعودة يسعدنا أن نقدم لكم خصماً أو تمديداً للتجربة. "
            "أخبرونا بما يناسبكم.",
            "Hi {name}, if you'd like to come back, we'd be glad to offer a discount or an "
            "extended trial. Tell us what suits you.",
        ),
        StepKind.EXIT_SURVEY: (
            "مرحباً {name}، نقدّر وقتكم معنا. هل تساعدوننا بثلاثة أسئلة قصيرة عن سبب "
            "المغادرة وما كان يمكننا تحسينه؟",
            "Hi {name}, thank you for your time with us. Would you help us with three short "
            "questions on why you left and what we could have done better?",
        ),
    }
)


def body(step: StepKind, locale: str, name: str) -> str:
    """§8.3: a step's draft in the customer's locale (Arabic unless English); no promises."""
    arabic, english = _BODIES[step]
    return (english if locale == "en" else arabic).format(name=name)


# ---- Exit survey (§8.3) ----


class ExitReason(StrEnum):
    """§8.3: the primary reason a customer left."""

    FOUND_ALTERNATIVE = "found_alternative"
    NO_LONGER_NEEDED = "no_longer_needed"
    TOO_EXPENSIVE = "too_expensive"
    MISSING_FEATURES = "missing_features"
    POOR_EXPERIENCE = "poor_experience"
    OTHER = "other"


class WouldReturn(StrEnum):
    """§8.3: whether the customer would come back."""

    YES_DEFINITELY = "yes_definitely"
    MAYBE = "maybe"
    UNLIKELY = "unlikely"
    NO = "no"


SURVEY_TEXT_LIMIT = 2_000


@dataclass(frozen=True, slots=True)
class ExitSurvey:
    """§8.3: one churned customer's answers."""

    customer_id: int
    primary_reason: ExitReason
    reason_text: str | None
    could_do_better: str | None
    would_return: WouldReturn
    id: int | None = None


def _answer(field: str, value: str | None) -> str | None:
    if value is None or text.blank(value):
        return None
    trimmed = value.strip()
    if len(trimmed) > SURVEY_TEXT_LIMIT:
        raise DomainError(field, ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=SURVEY_TEXT_LIMIT)
    return trimmed


def exit_survey(
    *,
    customer_id: int,
    churned: bool,
    primary_reason: ExitReason,
    reason_text: str | None,
    could_do_better: str | None,
    would_return: WouldReturn,
) -> ExitSurvey:
    """§8.3: a churned customer's exit survey; `other` needs its text; texts trimmed, ≤ 2000."""
    if not churned:
        raise DomainError("customerId", ErrorCode.PRECONDITION_FAILED, Msg.EXIT_SURVEY_NOT_CHURNED)
    reason = _answer("reasonText", reason_text)
    if primary_reason is ExitReason.OTHER and reason is None:
        raise DomainError("reasonText", ErrorCode.REQUIRED, Msg.EXIT_SURVEY_OTHER_NEEDS_TEXT)
    return ExitSurvey(
        customer_id=customer_id,
        primary_reason=primary_reason,
        reason_text=reason,
        could_do_better=_answer("couldDoBetter", could_do_better),
        would_return=would_return,
    )


def reason_counts(found: Mapping[str, int]) -> list[tuple[ExitReason, int]]:
    """§8.3: churn reasons counted per period, every reason in order (zero when none)."""
    return [(reason, found.get(reason.value, 0)) for reason in ExitReason]
