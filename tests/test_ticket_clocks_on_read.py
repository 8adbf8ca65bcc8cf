"""A ticket's SLA clocks are worked out only when a query reads them (schema/types/on_read.py),
and read the same as when every ticket built them (docs/rules.md §2.5, §7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import sla
from domain.calendars import WorkCalendar
from domain.support_modes import Detected, SetBy, SupportMode
from domain.tickets import Channel, Classification, Lifecycle, Pause, Priority, Ticket, TicketStatus
from schema.types.sla import TicketSla
from schema.types.tickets import Ticket as TicketType

START = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
OFFICE = WorkCalendar("office")  # Asia/Riyadh, Sunday–Thursday, 09:00–17:00


def _ticket(
    priority: Priority,
    opened_minutes: int,
    replied: int | None,
    resolved: int | None,
    paused: tuple[int, int | None] | None,
    calendar: WorkCalendar | None,
    mode: SupportMode | None,
) -> Ticket:
    opened = START + timedelta(minutes=opened_minutes, microseconds=opened_minutes * 7)
    pauses: tuple[Pause, ...] = ()
    if paused is not None and replied is not None:
        begin = opened + timedelta(minutes=replied + paused[0])
        end = None if paused[1] is None else begin + timedelta(minutes=paused[1])
        pauses = (Pause(begin, end),)
    status = TicketStatus.RESOLVED if resolved is not None else TicketStatus.OPEN
    return Ticket(
        customer_id=1,
        subject="s",
        body="b",
        channel=Channel.EMAIL,
        classification=Classification(priority, None, "عادي"),
        lifecycle=Lifecycle(
            status=status,
            classified=priority,
            manual_raise=None,
            opened_at=opened,
            first_response_at=None if replied is None else opened + timedelta(minutes=replied),
            resolved_at=None if resolved is None else opened + timedelta(minutes=resolved),
            pauses=pauses,
        ),
        id=7,
        calendar=calendar,
        support_mode=None if mode is None else Detected(mode, "k", SetBy.OPERATOR),
    )


@settings(max_examples=300, deadline=None)
@given(
    priority=st.sampled_from(list(Priority)),
    opened=st.integers(0, 60 * 24 * 14),
    replied=st.none() | st.integers(0, 60 * 24 * 3),
    resolved=st.none() | st.integers(0, 60 * 24 * 10),
    paused=st.none() | st.tuples(st.integers(0, 600), st.none() | st.integers(0, 3000)),
    calendar=st.sampled_from([None, OFFICE]),
    mode=st.none() | st.sampled_from(list(SupportMode)),
    later=st.integers(0, 60 * 24 * 20),
)
def test_the_clocks_read_on_demand_are_those_every_ticket_used_to_build(
    priority: Priority,
    opened: int,
    replied: int | None,
    resolved: int | None,
    paused: tuple[int, int | None] | None,
    calendar: WorkCalendar | None,
    mode: SupportMode | None,
    later: int,
) -> None:
    if resolved is not None and replied is not None:
        resolved = max(resolved, replied)
    ticket = _ticket(priority, opened, replied, resolved, paused, calendar, mode)
    now = ticket.lifecycle.opened_at + timedelta(minutes=later)
    eager = TicketSla.build(
        ticket.priority,
        ticket.lifecycle,
        now,
        ticket.calendar or sla.TWENTY_FOUR_SEVEN,
        sla.ticket_first_response_minutes(ticket),
    )
    # Each read first on a fresh object: none leans on another having been read before.
    assert TicketType.from_domain(ticket, now=now).first_response_due_at == (
        eager.first_response.due_at
    )
    assert TicketType.from_domain(ticket, now=now).resolution_due_at == eager.resolution.due_at
    assert TicketType.from_domain(ticket, now=now).sla == eager


def test_a_ticket_whose_clocks_nobody_reads_never_builds_them() -> None:
    ticket = _ticket(Priority.P1, 0, None, None, None, OFFICE, None)
    shown = TicketType.from_domain(ticket, now=START + timedelta(hours=30))
    assert shown.priority is Priority.P1
    assert {"sla", "first_response_due_at", "resolution_due_at"}.isdisjoint(vars(shown))
    due = shown.first_response_due_at  # the due time alone builds no clock
    assert "sla" not in vars(shown)
    assert shown.sla.first_response.due_at == due
    assert shown.sla is shown.sla  # built once, then kept
    assert shown.sla.first_response.state is sla.ClockState.BREACHED
