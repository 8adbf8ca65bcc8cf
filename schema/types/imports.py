"""What a client sees of CSV imports: the job, its counts and its refused rows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import strawberry

from domain import imports
from domain.errors import ErrorCode
from domain.messages import Msg
from schema import language
from schema.types import errors
from schema.types.relay import to_global_id


@strawberry.enum(
    description="Where an import stands: queued (waiting for a worker), running (a worker is "
    "writing it; `processed` counts up), done (written), dry_run (checked, nothing written), "
    "refused (a row was refused without skipInvalid: nothing written), failed (the worker met "
    "an unexpected error: nothing written)."
)
class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DRY_RUN = "dry_run"
    REFUSED = "refused"
    FAILED = "failed"


ImportKind = strawberry.enum(
    imports.ImportKind, name="ImportKind", description="What a CSV file holds."
)


@strawberry.type(description="One refused CSV row: its line in the file, the column, and why.")
class ImportRowError:
    line: int = strawberry.field(description="The line the row starts on (the header is line 1).")
    column: str = strawberry.field(description="The column as the file's header spells it.")
    code: ErrorCode = strawberry.field(description="A stable code for the refusal.")
    message: str = strawberry.field(description="A sentence for a person.")

    @classmethod
    def from_domain(cls, value: imports.RowError) -> ImportRowError:
        return cls(
            line=value.line,
            column=value.column,
            code=value.code,
            message=value.message(language.current()),
        )


@strawberry.type(description="A CSV import: how many rows it read, created, skipped and refused.")
class ImportJob:
    id: strawberry.ID | None = strawberry.field(
        description="The job's global id (importJob reads it again); null for a dry run, which "
        "stores nothing."
    )
    kind: imports.ImportKind = strawberry.field(description="Customers or tickets.")
    status: ImportStatus = strawberry.field(description="Done, dry run or refused.")
    total: int = strawberry.field(description="Data rows in the file (blank lines not counted).")
    processed: int = strawberry.field(
        description="Rows handled so far, out of `total` (equal to it once the job is finished)."
    )
    created: int = strawberry.field(
        description="Rows written as new customers or tickets (on a dry run: that would be)."
    )
    existing: int = strawberry.field(
        description="Rows whose external_id an earlier import already brought in: skipped."
    )
    invalid: int = strawberry.field(description="Rows refused (skipped with skipInvalid).")
    errors: list[ImportRowError] = strawberry.field(
        description="The refused rows by line (a stored job keeps the first 100)."
    )
    created_at: datetime = strawberry.field(description="When the import started.")
    finished_at: datetime | None = strawberry.field(
        description="When it finished; null while queued or running."
    )

    @classmethod
    def from_domain(cls, job: Any) -> ImportJob:
        return cls(
            id=None if job.id is None else to_global_id("ImportJob", job.id),
            kind=job.kind,
            status=ImportStatus(job.status),
            total=job.total,
            processed=job.processed,
            created=job.created,
            existing=job.existing,
            invalid=job.invalid,
            errors=[ImportRowError.from_domain(error) for error in job.errors],
            created_at=job.created_at,
            finished_at=job.finished_at,
        )


@strawberry.input(description="A CSV file's text (UTF-8; a byte-order mark is fine).")
class ImportCsvInput:
    csv: str = strawberry.field(
        description="The whole file: a header row (English or Arabic names, README: CSV import "
        "and export), then one row per record; bounded by the request body limit (256 KiB)."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Check every row and count what would be created; write nothing."
    )
    skip_invalid: bool = strawberry.field(
        default=False,
        description="Import the valid rows and report the others; without it one refused row "
        "refuses the whole file.",
    )
    background: bool = strawberry.field(
        default=False,
        description="Answer at once with the job (status QUEUED) and let a worker import the "
        "file; follow it with importJob(id). A refused row then ends the job REFUSED.",
    )


@strawberry.type(description="The import's job as it finished.")
class ImportPayload:
    job: ImportJob = strawberry.field(description="Counts and refused rows.")


@strawberry.type(description="Rows were refused and skipInvalid was not set: nothing was written.")
class ImportRefusedError(errors.UserError):
    rows: list[ImportRowError] = strawberry.field(
        description="Every refused row, by line, with the column and why."
    )

    @classmethod
    def from_job(cls, job: Any) -> ImportRefusedError:
        return cls(
            field="csv",
            code=ErrorCode.INVALID,
            message=language.text(
                Msg.CSV_ROWS_REFUSED,
                invalid=job.invalid,
                total=job.total,
                first=imports.refused_columns(job.errors, language.current()),
            ),
            rows=[ImportRowError.from_domain(error) for error in job.errors],
        )


ImportResult = Annotated[
    ImportPayload
    | ImportRefusedError
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("ImportResult", description="The import's job, or why it was refused."),
]
