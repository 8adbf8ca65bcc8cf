"""CSV imports: the only place that speaks SQL about import jobs and imported rows' keys.

Rows go in batches (multi-row INSERT … RETURNING in parameter order) inside the caller's one
transaction; COPY is not an option, PostgreSQL refuses it on tables under row-level security.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain import customers, imports, messages, tickets
from domain.errors import ErrorCode
from resolvers.store import ledger
from resolvers.store.tables import (
    CustomerRow,
    ImportJobRow,
    ImportKeyRow,
    LedgerRow,
    TicketEventRow,
    TicketRow,
)
from resolvers.store.tickets import _values as ticket_columns

ERRORS_KEPT = 100  # refused rows stored on a job; the CLI prints them all


@dataclass(frozen=True, slots=True)
class Job:
    """An import as stored (`id` None for a dry run or a refused file: nothing was written)."""

    kind: imports.ImportKind
    status: str
    total: int
    processed: int
    created: int
    existing: int
    invalid: int
    errors: list[imports.RowError]
    created_at: datetime
    finished_at: datetime | None
    id: int | None = None
    operator_id: int | None = None
    role: str = ""


async def time_zone(session: AsyncSession, *, org_id: int) -> str:
    """The organisation's IANA time zone: dates without an offset are its days."""
    zone = await session.scalar(
        text("SELECT time_zone FROM organisations WHERE id = :org"), {"org": org_id}
    )
    return str(zone)


async def known_keys(
    session: AsyncSession, *, org_id: int, entity: str, keys: Sequence[str]
) -> dict[str, int]:
    """External id → entity id for the keys already imported."""
    rows = await session.execute(
        text(
            "SELECT external_id, entity_id FROM import_keys WHERE org_id = :org "
            "AND entity = :entity AND external_id = ANY(CAST(:keys AS text[]))"
        ),
        {"org": org_id, "entity": entity, "keys": list(keys)},
    )
    return {str(key): int(entity_id) for key, entity_id in rows.all()}


def same_keys(error: Exception) -> bool:
    """Whether a failed write met external ids another import committed meanwhile."""
    cause = getattr(error, "orig", None)
    return "import_keys_pkey" in str(cause)


async def insert_customers(
    session: AsyncSession, *, org_id: int, records: Sequence[imports.CustomerRecord], now: datetime
) -> None:
    """New customers, exactly as createCustomer writes them, and their keys."""
    if not records:
        return
    rows = [_customer_columns(org_id, record.customer, now) for record in records]
    ids = await _insert(session, CustomerRow, rows)
    await _keys(session, org_id, "Customer", [r.external_id for r in records], ids)


def _customer_columns(org_id: int, customer: customers.Customer, now: datetime) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "name": customer.name,
        "name_search": customer.name_search,
        "locale": customer.locale.value,
        "bundle": customer.bundle.value,
        "stage": customer.stage.value,
        "subscription_status": customer.subscription_status.value,
        "subscription_started_at": customer.subscription_started_at,
        "renews_at": customer.renews_at,
        "contact_email": customer.contact_email,
        "last_activity_at": customer.last_activity_at,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


async def insert_tickets(
    session: AsyncSession,
    *,
    org_id: int,
    records: Sequence[imports.TicketRecord],
    operator_id: int | None,
    now: datetime,
) -> None:
    """Historical tickets with their history (opened, and first response and resolved when the
    file has them, each at its own time), as openTicket and recordTicketEvent write them."""
    if not records:
        return
    rows = [
        {"org_id": org_id, "created_at": now, "updated_at": now, **ticket_columns(r.ticket)}
        for r in records
    ]
    ids = await _insert(session, TicketRow, rows)
    events: list[dict[str, Any]] = []
    for ticket_id, record in zip(ids, records, strict=True):
        events.extend(_history(org_id, ticket_id, record.ticket, operator_id))
    await _insert(session, TicketEventRow, events, returning=False)
    await _keys(session, org_id, "Ticket", [r.external_id for r in records], ids)


def _history(
    org_id: int, ticket_id: int, ticket: tickets.Ticket, operator_id: int | None
) -> list[dict[str, Any]]:
    life = ticket.lifecycle
    opened = {
        "priority": ticket.priority.value,
        "matchedKeyword": ticket.classification.matched_keyword,
        "reasonAr": ticket.classification.reason_ar,
        "imported": True,
    }
    steps: list[tuple[tickets.HistoryEvent, dict[str, Any], datetime | None]] = [
        (tickets.HistoryEvent.OPENED, opened, life.opened_at),
        (tickets.HistoryEvent.FIRST_RESPONSE, {"imported": True}, life.first_response_at),
        (tickets.HistoryEvent.RESOLVED, {"imported": True}, life.resolved_at),
    ]
    return [
        {
            "org_id": org_id,
            "ticket_id": ticket_id,
            "event": event.value,
            "detail": detail,
            "operator_id": operator_id,
            "at": at,
        }
        for event, detail, at in steps
        if at is not None
    ]


async def _insert(
    session: AsyncSession, row: Any, values: list[dict[str, Any]], *, returning: bool = True
) -> list[int]:
    table: Any = row.__table__
    if not values:
        return []
    if not returning:
        await session.execute(insert(table), values)
        return []
    result = await session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), values
    )
    return [int(pk) for pk in result.scalars().all()]


async def _keys(
    session: AsyncSession, org_id: int, entity: str, keys: list[str], ids: list[int]
) -> None:
    rows = [
        {"org_id": org_id, "entity": entity, "external_id": key, "entity_id": entity_id}
        for key, entity_id in zip(keys, ids, strict=True)
    ]
    await _insert(session, ImportKeyRow, rows, returning=False)


async def save_job(session: AsyncSession, *, org_id: int, job: Job) -> Job:
    """Store a finished import and its one ledger row (the counts, never the file)."""
    row = ImportJobRow(org_id=org_id, csv=None, **_columns(job))
    session.add(row)
    await session.flush()
    assert row.id is not None
    saved = Job(**{**_fields(job), "id": row.id})
    await _ledger(session, org_id, saved)
    return saved


async def queue_job(session: AsyncSession, *, org_id: int, job: Job, data: str) -> Job:
    """A job for a worker (status queued), holding its file until it has run."""
    row = ImportJobRow(org_id=org_id, csv=data, **_columns(job))
    session.add(row)
    await session.flush()
    assert row.id is not None
    return Job(**{**_fields(job), "id": row.id})


async def pending_job(
    conn: asyncpg.Connection, *, org_id: int, job_id: int
) -> tuple[Job, str] | None:
    """A queued (or interrupted) job and its file; None once it has finished."""
    row = await conn.fetchrow(
        f"SELECT {_JOB_COLUMNS}, csv FROM import_jobs WHERE org_id = $1 AND id = $2 "
        "AND status IN ('queued', 'running') AND csv IS NOT NULL",
        org_id,
        job_id,
    )
    return None if row is None else (_job(row), row["csv"])


async def note_progress(
    conn: asyncpg.Connection, *, org_id: int, job_id: int, processed: int, status: str
) -> None:
    """Progress a reader sees at once: written outside the import's own transaction."""
    await conn.execute(
        "UPDATE import_jobs SET processed = $3, status = $4 WHERE org_id = $1 AND id = $2",
        org_id,
        job_id,
        processed,
        status,
    )


async def finish_job(session: AsyncSession, *, org_id: int, job: Job) -> Job:
    """A queued job's outcome, in the import's transaction (with its ledger row when done)."""
    row = await session.get(ImportJobRow, (org_id, job.id))
    assert row is not None
    for column, value in _columns(job).items():
        setattr(row, column, value)
    row.csv = None
    await session.flush()
    if job.status == "done":
        await _ledger(session, org_id, job)
    return job


def _columns(job: Job) -> dict[str, Any]:
    return {
        "kind": job.kind.value,
        "status": job.status,
        "operator_id": job.operator_id,
        "role": job.role,
        "total": job.total,
        "processed": job.processed,
        "created": job.created,
        "existing": job.existing,
        "invalid": job.invalid,
        "errors": [_error_json(error) for error in job.errors[:ERRORS_KEPT]],
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


async def _ledger(session: AsyncSession, org_id: int, job: Job) -> None:
    assert job.id is not None
    summary = {key: getattr(job, key) for key in ("total", "created", "existing", "invalid")}
    session.add(
        LedgerRow(
            org_id=org_id,
            operator_id=job.operator_id,
            role=job.role,
            action=f"import{job.kind.value.title()}",
            entity="ImportJob",
            entity_id=job.id,
            before=None,
            after=ledger.snapshot({"kind": job.kind.value, **summary}),
            at=job.finished_at or job.created_at,
        )
    )
    await session.flush()


def _fields(job: Job) -> dict[str, Any]:
    return {name: getattr(job, name) for name in Job.__slots__}


def _error_json(error: imports.RowError) -> dict[str, Any]:
    return {
        "line": error.line,
        "column": error.column,
        "code": error.code.value,
        "msg": error.text.msg.name,
        "params": {key: str(value) for key, value in error.text.params.items()},
    }


_JOB_COLUMNS = (
    "id, kind, status, operator_id, role, total, processed, created, existing, invalid, errors, "
    "created_at, finished_at"
)


async def get_job(conn: asyncpg.Connection, *, org_id: int, job_id: int) -> Job | None:
    row = await conn.fetchrow(
        f"SELECT {_JOB_COLUMNS} FROM import_jobs WHERE org_id = $1 AND id = $2", org_id, job_id
    )
    return None if row is None else _job(row)


def _job(row: asyncpg.Record) -> Job:
    return Job(
        id=row["id"],
        kind=imports.ImportKind(row["kind"]),
        status=row["status"],
        operator_id=row["operator_id"],
        role=row["role"],
        total=row["total"],
        processed=row["processed"],
        created=row["created"],
        existing=row["existing"],
        invalid=row["invalid"],
        errors=[
            imports.RowError(
                e["line"],
                e["column"],
                ErrorCode(e["code"]),
                messages.Text(messages.Msg[e["msg"]], e["params"]),
            )
            for e in row["errors"]
        ],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
    )
