"""CSV import rules without a database: headers in English and Arabic, dates in the
organisation's zone, line numbers, and the refusals a file can earn."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import imports
from domain.errors import DomainError, ErrorCode
from domain.imports import CustomerRecord, ImportKind, RowError, TicketRecord
from domain.messages import Language, Msg, text

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def parse(data: str, kind: ImportKind = ImportKind.CUSTOMERS) -> imports.Parsed:
    return imports.parse(data, kind, time_zone="Asia/Riyadh", now=NOW)


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("name", "name"),
        (" Name ", "name"),
        ("الاسم", "name"),
        ("الإسم", "name"),  # alef with hamza below folds to bare alef
        ("بداية الاشتراك", "subscription_started_at"),
        ("Subscription Started At", "subscription_started_at"),
        ("subscription-started-at", "subscription_started_at"),
        ("البريد الالكتروني", "contact_email"),
        ("\ufeffexternal_id", "external_id"),
    ],
)
def test_headers_match_in_english_and_arabic(header: str, column: str) -> None:
    others = [c for c in ("external_id", "name", "subscription_started_at") if c != column]
    assert imports.read_header(ImportKind.CUSTOMERS, [header, *others])[0] == column


@pytest.mark.parametrize(
    ("header", "field", "code"),
    [
        (["external_id", "name", "colour"], "colour", ErrorCode.INVALID),
        (["external_id", "name", "الاسم"], "الاسم", ErrorCode.DUPLICATE),
        (["external_id", "name"], "subscription_started_at", ErrorCode.REQUIRED),
    ],
)
def test_a_bad_header_is_refused_naming_the_column(
    header: list[str], field: str, code: ErrorCode
) -> None:
    with pytest.raises(DomainError) as refused:
        imports.read_header(ImportKind.CUSTOMERS, header)
    assert (refused.value.field, refused.value.code) == (field, code)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2026-01-05", "2026-01-04T21:00:00+00:00"),  # midnight in Riyadh
        ("2026-01-05 09:30", "2026-01-05T06:30:00+00:00"),
        ("2026-01-05T09:30:00+00:00", "2026-01-05T09:30:00+00:00"),
        ("2026-01-05T09:30:00Z", "2026-01-05T09:30:00+00:00"),
        ("2026-01-05T09:30:00+01:00", "2026-01-05T08:30:00+00:00"),
    ],
)
def test_times_without_an_offset_are_the_organisations(value: str, stored: str) -> None:
    parsed = parse(f"external_id,name,subscription_started_at\nx,Co,{value}\n")
    record = parsed.records[0]
    assert isinstance(record, CustomerRecord)
    assert record.customer.subscription_started_at.isoformat() == stored


@pytest.mark.parametrize(
    ("word", "locale"), [("ar", "ar"), ("EN", "en"), ("عربي", "ar"), ("English", "en")]
)
def test_locale_words(word: str, locale: str) -> None:
    parsed = parse(f"external_id,name,subscription_started_at,locale\nx,Co,2026-01-01,{word}\n")
    record = parsed.records[0]
    assert isinstance(record, CustomerRecord)
    assert record.customer.locale.value == locale


def test_line_numbers_count_multiline_cells_and_skip_blank_rows() -> None:
    data = (
        "external_id,customer_external_id,subject,body,opened_at\n"
        't-1,c-1,Hello,"two\nlines",2026-10-01\n'
        "\n"
        "t-2,c-1,,body,2026-10-01\n"
        "t-3,c-1,Hi,body,yesterday,extra\n"
    )
    parsed = parse(data, ImportKind.TICKETS)
    assert parsed.total == 3
    assert [r.line for r in parsed.records] == [2]
    assert isinstance(parsed.records[0], TicketRecord)
    assert parsed.records[0].ticket.body == "two\nlines"
    assert parsed.errors == [
        RowError(5, "subject", ErrorCode.REQUIRED, text(Msg.FIELD_REQUIRED, field="subject")),
        RowError(6, "row", ErrorCode.INVALID, text(Msg.CSV_TOO_MANY_CELLS, cells=6, columns=5)),
    ]


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        ("x,,2026-01-01,,", "name", ErrorCode.REQUIRED),
        (",Co,2026-01-01,,", "external_id", ErrorCode.REQUIRED),
        (f"{'k' * 121},Co,2026-01-01,,", "external_id", ErrorCode.TOO_LONG),
        (f"x,{'n' * 121},2026-01-01,,", "name", ErrorCode.TOO_LONG),
        ("x,Co,01/02/2026,,", "subscription_started_at", ErrorCode.INVALID),
        ("x,Co,2026-01-01,2025-01-01,", "renews_at", ErrorCode.INVALID),
        ("x,Co,2026-01-01,,nobody", "contact_email", ErrorCode.INVALID),
        ("x,Co\x00,2026-01-01,,", "name", ErrorCode.INVALID),
    ],
)
def test_each_customer_rule_names_its_column(row: str, column: str, code: ErrorCode) -> None:
    parsed = parse(f"external_id,name,subscription_started_at,renews_at,contact_email\n{row}\n")
    assert [(e.line, e.column, e.code) for e in parsed.errors] == [(2, column, code)]


def test_decode_accepts_a_bom_and_names_the_first_line_that_is_not_utf8() -> None:
    assert imports.decode("\ufeffname\n".encode()) == "name\n"
    with pytest.raises(DomainError) as refused:
        imports.decode(b"a\nb\n\xff\n")
    assert refused.value.message(Language.EN) == "line 3: the file is not UTF-8"
    assert refused.value.message(Language.AR) == "السطر 3: الملف ليس UTF-8"


def test_an_empty_file_needs_a_header() -> None:
    with pytest.raises(DomainError) as refused:
        parse("")
    assert (refused.value.field, refused.value.code) == ("csv", ErrorCode.REQUIRED)
