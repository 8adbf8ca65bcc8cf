"""Support modes (docs/rules.md §7, playbook "Support modes"): a response target on top of the
tier's, detected from the ticket's text like §2.2 or set by an operator."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from domain.text import normalise


class SupportMode(StrEnum):
    """What kind of conversation a ticket is, listed most urgent first (detection order)."""

    PAYMENT = "payment"
    ARABIC_QUALITY = "arabic_quality"
    PRIVACY_OBJECTION = "privacy_objection"
    PRODUCT_QUESTION = "product_question"
    PRICING_QUESTION = "pricing_question"
    ONBOARDING_KICKOFF = "onboarding_kickoff"
    INTEGRATION_LIMIT = "integration_limit"


# §7 targets in minutes; None: by the end of the same working day.
TARGET_MINUTES: Mapping[SupportMode, int | None] = MappingProxyType(
    {
        SupportMode.PAYMENT: 15,
        SupportMode.ARABIC_QUALITY: 30,
        SupportMode.PRIVACY_OBJECTION: 60,
        SupportMode.PRODUCT_QUESTION: 120,
        SupportMode.PRICING_QUESTION: 240,
        SupportMode.ONBOARDING_KICKOFF: 240,
        SupportMode.INTEGRATION_LIMIT: None,
    }
)

# Arabic and English keywords, matched like §2.2 (Latin whole words with an English ending,
# Arabic as normalised substrings); the first mode, then the first keyword, wins.
KEYWORDS: Mapping[SupportMode, tuple[str, ...]] = MappingProxyType(
    {
        SupportMode.PAYMENT: (
            "فاتورة",
            "الدفع",
            "تحويل بنكي",
            "invoice",
            "payment",
            "bank transfer",
        ),
        SupportMode.ARABIC_QUALITY: (
            "جودة العربية",
            "جودة اللغة",
            "الصياغة العربية",
            "أخطاء لغوية",
            "arabic quality",
            "arabic tone",
        ),
        SupportMode.PRIVACY_OBJECTION: (
            "خصوصية",
            "حماية البيانات",
            "PDPL",
            "privacy",
            "data protection",
        ),
        SupportMode.PRODUCT_QUESTION: ("كيف أستخدم", "هل يدعم", "how do i", "does it support"),
        SupportMode.PRICING_QUESTION: ("الأسعار", "السعر", "التكلفة", "price", "pricing", "cost"),
        SupportMode.ONBOARDING_KICKOFF: ("اجتماع الانطلاق", "بدء التشغيل", "kickoff", "kick-off"),
        SupportMode.INTEGRATION_LIMIT: (
            "حد التكامل",
            "لا يتكامل",
            "integration limit",
            "rate limit",
        ),
    }
)

REASON = "نمط دعم مطابق: {kw}"
OPERATOR_REASON = "حدده المشغّل"


class SetBy(StrEnum):
    """Who chose a ticket's support mode."""

    TEXT = "text"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Detected:
    """A ticket's support mode, why, and who set it."""

    mode: SupportMode
    reason: str
    set_by: SetBy


def _matcher(keyword: str) -> Callable[[str], bool]:
    needle = normalise(keyword)
    if not keyword.isascii():
        return lambda text: needle in text
    words = r" ".join(re.escape(word) for word in needle.split(" "))
    pattern = re.compile(rf"(?<![a-z0-9]){words}(?:s|es|ed|ing)?(?![a-z0-9])")
    return lambda text: pattern.search(text) is not None


_MATCHERS = tuple(
    (mode, keyword, _matcher(keyword)) for mode, words in KEYWORDS.items() for keyword in words
)


def detect(subject: str, body: str) -> Detected | None:
    """§7: the support mode of a ticket's text (subject + body), or None."""
    text = normalise(f"{subject}\n{body}")
    for mode, keyword, matches in _MATCHERS:
        if matches(text):
            return Detected(mode, REASON.format(kw=keyword), SetBy.TEXT)
    return None


def chosen(mode: SupportMode) -> Detected:
    """§7: a mode an operator set (it stays when the text is edited)."""
    return Detected(mode, OPERATOR_REASON, SetBy.OPERATOR)
