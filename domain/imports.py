"""CSV import rules (README: CSV import and export): the header table in English and Arabic,
reading a file's rows into customers and historical tickets, and per-row refusals with the line
number and the column as written in the file. Pure: the clock and the time zone are arguments.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from domain import customers, messages, text, tickets
from domain.errors import DomainError, ErrorCode
from domain.messages import Language, Msg

KEY_LIMIT = 120  # an external id
ROW_LIMIT = 1_000_000  # rows in one file
E = TypeVar("E", bound=StrEnum)


class ImportKind(StrEnum):
    """What a file holds."""

    CUSTOMERS = "customers"
    TICKETS = "tickets"


# Canonical column → the headers accepted for it (English first, then Arabic).
CUSTOMER_HEADERS: Mapping[str, tuple[str, ...]] = {
    "external_id": ("external_id", "المعرف الخارجي", "المعرف"),
    "name": ("name", "الاسم"),
    "locale": ("locale", "اللغة"),
    "bundle": ("bundle", "الباقة"),
    "stage": ("stage", "المرحلة"),
    "subscription_status": ("subscription_status", "حالة الاشتراك"),
    "subscription_started_at": ("subscription_started_at", "بداية الاشتراك"),
    "renews_at": ("renews_at", "موعد التجديد"),
    "contact_email": ("contact_email", "البريد الإلكتروني"),
    "last_activity_at": ("last_activity_at", "آخر نشاط"),
}
TICKET_HEADERS: Mapping[str, tuple[str, ...]] = {
    "external_id": ("external_id", "المعرف الخارجي", "المعرف"),
    "customer_external_id": ("customer_external_id", "معرف العميل"),
    "subject": ("subject", "الموضوع"),
    "body": ("body", "النص"),
    "channel": ("channel", "القناة"),
    "opened_at": ("opened_at", "تاريخ الفتح"),
    "first_response_at": ("first_response_at", "أول رد"),
    "resolved_at": ("resolved_at", "تاريخ الحل"),
}
HEADERS: Mapping[ImportKind, Mapping[str, tuple[str, ...]]] = {
    ImportKind.CUSTOMERS: CUSTOMER_HEADERS,
    ImportKind.TICKETS: TICKET_HEADERS,
}
REQUIRED: Mapping[ImportKind, frozenset[str]] = {
    ImportKind.CUSTOMERS: frozenset({"external_id", "name", "subscription_started_at"}),
    ImportKind.TICKETS: frozenset({"external_id", "customer_external_id", "subject", "opened_at"}),
}
_LOCALE_WORDS = {
    "عربي": "ar",
    "العربية": "ar",
    "english": "en",
    "انجليزي": "en",
    "الانجليزية": "en",
}
# A domain refusal's field (GraphQL spelling) → the column it comes from.
_COLUMN_OF = {
    "name": "name",
    "contactEmail": "contact_email",
    "renewsAt": "renews_at",
    "subject": "subject",
    "body": "body",
    "firstResponseAt": "first_response_at",
    "resolvedAt": "resolved_at",
    "status": "resolved_at",
}


@dataclass(frozen=True, slots=True)
class RowError:
    """One refused row: its line in the file, the column as the file spells it, and why."""

    line: int
    column: str
    code: ErrorCode
    text: messages.Text

    def message(self, language: Language) -> str:
        """Why, in `language`."""
        return self.text.render(language)


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A customer row ready to save, with its stable key."""

    line: int
    external_id: str
    customer: customers.Customer


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """A historical ticket row; `customer_external_id` is resolved against earlier imports."""

    line: int
    external_id: str
    customer_external_id: str
    ticket: tickets.Ticket


Record = CustomerRecord | TicketRecord


@dataclass(frozen=True, slots=True)
class Parsed:
    """A file read: its valid records, its refused rows, and how many data rows it had."""

    records: list[Record] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0
    spelt: dict[str, str] = field(default_factory=dict)  # column → its header in the file

    def column(self, name: str) -> str:
        """A column as the file spells it."""
        return self.spelt.get(name, name)


def decode(data: bytes) -> str:
    """UTF-8 with or without a byte-order mark (Excel writes one); refuses other encodings
    naming the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DomainError("csv", ErrorCode.INVALID, Msg.CSV_NOT_UTF8, line=line) from None


def header_key(header: str) -> str:
    """How headers compare: §2.2 folding, spaces and hyphens as underscores."""
    return text.normalise(header).replace(" ", "_").replace("-", "_")


def read_header(kind: ImportKind, header: list[str]) -> dict[int, str]:
    """Column index → canonical column; refuses unknown, repeated or missing columns (line 1)."""
    known = {
        header_key(alias): name for name, aliases in HEADERS[kind].items() for alias in aliases
    }
    columns: dict[int, str] = {}
    for index, raw in enumerate(header):
        written = raw.strip().lstrip("\ufeff")
        name = known.get(header_key(written))
        if name is None:
            expected = ", ".join(HEADERS[kind])
            raise DomainError(written, ErrorCode.INVALID, Msg.CSV_UNKNOWN_COLUMN, expected=expected)
        if name in columns.values():
            raise DomainError(written, ErrorCode.DUPLICATE, Msg.CSV_COLUMN_TWICE, name=name)
        columns[index] = name
    for name in sorted(REQUIRED[kind] - set(columns.values())):
        raise DomainError(name, ErrorCode.REQUIRED, Msg.CSV_NEEDS_COLUMN, name=name)
    return columns


def parse(data: str, kind: ImportKind, *, time_zone: str, now: datetime) -> Parsed:
    """Every data row of a CSV file as a record or a refusal (the row's first broken field).

    Dates without a time or an offset are in the organisation's `time_zone`. A refused header
    raises DomainError naming the column.
    """
    rows = _rows(data)
    first = next(rows, None)
    if first is None:
        raise DomainError("csv", ErrorCode.REQUIRED, Msg.CSV_EMPTY)
    _, header = first
    columns = read_header(kind, header)
    spelt = {name: header[index].strip().lstrip("\ufeff") for index, name in columns.items()}
    zone = ZoneInfo(time_zone)
    parsed = Parsed()
    seen: set[str] = set()
    total = 0
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        total += 1
        if total > ROW_LIMIT:
            raise DomainError("csv", ErrorCode.OUT_OF_RANGE, Msg.CSV_TOO_MANY_ROWS, limit=ROW_LIMIT)
        try:
            values = _values(cells, columns)
            key = values.get("external_id", "")
            if key in seen:
                raise DomainError("external_id", ErrorCode.DUPLICATE, Msg.CSV_KEY_REPEATS)
            seen.add(key)
            parsed.records.append(_record(kind, line, values, zone=zone, now=now))
        except DomainError as error:
            column = spelt.get(_COLUMN_OF.get(error.field, error.field), error.field)
            parsed.errors.append(
                RowError(line, column, error.code, messages.Text(error.msg, error.params))
            )
    return Parsed(parsed.records, parsed.errors, total, spelt)


def _rows(data: str) -> Iterator[tuple[int, list[str]]]:
    """(the line a record starts on, its cells); a quoted cell may span lines."""
    reader = csv.reader(io.StringIO(data.removeprefix("\ufeff"), newline=""))
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as error:
        raise DomainError(
            "csv", ErrorCode.INVALID, Msg.CSV_BROKEN, line=start, detail=str(error)
        ) from None


def _values(cells: list[str], columns: dict[int, str]) -> dict[str, str]:
    if len(cells) > len(columns):
        raise DomainError(
            "row", ErrorCode.INVALID, Msg.CSV_TOO_MANY_CELLS, cells=len(cells), columns=len(columns)
        )
    values: dict[str, str] = {}
    for index, cell in enumerate(cells):
        if not text.storable(cell):
            raise DomainError(columns[index], ErrorCode.INVALID, Msg.CSV_UNSTORABLE)
        values[columns[index]] = text.from_spreadsheet_cell(cell.strip())
    return values


def _record(
    kind: ImportKind, line: int, values: dict[str, str], *, zone: ZoneInfo, now: datetime
) -> Record:
    key = _required(values, "external_id")
    if len(key) > KEY_LIMIT:
        raise DomainError("external_id", ErrorCode.TOO_LONG, Msg.AT_MOST_CHARS, limit=KEY_LIMIT)
    if kind == ImportKind.CUSTOMERS:
        return CustomerRecord(line, key, _customer(values, zone))
    customer_key = _required(values, "customer_external_id")
    return TicketRecord(line, key, customer_key, _ticket(values, zone=zone, now=now))


def _customer(values: dict[str, str], zone: ZoneInfo) -> customers.Customer:
    locale = values.get("locale", "")
    return customers.validate(
        customers.Customer(
            name=_required(values, "name"),
            locale=_enum(customers.Locale, "locale", _LOCALE_WORDS.get(header_key(locale), locale))
            or customers.Locale.AR,
            bundle=_enum(customers.Bundle, "bundle", values.get("bundle", ""))
            or customers.Bundle.GROWTH_STARTER,
            stage=_enum(customers.Stage, "stage", values.get("stage", ""))
            or customers.Stage.ONBOARDING,
            subscription_status=_enum(
                customers.SubscriptionStatus,
                "subscription_status",
                values.get("subscription_status", ""),
            )
            or customers.SubscriptionStatus.PILOT,
            subscription_started_at=_instant(
                _required(values, "subscription_started_at"), "subscription_started_at", zone
            ),
            renews_at=_optional_instant(values, "renews_at", zone),
            contact_email=values.get("contact_email") or None,
            last_activity_at=_optional_instant(values, "last_activity_at", zone),
        )
    )


def _ticket(values: dict[str, str], *, zone: ZoneInfo, now: datetime) -> tickets.Ticket:
    subject = _required(values, "subject")
    body = values.get("body", "")
    tickets.validate_text(subject, body)
    channel = _enum(tickets.Channel, "channel", values.get("channel", "")) or tickets.Channel.EMAIL
    opened_at = _instant(_required(values, "opened_at"), "opened_at", zone)
    if opened_at > now:
        raise DomainError(
            "opened_at", ErrorCode.OUT_OF_RANGE, Msg.FIELD_IN_FUTURE, field="opened_at"
        )
    classification = tickets.classify(subject, body)
    lifecycle = tickets.open_ticket(classification.priority, opened_at)
    answered = _optional_instant(values, "first_response_at", zone)
    resolved = _optional_instant(values, "resolved_at", zone)
    for at, column in ((answered, "first_response_at"), (resolved, "resolved_at")):
        if at is not None and at > now:
            raise DomainError(column, ErrorCode.OUT_OF_RANGE, Msg.FIELD_IN_FUTURE, field=column)
    if answered is not None:
        lifecycle = tickets.record_first_response(lifecycle, answered)
    if resolved is not None:
        lifecycle = tickets.resolve(lifecycle, resolved)
    return tickets.Ticket(
        customer_id=0,  # set once customer_external_id is resolved
        subject=subject,
        body=body,
        channel=channel,
        classification=classification,
        lifecycle=lifecycle,
    )


def _required(values: dict[str, str], column: str) -> str:
    value = values.get(column, "")
    if not value:
        raise DomainError(column, ErrorCode.REQUIRED, Msg.FIELD_REQUIRED, field=column)
    return value


def _enum(kind: type[E], column: str, value: str) -> E | None:
    if not value:
        return None
    try:
        return kind(value.strip().lower())
    except ValueError:
        raise DomainError(
            column, ErrorCode.INVALID, Msg.CSV_NOT_A, value=repr(value), column=column
        ) from None


def _instant(value: str, column: str, zone: ZoneInfo) -> datetime:
    """ISO 8601 (`2025-01-31`, `2025-01-31 09:30`, `2025-01-31T09:30:00+03:00`, `…Z`), in UTC."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise DomainError(
            column, ErrorCode.INVALID, Msg.CSV_NOT_A_DATE, value=repr(value)
        ) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone)
    return at.astimezone(UTC)


def _optional_instant(values: dict[str, str], column: str, zone: ZoneInfo) -> datetime | None:
    value = values.get(column, "")
    return _instant(value, column, zone) if value else None


def refused_columns(errors: list[RowError], language: Language) -> str:
    """A one-line summary of the first refusals, for a CLI or an error message."""
    shown = "; ".join(f"line {e.line} {e.column}: {e.message(language)}" for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return shown + more
