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
            if stop == signal.SIGINT:
                # A command beside the running server uses its PostgreSQL and says so.
                beside = _wafi("org", "create", "Beside Org", WAFI_DATA_DIR=str(data))
                assert beside.returncode == 0, beside.stderr
                assert beside.stderr == (
                    f"wafi: using the embedded PostgreSQL running under {data.resolve()}/\n"
                )
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


async def test_a_revoked_token_is_refused_from_then_on(
    database_url: str, client: httpx.AsyncClient
) -> None:
    from tests.factories import gql

    env = _env(WAFI_DATABASE_URL=database_url)
    slug = f"revoke-{secrets.token_hex(4)}"

    def wafi(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*WAFI, *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
        )

    owner = wafi("org", "create", "Revoke Org", "--slug", slug).stdout.strip().splitlines()[-1]
    agent = (
        wafi("token", "create", "--org", slug, "--role", "agent").stdout.strip().splitlines()[-1]
    )
    query = "{ customers(first: 1) { edges { node { id } } } }"
    assert "errors" not in await gql(client, query, token=agent)
    # Another organisation's slug does not revoke it, nor does an empty line.
    for args, stdin in ((("--org", "cli-nope"), agent + "\n"), (("--org", slug), "\n")):
        refused = wafi("token", "revoke", *args, stdin=stdin)
        assert refused.returncode == 1, refused.stderr
        assert "Traceback" not in refused.stderr
        assert agent not in refused.stderr + refused.stdout  # never echoed
    assert "errors" not in await gql(client, query, token=agent)
    revoked = wafi("token", "revoke", "--org", slug, stdin=agent + "\n")
    assert revoked.returncode == 0, revoked.stderr
    assert agent not in revoked.stdout + revoked.stderr
    body = await gql(client, query, token=agent)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "errors" not in await gql(client, query, token=owner)  # only that token
    again = wafi("token", "revoke", "--org", slug, stdin=agent + "\n")
    assert (again.returncode, "already revoked" in again.stderr) == (1, True)


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
    from tests.scratch import with_database

    name = f"wafi_migrate_race_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(engine.asyncpg_dsn(server_urls[0]))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = with_database(server_urls[0], name)
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


# Errors say what to do, in one line, never a traceback and never a password.


def _wafi(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WAFI, *args], cwd=ROOT, env=_env(**env), capture_output=True, text=True, timeout=120
    )


def _refused(result: subprocess.CompletedProcess[str], code: int, *says: str) -> str:
    """The one message the command printed (after any progress lines), checked."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    message = result.stderr.strip().splitlines()[-1]
    for text in says:
        assert text in message, result.stderr
    return message


def _with_user(url: str, user: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    authority, slash, tail = rest.partition("/")
    host = authority.rsplit("@", 1)[-1]
    return f"{scheme}://{user}:{password}@{host}{slash}{tail}"


@pytest.mark.parametrize("command", [["migrate"], ["org", "create", "Nope Org"]])
def test_a_database_that_does_not_exist_says_to_create_it(
    server_urls: tuple[str, str], command: list[str]
) -> None:
    from tests.scratch import with_database

    name = f"nope_{secrets.token_hex(4)}"
    result = _wafi(*command, WAFI_DATABASE_URL=with_database(server_urls[0], name))
    _refused(
        result,
        1,
        f'database "{name}" does not exist',
        "Create that database (createdb NAME) or fix the database name in WAFI_DATABASE_URL",
    )


def test_an_unknown_role_says_to_fix_the_user_and_never_shows_the_password(
    server_urls: tuple[str, str],
) -> None:
    password = f"pw-{secrets.token_hex(8)}"
    url = _with_user(server_urls[0], f"nobody_{secrets.token_hex(4)}", password)
    message = _refused(
        _wafi("migrate", WAFI_DATABASE_URL=url),
        1,
        "PostgreSQL says:",
        "Fix the user or password in WAFI_DATABASE_URL",
    )
    assert password not in message


async def test_a_role_the_server_refuses_work_to_gets_the_servers_reason(
    server_urls: tuple[str, str],
) -> None:
    import asyncpg

    from resolvers.store import engine
    from tests.scratch import with_database

    role = f"wafi_cli_weak_{secrets.token_hex(4)}"
    name = f"wafi_cli_weak_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(engine.asyncpg_dsn(server_urls[0]))
    try:
        await admin.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'weak-pw-123'")
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = _with_user(with_database(server_urls[0], name), role, "weak-pw-123")
        result = await asyncio.to_thread(_wafi, "migrate", WAFI_DATABASE_URL=url)
        message = _refused(
            result, 1, "PostgreSQL refused: InsufficientPrivilegeError: permission denied"
        )
        assert "its role must be allowed to create tables" in message
        assert "weak-pw-123" not in message
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()


@pytest.mark.parametrize("value", ["abc", "0", "-3"])
def test_a_pool_size_that_is_not_a_positive_number_names_the_variable(value: str) -> None:
    result = _wafi("migrate", WAFI_POOL_SIZE=value)
    _refused(
        result,
        1,
        f"WAFI_POOL_SIZE must be a whole number of at least 1, not {value!r}",
        "unset it for the default 10",
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WAFI_DATABASE_URL", "mysql://root:hunter22@db.example/wafi"),
        ("WAFI_REDIS_URL", "http://:hunter22@cache.example:6379/0"),
        ("WAFI_DATABASE_URL", "postgresql://root:hunter22@db.example:five/wafi"),
    ],
)
def test_a_url_of_the_wrong_kind_names_the_variable_not_the_url(variable: str, value: str) -> None:
    message = _refused(_wafi("worker", **{variable: value}), 1, variable)
    assert "hunter22" not in message


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_a_port_out_of_range_is_refused_by_the_parser(port: str) -> None:
    result = _wafi("serve", "--port", port)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"argument --port: {port!r} is not a port: use a number from 1 to 65535" in (
        result.stderr
    )


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker"]])
def test_an_unreachable_redis_is_a_message_and_never_shows_the_password(
    database_url: str, command: list[str]
) -> None:
    port = _free_port()
    result = _wafi(
        *command,
        WAFI_DATABASE_URL=database_url,
        WAFI_REDIS_URL=f"redis://:hunter22@127.0.0.1:{port}/0",
    )
    message = _refused(
        result,
        1,
        f"Redis: ConnectionError: Error 111 connecting to 127.0.0.1:{port}",
        "Is Redis running and WAFI_REDIS_URL right?",
    )
    assert "hunter22" not in result.stderr
    assert ".." not in message


@pytest.mark.parametrize("configured", [{}, {"WAFI_DATABASE_URL": "postgresql://u@h/db"}])
def test_no_worker_without_both_urls_is_refused_as_alerts_would_never_be_delivered(
    configured: dict[str, str],
) -> None:
    with tempfile.TemporaryDirectory(prefix="wafi-cli-") as tmp:
        data = Path(tmp) / "data"
        result = _wafi("serve", "--no-worker", WAFI_DATA_DIR=str(data), **configured)
        _refused(
            result,
            1,
            "--no-worker needs WAFI_DATABASE_URL and WAFI_REDIS_URL",
            "`wafi worker` cannot reach the embedded servers",
            "or drop --no-worker",
        )
        assert not data.exists(), "refused before starting any embedded server"


def test_version_and_help_say_what_there_is() -> None:
    version = _wafi("--version")
    assert version.returncode == 0
    assert version.stdout.strip() == "wafi 0.1.0"
    helped = _wafi("--help")
    assert helped.returncode == 0
    from schema.cli import ENVIRONMENT

    for name, default, _ in ENVIRONMENT:
        assert name in helped.stdout
        assert f"(default: {default})" in helped.stdout
    serve = _wafi("serve", "--help").stdout
    assert "port to listen on (default: 8000)" in serve
    assert "address to listen on (default: 127.0.0.1)" in serve
    assert (
        "the operator's display name (default: the role)" in _wafi("token", "create", "-h").stdout
    )


def _read_variables() -> set[str]:
    """Every WAFI_* variable the product's code names."""
    import re

    names: set[str] = set()
    for package in ("domain", "schema", "resolvers", "jobs"):
        for path in (ROOT / package).rglob("*.py"):
            names |= set(re.findall(r"\bWAFI_[A-Z0-9_]+\b", path.read_text(encoding="utf-8")))
    return names


def test_every_environment_variable_is_in_the_help_the_readme_and_the_operations_doc() -> None:
    from schema.cli import ENVIRONMENT

    listed = {name for name, _, _ in ENVIRONMENT}
    assert _read_variables() - {"WAFI_TEST_DATABASE_URL", "WAFI_TEST_REDIS_URL"} <= listed
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for name in listed:
        assert f"`{name}`" in table, name
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for name in listed:
        assert f"`{name}`" in operations, name


def test_an_unknown_environment_is_refused_not_run_as_development() -> None:
    _refused(
        _wafi("migrate", WAFI_ENV="prod"),
        1,
        "WAFI_ENV must be one of dev, production, not 'prod'; unset it for dev",
    )


def test_a_taken_port_is_one_line_before_anything_starts() -> None:
    with tempfile.TemporaryDirectory(prefix="wafi-cli-") as tmp, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        data = Path(tmp) / "data"
        result = _wafi("serve", "--port", str(port), WAFI_DATA_DIR=str(data))
        message = _refused(result, 1, f"port {port} on 127.0.0.1 is taken", "--port")
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert message.startswith("wafi: ")
        assert not data.exists(), "refused before starting any embedded server"


def test_org_and_token_lists_show_names_and_roles_never_secrets(database_url: str) -> None:
    suffix = secrets.token_hex(3)
    created = _wafi("org", "create", f"شركة الأفق {suffix}", WAFI_DATABASE_URL=database_url)
    assert created.returncode == 0, created.stderr
    slug = f"shrka-alafq-{suffix}"
    assert created.stdout.startswith(f"organisation {slug} created.")
    owner_token = created.stdout.strip().splitlines()[-1]
    viewer = _wafi(
        "token", "create", "--org", slug, "--role", "viewer", WAFI_DATABASE_URL=database_url
    )
    viewer_token = viewer.stdout.strip().splitlines()[-1]

    listed = _wafi("org", "list", WAFI_DATABASE_URL=database_url)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.strip().splitlines()]
    assert rows[0] == ["slug", "name", "time zone", "created", "operators"]
    [mine] = [row for row in rows if row[0] == slug]
    assert (mine[1], mine[2], mine[4]) == (f"شركة الأفق {suffix}", "Asia/Riyadh", "2")

    revoked = subprocess.run(
        [*WAFI, "token", "revoke", "--org", slug],
        cwd=ROOT,
        env=_env(WAFI_DATABASE_URL=database_url),
        input=viewer_token + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert revoked.returncode == 0, revoked.stderr
    tokens = _wafi("token", "list", "--org", slug, WAFI_DATABASE_URL=database_url)
    assert tokens.returncode == 0, tokens.stderr
    assert owner_token not in tokens.stdout
    assert viewer_token not in tokens.stdout
    assert "wafi_" not in tokens.stdout
    rows = [line.split("\t") for line in tokens.stdout.strip().splitlines()]
    assert rows[0] == ["id", "operator", "role", "created", "expires", "last used", "revoked"]
    assert [(row[1], row[2], row[6] == "-") for row in rows[1:]] == [
        ("Owner", "owner", True),
        ("Viewer", "viewer", False),
    ]
    _refused(
        _wafi("token", "list", "--org", "no-such-org", WAFI_DATABASE_URL=database_url),
        1,
        "no organisation with slug 'no-such-org'",
    )


def test_a_name_with_nothing_to_spell_needs_a_slug(database_url: str) -> None:
    _refused(
        _wafi("org", "create", "ـــ", WAFI_DATABASE_URL=database_url),
        1,
        "cannot spell a slug from 'ـــ' in Latin letters: give one with --slug",
    )


def test_a_command_on_a_data_folder_with_no_server_running_warns_which_folder() -> None:
    with tempfile.TemporaryDirectory(prefix="wafi-cli-") as tmp:
        data = Path(tmp) / "data"
        result = _wafi("org", "create", "Folder Org", WAFI_DATA_DIR=str(data))
        assert result.returncode == 0, result.stderr
        assert (
            f"wafi: warning: no `wafi serve` is running with the data folder {data.resolve()}/"
        ) in result.stderr
        assert "starting embedded PostgreSQL and Redis" not in result.stderr
        assert result.stdout.startswith("organisation folder-org created.")


def test_the_tests_stop_at_once_with_one_line_when_their_database_does_not_exist(
    server_urls: tuple[str, str],
) -> None:
    from tests.scratch import with_database

    name = f"nope_{secrets.token_hex(4)}"
    env = dict(os.environ, WAFI_TEST_DATABASE_URL=with_database(server_urls[0], name))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "tests/api/test_smoke.py",
            "tests/api/test_limits.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout
    said = f'WAFI_TEST_DATABASE_URL: cannot connect (InvalidCatalogNameError: database "{name}"'
    assert result.stdout.count(said) == 1, result.stdout
    assert " error" not in result.stdout, result.stdout
