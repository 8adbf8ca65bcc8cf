"""Connections: the asyncpg read pool and the SQLAlchemy write engine, under row-level security.

Every connection the app uses runs as APP_ROLE (NOSUPERUSER NOBYPASSRLS, created by the
migrations) with `app.org_id` set to the caller's organisation, so RLS is a second lock behind
the `org_id` filters every store function writes. The API logs in as APP_ROLE itself where the
server allows it (`app_login_url`), so not even `RESET ROLE` leaves RLS.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from resolvers.store import availability

APP_ROLE = "wafi_app"

log = logging.getLogger("wafi")

# One simple-protocol message: role and organisation for the next request on this connection.
_SCOPE_SQL = "SELECT set_config('role', '{role}', false), set_config('app.org_id', '{org}', false)"


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable and never quotes a URL."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Configuration read once from the environment (README: Configuration)."""

    database_url: str | None
    redis_url: str | None
    data_dir: Path
    dev: bool
    pool_size: int
    # Rate limits per token (README: Limits): cost points per window.
    rate_limit_points: int = 200_000
    rate_limit_window_s: int = 60
    metrics_token: str | None = None
    cors_origins: tuple[str, ...] = ()
    webhooks_allow_private: bool = False
    app_database_url: str | None = None  # the API's login as APP_ROLE (see `app_login_url`)
    # Hardening (README: Configuration): a deployment's Redis names, and how long a statement, a
    # Redis call and a readiness probe may take before they fail instead of hanging.
    redis_prefix: str | None = None
    statement_timeout_s: float = 15.0
    redis_timeout_s: float = 5.0
    ready_timeout_s: float = 2.0

    @classmethod
    def from_env(cls) -> Settings:
        """The settings, or SettingsError naming the first variable that is wrong."""
        return cls(
            database_url=_url("WAFI_DATABASE_URL", _DATABASE_SCHEMES, "postgresql://user@host/db"),
            redis_url=_url("WAFI_REDIS_URL", _REDIS_SCHEMES, "redis://host:6379/0"),
            data_dir=Path(os.environ.get("WAFI_DATA_DIR", ".wafi")),
            dev=_environment() == "dev",
            pool_size=_positive_int("WAFI_POOL_SIZE", default=10),
            rate_limit_points=_positive_int("WAFI_RATE_LIMIT_POINTS", default=200_000),
            rate_limit_window_s=_positive_int("WAFI_RATE_LIMIT_WINDOW_S", default=60),
            metrics_token=os.environ.get("WAFI_METRICS_TOKEN") or None,
            cors_origins=_origins("WAFI_CORS_ORIGINS"),
            webhooks_allow_private=os.environ.get("WAFI_WEBHOOKS_ALLOW_PRIVATE") == "1",
            app_database_url=_url(
                "WAFI_APP_DATABASE_URL", _DATABASE_SCHEMES, f"postgresql://{APP_ROLE}:…@host/db"
            ),
            redis_prefix=_redis_prefix(),
            statement_timeout_s=_seconds("WAFI_STATEMENT_TIMEOUT_S", default=15.0),
            redis_timeout_s=_seconds("WAFI_REDIS_TIMEOUT_S", default=5.0),
            ready_timeout_s=_seconds("WAFI_READY_TIMEOUT_S", default=2.0, most=2.0),
        )


_DATABASE_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")
_REDIS_SCHEMES = ("redis", "rediss", "unix")
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/@\s:]*:)[^@\s]*@", re.IGNORECASE)


ENVIRONMENTS = ("dev", "production")


def _environment() -> str:
    """WAFI_ENV: a typo (`prod`) must not quietly run as development with GraphiQL open."""
    raw = os.environ.get("WAFI_ENV", "").strip() or "dev"
    if raw not in ENVIRONMENTS:
        raise SettingsError(
            f"WAFI_ENV must be one of {', '.join(ENVIRONMENTS)}, not {raw[:20]!r}; unset it for dev"
        )
    return raw


def _origins(name: str) -> tuple[str, ...]:
    """Comma-separated browser origins (`https://app.example.com`), or `*` for any."""
    raw = [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]
    for origin in raw:
        scheme, sep, host = origin.partition("://")
        if origin != "*" and (
            not sep or scheme not in ("http", "https") or not host or "/" in host
        ):
            raise SettingsError(
                f"{name} must list origins like https://app.example.com (comma-separated) or *, "
                f"not {origin[:40]!r}"
            )
    return tuple(raw)


def _positive_int(name: str, *, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise SettingsError(
            f"{name} must be a whole number of at least 1, not {raw[:20]!r}; "
            f"unset it for the default {default}"
        )
    return value


def _seconds(name: str, *, default: float, most: float = 3600.0) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0.05 <= value <= most:
        raise SettingsError(
            f"{name} must be a number of seconds from 0.05 to {most:g}, not {raw[:20]!r}; "
            f"unset it for the default {default:g}"
        )
    return value


_PREFIX = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _redis_prefix() -> str | None:
    raw = os.environ.get("WAFI_REDIS_PREFIX", "").strip()
    if not raw:
        return None
    if not _PREFIX.fullmatch(raw):
        raise SettingsError(
            "WAFI_REDIS_PREFIX must be 1 to 64 letters, digits or _ . : -; "
            "unset it to derive one from the database"
        )
    return raw


def _url(name: str, schemes: tuple[str, ...], example: str) -> str | None:
    raw = os.environ.get(name) or None
    if raw is None:
        return None
    scheme, sep, _ = raw.partition("://")
    if not sep or scheme.lower() not in schemes:
        raise SettingsError(
            f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)} "
            f"(like {example}); unset it to use the embedded server"
        )
    try:
        _ = urlsplit(raw).port  # parsing it is the check
    except ValueError:
        raise SettingsError(f"{name} has a port that is not a number from 1 to 65535") from None
    return raw


def without_secrets(text: str) -> str:
    """`text` with the password of any URL in it, and of the configured URLs, masked: error
    messages from drivers may quote a connection string."""
    masked = _URL_PASSWORD.sub(r"\g<head>***@", text)
    for name in ("WAFI_DATABASE_URL", "WAFI_APP_DATABASE_URL", "WAFI_REDIS_URL"):
        try:
            password = urlsplit(os.environ.get(name, "")).password
        except ValueError:
            password = None
        if password and len(password) >= 3:
            masked = masked.replace(password, "***")
    return masked


def scope_sql(org_id: int | None) -> str:
    """The statement that puts a pooled connection in APP_ROLE for one organisation (or none)."""
    # org_id comes from our own token lookup as an int, never from client text.
    org = "" if org_id is None else str(int(org_id))
    return _SCOPE_SQL.format(role=APP_ROLE, org=org)


def asyncpg_dsn(url: str) -> str:
    """asyncpg wants plain postgresql:// URLs; accept SQLAlchemy's driver form too."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def sqlalchemy_url(url: str) -> str:
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


class QueryCounter:
    """Counts the statements the read pool sends (tests pin query counts per request with it);
    within `recording()` it also keeps their text."""

    def __init__(self) -> None:
        self.count = 0
        self._recorded: list[str] | None = None

    def __call__(self, record: Any) -> None:
        self.count += 1
        if self._recorded is not None:
            self._recorded.append(record.query)

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        """The text of every statement sent while the block runs, in order."""
        recorded: list[str] = []
        self._recorded = recorded
        try:
            yield recorded
        finally:
            self._recorded = None


READ_QUERIES = QueryCounter()


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb", encoder=_json_dumps, decoder=_json_loads, schema="pg_catalog"
    )
    await conn.execute(scope_sql(None))
    conn.add_query_logger(READ_QUERIES)


def _json_dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def _json_loads(value: str) -> Any:
    import json

    return json.loads(value)


async def create_read_pool(
    url: str, *, size: int = 10, statement_timeout: float | None = None
) -> asyncpg.Pool:
    """The read pool: every connection starts in APP_ROLE with no organisation. With a
    `statement_timeout`, connecting and every statement end within it (see `timeouts`)."""
    return await asyncpg.create_pool(
        asyncpg_dsn(url),
        min_size=1,
        max_size=size,
        init=_init_connection,
        reset=_scoped_again_by_next_use,
        **timeouts(statement_timeout),
    )


async def _scoped_again_by_next_use(conn: asyncpg.Connection) -> None:
    """Releasing a read connection sends nothing (asyncpg's default sends `RESET ALL`, `CLOSE
    ALL`, `UNLISTEN *` and `pg_advisory_unlock_all()`: one statement after every request).

    The only session state read code leaves is the role and the organisation, and the first
    statement on every acquired connection sets both: `scope_sql` (`scoped`) or
    `orgs.authenticate` (the API's token check), which scopes to the token's organisation or to
    none (tests/api/test_tenancy.py checks every acquire in the code does one of them). Read
    code takes no advisory locks outside a transaction, holds no cursors or LISTENs and changes
    no other setting. asyncpg still rolls back a transaction left open before this runs.
    """


def timeouts(seconds: float | None) -> dict[str, Any]:
    """asyncpg connect arguments bounding a connection's waits: the client gives up on a
    statement (or a connection attempt) after `seconds` even when the server does not answer at
    all, and the server cancels a statement running longer (statement_timeout)."""
    if seconds is None:
        return {}
    return {
        "timeout": seconds,
        "command_timeout": seconds,
        "server_settings": {"statement_timeout": str(max(1, int(seconds * 1000)))},
    }


@asynccontextmanager
async def scoped(pool: asyncpg.Pool, org_id: int | None) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection scoped to one organisation (or none) for the block.

    A released connection keeps the role and organisation of its last user (nothing is reset,
    see `_scoped_again_by_next_use`), so every acquire sets both first.
    """
    async with availability.first_use(pool, lambda conn: conn.execute(scope_sql(org_id))) as used:
        yield used[0]


def create_write_engine(url: str, *, size: int = 10, timeout: float | None = None) -> AsyncEngine:
    """The write engine: each transaction runs as APP_ROLE for the session's organisation.
    With `timeout`, statements, connecting and waiting for a pooled connection are bounded;
    pool_pre_ping replaces a connection a database restart closed instead of handing it out."""
    if timeout is None:
        return create_async_engine(sqlalchemy_url(url), pool_size=size, pool_pre_ping=True)
    return create_async_engine(
        sqlalchemy_url(url),
        pool_size=size,
        pool_pre_ping=True,
        pool_timeout=timeout,
        connect_args=timeouts(timeout),
    )


def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    maker: async_sessionmaker[AsyncSession], org_id: int | None
) -> AsyncIterator[AsyncSession]:
    """One transaction, as APP_ROLE, scoped to `org_id` with transaction-local settings."""
    async with maker() as session, session.begin():
        await session.execute(
            text("SELECT set_config('role', :role, true), set_config('app.org_id', :org, true)"),
            {"role": APP_ROLE, "org": "" if org_id is None else str(org_id)},
        )
        yield session


async def create_system_pool(url: str, *, size: int = 5) -> asyncpg.Pool:
    """For jobs and administration: the connecting role itself, which set-based scans across
    organisations need. Never handed to request code."""
    return await asyncpg.create_pool(
        asyncpg_dsn(url), min_size=1, max_size=size, init=_init_system_connection
    )


async def _init_system_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb", encoder=_json_dumps, decoder=_json_loads, schema="pg_catalog"
    )


def as_app_role(url: str) -> str:
    """`url` with APP_ROLE as its user and no password: how the embedded server and CI (trust
    authentication) let the API log in as the app role."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("user", "password")]
    return urlunsplit(parts._replace(netloc=f"{APP_ROLE}@{host}", query=urlencode(query, safe="/")))


async def app_login_url(settings: Settings) -> str:
    """The URL the API's read pool and write engine log in with.

    `WAFI_APP_DATABASE_URL` when set; else the configured URL as APP_ROLE when the server lets
    it log in without a password; else the configured URL itself, reaching APP_ROLE by
    `SET ROLE` only (a warning says so: `RESET ROLE` would return to the configured user).
    Migrations and jobs always use the configured URL.
    """
    if settings.app_database_url:
        return settings.app_database_url
    assert settings.database_url
    candidate = as_app_role(settings.database_url)
    try:
        conn = await asyncpg.connect(asyncpg_dsn(candidate), timeout=10)
    except (asyncpg.InvalidAuthorizationSpecificationError, asyncpg.InvalidPasswordError) as error:
        log.warning(
            "the API connects as the configured user and reaches %s by SET ROLE only (%s): "
            "set WAFI_APP_DATABASE_URL to log in as %s (README: Tenancy)",
            APP_ROLE,
            type(error).__name__,
            APP_ROLE,
        )
        return settings.database_url
    await conn.close()
    return candidate
