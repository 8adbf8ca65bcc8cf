"""CSV import use-cases (README: CSV import and export): read the file with the domain's rules,
skip rows imported before, write the rest in one transaction with one ledger row, report.

`run` serves both the GraphQL mutations and `wafi import` (which shows a progress bar).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from domain import imports
from domain.errors import DomainError, ErrorCode
from domain.imports import CustomerRecord, ImportKind, RowError, TicketRecord
from domain.roles import Action
from resolvers.common import refusals_as_data, refusals_as_errors
from resolvers.store import imports as store
from schema.context import Context
from schema.types import imports as types
from schema.types.relay import pk_of

CtxInfo = Info[Context, None]
Progress = Callable[[int, int], None]  # (rows processed, rows in the file)
BATCH = 1_000
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
    )
    if job.status != "done":
        return replace(job, processed=parsed.total, created=len(fresh) if dry_run else 0)
    if progress is not None:
        progress(job.processed, job.total)
    for start in range(0, len(fresh), BATCH):
        batch = fresh[start : start + BATCH]
        await _write(session, org_id, operator_id, batch, now)
        job = replace(job, processed=job.processed + len(batch), created=job.created + len(batch))
        if progress is not None:
            progress(job.processed, job.total)
    return await store.save_job(session, org_id=org_id, job=job, role=role)


async def _with_customers(
    session: AsyncSession, org_id: int, parsed: imports.Parsed, fresh: list[Any]
) -> tuple[list[Any], list[RowError]]:
    """Tickets with their customer's id; a customer_external_id never imported is refused."""
    wanted = sorted({r.customer_external_id for r in fresh if isinstance(r, TicketRecord)})
    customers = await store.known_keys(session, org_id=org_id, entity="Customer", keys=wanted)
    column = parsed.column("customer_external_id")
    ready: list[Any] = []
    unknown: list[RowError] = []
    for record in fresh:
        customer_id = customers.get(record.customer_external_id)
        if customer_id is None:
            message = "no customer was imported with this external_id"
            unknown.append(RowError(record.line, column, ErrorCode.NOT_FOUND, message))
            continue
        ready.append(replace(record, ticket=replace(record.ticket, customer_id=customer_id)))
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


@refusals_as_data
async def import_customers(info: CtxInfo, input: types.ImportCsvInput) -> Any:
    return await _import(info, input, ImportKind.CUSTOMERS, "importCustomers")


@refusals_as_data
async def import_tickets(info: CtxInfo, input: types.ImportCsvInput) -> Any:
    return await _import(info, input, ImportKind.TICKETS, "importTickets")


async def _import(info: CtxInfo, input: types.ImportCsvInput, kind: ImportKind, name: str) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.IMPORT_DATA, field=name)
    async with ctx.transaction() as session:
        job = await run(
            session,
            org_id=principal.org_id,
            operator_id=principal.operator_id,
            role=principal.role.value,
            kind=kind,
            data=input.csv.removeprefix("\ufeff"),
            dry_run=input.dry_run,
            skip_invalid=input.skip_invalid,
            now=ctx.now,
        )
    if job.status == "refused":
        return types.ImportRefusedError.from_job(job)
    return types.ImportPayload(job=types.ImportJob.from_domain(job))


@refusals_as_errors
async def get_import_job(info: CtxInfo, id: strawberry.ID) -> types.ImportJob:
    ctx = info.context
    principal = ctx.authorize(Action.IMPORT_DATA, field="importJob")
    async with ctx.db() as conn:
        job = await store.get_job(conn, org_id=principal.org_id, job_id=pk_of(id, "ImportJob"))
    if job is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, "no such import job in your organisation")
    return types.ImportJob.from_domain(job)
