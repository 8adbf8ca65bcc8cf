"""`wafi import customers|tickets FILE.csv` as a user runs it: progress on stderr, counts on
stdout, refused rows by line and column, nothing written on a dry run or a refused file."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_imports import CUSTOMERS, TICKETS, customers_of, snapshot
from tests.factories import Org
from tests.test_cli import ROOT, WAFI, _env

ARABIC = (
    "\ufeffالمعرف الخارجي,الاسم,اللغة,بداية الاشتراك,البريد الإلكتروني\n"
    "a-1,مؤسسة الريادة,ar,2026-04-01,ops@riyada.sa\n"
    "a-2,شركة النخيل,en,2026-04-02,\n"
)


@pytest.fixture
def wafi(database_url: str, tmp_path: Path) -> Any:
    def call(*args: str, csv: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if csv is not None:
            path = tmp_path / "data.csv"
            path.write_bytes(csv if isinstance(csv, bytes) else csv.encode())
            command.insert(2, str(path))
        return subprocess.run(
            [*WAFI, *command],
            cwd=ROOT,
            env=_env(WAFI_DATABASE_URL=database_url),
            capture_output=True,
            text=True,
            timeout=120,
        )

    return call


async def test_imports_an_excel_file_with_arabic_headers_and_a_progress_bar(
    org: Org, wafi: Any
) -> None:
    done = wafi("import", "customers", "--org", org.slug, csv=ARABIC.encode("utf-8"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "imported customers: 2 rows, 0 already imported, 0 refused, 2 created (import job "
    )
    # (text mode reads the bar's carriage returns as line ends)
    assert done.stderr.endswith(f"[{'-' * 30}]   0% 0/2 rows\n[{'#' * 30}] 100% 2/2 rows\n")
    rows = await customers_of(org)
    assert [(row[0], row[1], row[6]) for row in rows] == [
        ("مؤسسة الريادة", "ar", "ops@riyada.sa"),
        ("شركة النخيل", "en", None),
    ]
    again = wafi("import", "customers", "--org", org.slug, csv=ARABIC)
    assert again.stdout.startswith(
        "imported customers: 2 rows, 2 already imported, 0 refused, 0 created"
    )
    assert await customers_of(org) == rows


async def test_dry_run_writes_nothing(org: Org, wafi: Any) -> None:
    before = await snapshot(org)
    result = wafi("import", "customers", "--org", org.slug, "--dry-run", csv=CUSTOMERS)
    assert (result.returncode, result.stdout) == (
        0,
        "dry run, nothing written: customers: 2 rows, 0 already imported, 0 refused, "
        "2 would be created\n",
    )
    assert await snapshot(org) == before


async def test_a_bad_row_refuses_the_file_unless_skip_invalid(org: Org, wafi: Any) -> None:
    bad = CUSTOMERS + "c-3,Bad Co,ar,growth_starter,2026-03-01,not-an-email\n"
    before = await snapshot(org)
    refused = wafi("import", "customers", "--org", org.slug, csv=bad)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        "line 4, contact_email: not an email address (INVALID)\n"
        "wafi: nothing imported: 1 of 3 rows refused; fix them, or pass --skip-invalid to "
        "import the others\n"
    )
    assert await snapshot(org) == before
    skipped = wafi("import", "customers", "--org", org.slug, "--skip-invalid", csv=bad)
    assert skipped.returncode == 0, skipped.stderr
    assert skipped.stderr.endswith(
        "100% 3/3 rows\nline 4, contact_email: not an email address (INVALID)\n"
    )
    assert "2 created" in skipped.stdout
    assert [row[0] for row in await customers_of(org)] == ["شركة الأفق", "Najd Trading"]


async def test_imports_tickets_after_their_customers(org: Org, wafi: Any) -> None:
    assert wafi("import", "customers", "--org", org.slug, csv=CUSTOMERS).returncode == 0
    done = wafi("import", "tickets", "--org", org.slug, csv=TICKETS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imported tickets: 2 rows, 0 already imported, 0 refused, 2")
    async with org.pool.acquire() as conn:
        ledger = await conn.fetch(
            "SELECT action, role, operator_id FROM ledger WHERE org_id = $1 ORDER BY id", org.id
        )
    assert [tuple(row.values()) for row in ledger] == [
        ("importCustomers", "cli", None),
        ("importTickets", "cli", None),
    ]


@pytest.mark.parametrize(
    ("csv", "org_slug", "says"),
    [
        (b"external_id,name\nx,\xff\n", None, "data.csv: line 2: the file is not UTF-8"),
        ("external_id,name,colour\n", None, "data.csv: column colour: unknown column"),
        (CUSTOMERS, "no-such-org", "no organisation with slug 'no-such-org'"),
    ],
)
def test_refusals_are_one_line(
    org: Org, wafi: Any, csv: str | bytes, org_slug: str | None, says: str
) -> None:
    result = wafi("import", "customers", "--org", org_slug or org.slug, csv=csv)
    assert (result.returncode, result.stdout) == (1, "")
    assert "Traceback" not in result.stderr
    assert says in result.stderr.strip().splitlines()[-1]


def test_help_lists_the_import_options(wafi: Any) -> None:
    result = wafi("import", "tickets", "--help")
    for option in ("--org", "--dry-run", "--skip-invalid", "file"):
        assert option in result.stdout
