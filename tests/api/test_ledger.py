"""The action ledger through the API: who may read it and what it holds."""

from __future__ import annotations

from domain.roles import Role
from schema.types.relay import to_global_id
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


BY_ENTITY = (
    """query($e: ID!) { ledger(entity: $e) { edges { node { action entity entityId } } } }"""
)


async def test_the_ledger_of_one_entity(org: Org) -> None:
    a = (await create(org, name="A"))["customer"]
    b = (await create(org, name="B"))["customer"]
    await org.data(UPDATE, {"input": {"id": a["id"], "version": 1, "name": "A2"}})
    data = await org.data(BY_ENTITY, {"e": a["id"]})
    assert [edge["node"] for edge in data["ledger"]["edges"]] == [
        {"action": "updateCustomer", "entity": "Customer", "entityId": a["id"]},
        {"action": "createCustomer", "entity": "Customer", "entityId": a["id"]},
    ]
    assert len((await org.data(BY_ENTITY, {"e": b["id"]}))["ledger"]["edges"]) == 1


async def test_the_organisation_itself_has_a_ledger(org: Org) -> None:
    data = await org.data(BY_ENTITY, {"e": to_global_id("Organisation", org.id)})
    assert data["ledger"]["edges"] == []  # no freeze lifted yet: known, and empty


async def test_another_organisations_entity_is_not_found_never_an_empty_page(
    org: Org, other_org: Org
) -> None:
    theirs = (await create(other_org, name="Theirs"))["customer"]
    for entity in (
        theirs["id"],
        to_global_id("Organisation", other_org.id),
        to_global_id("Customer", 10**12),
        to_global_id("NoSuchThing", 1),
    ):
        body = await org.gql(BY_ENTITY, {"e": entity})
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "entity"}
