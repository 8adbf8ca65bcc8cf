"""docs/rules.md §7 support modes: detection from the text and the first-response target."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from domain import sla, support_modes
from domain.calendars import RoundTheClock, WorkCalendar
from domain.support_modes import SetBy, SupportMode
from domain.tickets import Priority

RIYADH = ZoneInfo("Asia/Riyadh")


@pytest.mark.parametrize(
    ("text", "mode", "keyword"),
    [
        ("Please send the invoice", SupportMode.PAYMENT, "invoice"),
        ("وين الفاتورة؟", SupportMode.PAYMENT, "فاتورة"),
        ("the arabic tone is off", SupportMode.ARABIC_QUALITY, "arabic tone"),
        ("قلق من الخصوصية", SupportMode.PRIVACY_OBJECTION, "خصوصية"),
        ("What about PDPL?", SupportMode.PRIVACY_OBJECTION, "PDPL"),
        ("Does it support Zoho?", SupportMode.PRODUCT_QUESTION, "does it support"),
        ("pricing for 5 seats", SupportMode.PRICING_QUESTION, "pricing"),
        ("kick-off next week", SupportMode.ONBOARDING_KICKOFF, "kick-off"),
        ("rate limits on the API", SupportMode.INTEGRATION_LIMIT, "rate limit"),
        # The most urgent mode wins: payment is listed before pricing.
        ("the price on the invoice", SupportMode.PAYMENT, "invoice"),
    ],
)
def test_detects_the_first_listed_mode(text: str, mode: SupportMode, keyword: str) -> None:
    found = support_modes.detect(text, "")
    assert found == support_modes.Detected(mode, f"نمط دعم مطابق: {keyword}", SetBy.TEXT)


@pytest.mark.parametrize("text", ["", "ملاحظة عامة", "costume party", "the pricey one"])
def test_no_mode(text: str) -> None:
    assert support_modes.detect(text, "") is None


OFFICE = WorkCalendar("office")


def riyadh(hour: int) -> datetime:
    """Thursday 2026-12-03 in Riyadh."""
    return datetime(2026, 12, 3, hour, tzinfo=RIYADH)


@pytest.mark.parametrize(
    ("priority", "mode", "opened", "minutes"),
    [
        (Priority.P3, SupportMode.PRODUCT_QUESTION, riyadh(10), 120),
        (Priority.P0, SupportMode.PRICING_QUESTION, riyadh(10), 30),
        (Priority.P3, None, riyadh(10), 1440),
        # End of the same working day: 10:00 → 17:00; after hours, the next working day's end.
        (Priority.P3, SupportMode.INTEGRATION_LIMIT, riyadh(10), 420),
        (Priority.P3, SupportMode.INTEGRATION_LIMIT, riyadh(18), 480),
    ],
)
def test_first_response_minutes_are_the_earlier_of_tier_and_mode(
    priority: Priority, mode: SupportMode | None, opened: datetime, minutes: int
) -> None:
    assert sla.first_response_minutes(priority, opened, OFFICE, mode) == minutes


@pytest.mark.parametrize(
    ("zone", "opened", "minutes"),
    [
        # Round the clock, the working day is the organisation's local day: to its midnight.
        ("Asia/Riyadh", riyadh(10), 14 * 60),
        ("Asia/Riyadh", datetime(2026, 12, 3, 23, 30, tzinfo=RIYADH), 30),
        # 22:30 UTC is 01:30 on the next Riyadh day: 22 h 30 min to go, not UTC's 90 min.
        ("Asia/Riyadh", datetime(2026, 12, 3, 22, 30, tzinfo=UTC), 22 * 60 + 30),
        ("UTC", datetime(2026, 12, 3, 22, 30, tzinfo=UTC), 90),
        # A day that springs forward has 23 hours.
        ("America/New_York", datetime(2026, 3, 8, 0, 0, tzinfo=ZoneInfo("America/New_York")), 1380),
    ],
)
def test_end_of_day_round_the_clock_is_the_organisations_midnight(
    zone: str, opened: datetime, minutes: int
) -> None:
    found = sla.first_response_minutes(
        Priority.P3, opened, RoundTheClock(zone), SupportMode.INTEGRATION_LIMIT
    )
    assert found == minutes


def test_round_the_clock_defaults_to_the_default_zone() -> None:
    assert sla.TWENTY_FOUR_SEVEN.zone == "Asia/Riyadh"
    assert sla.TWENTY_FOUR_SEVEN.name == "24/7"
