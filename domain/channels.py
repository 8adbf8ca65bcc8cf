"""Channel health: the auto-freeze rule over recorded daily counts (docs/rules.md §8.5)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from domain.drafts import DraftKind
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.tickets import Channel

WINDOW_DAYS: Final = 7
MIN_SENT: Final = 20
# Limits as (numerator, denominator): a rate freezes when count/sent is ABOVE it.
BOUNCE_LIMIT: Final = (5, 100)
COMPLAINT_LIMIT: Final = (3, 1000)
BLOCK_LIMIT: Final = (3, 100)  # WhatsApp only
COUNT_LIMIT: Final = 10_000_000


class FreezeCause(StrEnum):
    """Why a channel froze (§8.5), or `incident` for response-plan step 1 (§3)."""

    BOUNCE_RATE = "bounce_rate"
    COMPLAINT_RATE = "complaint_rate"
    BLOCK_RATE = "block_rate"
    INCIDENT = "incident"


@dataclass(frozen=True, slots=True)
class DayStats:
    """One channel's counts for one local day (§8.5)."""

    day: date
    sent: int
    bounced: int
    complaints: int
    blocks: int


@dataclass(frozen=True, slots=True)
class Totals:
    """A channel's counts summed over the trailing window (§8.5)."""

    sent: int = 0
    bounced: int = 0
    complaints: int = 0
    blocks: int = 0

    def rate(self, count: int) -> float | None:
        """`count / sent`, or None with nothing sent."""
        return None if self.sent == 0 else count / self.sent


def validate(stats: DayStats, *, today: date) -> DayStats:
    """§8.5: counts are whole, not negative, at most `sent` each; the day is not in the future."""
    for name in ("sent", "bounced", "complaints", "blocks"):
        value = getattr(stats, name)
        if not 0 <= value <= COUNT_LIMIT:
            raise DomainError(
                name,
                ErrorCode.OUT_OF_RANGE,
                Msg.FIELD_BETWEEN,
                field=name,
                low=0,
                high=COUNT_LIMIT,
                value=value,
            )
    for name in ("bounced", "complaints", "blocks"):
        value = getattr(stats, name)
        if value > stats.sent:
            raise DomainError(
                name,
                ErrorCode.OUT_OF_RANGE,
                Msg.FIELD_BETWEEN,
                field=name,
                low=0,
                high=stats.sent,
                value=value,
            )
    if stats.day > today:
        raise DomainError("day", ErrorCode.OUT_OF_RANGE, Msg.FIELD_IN_FUTURE, field="day")
    return stats


def window(today: date) -> tuple[date, date]:
    """§8.5: the trailing 7 local days, today included (first, last)."""
    return today - timedelta(days=WINDOW_DAYS - 1), today


def totals(days: Iterable[DayStats], *, today: date) -> Totals:
    """§8.5: the counts of the days inside the trailing window."""
    first, last = window(today)
    inside = [d for d in days if first <= d.day <= last]
    return Totals(
        sent=sum(d.sent for d in inside),
        bounced=sum(d.bounced for d in inside),
        complaints=sum(d.complaints for d in inside),
        blocks=sum(d.blocks for d in inside),
    )


def _above(count: int, sent: int, limit: tuple[int, int]) -> bool:
    numerator, denominator = limit
    return count * denominator > sent * numerator


def freeze_cause(channel: Channel, window_totals: Totals) -> FreezeCause | None:
    """§8.5: with at least 20 sent in the window, bounce > 5%, complaint > 0.3% or (WhatsApp)
    block > 3% freezes the channel; the first cause in that order, or None."""
    t = window_totals
    if t.sent < MIN_SENT:
        return None
    if _above(t.bounced, t.sent, BOUNCE_LIMIT):
        return FreezeCause.BOUNCE_RATE
    if _above(t.complaints, t.sent, COMPLAINT_LIMIT):
        return FreezeCause.COMPLAINT_RATE
    if channel is Channel.WHATSAPP and _above(t.blocks, t.sent, BLOCK_LIMIT):
        return FreezeCause.BLOCK_RATE
    return None


def draft_channel(kind: DraftKind, ticket_channel: Channel | None) -> Channel:
    """§8.5: the channel a draft goes out on — a first response on its ticket's, every other
    draft (check-ins, emails, offers, incident updates) by email."""
    if kind is DraftKind.FIRST_RESPONSE and ticket_channel is not None:
        return ticket_channel
    return Channel.EMAIL
