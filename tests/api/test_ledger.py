"""The action ledger through the API: who may read it and what it holds."""

from __future__ import annotations

from domain.roles import Role
from tests.api.test_customers import UPDATE, create
from tests.factories import Org

LEDGER = "{ ledger { edges { node { action entity role before after } } } }"


async def test_managers_read_the_ledger_newest_first(org: Org) -> None:
    customer = (await create(org, name="A"))["customer"]
    change = {"input": {"id": customer["id"], "version": 1, "name": "B"}}
    await org.data(UPDATE, change, role=Role.AGENT)
    data = await org.data(LEDGER, role=Role.MANAGER)
    entries = [edge["node"] for edge in data["ledger"]["edges"]]
    assert [(e["action"], e["role"]) for e in entries] == [
        ("updateCustomer", "agent"),
        ("createCustomer", "owner"),
    ]
    assert entries[0]["before"]["name"] == "A"
    assert entries[0]["after"]["name"] == "B"
    assert entries[0]["after"]["version"] == 2


async def test_agents_and_viewers_cannot_read_the_ledger(org: Org) -> None:
    for role in (Role.AGENT, Role.VIEWER):
        body = await org.gql(LEDGER, role=role)
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "field": "ledger"}
