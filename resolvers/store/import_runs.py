"""One CSV import, start to end: read the file with the domain's rules, skip rows imported
before, write the rest in batches in the caller's transaction. Shared by the GraphQL mutations,
the worker's queued imports and `wafi import`; the caller stores the job (and its ledger row)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain import imports, messages, support_modes
from domain.errors import ErrorCode
from domain.imports import CustomerRecord, ImportKind, RowError, TicketRecord
from domain.messages import Msg
from resolvers.store import calendars as calendar_store
from resolvers.store import imports as store

IMPORT_JOB = "import_csv"  # the worker's job name for a queued import
BATCH = 1_000
# (rows processed, rows in the file); may be async (the worker writes it to the job row).
Progress = Callable[[int, int], Awaitable[None] | None]
_ENTITY = {ImportKind.CUSTOMERS: "Customer", ImportKind.TICKETS: "Ticket"}


async def run(
    session: AsyncSession,
    *,
    org_id: int,
    operator_id: int | None,
    role: str,
    kind: ImportKind,
    data: str,
    dry_run: bool,
    skip_invalid: bool,
    now: datetime,
    progress: Progress | None = None,
) -> store.Job:
    """Import `data`; nothing is written on a dry run or when a row is refused without
    `skip_invalid` (the job's status says which: dry_run, refused or done)."""
    zone = await store.time_zone(session, org_id=org_id)
    parsed = imports.parse(data, kind, time_zone=zone, now=now)
    keys = [record.external_id for record in parsed.records]
    known = await store.known_keys(session, org_id=org_id, entity=_ENTITY[kind], keys=keys)
    fresh = [record for record in parsed.records if record.external_id not in known]
    errors = list(parsed.errors)
    if kind == ImportKind.TICKETS:
        fresh, unknown = await _with_customers(session, org_id, parsed, fresh)
        errors = sorted(errors + unknown, key=lambda error: error.line)
    job = store.Job(
        kind=kind,
        status="dry_run" if dry_run else "refused" if errors and not skip_invalid else "done",
        total=parsed.total,
        processed=parsed.total - len(fresh),
        created=0,
        existing=len(known),
        invalid=len(errors),
        errors=errors,
        created_at=now,
        finished_at=now,
        operator_id=operator_id,
        role=role,
    )
    if job.status != "done":
        return replace(job, processed=parsed.total, created=len(fresh) if dry_run else 0)
    await _report(progress, job)
    for start in range(0, len(fresh), BATCH):
        batch = fresh[start : start + BATCH]
        await _write(session, org_id, operator_id, batch, now)
        job = replace(job, processed=job.processed + len(batch), created=job.created + len(batch))
        await _report(progress, job)
    return job


async def _report(progress: Progress | None, job: store.Job) -> None:
    if progress is not None:
        result = progress(job.processed, job.total)
        if inspect.isawaitable(result):
            await result


async def _with_customers(
    session: AsyncSession, org_id: int, parsed: imports.Parsed, fresh: list[Any]
) -> tuple[list[Any], list[RowError]]:
    """Tickets with their customer's id, the calendar their priority counts in and the support
    mode their text shows (§7), as openTicket makes them; a customer_external_id never imported
    is refused."""
    wanted = sorted({r.customer_external_id for r in fresh if isinstance(r, TicketRecord)})
    customers = await store.known_keys(session, org_id=org_id, entity="Customer", keys=wanted)
    calendars = await calendar_store.by_priority(session, org_id=org_id)
    column = parsed.column("customer_external_id")
    ready: list[Any] = []
    unknown: list[RowError] = []
    for record in fresh:
        customer_id = customers.get(record.customer_external_id)
        if customer_id is None:
            why = messages.text(Msg.CSV_NO_SUCH_CUSTOMER)
            unknown.append(RowError(record.line, column, ErrorCode.NOT_FOUND, why))
            continue
        ticket = record.ticket
        made = replace(
            ticket,
            customer_id=customer_id,
            calendar=calendars[ticket.priority],
            support_mode=support_modes.detect(ticket.subject, ticket.body),
        )
        ready.append(replace(record, ticket=made))
    return ready, unknown


async def _write(
    session: AsyncSession, org_id: int, operator_id: int | None, batch: list[Any], now: datetime
) -> None:
    customers = [record for record in batch if isinstance(record, CustomerRecord)]
    tickets = [record for record in batch if isinstance(record, TicketRecord)]
    await store.insert_customers(session, org_id=org_id, records=customers, now=now)
    await store.insert_tickets(
        session, org_id=org_id, records=tickets, operator_id=operator_id, now=now
    )
