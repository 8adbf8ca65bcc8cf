"""The weekly CS review (docs/rules.md §8.4): when it runs, whom it picks, what it drafts, and the
objections it counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Final

from domain import text
from domain.drafts import DraftKind
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

FRIDAY: Final = 4  # date.weekday()
RUNS_AT: Final = time(17, 0)
TOP_OBJECTIONS: Final = 3
TOP_THREADS: Final = 3
OBJECTION_LIMIT: Final = 1_000
DELIGHTED_RATING: Final = 5
DELIGHTED_NPS: Final = 9


class ObjectionCategory(StrEnum):
    """§8.4: where a logged objection belongs."""

    PRICE = "price"
    PRIVACY = "privacy"
    ARABIC_QUALITY = "arabic_quality"
    INTEGRATION = "integration"
    TIMING = "timing"
    OTHER = "other"


def check_objection(body: str) -> str:
    """§8.4: an objection's text is required, at most 1,000 characters; returned trimmed."""
    if text.blank(body):
        raise DomainError("text", ErrorCode.REQUIRED, Msg.FIELD_REQUIRED, field="text")
    if len(body.strip()) > OBJECTION_LIMIT:
        raise DomainError("text", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=OBJECTION_LIMIT)
    return body.strip()


def week_of(local_now: datetime) -> date | None:
    """§8.4: the Friday whose review is due at `local_now` (the organisation's wall clock):
    from Friday 17:00 until the Monday starts; None at any other time."""
    day = local_now.date()
    back = (day.weekday() - FRIDAY) % 7
    friday = day - timedelta(days=back)
    if back > 2 or (back == 0 and local_now.time() < RUNS_AT):
        return None
    return friday


def window(friday: date) -> tuple[datetime, datetime]:
    """§8.4: the week a review covers, local wall-clock times: the 7 days up to Friday 17:00."""
    end = datetime.combine(friday, RUNS_AT)
    return end - timedelta(days=7), end


def outreach_due(friday: date) -> datetime:
    """§8.4: the at-risk outreach is due before Monday: Monday 00:00 local."""
    return datetime.combine(friday + timedelta(days=3), time(0, 0))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A live customer's latest scores, and whether it rated 5 or answered NPS ≥ 9."""

    customer_id: int
    name: str
    locale: str
    health: float
    risk_score: int
    delighted: bool


def top_at_risk(candidates: Sequence[Candidate]) -> Candidate | None:
    """§8.4: the highest at-risk score, then the lowest health, then the oldest customer; None
    when nobody scores above 0."""
    risky = [c for c in candidates if c.risk_score > 0]
    return min(risky, key=lambda c: (-c.risk_score, c.health, c.customer_id), default=None)


def top_delighted(candidates: Sequence[Candidate]) -> Candidate | None:
    """§8.4: the highest health among customers who rated 5 or answered NPS ≥ 9."""
    happy = [c for c in candidates if c.delighted]
    return min(happy, key=lambda c: (-c.health, c.customer_id), default=None)


@dataclass(frozen=True, slots=True)
class ObjectionCount:
    """A category, how often it was logged in the week, and its latest text."""

    category: ObjectionCategory
    count: int
    latest: str


def top_objections(logged: Sequence[tuple[ObjectionCategory, str]]) -> list[ObjectionCount]:
    """§8.4: the 3 most frequent categories of the week's objections (given oldest first),
    ties in the categories' order, each with its latest text."""
    counts = Counter(category for category, _ in logged)
    latest = dict(logged)
    order = list(ObjectionCategory)
    ranked = sorted(counts, key=lambda c: (-counts[c], order.index(c)))
    return [ObjectionCount(c, counts[c], latest[c]) for c in ranked[:TOP_OBJECTIONS]]


_TEXTS: Final = {
    DraftKind.CS_OUTREACH: (
        "مرحباً {name}، لاحظنا أن الأسبوع لم يكن كما نحب لك. هل يناسبك اتصال قصير قبل الاثنين "
        "نراجع فيه ما يعيقك ونتفق على الخطوة التالية؟",
        "Hi {name}, we noticed this week did not go as well as we would like for you. Could we "
        "have a short call before Monday to look at what is in the way and agree the next step?",
    ),
    DraftKind.TESTIMONIAL_ASK: (
        "شكراً {name} على ثقتك! هل تسمح لنا بكلمة قصيرة عن تجربتك معنا ننشرها مع اسمك؟",
        "Thank you {name} for your trust! Would you share a short sentence about your "
        "experience that we may publish with your name?",
    ),
    DraftKind.REFERRAL_ASK: (
        "سعداء أن التجربة أعجبتك يا {name}. هل تعرف شركة قد تستفيد منا؟ نرحب بتعريفنا بها.",
        "We are glad it is working for you, {name}. Do you know a company that could benefit "
        "from us? We would welcome an introduction.",
    ),
}


def draft_text(kind: DraftKind, *, name: str, locale: str) -> str:
    """§8.4: a review draft's text in the customer's language (Arabic unless `en`)."""
    arabic, english = _TEXTS[kind]
    return (english if locale == "en" else arabic).format(name=name)
