"""The pilot playbook through the API and the daily scan (docs/rules.md §8.1): day 0 is the
start's local date, each day's drafts exactly once with the playbook's exact texts, the firm ask
filled from the check-ins, and the outcome; every refusal leaves no trace."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from jobs import playbooks as playbook_jobs
from resolvers.store import engine
from tests.api.success_support import SUCCESS_TABLES, customer, pk
from tests.factories import Org

# 22:30 UTC is 01:30 the next day in Riyadh (UTC+3): the pilot's local day has already turned.
START = datetime(2026, 11, 1, 22, 30, tzinfo=UTC)  # Riyadh: Monday 2 November, 01:30

PILOT = """id status startedAt startDay day totalLeads totalDemos averageResponseSeconds
  planName monthlyPriceSar planStartsOn declineQuestion declineReason
  checkIns { day attended leads demos responseSeconds }
  drafts { kind subjectType locale body status approvalRequired liveSendAllowed }"""
RESULT = (
    f"__typename ... on PilotPayload {{ pilot {{ {PILOT} }} }} "
    "... on UserError { field code message }"
)
START_PILOT = f"mutation($i: StartPilotInput!) {{ startPilot(input: $i) {{ {RESULT} }} }}"
CHECK_IN = (
    f"mutation($i: RecordDailyCheckInInput!) {{ recordDailyCheckIn(input: $i) {{ {RESULT} }} }}"
)
CONVERT = f"mutation($i: ConvertPilotInput!) {{ convertPilot(input: $i) {{ {RESULT} }} }}"
DECLINE = f"mutation($i: DeclinePilotInput!) {{ declinePilot(input: $i) {{ {RESULT} }} }}"
SHOW = f"query($id: ID!) {{ customer(id: $id) {{ pilot {{ {PILOT} }} }} }}"

SOFT = "أيام قليلة باقية في pilot. بناءً على النتائج حتى الآن، هل تتوقع الاستمرار؟"
PILOT_TABLES = ("pilots", "pilot_check_ins", "pilot_steps", "red_flags", *SUCCESS_TABLES)


@pytest.fixture
def ctx(system_pool: asyncpg.Pool, org: Org, settings: engine.Settings) -> dict[str, Any]:
    return {"db": system_pool, "clock": org.clock, "settings": settings}


async def snapshot(org: Org) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    async with org.pool.acquire() as conn:
        for table in PILOT_TABLES:
            rows = await conn.fetch(f"SELECT * FROM {table} WHERE org_id = $1", org.id)
            found[table] = sorted((dict(row) for row in rows), key=repr)
    return found


async def started(org: Org, at: datetime = START) -> tuple[str, dict[str, Any]]:
    org.clock.now = at
    c = await customer(org)
    result = (await org.data(START_PILOT, {"i": {"customerId": c}}))["startPilot"]
    assert result["__typename"] == "PilotPayload", result
    return c, result["pilot"]


async def shown(org: Org, c: str) -> dict[str, Any]:
    pilot: dict[str, Any] = (await org.data(SHOW, {"id": c}))["customer"]["pilot"]
    return pilot


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """Pilot day `day` at hh:mm Riyadh time, as UTC (day 0 is 2 November)."""
    return datetime(2026, 11, 2, hour, minute, tzinfo=UTC) + timedelta(days=day, hours=-3)


async def test_day_zero_is_the_local_date_of_the_start(org: Org) -> None:
    c, pilot = await started(org)
    assert pilot == {
        "id": pilot["id"],
        "status": "RUNNING",
        "startedAt": "2026-11-01T22:30:00+00:00",
        "startDay": "2026-11-02",
        "day": 0,
        "totalLeads": 0,
        "totalDemos": 0,
        "averageResponseSeconds": 0,
        "planName": None,
        "monthlyPriceSar": None,
        "planStartsOn": None,
        "declineQuestion": "ما اللي منع الاستمرار؟",
        "declineReason": None,
        "checkIns": [],
        "drafts": [],
    }
    assert pk(pilot["id"]) > 0
    assert await shown(org, c) == pilot


async def test_the_check_in_draft_waits_for_the_local_day_two(
    org: Org, ctx: dict[str, Any]
) -> None:
    c, _ = await started(org)
    # Day 1, 23:59 Riyadh (20:59 UTC): nothing is due yet.
    await playbook_jobs.scan_playbooks(ctx, local(1, 23, 59))
    org.clock.now = local(1, 23, 59)
    assert ((await shown(org, c))["day"], (await shown(org, c))["drafts"]) == (1, [])
    # Day 2 begins at 00:00 Riyadh, 21:00 UTC; at 22:30 UTC it is 01:30 on day 2.
    at = datetime(2026, 11, 3, 22, 30, tzinfo=UTC)
    assert at == local(2, 1, 30)
    await playbook_jobs.scan_playbooks(ctx, at)
    await playbook_jobs.scan_playbooks(ctx, at)
    org.clock.now = at
    pilot = await shown(org, c)
    assert pilot["day"] == 2
    assert pilot["drafts"] == [
        {
            "kind": "PILOT_CHECK_IN",
            "subjectType": "pilot",
            "locale": "ar",
            "body": "اليوم: رددنا على 0 leads، حجزنا 0 demos",
            "status": "DRAFT",
            "approvalRequired": True,
            "liveSendAllowed": False,
        }
    ]


async def record(org: Org, pilot_id: str, day: int, **figures: Any) -> dict[str, Any]:
    payload = {"pilotId": pilot_id, "day": day, "attended": True, **figures}
    result: dict[str, Any] = (await org.data(CHECK_IN, {"i": payload}))["recordDailyCheckIn"]
    return result


async def test_every_step_once_with_the_exact_texts_and_the_firm_ask_from_the_totals(
    org: Org, ctx: dict[str, Any]
) -> None:
    c, pilot = await started(org)
    figures = {
        2: {"leads": 12, "demos": 2, "responseSeconds": 40},
        3: {"leads": 9, "demos": 1, "responseSeconds": 35},
        4: {"leads": 14, "demos": 3, "responseSeconds": 30},
    }
    for day in range(2, 8):
        at = local(day, 0, 30)
        await playbook_jobs.scan_playbooks(ctx, at)
        await playbook_jobs.scan_playbooks(ctx, at + timedelta(hours=12))
        if day in figures:
            org.clock.now = at + timedelta(hours=10)
            done = await record(org, pilot["id"], day, **figures[day])
            assert done["__typename"] == "PilotPayload", done
    org.clock.now = local(7, 18)
    pilot = await shown(org, c)
    assert (pilot["day"], pilot["totalLeads"], pilot["totalDemos"]) == (7, 35, 6)
    assert pilot["averageResponseSeconds"] == 35
    assert [(d["kind"], d["body"]) for d in pilot["drafts"]] == [
        ("PILOT_CHECK_IN", "اليوم: رددنا على 0 leads، حجزنا 0 demos"),
        ("PILOT_CHECK_IN", "اليوم: رددنا على 12 leads، حجزنا 2 demos"),
        ("PILOT_CHECK_IN", "اليوم: رددنا على 21 leads، حجزنا 3 demos"),
        ("PILOT_CHECK_IN", "اليوم: رددنا على 35 leads، حجزنا 6 demos"),
        ("PILOT_SOFT_ASK", SOFT),
        ("PILOT_CHECK_IN", "اليوم: رددنا على 35 leads، حجزنا 6 demos"),
        (
            "PILOT_FIRM_ASK",
            "الـ pilot انتهى اليوم. النتائج كانت [35 leads, 6 demos, 35 ثانية متوسط الرد]."
            " تبغى تكمل Starter (999 ريال/شهر) من الاثنين؟",
        ),
        (
            "TESTIMONIAL_ASK",
            "شكراً لتجربتكم Wafi. هل تسمحون لنا بكلمتين عن تجربتكم نشاركها مع غيركم؟",
        ),
        (
            "REFERRAL_ASK",
            "هل تعرفون فريقاً آخر يستفيد من تجربة pilot مثلكم؟ يسعدنا تعريفكم بهم.",
        ),
    ]
    # Later days bring nothing new.
    await playbook_jobs.scan_playbooks(ctx, local(9, 12))
    org.clock.now = local(9, 13)
    assert len((await shown(org, c))["drafts"]) == 9
    # The mutation's payload shows the same pilot, drafts included.
    converted = (await org.data(CONVERT, {"i": {"pilotId": pilot["id"]}}))["convertPilot"]
    assert converted["pilot"] == {
        **await shown(org, c),
        "status": "CONVERTED",
        "planName": "Starter",
        "monthlyPriceSar": 999,
        "planStartsOn": "2026-11-16",
    }


async def test_an_english_customers_pilot_drafts_are_in_english(
    org: Org, ctx: dict[str, Any]
) -> None:
    org.clock.now = START
    c = await customer(org, name="Najd Trading", locale="EN")
    result = (await org.data(START_PILOT, {"i": {"customerId": c}}))["startPilot"]
    assert result["__typename"] == "PilotPayload", result
    await playbook_jobs.scan_playbooks(ctx, local(5, 1))
    org.clock.now = local(5, 2)
    drafts = (await shown(org, c))["drafts"]
    assert [(d["kind"], d["locale"], d["body"]) for d in drafts] == [
        ("PILOT_CHECK_IN", "en", "Today: we replied to 0 leads and booked 0 demos"),
        (
            "PILOT_SOFT_ASK",
            "en",
            "A few days are left in your pilot. Based on the results so far, do you expect to "
            "continue?",
        ),
    ]


async def test_two_concurrent_scans_draft_each_step_once(org: Org, ctx: dict[str, Any]) -> None:
    for _ in range(5):
        await started(org)
    at = local(5, 1)
    await asyncio.gather(
        playbook_jobs.scan_playbooks(ctx, at), playbook_jobs.scan_playbooks(ctx, at)
    )
    # Day 5: a check-in and the soft ask for each of the five pilots, once in all.
    async with org.pool.acquire() as conn:
        counts = await conn.fetch(
            "SELECT kind, count(*) FROM drafts WHERE org_id = $1 AND subject_type = 'pilot' "
            "GROUP BY kind ORDER BY kind",
            org.id,
        )
    assert [tuple(row) for row in counts] == [("pilot_check_in", 5), ("pilot_soft_ask", 5)]


async def test_testimonial_and_referral_asks_whatever_the_outcome(
    org: Org, ctx: dict[str, Any]
) -> None:
    c, pilot = await started(org)
    org.clock.now = local(3, 10)
    declined = (await org.data(DECLINE, {"i": {"pilotId": pilot["id"], "reason": " السعر "}}))[
        "declinePilot"
    ]
    assert declined["pilot"]["status"] == "DECLINED"
    assert declined["pilot"]["declineReason"] == "السعر"
    for day in range(4, 8):
        await playbook_jobs.scan_playbooks(ctx, local(day, 2))
    org.clock.now = local(7, 3)
    kinds = [d["kind"] for d in (await shown(org, c))["drafts"]]
    assert kinds == ["TESTIMONIAL_ASK", "REFERRAL_ASK"]


async def test_converting_starts_starter_at_999_from_the_next_monday(org: Org) -> None:
    _, pilot = await started(org)
    # Day 7 is Monday 9 November in Riyadh (21:30 UTC on Sunday the 8th): the next Monday is the
    # 16th, not the day itself.
    org.clock.now = local(7, 0, 30)
    result = (await org.data(CONVERT, {"i": {"pilotId": pilot["id"]}}))["convertPilot"]
    got = result["pilot"]
    assert (got["status"], got["planName"], got["monthlyPriceSar"], got["planStartsOn"]) == (
        "CONVERTED",
        "Starter",
        999,
        "2026-11-16",
    )
    # Day 5 (Saturday 7 November): the Monday after is the 9th.
    _, second = await started(org)
    org.clock.now = local(5, 12)
    result = (await org.data(CONVERT, {"i": {"pilotId": second["id"]}}))["convertPilot"]
    assert result["pilot"]["planStartsOn"] == "2026-11-09"
    async with org.pool.acquire() as conn:
        ledger = await conn.fetch(
            "SELECT action FROM ledger WHERE org_id = $1 AND entity = 'Pilot' ORDER BY id", org.id
        )
    assert [row["action"] for row in ledger] == [
        "startPilot",
        "convertPilot",
        "startPilot",
        "convertPilot",
    ]


@pytest.mark.parametrize(
    ("mutation", "payload", "expected"),
    [
        (DECLINE, {"reason": "  "}, ("reason", "REQUIRED", "ValidationError")),
        (DECLINE, {"reason": "x" * 1001}, ("reason", "TOO_LONG", "ValidationError")),
        (CHECK_IN, {"day": 1, "attended": True}, ("day", "OUT_OF_RANGE", "ValidationError")),
        (CHECK_IN, {"day": 7, "attended": True}, ("day", "OUT_OF_RANGE", "ValidationError")),
        (CHECK_IN, {"day": 4, "attended": True}, ("day", "PRECONDITION_FAILED", "RuleError")),
        (
            CHECK_IN,
            {"day": 2, "attended": True, "leads": -1},
            ("leads", "OUT_OF_RANGE", "ValidationError"),
        ),
    ],
)
async def test_refusals_leave_the_database_unchanged(
    org: Org, mutation: str, payload: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    _, pilot = await started(org)
    org.clock.now = local(3, 12)
    before = await snapshot(org)
    body = await org.gql(mutation, {"i": {"pilotId": pilot["id"], **payload}})
    result = next(iter(body["data"].values()))
    assert (result["field"], result["code"], result["__typename"]) == expected
    assert await snapshot(org) == before


async def test_refuses_a_second_pilot_and_deciding_twice(org: Org) -> None:
    c, pilot = await started(org)
    before = await snapshot(org)
    again = (await org.data(START_PILOT, {"i": {"customerId": c}}))["startPilot"]
    assert (again["field"], again["code"]) == ("customerId", "CONFLICT")
    assert await snapshot(org) == before
    await org.data(CONVERT, {"i": {"pilotId": pilot["id"]}})
    before = await snapshot(org)
    for mutation, extra in ((CONVERT, {}), (DECLINE, {"reason": "لا"})):
        result = next(
            iter((await org.data(mutation, {"i": {"pilotId": pilot["id"], **extra}})).values())
        )
        assert (result["field"], result["code"]) == ("pilotId", "INVALID_TRANSITION")
    assert await snapshot(org) == before


async def test_another_organisations_pilot_is_not_found(org: Org, other_org: Org) -> None:
    _, pilot = await started(org)
    before = await snapshot(org)
    result = (await other_org.data(CONVERT, {"i": {"pilotId": pilot["id"]}}))["convertPilot"]
    assert (result["__typename"], result["field"], result["code"]) == (
        "NotFoundError",
        "pilotId",
        "NOT_FOUND",
    )
    assert await snapshot(org) == before
