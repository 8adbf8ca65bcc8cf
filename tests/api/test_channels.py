"""docs/rules.md §8.5 through the GraphQL API: channel counts, the auto-freeze, CHANNEL_FROZEN
refusals on approving that channel's drafts, the alert, the owner's lift, and incident step 1."""

from __future__ import annotations

from typing import Any

from domain.roles import Role
from tests.api.test_incidents import TICK, customers, declared
from tests.factories import T0, Org, new_customer, open_ticket, support_snapshot

HEALTH = """channel windowStart windowEnd sent bounced complaints blocks bounceRate complaintRate
  blockRate frozen freezeCause frozenAt"""
RECORD = f"""
mutation($i: RecordChannelStatsInput!) {{ recordChannelStats(input: $i) {{ __typename
  ... on RecordChannelStatsPayload {{ froze health {{ {HEALTH} }} }}
  ... on UserError {{ field code message }} }} }}"""
LIFT = f"""
mutation($i: LiftChannelFreezeInput!) {{ liftChannelFreeze(input: $i) {{ __typename
  ... on LiftChannelFreezePayload {{ liftedCause health {{ {HEALTH} }} }}
  ... on UserError {{ field code message }} }} }}"""
APPROVE = """
mutation($i: ApproveDraftInput!) { approveDraft(input: $i) { __typename
  ... on UserError { field code message } } }"""
ALERTS = """{ alerts(first: 10) { edges { node { kind severity forRole payload {
  ... on ChannelFrozenDetails { channel cause sent bounceRate complaintRate blockRate
    frozenByIncidentId }
} } } } }"""


async def record(org: Org, role: Role = Role.AGENT, **fields: Any) -> dict[str, Any]:
    data = await org.data(
        RECORD, {"i": {"channel": "EMAIL", "day": "2026-11-01"} | fields}, role=role
    )
    result: dict[str, Any] = data["recordChannelStats"]
    return result


async def snapshot(org: Org) -> dict[str, Any]:
    found = await support_snapshot(org)
    async with org.pool.acquire() as conn:
        for table in ("channel_stats", "channel_freezes"):
            rows = await conn.fetch(f"SELECT * FROM {table} WHERE org_id = $1", org.id)
            found[table] = sorted(tuple(row.items()) for row in rows)
    return found


def health(sent: int, bounced: int, *, frozen: bool, cause: str | None = None, **more: Any) -> Any:
    rate = None if sent == 0 else bounced / sent
    return {
        "channel": "EMAIL",
        "windowStart": "2026-10-26",
        "windowEnd": "2026-11-01",
        "sent": sent,
        "bounced": bounced,
        "complaints": 0,
        "blocks": 0,
        "bounceRate": rate,
        "complaintRate": None if sent == 0 else 0.0,
        "blockRate": None if sent == 0 else 0.0,
        "frozen": frozen,
        "freezeCause": cause,
        "frozenAt": T0.isoformat() if frozen else None,
    } | more


async def test_twenty_sent_in_the_window_freeze_email_on_its_bounces(org: Org) -> None:
    # 19 sent, all bounced: under the minimum volume, nothing freezes.
    first = await record(org, day="2026-10-26", sent=19, bounced=1)
    assert first == {
        "__typename": "RecordChannelStatsPayload",
        "froze": False,
        "health": health(19, 1, frozen=False),
    }
    # A day outside the window (7 days ago) counts nothing.
    outside = await record(org, day="2026-10-25", sent=100, bounced=100)
    assert outside["health"] == health(19, 1, frozen=False)
    # The 20th message: 1 bounce in 20 is 5%, not above it.
    at = await record(org, day="2026-11-01", sent=1)
    assert at["froze"] is False
    assert at["health"]["bounceRate"] == 0.05
    # Recording the day again replaces it: 2 in 21 is above 5%.
    over = await record(org, day="2026-11-01", sent=2, bounced=1)
    assert over == {
        "__typename": "RecordChannelStatsPayload",
        "froze": True,
        "health": health(21, 2, frozen=True, cause="BOUNCE_RATE"),
    }
    # Already frozen: a further record neither freezes nor alerts again.
    again = await record(org, day="2026-11-01", sent=3, bounced=2)
    assert again["froze"] is False
    assert again["health"]["frozen"] is True
    data = await org.data(ALERTS)
    assert [e["node"] for e in data["alerts"]["edges"]] == [
        {
            "kind": "CHANNEL_FROZEN",
            "severity": "HIGH",
            "forRole": "owner",
            "payload": {
                "channel": "EMAIL",
                "cause": "BOUNCE_RATE",
                "sent": 21,
                "bounceRate": 2 / 21,
                "complaintRate": 0.0,
                "blockRate": 0.0,
                "frozenByIncidentId": None,
            },
        }
    ]
    listed = await org.data(f"{{ channelHealth {{ {HEALTH} }} }}", role=Role.VIEWER)
    assert listed["channelHealth"] == [health(22, 3, frozen=True, cause="BOUNCE_RATE")]


async def test_whatsapp_blocks_and_complaints_freeze(org: Org) -> None:
    blocked = await record(org, channel="WHATSAPP", sent=100, blocks=3)
    assert blocked["froze"] is False
    blocked = await record(org, channel="WHATSAPP", sent=100, blocks=4)
    assert (blocked["froze"], blocked["health"]["freezeCause"]) == (True, "BLOCK_RATE")
    email = await record(org, sent=1000, complaints=3, blocks=1000)
    assert email["froze"] is False
    email = await record(org, sent=1000, complaints=4)
    assert (email["froze"], email["health"]["freezeCause"]) == (True, "COMPLAINT_RATE")


async def test_a_frozen_channels_drafts_are_refused_until_an_owner_lifts(org: Org) -> None:
    customer = await new_customer(org)
    by_email = await open_ticket(org, customer, "hello")
    by_whatsapp = await open_ticket(org, customer, "hello", channel="WHATSAPP")
    await record(org, sent=20, bounced=2)

    before = await snapshot(org)
    refused = await org.data(APPROVE, {"i": {"id": by_email["draft"]["id"], "version": 1}})
    assert refused["approveDraft"] == {
        "__typename": "ForbiddenError",
        "field": "status",
        "code": "CHANNEL_FROZEN",
        "message": "The email channel is frozen; this draft cannot be approved until an owner "
        "lifts the freeze.",
    }
    assert await snapshot(org) == before
    other = await org.data(APPROVE, {"i": {"id": by_whatsapp["draft"]["id"], "version": 1}})
    assert other["approveDraft"] == {"__typename": "DraftPayload"}

    before = await snapshot(org)
    manager = await org.data(LIFT, {"i": {"channel": "EMAIL"}}, role=Role.MANAGER)
    assert manager["liftChannelFreeze"]["__typename"] == "ForbiddenError"
    assert manager["liftChannelFreeze"]["code"] == "FORBIDDEN"
    not_frozen = (await org.data(LIFT, {"i": {"channel": "PHONE"}}))["liftChannelFreeze"]
    assert not_frozen == {
        "__typename": "RuleError",
        "field": "channel",
        "code": "PRECONDITION_FAILED",
        "message": "the phone channel is not frozen",
    }
    assert await snapshot(org) == before

    lifted = (await org.data(LIFT, {"i": {"channel": "EMAIL"}}))["liftChannelFreeze"]
    assert lifted == {
        "__typename": "LiftChannelFreezePayload",
        "liftedCause": "BOUNCE_RATE",
        "health": health(20, 2, frozen=False),
    }
    approved = await org.data(APPROVE, {"i": {"id": by_email["draft"]["id"], "version": 1}})
    assert approved["approveDraft"] == {"__typename": "DraftPayload"}
    async with org.pool.acquire() as conn:
        actions = await conn.fetch(
            "SELECT action FROM ledger WHERE org_id = $1 ORDER BY id DESC LIMIT 2", org.id
        )
    assert [r["action"] for r in actions] == ["approveDraft", "liftChannelFreeze"]


async def test_record_refusals_change_nothing(org: Org) -> None:
    before = await snapshot(org)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"sent": -1}, "sent", "OUT_OF_RANGE"),
        ({"sent": 5, "bounced": 6}, "bounced", "OUT_OF_RANGE"),
        ({"sent": 5, "day": "2026-11-02"}, "day", "OUT_OF_RANGE"),
    ]
    for fields, field, code in cases:
        result = await record(org, **fields)
        assert (result["__typename"], result["field"], result["code"]) == (
            "ValidationError",
            field,
            code,
        )
    viewer = await record(org, role=Role.VIEWER, sent=5)
    assert (viewer["__typename"], viewer["code"]) == ("ForbiddenError", "FORBIDDEN")
    assert await snapshot(org) == before


async def test_ticking_response_step_one_freezes_the_named_channel(org: Org) -> None:
    affected = await customers(org, 1)
    incident = await declared(org, affectedCustomerIds=affected)
    before = await snapshot(org)
    wrong = await org.data(
        TICK, {"input": {"incidentId": incident["id"], "position": 2, "channel": "WHATSAPP"}}
    )
    assert {k: wrong["tickResponseStep"][k] for k in ("__typename", "field", "code")} == {
        "__typename": "ValidationError",
        "field": "channel",
        "code": "INVALID",
    }
    assert await snapshot(org) == before
    ticked = await org.data(
        TICK, {"input": {"incidentId": incident["id"], "position": 1, "channel": "WHATSAPP"}}
    )
    assert ticked["tickResponseStep"]["step"]["done"] is True
    listed = await org.data("{ channelHealth { channel frozen freezeCause sent } }")
    assert listed["channelHealth"] == [
        {"channel": "WHATSAPP", "frozen": True, "freezeCause": "INCIDENT", "sent": 0}
    ]
    data = await org.data(ALERTS)
    payload = data["alerts"]["edges"][0]["node"]["payload"]
    assert payload == {
        "channel": "WHATSAPP",
        "cause": "INCIDENT",
        "sent": 0,
        "bounceRate": None,
        "complaintRate": None,
        "blockRate": None,
        "frozenByIncidentId": incident["id"],
    }
