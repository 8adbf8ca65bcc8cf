from tests.factories import Org


async def test_owner_lists_no_customers_in_a_new_organisation(org: Org) -> None:
    data = await org.data("{ customers { edges { node { id } } pageInfo { hasNextPage } } }")
    assert data == {"customers": {"edges": [], "pageInfo": {"hasNextPage": False}}}
