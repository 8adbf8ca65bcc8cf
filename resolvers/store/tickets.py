"""Tickets and their history: the only place that speaks SQL about them (docs/rules.md §2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain import sla, support_modes
from domain.sla import ClockState
from domain.tickets import (
    Channel,
    Classification,
    HistoryEntry,
    HistoryEvent,
    Lifecycle,
    Priority,
    Ticket,
    TicketStatus,
)
from resolvers.store import alerts, paging
from resolvers.store import calendars as calendar_store
from resolvers.store.tables import TicketEventRow, TicketRow

_BASE_COLUMNS = (
    "id, version, customer_id, subject, body, channel, classified_priority, manual_priority, "
    "matched_keyword, reason_ar, status, opened_at, first_response_at, resolved_at, closed_at, "
    "closed_confirmed_by, first_response_breached, resolution_breached, pauses, support_mode, "
    "support_mode_reason, support_mode_set_by"
)


def _columns(alias: str) -> str:
    """The ticket's columns and the calendar its priority counts in (§7), read from `alias`."""
    return f"{_BASE_COLUMNS}, {calendar_store.SPEC_SQL.format(t=alias)} AS calendar_spec"


_COLUMNS = _columns("tickets")

# A clock's breach is alerted once per due time: the occurrence is that due time, spelt the same
# by the mutations (Python) and by the scan (SQL).
OCCURRENCE_SQL = "to_char({due} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"


def occurrence(due_at: datetime) -> str:
    return due_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class Filter:
    status: TicketStatus | None = None
    priority: Priority | None = None
    customer_id: int | None = None
    breached: bool | None = None
    sla_state: ClockState | None = None


def _from_record(row: Any) -> Ticket:
    get = row.__getitem__ if isinstance(row, asyncpg.Record) else row.__getattribute__
    manual = get("manual_priority")
    spec = row["calendar_spec"] if isinstance(row, asyncpg.Record) else None
    return Ticket(
        id=get("id"),
        version=get("version"),
        customer_id=get("customer_id"),
        subject=get("subject"),
        body=get("body"),
        channel=Channel(get("channel")),
        classification=Classification(
            Priority(get("classified_priority")), get("matched_keyword"), get("reason_ar")
        ),
        lifecycle=Lifecycle(
            status=TicketStatus(get("status")),
            classified=Priority(get("classified_priority")),
            manual_raise=None if manual is None else Priority(manual),
            opened_at=get("opened_at"),
            first_response_at=get("first_response_at"),
            resolved_at=get("resolved_at"),
            closed_at=get("closed_at"),
            closed_confirmed_by=get("closed_confirmed_by"),
            pauses=calendar_store.pauses_from(get("pauses")),
        ),
        first_response_breached=get("first_response_breached"),
        resolution_breached=get("resolution_breached"),
        calendar=None if spec is None else calendar_store.from_spec(spec),
        support_mode=_mode(
            get("support_mode"), get("support_mode_reason"), get("support_mode_set_by")
        ),
    )


def _mode(
    mode: str | None, reason: str | None, set_by: str | None
) -> support_modes.Detected | None:
    if mode is None or reason is None or set_by is None:
        return None
    return support_modes.Detected(
        support_modes.SupportMode(mode), reason, support_modes.SetBy(set_by)
    )


# Clock predicates at `$now`, equivalent to domain.sla.clock: breached when the end is past the
# due time, at risk on a running clock from its stored at-risk moment (80% of its working time).
def _breached(running: str, due: str) -> str:
    return f"(coalesce({running}, $now) > {due})"


def _at_risk(running: str, at_risk: str) -> str:
    return f"({running} IS NULL AND {at_risk} <= $now)"


_FR = ("first_response_at", "first_response_due_at")
_RES = ("resolved_at", "resolution_due_at")
_ANY_BREACHED = f"({_breached(*_FR)} OR {_breached(*_RES)})"
_ANY_AT_RISK = (
    f"({_at_risk('first_response_at', 'first_response_at_risk_at')} "
    f"OR {_at_risk('resolved_at', 'resolution_at_risk_at')})"
)
_ANY_RUNNING = "(first_response_at IS NULL OR resolved_at IS NULL)"
# A ticket's overall state is its worst clock's: breached > at risk > on track > met.
_STATE_SQL = {
    ClockState.BREACHED: _ANY_BREACHED,
    ClockState.AT_RISK: f"(NOT {_ANY_BREACHED} AND {_ANY_AT_RISK})",
    ClockState.ON_TRACK: f"(NOT {_ANY_BREACHED} AND NOT {_ANY_AT_RISK} AND {_ANY_RUNNING})",
    ClockState.MET: f"(NOT {_ANY_BREACHED} AND NOT {_ANY_RUNNING})",
}


# The sort keys of `page`'s orderings (never null): ticket column and its type.
_ORDERS = {
    "FIRST_RESPONSE_DUE_AT": "first_response_due_at",
    "RESOLUTION_DUE_AT": "resolution_due_at",
    "OPENED_AT": "opened_at",
}


def _where(filter: Filter, org_id: int, now: datetime, bind: paging.Params) -> list[str]:
    status, priority = bind(filter.status), bind(filter.priority)
    customer = bind(filter.customer_id)
    where = [
        f"org_id = {bind(org_id)}",
        f"({status}::text IS NULL OR status = {status})",
        f"({priority}::text IS NULL OR priority = {priority})",
        f"({customer}::bigint IS NULL OR customer_id = {customer})",
    ]
    if filter.breached is not None:
        where.append(_ANY_BREACHED if filter.breached else f"NOT {_ANY_BREACHED}")
    if filter.sla_state is not None:
        where.append(_STATE_SQL[filter.sla_state])
    if any("$now" in clause for clause in where):  # only the SLA filters judge the clocks
        at = f"{bind(now)}::timestamptz"
        where = [clause.replace("$now", at) for clause in where]
    return where


async def page(
    conn: asyncpg.Connection,
    *,
    org_id: int,
    filter: Filter,
    keyset: paging.Keyset,
    now: datetime,
    order: str | None = None,
) -> list[tuple[Any, Ticket]]:
    """One page, each ticket with its sort key: by id (newest first unless `keyset` says
    ascending) or by `order` (a key of `_ORDERS`), ties by id; read backward for `last`."""
    if order is not None:
        keyset = replace(keyset, key=_ORDERS[order], cast="timestamptz")
    bind = paging.Params()
    where = _where(filter, org_id, now, bind)
    more, tail = paging.clauses(keyset, id_sql="id", bind=bind)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS}, {keyset.key or 'NULL'} AS sort_key FROM tickets "
        f"WHERE {' AND '.join(where + more)}{tail}",
        *bind.values,
    )
    return [(row["sort_key"], _from_record(row)) for row in rows]


async def count(conn: asyncpg.Connection, *, org_id: int, filter: Filter, now: datetime) -> int:
    """How many tickets `page` would list with `filter`, over all pages."""
    bind = paging.Params()
    where = _where(filter, org_id, now, bind)
    total: int = await conn.fetchval(
        f"SELECT count(*) FROM tickets WHERE {' AND '.join(where)}", *bind.values
    )
    return total


async def by_ids(conn: asyncpg.Connection, *, org_id: int, ids: Sequence[int]) -> list[Ticket]:
    """Batch load for DataLoaders: one query for any number of ids."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM tickets WHERE org_id = $1 AND id = ANY($2::bigint[])",
        org_id,
        list(ids),
    )
    return [_from_record(row) for row in rows]


# `by_customers`: each customer's newest tickets, one index range (org_id, customer_id, id) read
# backward per customer and stopped at the page's size (LATERAL … LIMIT), only the columns a
# ticket is built from, and each priority's calendar built once for the statement, not per row.
_BY_CUSTOMERS = (
    "WITH specs AS (" + calendar_store.SPECS_SQL.format(org="$1") + ") "
    "SELECT t.*, s.spec AS calendar_spec "
    "FROM unnest($2::bigint[]) WITH ORDINALITY AS c(id, n) "
    f"CROSS JOIN LATERAL (SELECT {_BASE_COLUMNS}, priority FROM tickets "
    "WHERE org_id = $1 AND customer_id = c.id{after} ORDER BY id DESC LIMIT $3) AS t "
    "LEFT JOIN specs s ON s.priority = t.priority ORDER BY c.n, t.id DESC"
)
_BY_CUSTOMERS_FIRST = _BY_CUSTOMERS.format(after="")
_BY_CUSTOMERS_AFTER = _BY_CUSTOMERS.format(after=" AND id < $4")


async def by_customers(
    conn: asyncpg.Connection,
    *,
    org_id: int,
    customer_ids: Sequence[int],
    after_id: int | None,
    first: int,
) -> dict[int, list[Ticket]]:
    """Each customer's newest `first + 1` tickets (after `after_id` when given), newest first,
    for a whole page of customers in one statement."""
    ids = list(dict.fromkeys(customer_ids))  # one range per customer, however often asked
    args: list[Any] = [org_id, ids, first + 1]
    if after_id is not None:
        args.append(after_id)
    rows = await conn.fetch(_BY_CUSTOMERS_FIRST if after_id is None else _BY_CUSTOMERS_AFTER, *args)
    found: dict[int, list[Ticket]] = {customer_id: [] for customer_id in ids}
    for row in rows:
        found[row["customer_id"]].append(_from_record(row))
    return found


async def history(
    conn: asyncpg.Connection, *, org_id: int, ticket_ids: Sequence[int]
) -> dict[int, list[HistoryEntry]]:
    """The histories of many tickets, oldest first, in one query."""
    rows = await conn.fetch(
        "SELECT id, ticket_id, event, detail, operator_id, at FROM ticket_events "
        "WHERE org_id = $1 AND ticket_id = ANY($2::bigint[]) ORDER BY ticket_id, id",
        org_id,
        list(ticket_ids),
    )
    found: dict[int, list[HistoryEntry]] = {ticket_id: [] for ticket_id in ticket_ids}
    for row in rows:
        found[row["ticket_id"]].append(
            HistoryEntry(
                id=row["id"],
                ticket_id=row["ticket_id"],
                event=HistoryEvent(row["event"]),
                detail=row["detail"],
                operator_id=row["operator_id"],
                at=row["at"],
            )
        )
    return found


async def lifecycles(
    conn: asyncpg.Connection,
    *,
    org_id: int,
    customer_id: int | None,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[tuple[Lifecycle, bool]]:
    """§2.7: the lifecycles of tickets opened in [start, end), for one customer or all, each
    with whether its clocks are breached at `now` (the stored due times: working time, pauses
    and support mode counted, §7; the same predicate as the scan and the freeze verdict)."""
    rows = await conn.fetch(
        "SELECT classified_priority, manual_priority, status, opened_at, first_response_at, "
        "resolved_at, "
        + breached_sql("$5::timestamptz")
        + " AS breached FROM tickets WHERE org_id = $1 AND opened_at >= $2 AND opened_at < $3 "
        "AND ($4::bigint IS NULL OR customer_id = $4)",
        org_id,
        start,
        end,
        customer_id,
        now,
    )
    return [
        (
            Lifecycle(
                status=TicketStatus(row["status"]),
                classified=Priority(row["classified_priority"]),
                manual_raise=None
                if row["manual_priority"] is None
                else Priority(row["manual_priority"]),
                opened_at=row["opened_at"],
                first_response_at=row["first_response_at"],
                resolved_at=row["resolved_at"],
            ),
            row["breached"],
        )
        for row in rows
    ]


def _values(ticket: Ticket) -> dict[str, Any]:
    """The row's columns for a ticket; due times always from its current priority (§2.5), in
    the calendar it counts in, moved by its pauses (§7)."""
    life = ticket.lifecycle
    due = sla.due_times(
        ticket.priority,
        life.opened_at,
        ticket.calendar or sla.TWENTY_FOUR_SEVEN,
        life.pauses,
        sla.ticket_first_response_minutes(ticket),
    )
    mode = ticket.support_mode
    return {
        "customer_id": ticket.customer_id,
        "subject": ticket.subject,
        "body": ticket.body,
        "channel": ticket.channel.value,
        "classified_priority": ticket.classification.priority.value,
        "manual_priority": None if life.manual_raise is None else life.manual_raise.value,
        "priority": ticket.priority.value,
        "matched_keyword": ticket.classification.matched_keyword,
        "reason_ar": ticket.classification.reason_ar,
        "status": life.status.value,
        "opened_at": life.opened_at,
        "first_response_at": life.first_response_at,
        "resolved_at": life.resolved_at,
        "closed_at": life.closed_at,
        "closed_confirmed_by": life.closed_confirmed_by,
        "pauses": calendar_store.pauses_to(life.pauses),
        "support_mode": None if mode is None else mode.mode.value,
        "support_mode_reason": None if mode is None else mode.reason,
        "support_mode_set_by": None if mode is None else mode.set_by.value,
        "first_response_due_at": due.first_response_due_at,
        "resolution_due_at": due.resolution_due_at,
        "first_response_at_risk_at": due.first_response_at_risk_at,
        "resolution_at_risk_at": due.resolution_at_risk_at,
        "first_response_breached": ticket.first_response_breached,
        "resolution_breached": ticket.resolution_breached,
        "version": ticket.version,
    }


async def insert(session: AsyncSession, *, org_id: int, ticket: Ticket, now: datetime) -> Ticket:
    row = TicketRow(
        org_id=org_id, created_at=now, updated_at=now, **_values(replace(ticket, version=1))
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    return replace(ticket, id=row.id, version=1)


async def get_for_update(session: AsyncSession, *, org_id: int, ticket_id: int) -> Ticket | None:
    """The current ticket, locked until the transaction ends."""
    row = await session.get(TicketRow, (org_id, ticket_id), with_for_update=True)
    if row is None:
        return None
    ticket = _from_record(row)
    calendar = await calendar_store.for_priority(session, org_id=org_id, priority=ticket.priority)
    return replace(ticket, calendar=calendar)


async def save(session: AsyncSession, *, org_id: int, ticket: Ticket, now: datetime) -> None:
    """Write a changed ticket; the caller has checked its version under the row lock."""
    row = await session.get(TicketRow, (org_id, ticket.id))
    assert row is not None
    for column, value in _values(ticket).items():
        setattr(row, column, value)
    row.updated_at = now
    await session.flush()


async def last_event_at(session: AsyncSession, *, org_id: int, ticket_id: int) -> datetime:
    """When the ticket's latest history line happened (its opening at least)."""
    found = await session.execute(
        text("SELECT max(at) FROM ticket_events WHERE org_id = :org AND ticket_id = :id"),
        {"org": org_id, "id": ticket_id},
    )
    return cast(datetime, found.scalar_one())


async def add_event(
    session: AsyncSession,
    *,
    org_id: int,
    ticket_id: int,
    event: HistoryEvent,
    detail: dict[str, Any],
    operator_id: int | None,
    at: datetime,
) -> None:
    session.add(
        TicketEventRow(
            org_id=org_id,
            ticket_id=ticket_id,
            event=event.value,
            detail=detail,
            operator_id=operator_id,
            at=at,
        )
    )
    await session.flush()


BREACH_KINDS = {
    "first_response": "SLA_FIRST_RESPONSE_BREACH",
    "resolution": "SLA_RESOLUTION_BREACH",
}


def breach_payload(priority: Priority) -> dict[str, Any]:
    """The stored payload of a breached clock's alert (the scan builds the same in SQL): the
    priority alone, since the ticket, clock and due time are the alert's subject, kind and
    occurrence (`alert_shape.payload_sql` shows them in every read)."""
    return {"priority": priority.value}


def alert_role(priority: Priority) -> str:
    """P0 tickets belong to the founder (§2.1): the organisation's owner; the rest to agents."""
    return "owner" if priority is Priority.P0 else "agent"


# The breach scan (docs/architecture.md#jobs) is one statement, set-based end to end: three
# UPDATEs flag every clock newly past its due time across organisations, then the alerts are
# inserted from what they returned (`alerts.chain_sql`: the alert lock is
# taken once every row is locked). The UPDATEs split the tickets by which clocks they breach
# (first response only, resolution only, both), so no row is updated twice and each RETURNING
# knows its clocks exactly, also when PostgreSQL re-checks a row a mutation changed meanwhile.
# A clock is due when it runs, is not flagged and its due time is past; a resolution clock
# waiting on the customer has no due time (§7) and is never due.
_FIRST_RESPONSE_DUE = (
    "(first_response_at IS NULL AND NOT first_response_breached AND first_response_due_at < $1)"
)
_RESOLUTION_DUE = "(resolved_at IS NULL AND NOT resolution_breached AND resolution_due_at < $1)"
_FLAGGED = "org_id, id, customer_id, priority"
_FIRST_RESPONSE_KIND = BREACH_KINDS["first_response"]
_RESOLUTION_KIND = BREACH_KINDS["resolution"]
# One scan at a time across workers (a transaction-level advisory lock, taken before any row
# lock): a second scan waits, then finds the clocks flagged. Mutations never take it. For the
# scan's transaction only: no JIT (its plan is large and its rows few, what is due this minute:
# compiling cost more than it saved at 10M tickets) and room to sort its rows in memory
# (tests/bench/bench_sla_scan.py).
SCAN_LOCK_KEY = 0x5CA7_B4EA
SCAN_LOCK_SQL = (
    f"SELECT pg_advisory_xact_lock({SCAN_LOCK_KEY}), set_config('jit', 'off', true), "
    "set_config('work_mem', '64MB', true)"
)
_SCAN_WRITES = f"""
first_response AS (
    UPDATE tickets SET first_response_breached = true
    WHERE {_FIRST_RESPONSE_DUE} AND NOT coalesce({_RESOLUTION_DUE}, false)
    RETURNING {_FLAGGED}, first_response_due_at AS first_response_due,
              NULL::timestamptz AS resolution_due
), resolution AS (
    UPDATE tickets SET resolution_breached = true
    WHERE {_RESOLUTION_DUE} AND NOT {_FIRST_RESPONSE_DUE}
    RETURNING {_FLAGGED}, NULL::timestamptz, resolution_due_at
), both_clocks AS (
    UPDATE tickets SET first_response_breached = true, resolution_breached = true
    WHERE {_FIRST_RESPONSE_DUE} AND {_RESOLUTION_DUE}
    RETURNING {_FLAGGED}, first_response_due_at, resolution_due_at
), flagged AS (
    SELECT * FROM first_response UNION ALL SELECT * FROM resolution
    UNION ALL SELECT * FROM both_clocks
)"""
# One alert per flagged clock (the same payload and occurrence a mutation writes, see
# `breach_payload` and `alert_role`).
_SCAN_ALERTS = (
    "SELECT f.org_id, k.kind, 'Ticket'::text AS subject, f.id AS subject_id, "
    "o.at AS occurrence, f.customer_id, "
    "CASE WHEN f.priority = 'P0' THEN 'owner' ELSE 'agent' END AS for_role, "
    "jsonb_build_object('priority', f.priority) AS payload "
    "FROM flagged f CROSS JOIN LATERAL (VALUES "
    f"('{_FIRST_RESPONSE_KIND}', f.first_response_due), "
    f"('{_RESOLUTION_KIND}', f.resolution_due)) AS k(kind, due) "
    "CROSS JOIN LATERAL (SELECT " + OCCURRENCE_SQL.format(due="k.due") + " AS at) AS o "
    "WHERE k.due IS NOT NULL"
)
SCAN_SQL = alerts.chain_sql(
    writes=_SCAN_WRITES,
    rows="SELECT FROM flagged",
    candidates=_SCAN_ALERTS,
    result=(
        "SELECT (SELECT count(*) FROM flagged WHERE first_response_due IS NOT NULL) "
        "AS first_response, "
        "(SELECT count(*) FROM flagged WHERE resolution_due IS NOT NULL) AS resolution, "
        "(SELECT count(*) FROM events) AS alerts"
    ),
)


@dataclass(frozen=True, slots=True)
class ScanResult:
    flagged: dict[str, int]
    alerts: int


async def scan_breaches(conn: asyncpg.Connection, *, now: datetime) -> ScanResult:
    """Flag every newly breached clock and alert it once, in one transaction (§2.6, §5).

    One scan at a time: a second one waits for the first to commit, then finds its clocks
    flagged. Locks in order: the scan's, the tickets' rows, the alert lock (see `SCAN_SQL`)."""
    async with conn.transaction():
        await conn.execute(SCAN_LOCK_SQL)
        row = await conn.fetchrow(SCAN_SQL, now)
    assert row is not None
    return ScanResult(
        flagged={"first_response": row["first_response"], "resolution": row["resolution"]},
        alerts=row["alerts"],
    )


def breached_sql(now: str) -> str:
    """§2.6 as a SQL predicate over `tickets`: either clock breached at the timestamp `now` (a
    parameter such as `$2::timestamptz`)."""
    return _ANY_BREACHED.replace("$now", now)
