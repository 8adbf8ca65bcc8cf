"""The `drafts` list (docs/rules.md §1): every kind of draft, filtered and paged, own org only."""

from __future__ import annotations

from typing import Any

from domain.roles import Role
from tests.api.test_check_in_notes import NOTE, record_week
from tests.factories import Org, new_customer, open_ticket

LIST = """
query($s: [DraftStatus!], $k: [DraftKind!], $c: ID, $n: Int, $a: String) {
  drafts(status: $s, kinds: $k, customer: $c, first: $n, after: $a) {
    totalCount edges { cursor node { id kind status customer { id } } }
    pageInfo { hasNextPage endCursor } } }"""

APPROVE = """mutation($i: ApproveDraftInput!) { approveDraft(input: $i) { __typename } }"""


async def drafts(org: Org, **kw: Any) -> dict[str, Any]:
    role = kw.pop("role", Role.OWNER)
    names = {"status": "s", "kinds": "k", "customer": "c", "first": "n", "after": "a"}
    data = await org.data(LIST, {names[k]: v for k, v in kw.items()}, role=role)
    result: dict[str, Any] = data["drafts"]
    return result


def ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


async def seed(org: Org) -> dict[str, str]:
    """Two first responses (one approved) and a check-in note, on two customers."""
    one, two = await new_customer(org, name="الأولى"), await new_customer(org, name="الثانية")
    first = (await open_ticket(org, one, "hello"))["draft"]["id"]
    second = (await open_ticket(org, two, "outage"))["draft"]["id"]
    await org.data(APPROVE, {"i": {"id": second, "version": 1}})
    await record_week(org, two)
    note = (await org.data(NOTE, {"i": {"customerId": two, "weekOf": "2026-10-26"}}))[
        "draftCheckInNote"
    ]["draft"]["id"]
    return {"one": one, "two": two, "first": first, "second": second, "note": note}


async def test_lists_every_kind_newest_first(org: Org) -> None:
    made = await seed(org)
    page = await drafts(org)
    assert [e["node"] for e in page["edges"]] == [
        {
            "id": made["note"],
            "kind": "CHECK_IN",
            "status": "DRAFT",
            "customer": {"id": made["two"]},
        },
        {
            "id": made["second"],
            "kind": "FIRST_RESPONSE",
            "status": "APPROVED",
            "customer": {"id": made["two"]},
        },
        {
            "id": made["first"],
            "kind": "FIRST_RESPONSE",
            "status": "DRAFT",
            "customer": {"id": made["one"]},
        },
    ]
    assert page["totalCount"] == 3


async def test_filters_by_status_kind_and_customer(org: Org) -> None:
    made = await seed(org)
    assert ids(await drafts(org, status=["DRAFT"])) == [made["note"], made["first"]]
    assert ids(await drafts(org, status=["APPROVED", "SENT"])) == [made["second"]]
    assert ids(await drafts(org, kinds=["CHECK_IN"])) == [made["note"]]
    assert ids(await drafts(org, status=["DRAFT"], kinds=["FIRST_RESPONSE"])) == [made["first"]]
    assert ids(await drafts(org, customer=made["two"])) == [made["note"], made["second"]]
    assert ids(await drafts(org, status=["REJECTED"])) == []


async def test_pages_are_disjoint_and_complete(org: Org) -> None:
    made = await seed(org)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = await drafts(org, first=2, after=after)
        seen += ids(page)
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 2
    assert seen == [made["note"], made["second"], made["first"]]


async def test_another_organisations_drafts_never_appear(org: Org, other_org: Org) -> None:
    mine = await seed(org)
    theirs = await seed(other_org)
    assert ids(await drafts(org)) == [mine["note"], mine["second"], mine["first"]]
    assert ids(await drafts(other_org)) == [theirs["note"], theirs["second"], theirs["first"]]
    body = await org.gql(LIST, {"c": theirs["two"]})
    assert body["data"] is None
    assert body["errors"][0]["path"] == ["drafts"]
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert body["errors"][0]["extensions"]["field"] == "customer"


async def test_a_viewer_may_read_the_list(org: Org) -> None:
    made = await seed(org)
    page = await drafts(org, status=["DRAFT"], role=Role.VIEWER)
    assert ids(page) == [made["note"], made["first"]]
