"""The `wafi` command: serve, worker, migrate, org create|list, token create|list|revoke, import
customers|tickets, demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NoReturn

from domain.messages import Language
from domain.roles import Role
from resolvers.store import embedded, engine, migrate, namespaces
from schema import cli_imports, logs

_SERVER_HINT = (
    "Is PostgreSQL running and WAFI_DATABASE_URL right? Unset it to use the embedded one."
)
_REDIS_HINT = "Is Redis running and WAFI_REDIS_URL right? Unset both URLs to use embedded servers."


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        raise SystemExit(2)
    try:
        args.run(args)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except engine.SettingsError as error:
        _fail(str(error))
    except Exception as error:
        message = _explain(error)
        if message is None:
            raise
        _fail(engine.without_secrets(message))


def _explain(error: Exception) -> str | None:
    """One line saying what went wrong with a server and what to do, or None for a bug."""
    import asyncpg
    import redis
    import sqlalchemy.exc

    cause = _driver_error(error)
    said = str(cause).rstrip(". ")
    if isinstance(cause, asyncpg.InvalidCatalogNameError):
        return (
            f"PostgreSQL says: {said}. Create that database (createdb NAME) "
            "or fix the database name in WAFI_DATABASE_URL."
        )
    if isinstance(
        cause, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError
    ):
        return f"PostgreSQL says: {said}. Fix the user or password in WAFI_DATABASE_URL."
    if isinstance(cause, asyncpg.PostgresError):
        return (
            f"PostgreSQL refused: {type(cause).__name__}: {said}. Check WAFI_DATABASE_URL; "
            "its role must be allowed to create tables and roles (the migrations do)."
        )
    if isinstance(cause, redis.RedisError):
        return f"Redis: {type(cause).__name__}: {said}. {_REDIS_HINT}"
    if isinstance(cause, OSError | ConnectionError):
        return f"cannot reach a server: {type(cause).__name__}: {said}. {_SERVER_HINT}"
    if isinstance(cause, sqlalchemy.exc.DBAPIError | asyncpg.InterfaceError):
        # Not the statement or its parameters (DBAPIError's text carries both): the driver's.
        detail = cause.args[0] if cause.args else ""
        return f"PostgreSQL: {type(cause).__name__}: {detail}. Check WAFI_DATABASE_URL."
    return None


def _driver_error(error: BaseException) -> BaseException:
    """The driver's own exception under SQLAlchemy's wrappers (DBAPIError.orig, then its
    cause), so the message is PostgreSQL's and not SQLAlchemy's statement dump."""
    import asyncpg
    import redis

    current = error
    for _ in range(4):
        if isinstance(current, asyncpg.PostgresError | redis.RedisError | OSError):
            return current
        inner = getattr(current, "orig", None) or current.__cause__
        if not isinstance(inner, BaseException):
            return current
        current = inner
    return current


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: use a number from 1 to 65535")
    return port


# Every variable the product reads (a test checks this list against the code and the README).
ENVIRONMENT: tuple[tuple[str, str, str], ...] = (
    ("WAFI_DATABASE_URL", "unset: embedded PostgreSQL", "postgresql://user@host:5432/db"),
    ("WAFI_REDIS_URL", "unset: embedded Redis", "redis://host:6379/0"),
    ("WAFI_DATA_DIR", ".wafi", "where the embedded servers keep their data"),
    ("WAFI_ENV", "dev", "dev or production (production: no GraphiQL, no introspection)"),
    ("WAFI_POOL_SIZE", "10", "database connections per pool per process"),
    ("WAFI_APP_DATABASE_URL", "unset: the database URL as wafi_app", "the API's app-role login"),
    ("WAFI_RATE_LIMIT_POINTS", "200000", "each token's cost points per window"),
    ("WAFI_RATE_LIMIT_WINDOW_S", "60", "the rate-limit window in seconds"),
    ("WAFI_REDIS_PREFIX", "derived from the database", "this deployment's Redis names"),
    ("WAFI_STATEMENT_TIMEOUT_S", "15", "longest database statement or wait, in seconds"),
    ("WAFI_REDIS_TIMEOUT_S", "5", "longest Redis call, in seconds"),
    ("WAFI_READY_TIMEOUT_S", "2", "each /readyz probe's limit, in seconds (at most 2)"),
    ("WAFI_LOG_FORMAT", "text", "text, or json: one JSON object per log line"),
    ("WAFI_METRICS_TOKEN", "unset: /metrics is open", "bearer token /metrics asks for"),
    ("WAFI_WEBHOOKS_ALLOW_PRIVATE", "0", "1 lets webhooks target private and loopback hosts"),
    (
        "WAFI_CORS_ORIGINS",
        "unset: no browser origin",
        "origins allowed by CORS, comma-separated, or *",
    ),
    ("WAFI_TEST_DATABASE_URL", "unset: embedded", "tests: an existing database to connect to"),
    ("WAFI_TEST_REDIS_URL", "unset: embedded", "tests: the Redis server to use"),
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wafi")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _epilog() -> str:
    width = max(len(name) for name, _, _ in ENVIRONMENT)
    lines = [
        f"  {name:<{width}}  {meaning} (default: {default})"
        for name, default, meaning in ENVIRONMENT
    ]
    return "environment variables:\n" + "\n".join(lines)


class _Help(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults after every option's help, and the epilog's lines kept as written."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wafi",
        description="Wafi: customer success and support operations over GraphQL.",
        epilog=_epilog(),
        formatter_class=_Help,
    )
    parser.add_argument("--version", action="version", version=f"wafi {_version()}")
    sub = parser.add_subparsers(title="commands")

    def command(parent: Any, name: str, text: str) -> argparse.ArgumentParser:
        made: argparse.ArgumentParser = parent.add_parser(
            name, help=text, description=text, formatter_class=_Help
        )
        return made

    serve = command(sub, "serve", "run the API (GraphiQL at /graphql) and a worker")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on")
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="run the API alone (needs both URLs; run `wafi worker` beside it for alerts)",
    )
    serve.set_defaults(run=_serve)

    command(sub, "worker", "run a background worker (scans, alert relay)").set_defaults(run=_worker)
    command(sub, "migrate", "apply database migrations").set_defaults(run=_migrate)

    org = command(sub, "org", "organisations").add_subparsers(title="org commands")
    create = command(org, "create", "create an organisation; prints its owner's token once")
    create.add_argument("name", help="the organisation's name, in any language")
    create.add_argument(
        "--slug", help="short unique Latin name (default: spelt from NAME, Arabic transliterated)"
    )
    create.add_argument("--owner", default="Owner", help="the owner's display name")
    create.set_defaults(run=_org_create)
    command(org, "list", "list the organisations (slug, name, time zone, operators)").set_defaults(
        run=_org_list
    )

    token = command(sub, "token", "API tokens").add_subparsers(title="token commands")
    token_create = command(token, "create", "a new operator token; printed once")
    token_create.add_argument("--org", required=True, help="the organisation's slug")
    token_create.add_argument(
        "--role", required=True, choices=[role.value for role in Role], help="the operator's role"
    )
    token_create.add_argument(
        "--name", default=None, help="the operator's display name (default: the role)"
    )
    token_create.set_defaults(run=_token_create)
    token_revoke = command(
        token, "revoke", "revoke a token, read from standard input (never from the command line)"
    )
    token_revoke.add_argument("--org", required=True, help="the organisation's slug")
    token_revoke.set_defaults(run=_token_revoke)
    token_list = command(
        token,
        "list",
        "list an organisation's tokens (operator, role, created, revoked; never the secret)",
    )
    token_list.add_argument("--org", required=True, help="the organisation's slug")
    token_list.set_defaults(run=_token_list)

    command(sub, "demo", "load a bilingual demo organisation; prints its token").set_defaults(
        run=_demo
    )
    cli_imports.add_commands(sub, command, _import)
    return parser


def _fail(message: str) -> NoReturn:
    print(f"wafi: {message}", file=sys.stderr)
    raise SystemExit(1)


@contextlib.contextmanager
def _database(*, with_redis: bool = False) -> Iterator[engine.Settings]:
    """Settings with URLs: the configured servers, or embedded ones under the data folder."""
    settings = engine.Settings.from_env()
    if settings.database_url and (settings.redis_url or not with_redis):
        yield settings
        return
    if settings.database_url or settings.redis_url:
        _fail("set both WAFI_DATABASE_URL and WAFI_REDIS_URL, or neither (embedded servers)")
    folder = settings.data_dir.resolve()
    if with_redis:
        print(f"wafi: starting embedded PostgreSQL and Redis under {folder}/", file=sys.stderr)
        with embedded.servers(settings.data_dir) as servers:
            yield replace(settings, database_url=servers.database_url, redis_url=servers.redis_url)
        return
    if embedded.postgres_running(settings.data_dir):
        print(f"wafi: using the embedded PostgreSQL running under {folder}/", file=sys.stderr)
    else:
        # A command beside `wafi serve` in another folder would build a second database that
        # the running server never sees: say so instead of doing it silently.
        print(
            f"wafi: warning: no `wafi serve` is running with the data folder {folder}/ — "
            "starting its PostgreSQL for this command only; a server started later on this "
            "folder sees what it writes (set WAFI_DATA_DIR to use another folder)",
            file=sys.stderr,
        )
    with embedded.postgres_server(settings.data_dir) as url:
        yield replace(settings, database_url=url)


def _port_free(host: str, port: int) -> bool:
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return True  # uvicorn will say what is wrong with the host
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            # Only "in use" is ours to say; anything else (a privileged port) uvicorn reports.
            return error.errno != errno.EADDRINUSE
    return True


# How long `wafi worker` gets to stop once cancelled before it is cancelled again: longer than
# its own bounded stop (jobs/worker.py `stop`: 5 s to close, 5 s for jobs still running, 5 s for
# its pools).
STOP_S = 20.0
# How long `wafi serve` waits for open requests (and WebSockets) when it is stopped.
GRACEFUL_S = 10


def _terminate_as_exit() -> None:
    # uvicorn re-raises SIGTERM after its graceful shutdown; as SystemExit our `finally`
    # blocks still run and the embedded servers are stopped.
    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, handler)


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from schema.app import create_app

    configured = engine.Settings.from_env()
    logs.configure()
    if args.no_worker and not (configured.database_url and configured.redis_url):
        _fail(
            "--no-worker needs WAFI_DATABASE_URL and WAFI_REDIS_URL: alerts are delivered only "
            "by a worker, and `wafi worker` cannot reach the embedded servers. Set both URLs "
            "and run `wafi worker` beside it, or drop --no-worker."
        )
    if not _port_free(args.host, args.port):
        _fail(
            f"port {args.port} on {args.host} is taken (another `wafi serve`?): stop that "
            "server or choose another port with --port"
        )
    _terminate_as_exit()
    with _database(with_redis=True) as settings:
        assert settings.database_url
        assert settings.redis_url
        migrate.upgrade(settings.database_url)
        asyncio.run(_ping_redis(settings.redis_url))  # a clear error now, not a failed startup
        worker = None if args.no_worker else in_process_worker(settings)
        app = create_app(settings, worker=worker)
        _collect_garbage_rarely()
        print(f"wafi: GraphiQL at http://{args.host}:{args.port}/graphql", file=sys.stderr)
        # Logging is ours (schema/logs.py): one line per request replaces uvicorn's access log.
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            # A stop waits this long for open requests and sockets, then closes them.
            timeout_graceful_shutdown=GRACEFUL_S,
        )


def _collect_garbage_rarely() -> None:
    """Live alerts' latency (docs/architecture.md#alerts): CPython's full collection walks every
    object it tracks, and 1,000 open subscriptions hold some 400,000 of them (the app freezes
    only what it holds at startup): a pause of 0.2-1 s for every subscriber, whenever it
    strikes. Nearly all of them are freed by reference counting anyway, so the cyclic collector
    runs far less often: young collections every 50,000 allocations, not 700, so fewer objects
    that happen to be in flight are promoted, and the full collection comes rarely."""
    gc.set_threshold(50_000, 20, 100)


def in_process_worker(settings: engine.Settings) -> Callable[[Any], Awaitable[None]]:
    """`wafi serve`'s worker, run in the app's loop: its own Redis connection (with retries),
    and a fresh worker after any failure, until the app cancels it on shutdown."""
    from jobs import worker as jobs_worker

    async def run(resources: Any) -> None:
        namespace = resources.namespace  # the app's: its hub listens where this relay publishes
        await jobs_worker.supervise(lambda: jobs_worker.build(settings, namespace=namespace))

    return run


async def _ping_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(engine.asyncpg_dsn(url), timeout=10)
    await conn.close()


async def _ping_redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        await client.ping()
    finally:
        await client.aclose()


def _worker(args: argparse.Namespace) -> None:
    from jobs import worker as jobs_worker

    settings = engine.Settings.from_env()
    logs.configure()
    if not (settings.database_url and settings.redis_url):
        _fail("`wafi worker` needs WAFI_DATABASE_URL and WAFI_REDIS_URL (serve runs its own)")
    _terminate_as_exit()

    received: list[int] = []

    async def run() -> None:
        assert settings.database_url
        assert settings.redis_url
        _cancel_on_signals(received)
        # Wrong URLs end the command with a message; an outage later only restarts the worker.
        await _ping_postgres(settings.database_url)
        await _ping_redis(settings.redis_url)
        namespace = await namespaces.resolve(
            settings.redis_prefix, settings.database_url, wait_s=settings.statement_timeout_s
        )
        await jobs_worker.supervise(lambda: jobs_worker.build(settings, namespace=namespace))

    try:
        asyncio.run(run())
    except asyncio.CancelledError:
        if not received:
            raise
        # Stopped by the signal, the worker closed: the shell's code for it (143 for SIGTERM).
        raise SystemExit(128 + received[0]) from None


def _cancel_on_signals(received: list[int]) -> None:
    """SIGTERM and SIGINT cancel the running task from the event loop, between two steps: a
    SystemExit raised by a plain handler lands wherever the main thread is (inside a driver's
    callback, mid-query). The cancellation is repeated while the task runs on (one can be lost:
    resolvers/store/shutdown.py); a second signal cancels again at once, cutting the stop's
    cleanup short."""
    from resolvers.store import shutdown

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    stopping: set[asyncio.Task[None]] = set()  # a strong reference while it runs

    def stop(signum: int) -> None:
        received.append(signum)
        if len(received) > 1:
            task.cancel()  # asked again: cut the stop's own cleanup short
            return
        ending = loop.create_task(shutdown.cancel_until_done(task, every=STOP_S))
        stopping.add(ending)
        ending.add_done_callback(stopping.discard)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signum)


def _migrate(args: argparse.Namespace) -> None:
    with _database() as settings:
        assert settings.database_url
        migrate.upgrade(settings.database_url)
        print("wafi: database is at the newest migration", file=sys.stderr)


def _admin(work: Callable[[Any], Any]) -> Any:
    from resolvers.store.engine import create_system_pool

    with _database() as settings:
        assert settings.database_url
        migrate.upgrade(settings.database_url)

        async def run() -> Any:
            pool = await create_system_pool(settings.database_url or "", size=1)
            try:
                async with pool.acquire() as conn:
                    return await work(conn)
            finally:
                await pool.close()

        return asyncio.run(run())


def _org_create(args: argparse.Namespace) -> None:
    import asyncpg

    from domain.slugs import slug_from_name
    from resolvers.store import orgs

    slug = args.slug or slug_from_name(args.name)
    if not slug:
        _fail(f"cannot spell a slug from {args.name!r} in Latin letters: give one with --slug")

    async def work(conn: Any) -> tuple[Any, str]:
        return await orgs.create_organisation(
            conn, slug=slug, name=args.name, owner_name=args.owner, now=datetime.now(UTC)
        )

    try:
        org, token = _admin(work)
    except asyncpg.UniqueViolationError:
        _fail(f"an organisation with slug {slug!r} exists; pick another with --slug")
    print(f"organisation {org.slug} created. Owner token (shown once, keep it safe):")
    print(token)


def _token_create(args: argparse.Namespace) -> None:
    from resolvers.store import orgs

    async def work(conn: Any) -> str | None:
        return await orgs.create_token(
            conn,
            slug=args.org,
            role=Role(args.role),
            name=args.name or args.role.title(),
            now=datetime.now(UTC),
        )

    token = _admin(work)
    if token is None:
        _fail(f"no organisation with slug {args.org!r}; create one with `wafi org create NAME`")
    print(f"{args.role} token for {args.org} (shown once, keep it safe):")
    print(token)


def _org_list(args: argparse.Namespace) -> None:
    from resolvers.store import orgs

    listed = _admin(orgs.list_organisations)
    if not listed:
        print("no organisations yet: create one with `wafi org create NAME` or `wafi demo`")
        return
    print("slug\tname\ttime zone\tcreated\toperators")
    for org in listed:
        created = org.created_at.astimezone(UTC).isoformat(timespec="seconds")
        print(f"{org.slug}\t{org.name}\t{org.time_zone}\t{created}\t{org.operators}")


def _token_list(args: argparse.Namespace) -> None:
    from resolvers.store import orgs

    async def work(conn: Any) -> list[orgs.TokenListing] | None:
        return await orgs.list_tokens(conn, slug=args.org)

    listed = _admin(work)
    if listed is None:
        _fail(f"no organisation with slug {args.org!r}; `wafi org list` shows them")
    print("id\toperator\trole\tcreated\texpires\tlast used\trevoked")
    for token in listed:
        when = [token.created_at, token.expires_at, token.last_used_at, token.revoked_at]
        shown = [
            "-" if at is None else at.astimezone(UTC).isoformat(timespec="seconds") for at in when
        ]
        print("\t".join([str(token.id), token.operator, token.role.value, *shown]))


def _token_revoke(args: argparse.Namespace) -> None:
    from resolvers.store import orgs

    # From standard input: a token on the command line would stay in shell history and `ps`.
    token = sys.stdin.readline().strip()
    if not token:
        _fail("give the token on standard input, e.g. `wafi token revoke --org SLUG < token.txt`")

    async def work(conn: Any) -> bool:
        return await orgs.revoke_token(conn, slug=args.org, token=token, now=datetime.now(UTC))

    if not _admin(work):
        _fail(f"organisation {args.org!r} has no such live token (already revoked, or not its own)")
    print(f"revoked: that token of {args.org} is refused from now on")


def _import(args: argparse.Namespace) -> None:
    from domain.errors import DomainError

    try:
        data = cli_imports.read(args.file)
        with _database() as settings:
            assert settings.database_url
            migrate.upgrade(settings.database_url)
            job = asyncio.run(cli_imports.run(settings.database_url, args, data))
    except cli_imports.ImportFailedError as error:
        _fail(str(error))
    except DomainError as error:  # the header row
        _fail(f"{args.file}: column {error.field}: {error.message(Language.EN)}")
    raise SystemExit(cli_imports.report(job))


def _demo(args: argparse.Namespace) -> None:
    from schema import demo

    with _database() as settings:
        assert settings.database_url
        migrate.upgrade(settings.database_url)
        try:
            slug, token = asyncio.run(demo.load(settings.database_url, now=datetime.now(UTC)))
        except demo.DemoError as error:
            _fail(f"the demo scenario was refused by the API: {error}")
    print(f"demo organisation {slug} loaded. Owner token (shown once):")
    print(token)


if __name__ == "__main__":
    main()
