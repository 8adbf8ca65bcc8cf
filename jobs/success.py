"""Customer-success scans (docs/rules.md §4, §5): daily health snapshots with at-risk alerts on a
rise, and the hourly customer scan (stalled onboarding, inactivity, past due, renewals).

Both are set-based and idempotent: snapshots are unique per customer and day, alerts per
subject, kind and occurrence, a renewal offer is drafted once per plan item, and the founder's
at-risk email once per rise to high (once per AT_RISK alert, written in the same transaction as
the alert, so no rise is ever alerted without its email).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import onboarding, outreach, scores, signals, success_plans
from domain.drafts import DraftKind
from domain.scores import Severity
from resolvers.store import alerts, drafts, engine
from resolvers.store import onboarding as onboarding_store
from resolvers.store import scores as score_store
from resolvers.store import signals as signal_store
from resolvers.store import success_plans as plan_store

BATCH = 2_000
OFFER_LEAD_DAYS = 7  # §4.3: the founder's offer goes with the 7-day renewal item


async def snapshot_health(ctx: dict[str, Any], now: datetime | None = None) -> dict[str, int]:
    """§4.2: today's health point for every live customer; §5: an AT_RISK alert for each
    customer whose at-risk severity rose since its last score; §4.1: the founder's email draft
    for each rise to high."""
    at = now if now is not None else ctx["clock"]()
    customers, raised, emails = 0, 0, 0
    # Reads stream on one connection's snapshot; each batch is written on another, in its own
    # transaction, so a crash loses at most the batch in flight (and a rerun redoes it).
    # aclosing: a failed batch closes the reader's cursor and transaction before the connection
    # goes back to the pool, not whenever the generator is collected.
    async with (
        ctx["db"].acquire() as reader,
        ctx["db"].acquire() as writer,
        aclosing(score_store.stream(reader, now=at, size=BATCH)) as batches,
    ):
        async for batch in batches:
            stored = await score_store.store_scan(
                writer, scored=[_scored(s) for s in batch], now=at
            )
            raised, emails = raised + stored.alerts, emails + stored.emails
            customers += len(batch)
    return {"customers": customers, "at_risk_alerts": raised, "at_risk_emails": emails}


def _scored(inputs: score_store.Signals) -> score_store.Scored:
    """Both scores, and for a rise to high the founder's email proposing a QBR this week
    (§4.1), in the customer's locale, for the scan to draft with the alert."""
    health, at_risk = inputs.health(), inputs.at_risk()
    rose_to_high = at_risk.severity is Severity.HIGH and scores.severity_rose(
        inputs.last_severity, at_risk.severity
    )
    email = (
        outreach.at_risk_email(inputs.locale, inputs.name, at_risk.reasons)
        if rose_to_high
        else None
    )
    return score_store.Scored(inputs, health, at_risk, email)


async def scan_customers(ctx: dict[str, Any], now: datetime | None = None) -> dict[str, int]:
    """§4.4 stalled onboarding (3 days), §4.6 inactivity (7 days) and past-due subscriptions,
    each alerted once per occurrence; §4.3 renewal items and the 7-day renewal offer."""
    at = now if now is not None else ctx["clock"]()
    async with ctx["db"].acquire() as conn:
        stalled = await alerts.insert_from_select(
            conn,
            select_sql=onboarding_store.STALLED_CANDIDATES,
            args=(at - onboarding.STALL_AFTER, len(onboarding.STEPS)),
            now=at,
        )
        inactive = await alerts.insert_from_select(
            conn,
            select_sql=signal_store.INACTIVE_CANDIDATES,
            args=(at - signals.INACTIVE_AFTER,),
            now=at,
        )
        past_due = await alerts.insert_from_select(
            conn, select_sql=signal_store.PAST_DUE_CANDIDATES, args=(), now=at
        )
        # Only the lead days and titles are used; the store dates each item in SQL.
        template = success_plans.renewal_items(at.date())
        added = await plan_store.add_missing_renewal_items(
            conn,
            lead_days=[-item.day_offset for item in template],
            titles=[item.title for item in template],
            now=at,
        )
        due = await plan_store.due_offers(conn, lead_days=OFFER_LEAD_DAYS, now=at)
    offers = await _offer_renewals(ctx, due, at) if due else 0
    return {
        "onboarding_stalled": stalled,
        "inactive": inactive,
        "past_due": past_due,
        "renewal_items": added,
        "renewal_offers": offers,
    }


@asynccontextmanager
async def _drafting(ctx: dict[str, Any]) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    # Drafts are written through the drafts store's session API; a scan opens a write engine
    # only when something is due.
    write = engine.create_write_engine(ctx["settings"].database_url, size=1)
    try:
        yield engine.sessions(write)
    finally:
        await write.dispose()


async def _offer_renewals(ctx: dict[str, Any], due: list[plan_store.DueOffer], at: datetime) -> int:
    made = 0
    async with _drafting(ctx) as maker:
        for offer in due:
            async with engine.transaction(maker, offer.org_id) as session:
                org = offer.org_id
                if not await plan_store.claim_offer(session, org_id=org, item_id=offer.item_id):
                    continue
                draft_id = await drafts.create(
                    session,
                    org_id=org,
                    customer_id=offer.customer_id,
                    kind=DraftKind.RENEWAL_OFFER.value,
                    subject_type="success_plan_item",
                    subject_id=offer.item_id,
                    locale=offer.locale,
                    body=success_plans.renewal_offer_draft(offer.locale, offer.customer_name),
                    now=at,
                )
                await plan_store.attach_draft(
                    session, org_id=org, item_id=offer.item_id, draft_id=draft_id
                )
                await alerts.raise_alert(
                    session,
                    org_id=org,
                    kind="AT_RISK",
                    subject="Customer",
                    subject_id=offer.customer_id,
                    occurrence=f"renewal:{offer.renews_on.isoformat()}",
                    customer_id=offer.customer_id,
                    for_role="owner",
                    payload={
                        "severity": Severity.HIGH.value,
                        "reason": "renewal_7_day",
                        "renewsOn": offer.renews_on.isoformat(),
                        "draftId": draft_id,
                    },
                    now=at,
                )
                made += 1
    return made
