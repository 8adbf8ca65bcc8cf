"""Escalation follow-ups (docs/rules.md §7 "Escalation path deadlines"): a promised next step on a
ticket with a due time in the business calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain import sla
from domain.calendars import WorkCalendar
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

NOTE_MAX = 2_000


class FollowUpKind(StrEnum):
    """The §7 escalation paths."""

    COMPLAINT_OR_CHURN = "complaint_or_churn"  # a personal call within 1 working day
    TECHNICAL_FAILURE = "technical_failure"  # recovery and root cause within 48 h
    LEGAL_QUESTION = "legal_question"  # an answer within 3 working days


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A follow-up on a ticket: what was promised, by when, and when it was done."""

    id: int
    ticket_id: int
    kind: FollowUpKind
    note: str | None
    due_at: datetime
    done_at: datetime | None
    created_at: datetime


def _working_day_minutes(calendar: sla.Counting) -> int:
    if not isinstance(calendar, WorkCalendar):
        return 24 * 60
    return sum(high - low for low, high in calendar.hours)


def due(kind: FollowUpKind, start: datetime, calendar: sla.Counting) -> datetime:
    """§7: when the follow-up is due. Working days are the calendar's (a working day's hours
    counted from `start`; 24 h round the clock); 48 h is elapsed time."""
    match kind:
        case FollowUpKind.COMPLAINT_OR_CHURN:
            return sla.due_at(start, _working_day_minutes(calendar), calendar)
        case FollowUpKind.LEGAL_QUESTION:
            return sla.due_at(start, 3 * _working_day_minutes(calendar), calendar)
        case FollowUpKind.TECHNICAL_FAILURE:
            return sla.due_at(start, 48 * 60)


def alert_role(kind: FollowUpKind) -> str:
    """Complaints and legal questions go to the founder (owner); failures to the agents."""
    return "agent" if kind is FollowUpKind.TECHNICAL_FAILURE else "owner"


def validate_note(note: str | None) -> str | None:
    """An optional note, at most 2,000 characters."""
    if note is not None and len(note) > NOTE_MAX:
        raise DomainError("note", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=NOTE_MAX)
    return note


def overdue(due_at: datetime, done_at: datetime | None, now: datetime) -> bool:
    """Past its due time and not done (done on time is met, like §2.6: equal is met)."""
    return (done_at or now) > due_at
