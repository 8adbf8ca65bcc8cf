"""`wafi import customers|tickets FILE.csv`: the GraphQL import's rules and report, run straight
against the database with a progress bar on standard error (README: CSV import and export)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from domain import imports
from domain.errors import DomainError
from domain.messages import Language

CLI_ROLE = "cli"  # the ledger's role for an import made with database access, not a token
BAR = 30


class ImportFailedError(Exception):
    """What to tell the user when the command cannot import: one line, exit 1."""


def add_commands(sub: Any, command: Any, run: Any) -> None:
    """`import customers` and `import tickets`, under the `wafi` parser."""
    group = command(sub, "import", "import customers or historical tickets from CSV")
    kinds = group.add_subparsers(title="import commands")
    for kind, what in (
        ("customers", "customers, keyed by external_id"),
        ("tickets", "historical tickets with their opened_at, keyed by external_id"),
    ):
        parser = command(kinds, kind, f"import {what} (UTF-8 CSV, English or Arabic headers)")
        parser.add_argument("file", help="the CSV file (UTF-8, with or without a BOM)")
        parser.add_argument(
            "--org", default=None, help="the organisation's slug (default: the only one)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row and write nothing"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid rows and list the others (default: one bad row refuses all)",
        )
        parser.set_defaults(run=run, kind=imports.ImportKind(kind))


def read(path: str) -> str:
    """The file's text, or ImportFailedError saying why not."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ImportFailedError(f"cannot read {path}: {error.strerror}") from None
    try:
        return imports.decode(data)
    except DomainError as error:
        raise ImportFailedError(f"{path}: {error.message(Language.EN)}") from None


class Bar:
    """A progress bar on standard error: `[#####-----]  50% 5,000/10,000 rows`."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.shown = -1

    def __call__(self, processed: int, total: int) -> None:
        percent = 100 if total == 0 else processed * 100 // total
        if percent == self.shown:
            return
        self.shown = percent
        filled = BAR * percent // 100
        bar = "#" * filled + "-" * (BAR - filled)
        self.stream.write(f"\r[{bar}] {percent:3d}% {processed:,}/{total:,} rows")
        if processed >= total:
            self.stream.write("\n")
        self.stream.flush()


async def run(database_url: str, args: argparse.Namespace, data: str) -> Any:
    """Import into the organisation `args.org` (or the only one) in one transaction."""
    from resolvers.store import engine, import_runs
    from resolvers.store import imports as store

    pool = await engine.create_system_pool(database_url, size=1)
    try:
        org_id = await _organisation(pool, args.org)
    finally:
        await pool.close()
    write = engine.create_write_engine(database_url, size=1)
    try:
        async with engine.transaction(engine.sessions(write), org_id) as session:
            job = await import_runs.run(
                session,
                org_id=org_id,
                operator_id=None,
                role=CLI_ROLE,
                kind=args.kind,
                data=data,
                dry_run=args.dry_run,
                skip_invalid=args.skip_invalid,
                now=datetime.now(UTC),
                progress=Bar(),
            )
            if job.status == "done":
                job = await store.save_job(session, org_id=org_id, job=job)
            return job
    finally:
        await write.dispose()


async def _organisation(pool: Any, slug: str | None) -> int:
    rows = await pool.fetch(
        "SELECT id, slug FROM organisations WHERE $1::text IS NULL OR slug = $1 ORDER BY id", slug
    )
    if slug is not None and not rows:
        raise ImportFailedError(f"no organisation with slug {slug!r}; `wafi org list` shows them")
    if not rows:
        raise ImportFailedError("no organisations yet: create one with `wafi org create NAME`")
    if len(rows) > 1:
        raise ImportFailedError("there are several organisations: choose one with --org SLUG")
    return int(rows[0]["id"])


def report(job: Any, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Print the refused rows (stderr) and the counts (stdout); the exit status."""
    for error in job.errors:
        err.write(
            f"line {error.line}, {error.column}: {error.message(Language.EN)} "
            f"({error.code.value})\n"
        )
    kind = job.kind.value
    counts = f"{job.total} rows, {job.existing} already imported, {job.invalid} refused"
    if job.status == "refused":
        err.write(
            f"wafi: nothing imported: {job.invalid} of {job.total} rows refused; fix them, "
            "or pass --skip-invalid to import the others\n"
        )
        return 1
    if job.status == "dry_run":
        out.write(f"dry run, nothing written: {kind}: {counts}, {job.created} would be created\n")
        return 0
    out.write(f"imported {kind}: {counts}, {job.created} created (import job {job.id})\n")
    return 0
