"""`GET /reports/cs-plan.md` and `/reports/cs-plan.csv` (docs/rules.md §8.4): the CS plan report
as a file, with the bearer token; refusals are JSON like the GraphQL endpoint's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from domain.errors import DomainError, ErrorCode
from domain.messages import Language, Msg
from domain.roles import Action, require
from resolvers import cs_plan
from resolvers.store import engine, orgs
from schema import http_errors, language
from schema.context import Resources
from schema.types.cs_plan import ReportFormat
from schema.types.scalars import parse_datetime

_MEDIA = {ReportFormat.MARKDOWN: "text/markdown", ReportFormat.CSV: "text/csv"}
_STATUS = {ErrorCode.UNAUTHENTICATED: 401, ErrorCode.FORBIDDEN: 403}


def endpoint(
    resources: Callable[[], Resources], format: ReportFormat
) -> Callable[[Request], Awaitable[Response]]:
    """The route for one format."""

    async def report(request: Request) -> Response:
        with language.answering(request.headers.get("accept-language")):
            try:
                return await _answer(request, resources(), format)
            except DomainError as refused:
                return http_errors.error_response(
                    _STATUS.get(refused.code, 400),
                    refused.message(language.current()),
                    refused.code.value,
                    field=refused.field,
                )

    return report


async def _answer(request: Request, held: Resources, format: ReportFormat) -> Response:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    now = held.clock()
    principal = None
    if scheme.lower() == "bearer" and token.strip():
        async with held.pool.acquire() as conn:
            principal = await orgs.authenticate(conn, token=token.strip(), now=now)
    if principal is None:
        raise DomainError("authorization", ErrorCode.UNAUTHENTICATED, Msg.TOKEN_REQUIRED)
    require(principal.role, Action.READ, field="csPlanReport")
    start, end = _moment(request, "from"), _moment(request, "to")
    cs_plan.check_period(start, end)
    try:
        lang = Language(request.query_params.get("lang", "ar").lower())
    except ValueError:
        raise DomainError("lang", ErrorCode.INVALID, Msg.REPORT_LANGUAGE) from None
    async with engine.scoped(held.pool, principal.org_id) as conn:
        report = await cs_plan.build(conn, org_id=principal.org_id, start=start, end=end)
    return PlainTextResponse(
        report.text(format, lang), media_type=f"{_MEDIA[format]}; charset=utf-8"
    )


def _moment(request: Request, field: str) -> datetime:
    try:
        return parse_datetime(request.query_params.get(field))
    except ValueError:
        raise DomainError(
            field, ErrorCode.INVALID, Msg.REPORT_NEEDS_DATETIME, field=field
        ) from None
