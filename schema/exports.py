"""CSV export at GET /export/{customers,tickets,ledger}.csv (README: CSV import and export):
the caller's bearer token, the role rules of the API (the ledger for owners and managers only),
streamed a batch at a time; `?bom=1` starts the file with a byte-order mark for Excel. A cell
that would start like a spreadsheet formula (`=`, `+`, `-`, `@`, tab, carriage return) gets an
apostrophe in front; import takes it off again."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action, Principal, require
from domain.text import spreadsheet_cell
from resolvers.store import engine, exports, orgs
from schema import language
from schema.context import Resources
from schema.types.relay import to_global_id

_ACTIONS = {"customers": Action.READ, "tickets": Action.READ, "ledger": Action.READ_LEDGER}
# Columns holding ids, and the GraphQL type their global id names.
_IDS = {"id": None, "customer_id": "Customer", "operator_id": "Operator"}
_TYPES = {"customers": "Customer", "tickets": "Ticket", "ledger": "LedgerEntry"}
BOM = "\ufeff".encode()


async def endpoint(request: Request) -> Response:
    """One export, or a JSON error: 401 without a valid token, 403 for a role that may not
    read it, 404 for an unknown file."""
    name = request.path_params["name"]
    kind = name.removesuffix(".csv")
    if kind not in _ACTIONS or not name.endswith(".csv"):
        return _error(404, "export", ErrorCode.NOT_FOUND, language.text(Msg.NO_SUCH_EXPORT))
    resources: Resources = request.app.state.resources
    principal = await _principal(resources, request.headers.get("authorization"))
    if principal is None:
        return _error(401, "export", ErrorCode.UNAUTHENTICATED, language.text(Msg.TOKEN_REQUIRED))
    try:
        require(principal.role, _ACTIONS[kind], field=f"export.{kind}")
    except DomainError as error:
        return _error(403, error.field, error.code, error.message(language.current()))
    bom = request.query_params.get("bom") == "1"
    return StreamingResponse(
        _stream(resources, principal.org_id, kind, bom=bom),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


async def _principal(resources: Resources, header: str | None) -> Principal | None:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    async with resources.pool.acquire() as conn:
        return await orgs.authenticate(conn, token=token.strip(), now=resources.clock())


def _error(status: int, field: str, code: ErrorCode, message: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code.value, "field": field}}]}
    return JSONResponse(body, status_code=status)


async def _stream(
    resources: Resources, org_id: int, kind: str, *, bom: bool
) -> AsyncIterator[bytes]:
    yield (BOM if bom else b"") + _lines([exports.COLUMNS[kind]])
    async with engine.scoped(resources.pool, org_id) as conn:
        async for batch in exports.batches(conn, kind=kind, org_id=org_id):
            yield _lines([_cells(kind, row) for row in batch])


def _cells(kind: str, row: Any) -> list[str]:
    cells: list[str] = []
    for column, value in row.items():
        if value is not None and column == "entity_id":
            cells.append(to_global_id(row["entity"], value))
        elif value is not None and column in _IDS:
            cells.append(to_global_id(_IDS[column] or _TYPES[kind], value))
        else:
            cells.append(spreadsheet_cell(_text(value)))
    return cells


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _lines(rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()
