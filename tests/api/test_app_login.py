"""The API logs in as the app role itself (migration 0011 lets it), so `RESET ROLE` on one of
its connections returns to the app role, not to a superuser outside row-level security."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from resolvers.store import engine
from schema.app import create_app
from schema.context import Resources
from tests.api.test_customers import create
from tests.factories import Clock, Org


@pytest.fixture
async def resources(settings: engine.Settings, clock: Clock) -> AsyncIterator[Resources]:
    """The pool and sessions an API process holds, as its lifespan made them."""
    application = create_app(settings, clock=clock)
    async with LifespanManager(application):
        yield application.state.resources


async def test_reset_role_on_the_apis_read_pool_stays_inside_rls(
    resources: Resources, org: Org, other_org: Org
) -> None:
    await create(org, name="Ours")
    await create(other_org, name="Theirs")
    async with engine.scoped(resources.pool, org.id) as conn:
        await conn.execute("RESET ROLE")
        users = await conn.fetchrow("SELECT current_user AS current, session_user AS session")
        names = [r["name"] for r in await conn.fetch("SELECT name FROM customers")]
        theirs = await conn.fetchval(
            "SELECT count(*) FROM customers WHERE org_id = $1", other_org.id
        )
    assert (users["current"], users["session"]) == (engine.APP_ROLE, engine.APP_ROLE)
    assert names == ["Ours"]
    assert theirs == 0


async def test_reset_role_in_the_apis_write_transaction_stays_inside_rls(
    resources: Resources, org: Org, other_org: Org
) -> None:
    await create(other_org, name="Theirs")
    async with engine.transaction(resources.sessions, org.id) as session:
        await session.execute(text("RESET ROLE"))
        user = (await session.execute(text("SELECT current_user"))).scalar_one()
        theirs = (
            await session.execute(
                text("SELECT count(*) FROM customers WHERE org_id = :org"), {"org": other_org.id}
            )
        ).scalar_one()
        await session.rollback()
    assert (user, theirs) == (engine.APP_ROLE, 0)


def test_the_app_login_is_the_configured_url_as_the_app_role() -> None:
    assert engine.as_app_role("postgresql://postgres@127.0.0.1:5432/wafi") == (
        "postgresql://wafi_app@127.0.0.1:5432/wafi"
    )
    assert engine.as_app_role("postgresql://postgres:@/postgres?host=/srv/wafi/pg") == (
        "postgresql://wafi_app@/postgres?host=/srv/wafi/pg"
    )
    assert engine.as_app_role(
        "postgresql+asyncpg://admin:s3cret@db:5432/wafi?sslmode=require&password=x"
    ) == ("postgresql+asyncpg://wafi_app@db:5432/wafi?sslmode=require")


async def test_an_explicit_app_url_is_used_as_given(
    settings: engine.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql://wafi_app:pw@db.internal:5432/wafi"
    monkeypatch.setenv("WAFI_APP_DATABASE_URL", url)
    configured = engine.Settings.from_env()
    assert configured.app_database_url == url
    assert await engine.app_login_url(replace(settings, app_database_url=url)) == url


async def test_the_test_servers_let_the_app_role_log_in(settings: engine.Settings) -> None:
    login = await engine.app_login_url(settings)
    assert login == engine.as_app_role(settings.database_url or "")
