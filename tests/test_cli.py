"""The `wafi` command as a newcomer runs it: embedded servers, clean stops, friendly errors."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

WAFI = [sys.executable, "-m", "schema.cli"]
ROOT = Path(__file__).resolve().parents[1]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAFI_")}
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _alive(pids: set[int]) -> set[int]:
    out = subprocess.run(["ps", "-eo", "pid=,stat="], capture_output=True, text=True, check=True)
    running = {
        int(p) for p, stat in (line.split() for line in out.stdout.splitlines()) if "Z" not in stat
    }
    return pids & running


def _server_pids(serve_pid: int, data: Path) -> set[int]:
    """The embedded postmaster (from its pid file) and the redis-server child of `wafi serve`."""
    postmaster = int((data / "pg" / "postmaster.pid").read_text().split()[0])
    out = subprocess.run(
        ["ps", "-eo", "pid=,ppid=,comm="], capture_output=True, text=True, check=True
    )
    redis = {
        int(pid)
        for pid, ppid, comm in (line.split(None, 2) for line in out.stdout.splitlines())
        if int(ppid) == serve_pid and "redis" in comm
    }
    assert len(redis) == 1, "one embedded redis-server expected"
    return {postmaster, *redis}


def _wait_ready(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "wafi serve exited early"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("wafi serve never became ready")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_with_embedded_servers_stops_them_all(stop: signal.Signals) -> None:
    with tempfile.TemporaryDirectory(prefix="wafi-cli-") as tmp:
        data = Path(tmp) / "data"
        port = _free_port()
        process = subprocess.Popen(
            [*WAFI, "serve", "--port", str(port)],
            cwd=ROOT,
            env=_env(WAFI_DATA_DIR=str(data)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        servers: set[int] = set()
        try:
            _wait_ready(port, process)
            servers = _server_pids(process.pid, data)
            assert _alive(servers) == servers
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            assert health.json() == {"status": "ok"}
            ide = httpx.get(f"http://127.0.0.1:{port}/graphql", headers={"accept": "text/html"})
            assert "graphiql" in ide.text.lower()
            process.send_signal(stop)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _alive(servers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _alive(servers) == set()


def test_org_and_token_commands_print_a_token_once(database_url: str) -> None:
    env = _env(WAFI_DATABASE_URL=database_url)
    created = subprocess.run(
        [*WAFI, "org", "create", "Cli Org", "--slug", "cli-org"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("wafi_")
    viewer = subprocess.run(
        [*WAFI, "token", "create", "--org", "cli-org", "--role", "viewer"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert viewer.stdout.strip().splitlines()[-1].startswith("wafi_")
    again = subprocess.run(
        [*WAFI, "org", "create", "Cli Org", "--slug", "cli-org"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 1
    assert "exists; pick another with --slug" in again.stderr
    assert "Traceback" not in again.stderr


def test_token_create_for_an_unknown_org_says_what_to_do(database_url: str) -> None:
    result = subprocess.run(
        [*WAFI, "token", "create", "--org", "nope", "--role", "agent"],
        cwd=ROOT,
        env=_env(WAFI_DATABASE_URL=database_url),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "no organisation with slug 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_role_is_refused_by_the_parser() -> None:
    result = subprocess.run(
        [*WAFI, "token", "create", "--org", "x", "--role", "god"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "invalid choice: 'god'" in result.stderr


def test_an_unreachable_database_is_a_message_not_a_traceback() -> None:
    result = subprocess.run(
        [*WAFI, "migrate"],
        cwd=ROOT,
        env=_env(WAFI_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{_free_port()}/none"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "cannot reach a server" in result.stderr
    assert "Traceback" not in result.stderr


async def test_two_migrators_at_once_both_succeed(server_urls: tuple[str, str]) -> None:
    import asyncpg

    from resolvers.store import engine
    from tests.conftest import _with_database

    name = f"wafi_migrate_race_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(engine.asyncpg_dsn(server_urls[0]))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = _with_database(server_urls[0], name)
        # Two processes, as two replicas starting at once would be.
        runs = [
            await asyncio.create_subprocess_exec(
                *WAFI,
                "migrate",
                cwd=ROOT,
                env=_env(WAFI_DATABASE_URL=url),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(2)
        ]
        results = await asyncio.gather(*(run.communicate() for run in runs))
        assert [run.returncode for run in runs] == [0, 0], results
        conn = await asyncpg.connect(engine.asyncpg_dsn(url))
        try:
            versions = await conn.fetch("SELECT version_num FROM alembic_version")
            assert len(versions) >= 1
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
