"""CSV import mutations and the import job query (README: CSV import and export): a file checked
and written in the request, or queued for a worker with `background`."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlalchemy.exc import IntegrityError
from strawberry.types import Info

from domain import imports
from domain.errors import DomainError, ErrorCode
from domain.imports import ImportKind
from domain.messages import Msg
from domain.roles import Action, Principal
from resolvers.common import refusals_as_data, refusals_as_errors
from resolvers.store import import_runs
from resolvers.store import imports as store
from schema.context import Context
from schema.types import imports as types
from schema.types.relay import pk_of

CtxInfo = Info[Context, None]


@refusals_as_data
async def import_customers(
    info: CtxInfo,
    input: Annotated[
        types.ImportCsvInput,
        strawberry.argument(description="The customers file and how to treat refused rows."),
    ],
) -> Any:
    return await _import(info, input, ImportKind.CUSTOMERS, "importCustomers")


@refusals_as_data
async def import_tickets(
    info: CtxInfo,
    input: Annotated[
        types.ImportCsvInput,
        strawberry.argument(description="The tickets file and how to treat refused rows."),
    ],
) -> Any:
    return await _import(info, input, ImportKind.TICKETS, "importTickets")


async def _import(info: CtxInfo, input: types.ImportCsvInput, kind: ImportKind, name: str) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.IMPORT_DATA, field=name)
    data = input.csv.removeprefix("\ufeff")
    if input.background and not input.dry_run and ctx.resources.queue is not None:
        return await _queue(ctx, principal, kind, data, skip_invalid=input.skip_invalid)
    try:
        async with ctx.transaction() as session:
            job = await import_runs.run(
                session,
                org_id=principal.org_id,
                operator_id=principal.operator_id,
                role=principal.role.value,
                kind=kind,
                data=data,
                dry_run=input.dry_run,
                skip_invalid=input.skip_invalid,
                now=ctx.now,
            )
            if job.status == "done":
                job = await store.save_job(session, org_id=principal.org_id, job=job)
    except IntegrityError as error:
        if not store.same_keys(error):
            raise
        # Another import of the same external ids committed first: nothing of this one stands.
        raise DomainError("csv", ErrorCode.CONFLICT, Msg.CSV_RACE) from None
    if job.status == "refused":
        return types.ImportRefusedError.from_job(job)
    return types.ImportPayload(job=types.ImportJob.from_domain(job))


async def _queue(
    ctx: Context, principal: Principal, kind: ImportKind, data: str, *, skip_invalid: bool
) -> Any:
    """Check the header and count the rows now; a worker does the rest (jobs/imports.py)."""
    async with ctx.transaction() as session:
        zone = await store.time_zone(session, org_id=principal.org_id)
        total = imports.parse(data, kind, time_zone=zone, now=ctx.now).total
        queued = store.Job(
            kind=kind,
            status="queued",
            total=total,
            processed=0,
            created=0,
            existing=0,
            invalid=0,
            errors=[],
            created_at=ctx.now,
            finished_at=None,
            operator_id=principal.operator_id,
            role=principal.role.value,
        )
        job = await store.queue_job(session, org_id=principal.org_id, job=queued, data=data)
        queue = ctx.resources.queue
        assert queue is not None
        assert job.id is not None
        org_id, job_id = principal.org_id, job.id
        # Named in the deployment's namespace: another install on this Redis has the same ids.
        arq_id = ctx.resources.namespace.job_id(f"import-{org_id}-{job_id}")

        async def enqueue() -> None:
            await queue.enqueue_job(
                import_runs.IMPORT_JOB,
                org_id,
                job_id,
                skip_invalid,
                _job_id=arq_id,
            )

        ctx.on_commit(enqueue)
    return types.ImportPayload(job=types.ImportJob.from_domain(job))


@refusals_as_errors
async def get_import_job(
    info: CtxInfo,
    id: Annotated[strawberry.ID, strawberry.argument(description="The import job's global id.")],
) -> types.ImportJob:
    ctx = info.context
    principal = ctx.authorize(Action.IMPORT_DATA, field="importJob")
    async with ctx.db() as conn:
        job = await store.get_job(conn, org_id=principal.org_id, job_id=pk_of(id, "ImportJob"))
    if job is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_IMPORT)
    return types.ImportJob.from_domain(job)
