"""Logging for `wafi serve` and `wafi worker`: one line per request, tracebacks only for bugs.

Plain text by default; one JSON object per line with WAFI_LOG_FORMAT=json (timestamp, level,
logger, message, and the request's id, organisation, operation and duration when there is one).
A client's mistake is part of its request's line, never a traceback; an unexpected error logs its
traceback once, with the id the client was shown. Bearer tokens and URL passwords are masked in
every line, whatever logged them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from resolvers.store import engine, orgs

log = logging.getLogger("wafi")

FORMAT_VARIABLE = "WAFI_LOG_FORMAT"
FORMATS = ("text", "json")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SECRETS = (
    # A credential after "Bearer" is long; "a valid bearer token is required" stays readable.
    (re.compile(r"(?i)\b(bearer)\s+[^\s\"',;]{16,}"), r"\1 ***"),
    (re.compile(re.escape(orgs.TOKEN_PREFIX) + r"[A-Za-z0-9_-]+"), orgs.TOKEN_PREFIX + "***"),
)


@dataclass
class Request:
    """What one HTTP request's log lines say about it; filled in as the request runs."""

    request_id: str
    started: float = field(default_factory=time.perf_counter)
    org_id: int | None = None
    operation: str | None = None
    errors: list[str] = field(default_factory=list)

    def duration_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 1)


_CURRENT: ContextVar[Request | None] = ContextVar("wafi_request", default=None)


def current() -> Request | None:
    return _CURRENT.get()


def request_id(header: str | None) -> str:
    """The client's X-Request-ID when it is a plain token, else a new one."""
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex[:16]


@contextmanager
def request(header: str | None) -> Iterator[Request]:
    """The block is one request: its log lines carry its id, organisation and operation."""
    record = Request(request_id(header))
    token = _CURRENT.set(record)
    try:
        yield record
    finally:
        _CURRENT.reset(token)


def finished(record: Request, method: str, path: str, status: int) -> None:
    """The request's one line: status, duration and the client errors it answered."""
    level = logging.INFO if status < 500 else logging.WARNING if status == 503 else logging.ERROR
    message = f"{method} {path} {status}"
    if record.errors:
        message += " errors: " + "; ".join(record.errors)
    log.log(level, message, extra={"status": status, "duration_ms": record.duration_ms()})


def client_error(description: str) -> None:
    """A refusal of the client's request: on its request's line, or one INFO line of its own
    (a WebSocket subscription has no request line)."""
    description = description.replace("\r", "\\r").replace("\n", "\\n")  # one line, always
    record = current()
    if record is not None:
        record.errors.append(description)
    else:
        log.info("client error: %s", description)


def redact(text: str) -> str:
    """`text` without bearer tokens, API tokens or URL passwords."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return engine.without_secrets(text)


class _RequestFields(logging.Filter):
    """Copies the current request's id, organisation and operation onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        current_request = current()
        for name in ("request_id", "org_id", "operation"):
            if not hasattr(record, name):
                value = None if current_request is None else getattr(current_request, name)
                setattr(record, name, value)
        return True


_EXTRA_FIELDS = ("request_id", "org_id", "operation", "status", "duration_ms", "error_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """`time LEVEL logger message [request=… org=… operation=… 12.3 ms]`, then any traceback."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        tags = [
            f"{label}={getattr(record, name)}"
            for label, name in (
                ("request", "request_id"),
                ("org", "org_id"),
                ("operation", "operation"),
                ("error", "error_id"),
            )
            if getattr(record, name, None) is not None
        ]
        duration = getattr(record, "duration_ms", None)
        if duration is not None:
            tags.append(f"{duration} ms")
        saved = record.msg, record.args
        if tags:
            record.msg, record.args = f"{record.getMessage()} [{' '.join(tags)}]", None
        try:
            return redact(super().format(record))
        finally:
            record.msg, record.args = saved


def log_format() -> str:
    """WAFI_LOG_FORMAT: `text` (the default) or `json`."""
    value = os.environ.get(FORMAT_VARIABLE, "").strip().lower() or "text"
    if value not in FORMATS:
        raise engine.SettingsError(
            f"{FORMAT_VARIABLE} must be text or json, not {value[:20]!r}; unset it for text"
        )
    return value


def handler(fmt: str, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing to `stream` (standard error) in `fmt` (`text` or `json`), with the
    request's fields on each line and secrets masked."""
    out = logging.StreamHandler(stream or sys.stderr)
    out.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    out.addFilter(_RequestFields())
    return out


def configure(level: int = logging.INFO) -> None:
    """Send every logger's records (ours, uvicorn's, arq's) through one handler."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(log_format()))
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "arq"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    # arq logs two INFO lines per job run, and the relay runs every second: keep its warnings
    # and failures only.
    logging.getLogger("arq").setLevel(max(level, logging.WARNING))
