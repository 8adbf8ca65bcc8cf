"""Logs: a client's mistake is one INFO line, a bug one traceback with the id the client was
shown, JSON lines carry the request's fields, and no token ever reaches a log."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from resolvers.store import customers as customer_store
from resolvers.store import engine
from schema import compiled, logs
from tests.factories import Org

CUSTOMERS = "query Dashboard { customers(first: 5) { edges { node { name } } } }"

Capture = Callable[[str], io.StringIO]


class _ServerOnly(logging.Filter):
    """Drops the test client's own records (httpx), keeping everything the app logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(("httpx", "httpcore"))


@pytest.fixture
def capture() -> Iterator[Capture]:
    """Every record any logger emits, at DEBUG, formatted the way `wafi serve` formats them."""
    root = logging.getLogger()
    added: list[logging.Handler] = []
    level = root.level

    def start(fmt: str) -> io.StringIO:
        stream = io.StringIO()
        handler = logs.handler(fmt, stream)
        handler.addFilter(_ServerOnly())
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        added.append(handler)
        return stream

    yield start
    for handler in added:
        root.removeHandler(handler)
    root.setLevel(level)


async def post(org: Org, query: str, *, token: str | None, **extra: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await org.client.post("/graphql", json={"query": query, **extra}, headers=headers)


LINE = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO wafi POST /graphql 200 errors: "
    r"UNAUTHENTICATED customers: a valid bearer token is required "
    r"\[request=[0-9a-f]{16} operation=Dashboard \d+\.\d ms\]"
)


async def test_a_hundred_unauthenticated_requests_log_a_line_each(
    org: Org, capture: Capture
) -> None:
    out = capture("text")
    for _ in range(100):
        response = await post(org, CUSTOMERS, token=None)
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    lines = out.getvalue().splitlines()
    assert len(lines) == 100
    assert all(LINE.fullmatch(line) for line in lines), lines[0]
    assert "Traceback" not in out.getvalue()
    assert len(out.getvalue().encode()) < 20_000  # was 116 KB


async def test_a_bad_first_is_one_info_line(org: Org, capture: Capture) -> None:
    out = capture("text")
    body = (
        await post(org, "{ customers(first: -1) { edges { node { id } } } }", token=org.token)
    ).json()
    [error] = body["errors"]
    [line] = out.getvalue().splitlines()
    assert f"INFO wafi POST /graphql 200 errors: {error['extensions']['code']} first: " in line
    assert f"org={org.id}" in line


@pytest.fixture
def failing_page(monkeypatch: pytest.MonkeyPatch, org: Org) -> None:
    """A bug in the store: the exception's message even quotes the caller's token."""

    async def page(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"boom with {org.token} in it")

    monkeypatch.setattr(customer_store, "page", page)
    monkeypatch.setattr(compiled, "ENABLED", False)  # the list must run through the store's page


@pytest.mark.usefixtures("failing_page")
async def test_a_bug_logs_its_traceback_once_with_the_error_id(org: Org, capture: Capture) -> None:
    out = capture("text")
    body = (await post(org, CUSTOMERS, token=org.token)).json()
    [error] = body["errors"]
    error_id = error["extensions"]["errorId"]
    assert error["message"] == f"Internal error (id {error_id})"
    text = out.getvalue()
    assert text.count("Traceback (most recent call last)") == 1
    assert text.count("RuntimeError: boom with wafi_*** in it") == 1
    assert f"ERROR wafi unexpected error {error_id} [request=" in text
    assert f"error={error_id}" in text
    assert org.token not in text


async def test_json_lines_carry_the_request_fields(org: Org, capture: Capture) -> None:
    out = capture("json")
    response = await org.client.post(
        "/graphql",
        json={"query": CUSTOMERS, "operationName": "Dashboard"},
        headers={"Authorization": f"Bearer {org.token}", "X-Request-ID": "req-42.a_b"},
    )
    assert response.headers["x-request-id"] == "req-42.a_b"
    [line] = out.getvalue().splitlines()
    entry = json.loads(line)
    assert set(entry) == {
        "timestamp",
        "level",
        "logger",
        "message",
        "request_id",
        "org_id",
        "operation",
        "status",
        "duration_ms",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["timestamp"])
    assert {k: entry[k] for k in ("level", "logger", "message", "request_id")} == {
        "level": "INFO",
        "logger": "wafi",
        "message": "POST /graphql 200",
        "request_id": "req-42.a_b",
    }
    assert (entry["org_id"], entry["operation"], entry["status"]) == (org.id, "Dashboard", 200)
    assert isinstance(entry["duration_ms"], float)


async def test_an_unusable_request_id_is_replaced(org: Org) -> None:
    response = await org.client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"X-Request-ID": "no spaces\tor tabs" + "x" * 80},
    )
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["x-request-id"])


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_no_token_reaches_the_logs(org: Org, capture: Capture, fmt: str) -> None:
    out = capture(fmt)
    unknown = "wafi_" + "S3cr3t-unknown-token-value"
    await post(org, CUSTOMERS, token=org.token)
    await post(org, CUSTOMERS, token=unknown)
    await post(org, f'{{ customer(id: "{org.token}") {{ name }} }}', token=org.token)
    await post(org, f'{{ nope(token: "Bearer {unknown}") }}', token=org.token)
    logging.getLogger("wafi").info("a driver said Authorization: Bearer %s", unknown)
    logging.getLogger("wafi").info("dsn postgresql://wafi:hunter22@db/wafi")
    text = out.getvalue()
    assert text.count("\n") >= 6
    for secret in (org.token, unknown, org.token[5:], "hunter22"):
        assert secret not in text


@pytest.mark.parametrize(("value", "expected"), [("", "text"), ("json", "json"), ("JSON", "json")])
def test_the_log_format_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.setenv("WAFI_LOG_FORMAT", value)
    assert logs.log_format() == expected


def test_an_unknown_log_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAFI_LOG_FORMAT", "xml")
    with pytest.raises(engine.SettingsError) as refused:
        logs.log_format()
    assert (
        str(refused.value) == "WAFI_LOG_FORMAT must be text or json, not 'xml'; unset it for text"
    )


def _run(code: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_configure_writes_json_lines_to_standard_error() -> None:
    done = _run(
        [
            "-c",
            "import logging; from schema import logs; logs.configure(); "
            "logging.getLogger('uvicorn.error').info('Started'); "
            "logging.getLogger('arq.worker').info('a job ran')",
        ],
        WAFI_LOG_FORMAT="json",
    )
    [line] = done.stderr.splitlines()
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "INFO",
        "uvicorn.error",
        "Started",
    )


def test_wafi_worker_refuses_an_unknown_log_format_in_one_line() -> None:
    done = _run(["-m", "schema.cli", "worker"], WAFI_LOG_FORMAT="xml")
    assert done.returncode == 1
    assert done.stderr == (
        "wafi: WAFI_LOG_FORMAT must be text or json, not 'xml'; unset it for text\n"
    )


async def test_a_client_error_cannot_forge_a_log_line(org: Org, capture: Capture) -> None:
    out = capture("text")
    forged = "X\n2026-12-04 10:00:00,000 INFO wafi POST /graphql 200"
    response = await post(org, "query A { __typename }", token=None, operationName=forged)
    assert response.status_code == 400
    [line] = out.getvalue().splitlines()
    assert 'Unknown operation named "X\\n2026-12-04 10:00:00,000 INFO' in line
