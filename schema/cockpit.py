"""The cockpit: the web client at `/`, plain ES modules and CSS shipped with the package
(schema/web/), no CDN and no build step. It talks to the API only through /graphql."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

WEB = Path(__file__).with_name("web")

# The page may load only this server's scripts, styles and API (README: Cockpit).
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


async def index(request: Request) -> Response:
    return FileResponse(
        WEB / "index.html",
        media_type="text/html; charset=utf-8",
        headers={
            "content-security-policy": _POLICY,
            "referrer-policy": "no-referrer",
            "cache-control": "no-cache",
        },
    )


def graphiql_html() -> str:
    """GraphiQL from the package's own files (schema/web/graphiql/), never from a CDN."""
    return (WEB / "graphiql" / "index.html").read_text(encoding="utf-8")


def routes() -> list[BaseRoute]:
    """`/` and `/cockpit/*` (the client's files)."""
    return [
        Route("/", index),
        Mount("/cockpit", app=StaticFiles(directory=WEB), name="cockpit"),
    ]
