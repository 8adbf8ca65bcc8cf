"""docs/rules.md §7 escalation path deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain import follow_ups, sla
from domain.calendars import WorkCalendar
from domain.follow_ups import FollowUpKind


def riyadh(day: int) -> datetime:
    """15:00 on a December 2026 day in Riyadh (the 3rd is a Thursday)."""
    return datetime(2026, 12, day, 15, tzinfo=ZoneInfo("Asia/Riyadh"))


START = riyadh(3)
OFFICE = WorkCalendar("office")


@pytest.mark.parametrize(
    ("kind", "calendar", "due"),
    [
        (FollowUpKind.COMPLAINT_OR_CHURN, OFFICE, riyadh(6)),
        (FollowUpKind.LEGAL_QUESTION, OFFICE, riyadh(8)),
        (FollowUpKind.TECHNICAL_FAILURE, OFFICE, riyadh(5)),
        (FollowUpKind.COMPLAINT_OR_CHURN, sla.TWENTY_FOUR_SEVEN, riyadh(4)),
        (FollowUpKind.LEGAL_QUESTION, sla.TWENTY_FOUR_SEVEN, riyadh(6)),
    ],
)
def test_due(kind: FollowUpKind, calendar: sla.Counting, due: datetime) -> None:
    assert follow_ups.due(kind, START, calendar) == due


def test_overdue_only_past_the_due_time() -> None:
    due = datetime(2026, 12, 6, 12, tzinfo=UTC)
    assert not follow_ups.overdue(due, None, due)
    assert follow_ups.overdue(due, None, due + timedelta(microseconds=1))
    assert follow_ups.overdue(due, due + timedelta(minutes=1), due)
    assert not follow_ups.overdue(due, due, due + timedelta(days=1))
