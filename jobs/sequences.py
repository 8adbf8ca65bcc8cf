"""The sequences scan (docs/rules.md §8.3): onboarding and win-back drafts on the customer's
organisation's local days, each step exactly once however often (or however concurrently) the
scan runs; stop rules applied before anything is drafted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import sequences, signals
from domain.drafts import DraftKind
from domain.sequences import SequenceKind
from resolvers.store import sequences as store

BATCH = 2_000
_DRAFT_KIND = {
    SequenceKind.ONBOARDING: DraftKind.ONBOARDING_STEP.value,
    SequenceKind.WIN_BACK: DraftKind.WIN_BACK_STEP.value,
}


def _days(kind: SequenceKind) -> list[int]:
    return [day for day, _ in sequences.STEPS[kind]]


async def scan_sequences(ctx: dict[str, Any], now: datetime | None = None) -> dict[str, int]:
    """§8.3: stop the sequences whose customer returned, churned or went quiet, start the new
    ones, and draft every step whose local day has come (day 21 only after a Proof Pack)."""
    at = now if now is not None else ctx["clock"]()
    async with ctx["db"].acquire() as conn, conn.transaction():
        await store.lock_scan(conn)
        counts = await store.stop_and_start(
            conn,
            now=at,
            inactive_after=signals.INACTIVE_AFTER,
            onboarding_last_day=sequences.last_day(SequenceKind.ONBOARDING),
            win_back_last_day=sequences.last_day(SequenceKind.WIN_BACK),
        )
        found = await store.candidates(
            conn,
            now=at,
            onboarding_days=_days(SequenceKind.ONBOARDING),
            win_back_days=_days(SequenceKind.WIN_BACK),
        )
        steps = [step for c in found if (step := _step(c)) is not None]
        drafted = 0
        for start in range(0, len(steps), BATCH):
            drafted += await store.draft_steps(conn, steps=steps[start : start + BATCH], now=at)
    return {**counts, "drafted": drafted}


def _step(candidate: store.Candidate) -> store.StepDraft | None:
    due = sequences.to_draft(candidate.kind, candidate.day, candidate.proof_pack)
    if due is None:
        return None
    day, step = due
    return store.StepDraft(
        candidate=candidate,
        day=day,
        step=step.value,
        draft_kind=_DRAFT_KIND[candidate.kind],
        body=sequences.body(step, candidate.locale, candidate.name),
    )
