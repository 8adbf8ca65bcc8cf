"""Shared bench plumbing: a scratch database, a uvicorn subprocess, and a raw HTTP load loop.

The load loop speaks HTTP/1.1 keep-alive over asyncio streams, so the client costs microseconds a
request and the servers, not the client, set the numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from resolvers.store import engine, migrate

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get("WAFI_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("WAFI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def database_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def fresh_database(name: str) -> str:
    admin = await asyncpg.connect(engine.asyncpg_dsn(ADMIN_URL))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = database_url(name)
    await asyncio.to_thread(migrate.upgrade, url)
    return url


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(engine.asyncpg_dsn(ADMIN_URL))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# The server process behind each port `uvicorn_server` yields (for its CPU time).
PIDS: dict[int, int] = {}


@contextmanager
def uvicorn_server(
    app: str, env: dict[str, str], *, root: Path = ROOT, extra_path: Path | None = None
) -> Iterator[int]:
    """`app` is an import string of an app factory, imported from the checkout `root` (this one
    by default; `extra_path` is searched first, for a factory module kept outside it); yields
    the port once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=root,
        env={
            **os.environ,
            **env,
            "PYTHONPATH": os.pathsep.join(str(path) for path in (extra_path, root) if path),
        },
    )
    PIDS[port] = process.pid
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), 0.2):
                    break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        PIDS.pop(port, None)
        process.terminate()
        process.wait(timeout=15)


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(port: int) -> float:
    """CPU time (user + system) the server on `port` has used so far (Linux /proc)."""
    return _process_cpu(PIDS[port])


async def postgres_cpu_seconds(database: str) -> dict[int, float]:
    """CPU time each PostgreSQL backend serving `database` has used so far, by process id —
    when PostgreSQL runs on this host (Linux /proc); empty otherwise."""
    admin = await asyncpg.connect(engine.asyncpg_dsn(ADMIN_URL))
    try:
        rows = await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
    finally:
        await admin.close()
    found: dict[int, float] = {}
    for row in rows:
        with contextlib.suppress(OSError):  # not on this host, or already gone
            found[row["pid"]] = _process_cpu(row["pid"])
    return found


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """What the backends used between two `postgres_cpu_seconds` (new ones from zero)."""
    return sum(used - before.get(pid, 0.0) for pid, used in after.items())


def _request(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: bench",
        f"Content-Length: {len(body)}",
        "Content-Type: application/json",
    ]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _client(port: int, raw: bytes, until: float, counts: list[int]) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    last = b""
    try:
        while time.monotonic() < until:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            last = await reader.readexactly(length)
            counts[0] += 1
    finally:
        writer.close()
    return last


async def load(
    port: int,
    path: str,
    payload: dict[str, object],
    headers: dict[str, str],
    *,
    clients: int,
    seconds: float,
) -> tuple[float, bytes]:
    """Requests per second with `clients` keep-alive connections for `seconds`; and one body."""
    done, elapsed, body = await counted_load(
        [port], path, payload, headers, clients=clients, seconds=seconds
    )
    return done / elapsed, body


async def load_across(
    ports: list[int],
    path: str,
    payload: dict[str, object],
    headers: dict[str, str],
    *,
    clients: int,
    seconds: float,
) -> tuple[float, bytes]:
    """`load` with the clients dealt round-robin over several servers' ports (client i talks to
    ports[i % len(ports)] for the whole run): their total requests per second, and one body."""
    done, elapsed, body = await counted_load(
        ports, path, payload, headers, clients=clients, seconds=seconds
    )
    return done / elapsed, body


async def counted_load(
    ports: list[int],
    path: str,
    payload: dict[str, object],
    headers: dict[str, str],
    *,
    clients: int,
    seconds: float,
) -> tuple[int, float, bytes]:
    """`load_across`'s requests answered, the seconds they took, and one body."""
    raw = _request(path, json.dumps(payload).encode(), headers)
    counts = [0]
    start = time.monotonic()
    bodies = await asyncio.gather(
        *(
            _client(ports[index % len(ports)], raw, start + seconds, counts)
            for index in range(clients)
        )
    )
    return counts[0], time.monotonic() - start, bodies[0]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median(values: list[float]) -> float:
    return statistics.median(values)
