"""Text inputs through the API: a required text must show something, and no text may hold a
control character or a bidi override. Each refusal is a ValidationError naming the field and
leaves every row as it was; Arabic joiners inside words and line breaks in bodies stay allowed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.test_input_bounds import (
    CREATE_CUSTOMER,
    DECLARE,
    OPEN_TICKET,
    POST_MORTEM,
    SEARCH,
    STATUS,
    refused,
    rows,
    run,
)
from tests.factories import T0, Org, new_customer

START = T0.isoformat()
UPDATE_CUSTOMER = (
    "mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { __typename "
    "... on CustomerPayload { customer { name version } } "
    "... on UserError { field code message } } }"
)
INVISIBLE = ["\u200b", "\u200d\u200c", "\ufeff", "ـــ", " \u200b\u00a0", "\u064e\u0651"]
UNSAFE = ["\u202e", "Acme\u202etxt.exe", "\u2066Acme\u2069", "A\x07B", "A\nB", "A\x1bB"]


@pytest.mark.parametrize("name", INVISIBLE)
async def test_a_name_with_nothing_visible_is_required(org: Org, name: str) -> None:
    payload = {"name": name, "subscriptionStartedAt": START}
    await refused(org, CREATE_CUSTOMER, payload, "ValidationError", "name", "REQUIRED")


@pytest.mark.parametrize("name", UNSAFE)
async def test_a_name_with_a_control_character_or_bidi_override_is_invalid(
    org: Org, name: str
) -> None:
    payload = {"name": name, "subscriptionStartedAt": START}
    await refused(org, CREATE_CUSTOMER, payload, "ValidationError", "name", "INVALID")


async def test_an_override_written_inline_in_the_query_is_invalid_too(org: Org) -> None:
    before = await rows(org)
    data = await org.data(
        'mutation { createCustomer(input: {name: "\\u202eAcme", '
        f'subscriptionStartedAt: "{START}"}}) '
        "{ __typename ... on UserError { field code } } }"
    )
    assert data["createCustomer"] == {
        "__typename": "ValidationError",
        "field": "name",
        "code": "INVALID",
    }
    assert await rows(org) == before


async def test_arabic_joiners_inside_words_are_stored_exactly(org: Org) -> None:
    name = "می\u200cخواهم ل\u200dا \u200fشركة"
    created = await run(org, CREATE_CUSTOMER, {"name": name, "subscriptionStartedAt": START})
    assert created["__typename"] == "CustomerPayload", created
    async with org.pool.acquire() as conn:
        stored = await conn.fetchval("SELECT name FROM customers WHERE org_id = $1", org.id)
    assert stored == name


async def test_renaming_to_nothing_visible_or_to_an_override_is_refused(org: Org) -> None:
    customer = await new_customer(org, name="الأصل")
    change = {"id": customer, "version": 1}
    await refused(
        org, UPDATE_CUSTOMER, {**change, "name": "\u200b"}, "ValidationError", "name", "REQUIRED"
    )
    await refused(
        org, UPDATE_CUSTOMER, {**change, "name": "\u202e"}, "ValidationError", "name", "INVALID"
    )
    renamed = await run(org, UPDATE_CUSTOMER, {**change, "name": "الجديد"})
    assert renamed["customer"] == {"name": "الجديد", "version": 2}


async def test_a_body_keeps_line_breaks_but_not_other_controls(org: Org) -> None:
    customer = await new_customer(org)
    ticket = {"customer": customer, "subject": "طلب", "body": "سطر\n\tثانٍ\r\n"}
    await refused(
        org,
        OPEN_TICKET,
        {**ticket, "body": "\x1b[31mعاجل"},
        "ValidationError",
        "body",
        "INVALID",
    )
    await refused(
        org, OPEN_TICKET, {**ticket, "subject": "a\nb"}, "ValidationError", "subject", "INVALID"
    )
    opened = await run(org, OPEN_TICKET, ticket)
    assert opened["__typename"] == "OpenTicketPayload", opened
    async with org.pool.acquire() as conn:
        body = await conn.fetchval("SELECT body FROM tickets WHERE org_id = $1", org.id)
    assert body == "سطر\n\tثانٍ\r\n"


async def test_a_search_with_an_override_is_refused_naming_the_filter(org: Org) -> None:
    body = await org.gql(SEARCH, {"f": {"search": "\u202eabc"}})
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "filter.search"}


async def test_an_incident_title_of_tatweel_only_is_required(org: Org) -> None:
    await refused(org, DECLARE, {"title": "ـــــ"}, "ValidationError", "title", "REQUIRED")


async def test_a_post_mortem_list_item_names_its_position(org: Org) -> None:
    declared = await run(org, DECLARE, {"title": "تعطل"})
    incident = declared["incident"]["id"]
    for version, status in enumerate(("MITIGATED", "RESOLVED"), start=1):
        moved = await run(org, STATUS, {"id": incident, "version": version, "status": status})
        assert moved["__typename"] == "IncidentPayload", moved
    payload = {
        "id": incident,
        "version": 3,
        "summary": "ملخص\nمن سطرين",
        "timeline": "09:00 اكتشاف",
        "rootCause": "مفتاح مكشوف",
        "whatWentRight": "الاستجابة السريعة",
        "whatWentWrong": "تأخر الإخطار",
        "preventiveActions": ["تدوير المفاتيح", "مراجعة\u2067 السجلات"],
        "actionOwners": ["سارة", "علي"],
        "deadline": (T0 + timedelta(days=7)).isoformat(),
    }
    await refused(org, POST_MORTEM, payload, "ValidationError", "preventiveActions[1]", "INVALID")
    owners = {**payload, "preventiveActions": ["أ", "ب"], "actionOwners": ["سارة", "\u200b"]}
    await refused(org, POST_MORTEM, owners, "ValidationError", "actionOwners", "REQUIRED")
