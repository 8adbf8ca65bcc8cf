"""Queued CSV imports (importCustomers/importTickets with `background`): the same run as the
mutation, in one transaction, with the job's `processed` written after each batch on a
connection of its own so readers see it move."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from domain.imports import ImportKind
from resolvers.store import engine, import_runs
from resolvers.store import imports as store

IMPORT_JOB = import_runs.IMPORT_JOB
log = logging.getLogger(__name__)


async def import_csv(
    ctx: dict[str, Any], org_id: int, job_id: int, skip_invalid: bool = False
) -> str:
    """Run one queued import; its outcome (done, refused or failed) lands on the job row.
    Safe to run again: a finished job is skipped, and an interrupted one wrote nothing."""
    pool = ctx["db"]
    async with pool.acquire() as conn:
        found = await store.pending_job(conn, org_id=org_id, job_id=job_id)
        if found is None:
            return "nothing to do"
        queued, data = found
        await store.note_progress(conn, org_id=org_id, job_id=job_id, processed=0, status="running")

    async def progress(processed: int, total: int) -> None:
        async with pool.acquire() as conn:
            await store.note_progress(
                conn, org_id=org_id, job_id=job_id, processed=processed, status="running"
            )

    write = engine.create_write_engine(ctx["settings"].database_url, size=1)
    try:
        async with engine.transaction(engine.sessions(write), org_id) as session:
            job = await import_runs.run(
                session,
                org_id=org_id,
                operator_id=queued.operator_id,
                role=queued.role,
                kind=ImportKind(queued.kind),
                data=data,
                dry_run=False,
                skip_invalid=skip_invalid,
                now=ctx["clock"](),
                progress=progress,
            )
            await store.finish_job(session, org_id=org_id, job=replace(job, id=job_id))
    except Exception:
        log.exception("import job %s of organisation %s failed", job_id, org_id)
        async with pool.acquire() as conn:
            await store.note_progress(
                conn, org_id=org_id, job_id=job_id, processed=0, status="failed"
            )
        raise
    finally:
        await write.dispose()
    return job.status
