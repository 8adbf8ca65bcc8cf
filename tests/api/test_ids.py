"""Global ids and cursors are exact: only the text the API itself made names a row.

`int()` and base64 decoding are lenient, so `Customer: 7`, full-width or Arabic-Indic digits,
`1_0`, a stray character or extra padding all used to resolve to a real row.
"""

from __future__ import annotations

import base64

import pytest

from tests.api.test_customers import LIST, UPDATE, count_rows, create
from tests.factories import Org

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def lenient_forms(canonical: str) -> list[str]:
    """Spellings of `canonical` (a Customer id) that the old parser also accepted."""
    pk = base64.urlsafe_b64decode(canonical).decode().partition(":")[2]
    underscored = f"{pk[0]}_{pk[1:]}" if len(pk) > 1 else f"0_{pk}"
    forms = [
        f"Customer: {pk}",
        f"Customer:{pk} ",
        f"Customer:+{pk}",
        f"Customer:0{pk}",
        f"Customer:{pk.translate(FULL_WIDTH)}",
        f"Customer:{pk.translate(ARABIC_INDIC)}",
        f"Customer:{underscored}",
    ]
    encoded = [_encode(form) for form in forms]
    # The same bytes, spelled differently: a character outside the alphabet, extra padding.
    padded = canonical + "=" * (-len(canonical) % 4 or 4)
    return [*encoded, "!" + canonical, padded]


NODE = "query($id: ID!) { node(id: $id) { id ... on Customer { name } } }"


async def test_the_canonical_id_still_resolves(org: Org) -> None:
    customer = (await create(org, name="أصل"))["customer"]
    body = await org.data(NODE, {"id": customer["id"]})
    assert body["node"] == {"id": customer["id"], "name": "أصل"}


async def test_every_lenient_spelling_of_an_id_is_not_found_through_node(org: Org) -> None:
    customer = (await create(org, name="أصل"))["customer"]
    forms = lenient_forms(customer["id"])
    assert len(set(forms)) == len(forms) == 9
    for form in forms:
        body = await org.gql(NODE, {"id": form})
        assert body["data"] == {"node": None}, form
        assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}, form


async def test_every_lenient_spelling_of_an_id_is_refused_by_a_mutation(org: Org) -> None:
    customer = (await create(org, name="أصل"))["customer"]
    for form in lenient_forms(customer["id"]):
        data = await org.data(UPDATE, {"input": {"id": form, "version": 1, "name": "تغيير"}})
        result = data["updateCustomer"]
        assert (result["__typename"], result["field"], result["code"]) == (
            "NotFoundError",
            "id",
            "NOT_FOUND",
        ), form
    read = await org.data(NODE, {"id": customer["id"]})
    assert read["node"]["name"] == "أصل"
    assert await count_rows(org, "ledger") == 1  # the create only


@pytest.mark.parametrize("spelling", ["c: {}", "c:0{}", "c:+{}"])
async def test_a_cursor_is_exact_too(org: Org, spelling: str) -> None:
    await create(org, name="أ")
    await create(org, name="ب")
    page = await org.data(LIST, {"first": 1})
    end = page["customers"]["pageInfo"]["endCursor"]
    pk = base64.urlsafe_b64decode(end).decode().partition(":")[2]
    assert (await org.data(LIST, {"first": 1, "after": end}))["customers"]["edges"] != []
    body = await org.gql(LIST, {"first": 1, "after": _encode(spelling.format(pk))})
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "after"}
