"""docs/rules.md §8.5: the channel auto-freeze rule, every boundary."""

from __future__ import annotations

from datetime import date

import pytest

from domain import channels
from domain.channels import DayStats, FreezeCause, Totals
from domain.drafts import DraftKind
from domain.errors import DomainError, ErrorCode
from domain.tickets import Channel

E, W = Channel.EMAIL, Channel.WHATSAPP


@pytest.mark.parametrize(
    ("channel", "totals", "cause"),
    [
        (E, Totals(sent=19, bounced=19, complaints=19), None),  # under the minimum volume
        (E, Totals(sent=20, bounced=1), None),  # 5% exactly
        (E, Totals(sent=20, bounced=2), FreezeCause.BOUNCE_RATE),
        (E, Totals(sent=100, bounced=5), None),
        (E, Totals(sent=100, bounced=6), FreezeCause.BOUNCE_RATE),
        (E, Totals(sent=1000, complaints=3), None),  # 0.3% exactly
        (E, Totals(sent=1000, complaints=4), FreezeCause.COMPLAINT_RATE),
        (E, Totals(sent=20, complaints=1), FreezeCause.COMPLAINT_RATE),
        (W, Totals(sent=100, blocks=3), None),  # 3% exactly
        (W, Totals(sent=100, blocks=4), FreezeCause.BLOCK_RATE),
        (E, Totals(sent=100, blocks=100), None),  # blocks count on WhatsApp only
        (W, Totals(sent=100, bounced=6, complaints=1, blocks=4), FreezeCause.BOUNCE_RATE),
        (W, Totals(sent=1000, complaints=4, blocks=40), FreezeCause.COMPLAINT_RATE),
    ],
)
def test_freeze_cause(channel: Channel, totals: Totals, cause: FreezeCause | None) -> None:
    assert channels.freeze_cause(channel, totals) is cause


def test_the_window_is_the_trailing_seven_local_days() -> None:
    today = date(2026, 11, 10)
    days = [
        DayStats(date(2026, 11, 3), 100, 100, 0, 0),  # 7 days ago: outside
        DayStats(date(2026, 11, 4), 10, 1, 0, 0),
        DayStats(date(2026, 11, 10), 20, 2, 1, 3),
    ]
    assert channels.window(today) == (date(2026, 11, 4), today)
    assert channels.totals(days, today=today) == Totals(sent=30, bounced=3, complaints=1, blocks=3)


@pytest.mark.parametrize(
    ("stats", "field", "code"),
    [
        (DayStats(date(2026, 11, 10), -1, 0, 0, 0), "sent", ErrorCode.OUT_OF_RANGE),
        (DayStats(date(2026, 11, 10), 5, 6, 0, 0), "bounced", ErrorCode.OUT_OF_RANGE),
        (DayStats(date(2026, 11, 10), 5, 0, 6, 0), "complaints", ErrorCode.OUT_OF_RANGE),
        (DayStats(date(2026, 11, 10), 5, 0, 0, 6), "blocks", ErrorCode.OUT_OF_RANGE),
        (DayStats(date(2026, 11, 11), 5, 0, 0, 0), "day", ErrorCode.OUT_OF_RANGE),
    ],
)
def test_validate_refuses(stats: DayStats, field: str, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as refused:
        channels.validate(stats, today=date(2026, 11, 10))
    assert (refused.value.field, refused.value.code) == (field, code)


def test_a_draft_goes_out_on_its_tickets_channel_or_by_email() -> None:
    assert channels.draft_channel(DraftKind.FIRST_RESPONSE, W) is W
    assert channels.draft_channel(DraftKind.FIRST_RESPONSE, None) is E
    assert channels.draft_channel(DraftKind.INCIDENT_UPDATE, W) is E
    assert channels.draft_channel(DraftKind.CHECK_IN, None) is E
