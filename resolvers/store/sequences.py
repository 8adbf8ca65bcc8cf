"""Onboarding and win-back sequences and exit surveys (docs/rules.md §8.3): the only place that
speaks SQL about them.

A sequence run is a row named by what started it (the subscription start; the moment a customer
turned inactive or churned); a drafted step is a row unique per run and day, written in the same
statement as its draft, so no step is ever drafted twice however many scans race.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.drafts import Draft
from domain.sequences import ExitSurvey, SequenceKind, StopReason
from resolvers.store import drafts as draft_store
from resolvers.store.tables import ExitSurveyRow

# One scan at a time across workers (a transaction-level advisory lock): a second scan waits,
# then finds every step already drafted. The unique keys hold even without it.
_SCAN_LOCK = 0x5E9_0E1CE

_CHURNED_AT = """coalesce((SELECT max(s.changed_at) FROM stage_changes s WHERE s.org_id = c.org_id
      AND s.customer_id = c.id AND s.to_stage = 'churned'), c.created_at)"""

# When the customer's current win-back started ($1 now, $2 the inactivity span): the moment it
# turned inactive (§4.6) or churned, whichever came first; NULL while active and not churned.
_WIN_BACK_START = f"""CASE
  WHEN c.stage = 'churned' THEN least({_CHURNED_AT},
       coalesce(c.last_activity_at, c.subscription_started_at) + $2::interval)
  WHEN coalesce(c.last_activity_at, c.subscription_started_at) + $2::interval <= $1
  THEN coalesce(c.last_activity_at, c.subscription_started_at) + $2::interval END"""

_STOP_WIN_BACKS = f"""
UPDATE customer_sequences q
SET stopped_at = $1,
    stop_reason = CASE WHEN c.archived_at IS NOT NULL THEN 'archived' ELSE 'returned' END
FROM customers c
WHERE q.stopped_at IS NULL AND q.kind = 'win_back' AND c.org_id = q.org_id
  AND c.id = q.customer_id
  AND (c.archived_at IS NOT NULL OR ({_WIN_BACK_START}) IS DISTINCT FROM q.started_at)
"""

_START_WIN_BACKS = f"""
INSERT INTO customer_sequences (org_id, customer_id, kind, started_at, started_on)
SELECT w.org_id, w.id, 'win_back', w.start, (w.start AT TIME ZONE w.tz)::date
FROM (SELECT c.org_id, c.id, o.time_zone AS tz, {_WIN_BACK_START} AS start
      FROM customers c JOIN organisations o ON o.id = c.org_id
      WHERE c.archived_at IS NULL) w
WHERE w.start IS NOT NULL
  AND ($1 AT TIME ZONE w.tz)::date - (w.start AT TIME ZONE w.tz)::date <= $3
ORDER BY w.org_id, w.id
ON CONFLICT DO NOTHING
"""

_STOP_ONBOARDINGS = """
UPDATE customer_sequences q
SET stopped_at = $1,
    stop_reason = CASE WHEN c.archived_at IS NOT NULL THEN 'archived'
                       WHEN c.stage = 'churned' THEN 'churned' ELSE 'inactive' END
FROM customers c
WHERE q.stopped_at IS NULL AND q.kind = 'onboarding' AND c.org_id = q.org_id
  AND c.id = q.customer_id
  AND (c.archived_at IS NOT NULL OR c.stage = 'churned' OR EXISTS (
       SELECT 1 FROM customer_sequences w WHERE w.org_id = q.org_id
       AND w.customer_id = q.customer_id AND w.kind = 'win_back' AND w.stopped_at IS NULL))
"""

_START_ONBOARDINGS = """
INSERT INTO customer_sequences (org_id, customer_id, kind, started_at, started_on)
SELECT c.org_id, c.id, 'onboarding', c.subscription_started_at,
       (c.subscription_started_at AT TIME ZONE o.time_zone)::date
FROM customers c JOIN organisations o ON o.id = c.org_id
WHERE c.archived_at IS NULL AND c.stage <> 'churned' AND c.subscription_started_at <= $1
  AND ($1 AT TIME ZONE o.time_zone)::date
      - (c.subscription_started_at AT TIME ZONE o.time_zone)::date <= $2
  AND NOT EXISTS (SELECT 1 FROM customer_sequences q WHERE q.org_id = c.org_id
      AND q.customer_id = c.id AND (q.kind = 'onboarding' OR q.stopped_at IS NULL))
ORDER BY c.org_id, c.id
ON CONFLICT DO NOTHING
"""

# Running sequences whose latest due step ($2 onboarding days, $3 win-back days) is not drafted.
_CANDIDATES = """
SELECT q.org_id, q.id, q.customer_id, q.kind, c.locale, c.name, d.day,
       EXISTS (SELECT 1 FROM proof_packs p WHERE p.org_id = q.org_id
               AND p.customer_id = q.customer_id AND p.delivered_at <= $1) AS proof_pack
FROM customer_sequences q
JOIN customers c ON c.org_id = q.org_id AND c.id = q.customer_id
JOIN organisations o ON o.id = q.org_id
CROSS JOIN LATERAL (SELECT ($1 AT TIME ZONE o.time_zone)::date - q.started_on AS day) d
CROSS JOIN LATERAL (
  SELECT max(x) AS due FROM unnest(CASE WHEN q.kind = 'onboarding' THEN $2::int[]
                                        ELSE $3::int[] END) x WHERE x <= d.day) s
WHERE q.stopped_at IS NULL AND s.due IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM sequence_steps t WHERE t.org_id = q.org_id
                  AND t.sequence_id = q.id AND t.day = s.due)
ORDER BY q.org_id, q.id
"""

_DRAFT_STEPS = """
WITH d AS (
  SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::int[], $6::text[],
                       $7::text[], $8::text[], $9::text[])
         AS d(org_id, sequence_id, customer_id, day, step, kind, locale, body)),
s AS (
  INSERT INTO sequence_steps (org_id, sequence_id, day, step, drafted_at)
  SELECT org_id, sequence_id, day, step, $1 FROM d
  ON CONFLICT DO NOTHING RETURNING org_id, id, sequence_id, day)
INSERT INTO drafts (org_id, customer_id, kind, subject_type, subject_id, locale, body, status,
                    created_at, version)
SELECT d.org_id, d.customer_id, d.kind, 'sequence_step', s.id, d.locale, d.body, 'draft', $1, 1
FROM s JOIN d ON d.org_id = s.org_id AND d.sequence_id = s.sequence_id AND d.day = s.day
RETURNING id
"""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A running sequence whose latest due step has no draft yet."""

    org_id: int
    sequence_id: int
    customer_id: int
    kind: SequenceKind
    locale: str
    name: str
    day: int
    proof_pack: bool


@dataclass(frozen=True, slots=True)
class StepDraft:
    """One step for `draft_steps` to write with its draft."""

    candidate: Candidate
    day: int
    step: str
    draft_kind: str
    body: str


async def lock_scan(conn: asyncpg.Connection) -> None:
    """Serialise scans for the caller's transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCAN_LOCK)


async def stop_and_start(
    conn: asyncpg.Connection,
    *,
    now: datetime,
    inactive_after: timedelta,
    onboarding_last_day: int,
    win_back_last_day: int,
) -> dict[str, int]:
    """Stop win-backs whose customer returned, start the new ones; stop onboardings of churned
    or inactive customers, start those of new subscriptions. Returns the counts."""
    stopped_wb = await conn.execute(_STOP_WIN_BACKS, now, inactive_after)
    started_wb = await conn.execute(_START_WIN_BACKS, now, inactive_after, win_back_last_day)
    stopped_ob = await conn.execute(_STOP_ONBOARDINGS, now)
    started_ob = await conn.execute(_START_ONBOARDINGS, now, onboarding_last_day)
    return {
        "win_backs_stopped": _count(stopped_wb),
        "win_backs_started": _count(started_wb),
        "onboardings_stopped": _count(stopped_ob),
        "onboardings_started": _count(started_ob),
    }


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


async def candidates(
    conn: asyncpg.Connection, *, now: datetime, onboarding_days: list[int], win_back_days: list[int]
) -> list[Candidate]:
    """Running sequences whose latest due step is not drafted yet."""
    rows = await conn.fetch(_CANDIDATES, now, onboarding_days, win_back_days)
    return [
        Candidate(
            org_id=r["org_id"],
            sequence_id=r["id"],
            customer_id=r["customer_id"],
            kind=SequenceKind(r["kind"]),
            locale=r["locale"],
            name=r["name"],
            day=r["day"],
            proof_pack=r["proof_pack"],
        )
        for r in rows
    ]


async def draft_steps(
    conn: asyncpg.Connection, *, steps: Sequence[StepDraft], now: datetime
) -> int:
    """Set-based: each step row with its draft, once per run and day. Returns how many new."""
    rows = await conn.fetch(
        _DRAFT_STEPS,
        now,
        [s.candidate.org_id for s in steps],
        [s.candidate.sequence_id for s in steps],
        [s.candidate.customer_id for s in steps],
        [s.day for s in steps],
        [s.step for s in steps],
        [s.draft_kind for s in steps],
        [s.candidate.locale for s in steps],
        [s.body for s in steps],
    )
    return len(rows)


# ---- Reading: `Customer.sequences` ----


@dataclass(frozen=True, slots=True)
class Run:
    """One sequence run as stored, with the organisation's local day number now."""

    id: int
    customer_id: int
    kind: SequenceKind
    started_at: datetime
    started_on: date
    day: int
    stopped_at: datetime | None
    stop_reason: StopReason | None
    proof_pack: bool
    drafts: dict[int, Draft]


_RUNS = """
SELECT q.id, q.customer_id, q.kind, q.started_at, q.started_on, q.stopped_at, q.stop_reason,
       ($3 AT TIME ZONE o.time_zone)::date - q.started_on AS day,
       EXISTS (SELECT 1 FROM proof_packs p WHERE p.org_id = q.org_id
               AND p.customer_id = q.customer_id AND p.delivered_at <= $3) AS proof_pack
FROM customer_sequences q JOIN organisations o ON o.id = q.org_id
WHERE q.org_id = $1 AND q.customer_id = ANY($2::bigint[])
ORDER BY q.customer_id, q.started_at, q.id
"""

_STEP_DRAFTS = """
SELECT t.sequence_id, t.day, d.id, d.version, d.customer_id, d.kind, d.subject_type,
       d.subject_id, d.locale, d.body, d.status, d.created_at, d.decided_at, d.decided_by,
       d.sent_at, d.sent_by
FROM sequence_steps t
JOIN drafts d ON d.org_id = t.org_id AND d.subject_type = 'sequence_step' AND d.subject_id = t.id
WHERE t.org_id = $1 AND t.sequence_id = ANY($2::bigint[])
"""


async def by_customers(
    conn: asyncpg.Connection, *, org_id: int, customer_ids: Sequence[int], now: datetime
) -> dict[int, list[Run]]:
    """Batch load: each customer's sequence runs, oldest first, with their drafted steps."""
    rows = await conn.fetch(_RUNS, org_id, list(customer_ids), now)
    steps = await conn.fetch(_STEP_DRAFTS, org_id, [r["id"] for r in rows]) if rows else []
    drafted: dict[int, dict[int, Draft]] = {}
    for step in steps:
        drafted.setdefault(step["sequence_id"], {})[step["day"]] = draft_store.from_record(step)
    found: dict[int, list[Run]] = {pk: [] for pk in customer_ids}
    for r in rows:
        found[r["customer_id"]].append(
            Run(
                id=r["id"],
                customer_id=r["customer_id"],
                kind=SequenceKind(r["kind"]),
                started_at=r["started_at"],
                started_on=r["started_on"],
                day=r["day"],
                stopped_at=r["stopped_at"],
                stop_reason=None if r["stop_reason"] is None else StopReason(r["stop_reason"]),
                proof_pack=r["proof_pack"],
                drafts=drafted.get(r["id"], {}),
            )
        )
    return found


# ---- Exit surveys ----


async def churned_at(session: AsyncSession, *, org_id: int, customer_id: int) -> datetime:
    """When the customer last churned (its last stage change to churned, else its creation)."""
    result = await session.execute(
        text(
            "SELECT coalesce((SELECT max(s.changed_at) FROM stage_changes s "
            "WHERE s.org_id = c.org_id AND s.customer_id = c.id AND s.to_stage = 'churned'), "
            "c.created_at) FROM customers c WHERE c.org_id = :org AND c.id = :customer"
        ),
        {"org": org_id, "customer": customer_id},
    )
    found: datetime = result.scalar_one()
    return found


async def survey_exists(
    session: AsyncSession, *, org_id: int, customer_id: int, churned: datetime
) -> bool:
    """Whether this churn's survey is recorded (the caller holds the customer's row lock)."""
    result = await session.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM exit_surveys WHERE org_id = :org "
            "AND customer_id = :customer AND churned_at = :churned)"
        ),
        {"org": org_id, "customer": customer_id, "churned": churned},
    )
    return bool(result.scalar_one())


async def add_survey(
    session: AsyncSession, *, org_id: int, survey: ExitSurvey, churned: datetime, now: datetime
) -> ExitSurvey:
    """Store a survey in the caller's transaction; returns it with its id."""
    row = ExitSurveyRow(
        org_id=org_id,
        customer_id=survey.customer_id,
        churned_at=churned,
        primary_reason=survey.primary_reason.value,
        reason_text=survey.reason_text,
        could_do_better=survey.could_do_better,
        would_return=survey.would_return.value,
        recorded_at=now,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    return ExitSurvey(
        id=row.id,
        customer_id=survey.customer_id,
        primary_reason=survey.primary_reason,
        reason_text=survey.reason_text,
        could_do_better=survey.could_do_better,
        would_return=survey.would_return,
    )


async def reason_counts(
    conn: asyncpg.Connection, *, org_id: int, start: datetime, end: datetime
) -> dict[str, int]:
    """Exit surveys per primary reason for churns in [start, end)."""
    rows = await conn.fetch(
        "SELECT primary_reason, count(*)::int AS n FROM exit_surveys WHERE org_id = $1 "
        "AND churned_at >= $2 AND churned_at < $3 GROUP BY primary_reason",
        org_id,
        start,
        end,
    )
    return {r["primary_reason"]: r["n"] for r in rows}
