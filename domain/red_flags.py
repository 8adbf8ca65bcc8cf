"""Red flags (docs/rules.md §8.2): what raises one, how text is matched (like §2.2), and the
one-hour escalation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from domain import text
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.tickets import matcher

ESCALATE_WITHIN: Final = timedelta(hours=1)
DETAIL_LIMIT: Final = 500


class RedFlagCategory(StrEnum):
    """§8.2: why a customer is flagged."""

    CHURN = "churn"
    ARABIC_QUALITY = "arabic_quality"
    EXPECTATION = "expectation"
    FEATURE_MISSING = "feature_missing"
    MISSED_CHECK_INS = "missed_check_ins"
    INTEGRATION_BREAK = "integration_break"


class RedFlagSource(StrEnum):
    """Where a flag came from: a ticket's text, an operator, the pilot's check-ins, a connector."""

    TICKET = "ticket"
    OPERATOR = "operator"
    PILOT = "pilot"
    CONNECTOR = "connector"


# §8.2 text flags, in the order they are tried (the first listed keyword wins).
KEYWORDS: Mapping[RedFlagCategory, tuple[str, ...]] = MappingProxyType(
    {
        RedFlagCategory.CHURN: ("إلغاء الاشتراك", "سألغي", "cancel subscription", "churn"),
        RedFlagCategory.ARABIC_QUALITY: ("العربي غلط", "عربي ركيك", "arabic is wrong"),
        RedFlagCategory.EXPECTATION: ("مو اللي توقعته", "ليس ما توقعته", "not what i expected"),
    }
)

_MATCHERS: tuple[tuple[RedFlagCategory, str, Callable[[str], bool]], ...] = tuple(
    (category, keyword, matcher(keyword))
    for category, keywords in KEYWORDS.items()
    for keyword in keywords
)

REASONS: Mapping[RedFlagCategory, Msg] = MappingProxyType(
    {
        RedFlagCategory.CHURN: Msg.RED_FLAG_CHURN,
        RedFlagCategory.ARABIC_QUALITY: Msg.RED_FLAG_ARABIC_QUALITY,
        RedFlagCategory.EXPECTATION: Msg.RED_FLAG_EXPECTATION,
        RedFlagCategory.FEATURE_MISSING: Msg.RED_FLAG_FEATURE_MISSING,
        RedFlagCategory.MISSED_CHECK_INS: Msg.RED_FLAG_MISSED_CHECK_INS,
        RedFlagCategory.INTEGRATION_BREAK: Msg.RED_FLAG_INTEGRATION_BREAK,
    }
)


@dataclass(frozen=True, slots=True)
class Match:
    """A §8.2 text flag: its category and the keyword that matched."""

    category: RedFlagCategory
    keyword: str


def match(*parts: str) -> Match | None:
    """§8.2: the first text flag in `parts`, normalised and matched as §2.2 does, or None."""
    normalised = text.normalise("\n".join(parts))
    for category, keyword, matches in _MATCHERS:
        if matches(normalised):
            return Match(category, keyword)
    return None


@dataclass(frozen=True, slots=True)
class RedFlag:
    """§8.2: one flag on a customer; escalated (the RED_FLAG alert) due an hour after."""

    id: int
    customer_id: int
    category: RedFlagCategory
    source: RedFlagSource
    detail: str
    raised_at: datetime
    due_at: datetime


def due_at(raised_at: datetime) -> datetime:
    """§8.2: a red flag is escalated within one hour."""
    return raised_at + ESCALATE_WITHIN


def operator_detail(detail: str) -> str:
    """What an operator recorded: required, at most 500 characters."""
    if text.blank(detail):
        raise DomainError("detail", ErrorCode.REQUIRED, Msg.FIELD_REQUIRED, field="detail")
    cleaned = detail.strip()
    if len(cleaned) > DETAIL_LIMIT:
        raise DomainError("detail", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=DETAIL_LIMIT)
    return cleaned
