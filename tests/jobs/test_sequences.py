"""Onboarding and win-back sequences (docs/rules.md §8.3) through the scan and GraphQL on the real
database: local days (Riyadh, UTC+3), day 21 held until the first Proof Pack, stop rules, and
each step drafted exactly once, also under concurrent scans."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from domain.sequences import SequenceKind
from jobs import sequences as sequence_jobs
from jobs import worker
from resolvers.store import engine
from resolvers.store import sequences as store
from tests.api.success_support import customer, pk
from tests.factories import Org

SEQUENCES = """query($id: ID!) { customer(id: $id) { sequences { kind startedAt startedOn day
  stoppedAt stopReason steps { day kind state draft { kind locale body status subjectType } } }
} }"""
ACTIVITY = (
    "mutation($i: RecordCustomerActivityInput!) { recordCustomerActivity(input: $i) "
    "{ __typename } }"
)
PROOF = (
    "mutation($i: DeliverProofPackInput!) { deliverProofPack(input: $i) { __typename "
    "... on ProofPackPayload { title } } }"
)
STAGE = (
    "mutation($i: ChangeCustomerStageInput!) { changeCustomerStage(input: $i) { __typename "
    "... on CustomerPayload { customer { version } } } }"
)
# 22:30 UTC on 1 November is 01:30 on 2 November in Riyadh: day 0 is the 2nd.
START = datetime(2026, 11, 1, 22, 30, tzinfo=UTC)
ONBOARDING = SequenceKind.ONBOARDING
MIDNIGHT = timedelta(hours=22, minutes=30)  # from START to the next local midnight (21:00 UTC)


@pytest.fixture
def ctx(system_pool: asyncpg.Pool, org: Org, settings: engine.Settings) -> dict[str, Any]:
    return {"db": system_pool, "clock": org.clock, "settings": settings}


async def at(org: Org, ctx: dict[str, Any], when: datetime, *, active: str | None = None) -> None:
    """Move the clock to `when` (keeping customer `active` active) and run the scan."""
    org.clock.now = when
    if active is not None:
        await org.data(ACTIVITY, {"i": {"customerId": active, "at": when.isoformat()}})
    await sequence_jobs.scan_sequences(ctx)


async def sequences_of(org: Org, c: str) -> list[dict[str, Any]]:
    data = await org.data(SEQUENCES, {"id": c})
    result: list[dict[str, Any]] = data["customer"]["sequences"]
    return result


def states(sequence: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(s["day"], s["kind"], s["state"]) for s in sequence["steps"]]


async def step_drafts(org: Org, c: str) -> list[tuple[str, str, int, str]]:
    async with org.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT q.kind, t.step, t.day, d.kind AS draft_kind FROM sequence_steps t "
            "JOIN customer_sequences q ON q.org_id = t.org_id AND q.id = t.sequence_id "
            "JOIN drafts d ON d.org_id = t.org_id AND d.subject_type = 'sequence_step' "
            "AND d.subject_id = t.id WHERE t.org_id = $1 AND q.customer_id = $2 ORDER BY t.id",
            org.id,
            pk(c),
        )
    return [tuple(r) for r in rows]


async def test_onboarding_days_are_the_organisations_local_days(
    org: Org, ctx: dict[str, Any]
) -> None:
    org.clock.now = START
    c = await customer(org, started=START, last_activity=START)
    await at(org, ctx, START)
    await at(org, ctx, START)  # again: nothing new
    [onboarding] = await sequences_of(org, c)
    assert (onboarding["kind"], onboarding["startedOn"], onboarding["day"]) == (
        "ONBOARDING",
        "2026-11-02",
        0,
    )
    assert onboarding["stoppedAt"] is None
    assert states(onboarding) == [
        (0, "WELCOME", "DRAFTED"),
        (1, "QUICK_WIN", "SCHEDULED"),
        (3, "TIPS", "SCHEDULED"),
        (7, "CHECK_IN", "SCHEDULED"),
        (14, "SUCCESS_STORY", "SCHEDULED"),
        (21, "UPGRADE", "SCHEDULED"),
    ]
    assert onboarding["steps"][0]["draft"] == {
        "kind": "ONBOARDING_STEP",
        "locale": "ar",
        "body": "أهلاً شركة الأفق! سعداء بانضمامكم إلى وافي. نحن هنا معكم من أول يوم، "
        "وأي سؤال يصلنا نرد عليه بسرعة.",
        "status": "DRAFT",
        "subjectType": "sequence_step",
    }
    # 20:59 UTC on the 2nd is still day 0 in Riyadh; 21:00 UTC is day 1.
    await at(org, ctx, START + MIDNIGHT - timedelta(minutes=1))
    assert await step_drafts(org, c) == [("onboarding", "welcome", 0, "onboarding_step")]
    await at(org, ctx, START + MIDNIGHT)
    await at(org, ctx, START + MIDNIGHT + timedelta(hours=1))
    assert await step_drafts(org, c) == [
        ("onboarding", "welcome", 0, "onboarding_step"),
        ("onboarding", "quick_win", 1, "onboarding_step"),
    ]
    [onboarding] = await sequences_of(org, c)
    assert onboarding["day"] == 1
    assert [s["state"] for s in onboarding["steps"]][:3] == ["DRAFTED", "DRAFTED", "SCHEDULED"]


async def test_a_late_scan_drafts_the_latest_step_and_the_skipped_ones_are_missed(
    org: Org, ctx: dict[str, Any]
) -> None:
    org.clock.now = START
    c = await customer(org, started=START, last_activity=START, locale="EN")
    await at(org, ctx, START + MIDNIGHT + timedelta(days=2), active=c)  # day 3
    [onboarding] = await sequences_of(org, c)
    assert states(onboarding)[:4] == [
        (0, "WELCOME", "MISSED"),
        (1, "QUICK_WIN", "MISSED"),
        (3, "TIPS", "DRAFTED"),
        (7, "CHECK_IN", "SCHEDULED"),
    ]
    assert onboarding["steps"][2]["draft"]["body"] == (
        "Hi شركة الأفق, three tips from other customers: review drafts daily, keep your company "
        "details current, and ask us about anything unclear."
    )
    assert onboarding["steps"][2]["draft"]["locale"] == "en"


async def test_day_21_is_held_until_the_first_proof_pack(org: Org, ctx: dict[str, Any]) -> None:
    org.clock.now = START
    c = await customer(org, started=START, last_activity=START)
    for day in (0, 1, 3, 7, 14, 21, 22):
        await at(org, ctx, START + MIDNIGHT + timedelta(days=day - 1, hours=2), active=c)
    [onboarding] = await sequences_of(org, c)
    assert states(onboarding)[-2:] == [(14, "SUCCESS_STORY", "DRAFTED"), (21, "UPGRADE", "HELD")]
    assert onboarding["steps"][-1]["draft"] is None
    when = START + MIDNIGHT + timedelta(days=22, hours=2)
    org.clock.now = when
    proof = {"customerId": c, "title": "PP", "deliveredAt": when.isoformat()}
    assert (await org.data(PROOF, {"i": proof}))["deliverProofPack"]["title"] == "PP"
    await at(org, ctx, when, active=c)
    await at(org, ctx, when + timedelta(hours=1), active=c)
    assert [row[1:3] for row in await step_drafts(org, c)] == [
        ("welcome", 0),
        ("quick_win", 1),
        ("tips", 3),
        ("check_in", 7),
        ("success_story", 14),
        ("upgrade", 21),
    ]
    [onboarding] = await sequences_of(org, c)
    assert states(onboarding)[-1] == (21, "UPGRADE", "DRAFTED")
    assert onboarding["steps"][-1]["draft"]["body"].startswith("مرحباً شركة الأفق، بعد أول Proof")


async def test_churn_stops_onboarding_and_starts_the_win_back(
    org: Org, ctx: dict[str, Any]
) -> None:
    org.clock.now = START
    c = await customer(org, started=START, last_activity=START, locale="EN")
    await at(org, ctx, START)
    churn = START + timedelta(days=2)  # 3 Nov 22:30 UTC = 4 Nov local: win-back day 0
    org.clock.now = churn
    await org.data(STAGE, {"i": {"id": c, "version": 1, "stage": "CHURNED"}})
    await at(org, ctx, churn)
    onboarding, win_back = await sequences_of(org, c)
    assert (onboarding["stopReason"], onboarding["stoppedAt"]) == (
        "CHURNED",
        "2026-11-03T22:30:00+00:00",
    )
    assert states(onboarding)[:3] == [
        (0, "WELCOME", "DRAFTED"),
        (1, "QUICK_WIN", "STOPPED"),
        (3, "TIPS", "STOPPED"),
    ]
    assert (win_back["kind"], win_back["startedOn"], win_back["day"]) == (
        "WIN_BACK",
        "2026-11-04",
        0,
    )
    assert win_back["startedAt"] == "2026-11-03T22:30:00+00:00"
    await at(org, ctx, churn + timedelta(days=1))
    [_, win_back] = await sequences_of(org, c)
    assert win_back["steps"][0]["state"] == "DRAFTED"
    assert win_back["steps"][0]["draft"]["body"] == (
        "Hi شركة الأفق, we noticed you haven't been around lately. Is everything all right? "
        "We're here if you need anything."
    )
    # Later scans never restart the onboarding nor draft its steps.
    await at(org, ctx, churn + timedelta(days=2))
    assert [row[:3] for row in await step_drafts(org, c)] == [
        ("onboarding", "welcome", 0),
        ("win_back", "we_miss_you", 1),
    ]


async def test_win_back_from_inactivity_runs_its_days_and_stops_when_activity_returns(
    org: Org, ctx: dict[str, Any]
) -> None:
    last = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    org.clock.now = last
    c = await customer(org, started=last - timedelta(days=90), last_activity=last)
    inactive = last + timedelta(days=7)  # 8 Sep 15:00 local: day 0
    for day in (0, 1, 7, 14, 30, 60, 61):
        await at(org, ctx, inactive + timedelta(days=day))
    [win_back] = await sequences_of(org, c)
    assert (win_back["startedAt"], win_back["startedOn"]) == (
        "2026-09-08T12:00:00+00:00",
        "2026-09-08",
    )
    assert states(win_back) == [
        (1, "WE_MISS_YOU", "DRAFTED"),
        (7, "WHATS_MISSING", "DRAFTED"),
        (14, "FOUNDER_MESSAGE", "DRAFTED"),
        (30, "OFFER", "DRAFTED"),
        (60, "EXIT_SURVEY", "DRAFTED"),
    ]
    assert [s["draft"]["kind"] for s in win_back["steps"]] == ["WIN_BACK_STEP"] * 5
    assert win_back["steps"][2]["draft"]["body"] == (
        "مرحباً شركة الأفق، معك مؤسس وافي. أود أن أسمع منك مباشرة: ما الذي يمكننا فعله "
        "بشكل أفضل لكم؟"
    )


async def test_returning_activity_stops_the_win_back(org: Org, ctx: dict[str, Any]) -> None:
    last = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    org.clock.now = last
    c = await customer(org, started=last - timedelta(days=90), last_activity=last)
    inactive = last + timedelta(days=7)
    await at(org, ctx, inactive + timedelta(days=1))
    back = inactive + timedelta(days=3)
    await at(org, ctx, back, active=c)
    await at(org, ctx, inactive + timedelta(days=7))  # the old day 7: nothing drafted
    [win_back] = await sequences_of(org, c)
    assert (win_back["stopReason"], win_back["stoppedAt"]) == (
        "RETURNED",
        "2026-09-11T12:00:00+00:00",
    )
    assert states(win_back)[:2] == [(1, "WE_MISS_YOU", "DRAFTED"), (7, "WHATS_MISSING", "STOPPED")]
    assert [row[1] for row in await step_drafts(org, c)] == ["we_miss_you"]


async def test_two_concurrent_scans_draft_each_step_once(org: Org, ctx: dict[str, Any]) -> None:
    org.clock.now = START
    a = await customer(org, started=START, last_activity=START)
    b = await customer(
        org, started=START - timedelta(days=20), last_activity=START - timedelta(days=9)
    )
    pool = await engine.create_system_pool(ctx["settings"].database_url, size=4)
    try:
        for when in (START, START + MIDNIGHT):
            org.clock.now = when
            await asyncio.gather(
                *(sequence_jobs.scan_sequences({**ctx, "db": pool}) for _ in range(2))
            )
    finally:
        await pool.close()
    assert [row[1:3] for row in await step_drafts(org, a)] == [("welcome", 0), ("quick_win", 1)]
    # b went quiet 9 days ago (inactive for 2 days): its win-back drafts day 1 once; its
    # onboarding never starts (a win-back is running).
    assert [row[:3] for row in await step_drafts(org, b)] == [("win_back", "we_miss_you", 1)]
    assert [s["kind"] for s in await sequences_of(org, b)] == ["WIN_BACK"]


def test_the_scan_is_a_registered_hourly_job() -> None:
    assert sequence_jobs.scan_sequences in worker.FUNCTIONS
    [job] = [j for j in worker.CRON_JOBS if j.coroutine is sequence_jobs.scan_sequences]
    assert (job.minute, job.second, job.unique) == (45, 0, True)


async def test_win_back_days_turn_at_riyadh_midnight(org: Org, ctx: dict[str, Any]) -> None:
    last = datetime(2026, 9, 1, 22, 30, tzinfo=UTC)
    org.clock.now = last
    c = await customer(org, started=last - timedelta(days=90), last_activity=last)
    # Inactive from 8 Sep 22:30 UTC = 9 Sep 01:30 in Riyadh: day 0 is the 9th; day 1 begins
    # at 21:00 UTC on the 9th, day 7 at 21:00 UTC on the 15th.
    day1 = datetime(2026, 9, 9, 21, 0, tzinfo=UTC)
    await at(org, ctx, last + timedelta(days=7) - timedelta(minutes=1))  # still active
    assert await sequences_of(org, c) == []
    await at(org, ctx, last + timedelta(days=7))
    await at(org, ctx, day1 - timedelta(minutes=1))
    [win_back] = await sequences_of(org, c)
    assert (win_back["startedOn"], win_back["day"]) == ("2026-09-09", 0)
    assert await step_drafts(org, c) == []
    await at(org, ctx, day1)
    await at(org, ctx, day1 + timedelta(days=6) - timedelta(minutes=1))
    assert [row[1:3] for row in await step_drafts(org, c)] == [("we_miss_you", 1)]
    await at(org, ctx, day1 + timedelta(days=6))
    assert [row[1:3] for row in await step_drafts(org, c)] == [
        ("we_miss_you", 1),
        ("whats_missing", 7),
    ]


async def test_the_unique_key_alone_refuses_a_second_draft_of_a_step(
    org: Org, ctx: dict[str, Any]
) -> None:
    """Without the scan's lock (a racing writer), the step's key still drafts it once."""
    org.clock.now = START
    c = await customer(org, started=START, last_activity=START)
    await at(org, ctx, START)
    async with org.pool.acquire() as conn:
        sequence_id = await conn.fetchval(
            "SELECT id FROM customer_sequences WHERE org_id = $1 AND customer_id = $2",
            org.id,
            pk(c),
        )
        again = store.StepDraft(
            candidate=store.Candidate(org.id, sequence_id, pk(c), ONBOARDING, "ar", "x", 0, False),
            day=0,
            step="welcome",
            draft_kind="onboarding_step",
            body="x",
        )
        assert await store.draft_steps(conn, steps=[again, again], now=START) == 0
    assert await step_drafts(org, c) == [("onboarding", "welcome", 0, "onboarding_step")]
