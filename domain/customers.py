"""The customer aggregate's rules: its vocabulary, what a valid customer is (docs/rules.md §4)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from domain import text
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.success_plans import Bundle

NAME_LIMIT = 120
EMAIL_LIMIT = 254
SEARCH_LIMIT = 120  # a search term is compared with names, so no longer than one
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

__all__ = ["Bundle", "Customer", "Locale", "Stage", "SubscriptionStatus"]


class Locale(StrEnum):
    """The language Wafi writes to a customer in: Arabic first."""

    AR = "ar"
    EN = "en"


class Stage(StrEnum):
    """§4.6 lifecycle stages."""

    ONBOARDING = "onboarding"
    ADOPTION = "adoption"
    EXPANSION = "expansion"
    ADVOCACY = "advocacy"
    CHURNED = "churned"


class SubscriptionStatus(StrEnum):
    """Where the customer's subscription stands."""

    PILOT = "pilot"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer as the domain sees it; `version` moves on every change."""

    name: str
    locale: Locale
    bundle: Bundle
    stage: Stage
    subscription_status: SubscriptionStatus
    subscription_started_at: datetime
    renews_at: datetime | None = None
    contact_email: str | None = None
    last_activity_at: datetime | None = None
    archived_at: datetime | None = None
    id: int | None = None
    version: int = 1

    @property
    def name_search(self) -> str:
        """The name as search compares it: §2.2 folding plus hamza carriers, ء and ة folded."""
        return text.search_key(self.name)


def validate(customer: Customer) -> Customer:
    """Refuse a customer that breaks a field rule; return it with its name trimmed."""
    name = customer.name.strip()
    if text.blank(name):
        raise DomainError("name", ErrorCode.REQUIRED, Msg.CUSTOMER_NEEDS_NAME)
    if len(name) > NAME_LIMIT:
        raise DomainError("name", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=NAME_LIMIT)
    email = customer.contact_email
    if email is not None and (len(email) > EMAIL_LIMIT or not _EMAIL.match(email)):
        raise DomainError("contactEmail", ErrorCode.INVALID, Msg.NOT_AN_EMAIL)
    if customer.renews_at is not None and customer.renews_at <= customer.subscription_started_at:
        raise DomainError("renewsAt", ErrorCode.INVALID, Msg.RENEWS_AFTER_START)
    return replace(customer, name=name)


def validate_search(term: str | None, *, field: str = "search") -> str | None:
    """A name search term: at most SEARCH_LIMIT characters."""
    if term is not None and len(term) > SEARCH_LIMIT:
        raise DomainError(field, ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=SEARCH_LIMIT)
    return term


def check_version(current: int, expected: int) -> None:
    """Optimistic concurrency: refuse an update made from a stale read."""
    if current != expected:
        raise DomainError(
            "version",
            ErrorCode.CONFLICT,
            Msg.CUSTOMER_CHANGED,
            current=current,
            expected=expected,
        )


def archive(customer: Customer, *, now: datetime) -> Customer:
    """Archive once; archiving twice is refused."""
    if customer.archived_at is not None:
        raise DomainError("id", ErrorCode.INVALID_TRANSITION, Msg.CUSTOMER_ALREADY_ARCHIVED)
    return replace(customer, archived_at=now, version=customer.version + 1)
