"""Customer-success scans (DOMAIN.md §4, §5): daily health snapshots with at-risk alerts on a
rise, and the hourly customer scan (stalled onboarding, inactivity, past due, renewals).

Both are set-based and idempotent: snapshots are unique per customer and day, alerts per
subject, kind and occurrence, a renewal offer is drafted once per plan item, and the founder's
at-risk email once per rise to high (once per AT_RISK alert: the health snapshot drafts it right
after alerting, the customer scan drafts any a failed run left behind).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import onboarding, outreach, signals, success_plans
from domain.drafts import DraftKind
from domain.scores import Severity
from resolvers.store import alerts, drafts, engine
from resolvers.store import onboarding as onboarding_store
from resolvers.store import scores as score_store
from resolvers.store import signals as signal_store
from resolvers.store import success_plans as plan_store

BATCH = 2_000
OFFER_LEAD_DAYS = 7  # §4.3: the founder's offer goes with the 7-day renewal item
# §4.1 high: a rise alerted this long ago or less still gets its email drafted (a run that
# failed between alerting and drafting is caught up by the next ones, hourly), not older ones.
AT_RISK_EMAIL_WINDOW = timedelta(days=1)


async def snapshot_health(ctx: dict[str, Any], now: datetime | None = None) -> dict[str, int]:
    """§4.2: today's health point for every live customer; §5: an AT_RISK alert for each
    customer whose at-risk severity rose since its last score."""
    at = now if now is not None else ctx["clock"]()
    customers, raised = 0, 0
    # Reads stream on one connection's snapshot; each batch is written on another, in its own
    # transaction, so a crash loses at most the batch in flight (and a rerun redoes it).
    async with ctx["db"].acquire() as reader, ctx["db"].acquire() as writer:
        async for batch in score_store.stream(reader, now=at, size=BATCH):
            scored = [score_store.Scored(s, s.health(), s.at_risk()) for s in batch]
            raised += await score_store.store_scan(writer, scored=scored, now=at)
            customers += len(batch)
    emails = await _draft_at_risk_emails(ctx, at)
    return {"customers": customers, "at_risk_alerts": raised, "at_risk_emails": emails}


async def scan_customers(ctx: dict[str, Any], now: datetime | None = None) -> dict[str, int]:
    """§4.4 stalled onboarding (3 days), §4.6 inactivity (7 days) and past-due subscriptions,
    each alerted once per occurrence; §4.3 renewal items and the 7-day renewal offer; §4.1 the
    founder's email for a rise to high the health snapshot alerted but left undrafted."""
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
        template = success_plans.renewal_items(at.date())
        added = await plan_store.add_missing_renewal_items(
            conn,
            lead_days=[-item.day_offset for item in template],
            titles=[item.title for item in template],
            now=at,
        )
        due = await plan_store.due_offers(
            conn, lead_days=OFFER_LEAD_DAYS, today=at.astimezone(UTC).date()
        )
    offers = await _offer_renewals(ctx, due, at) if due else 0
    emails = await _draft_at_risk_emails(ctx, at)
    return {
        "onboarding_stalled": stalled,
        "inactive": inactive,
        "past_due": past_due,
        "renewal_items": added,
        "renewal_offers": offers,
        "at_risk_emails": emails,
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


async def _draft_at_risk_emails(ctx: dict[str, Any], at: datetime) -> int:
    """§4.1 high: the founder's personal email proposing a QBR this week, one draft per rise."""
    async with ctx["db"].acquire() as conn:
        due = await score_store.at_risk_emails_due(conn, since=at - AT_RISK_EMAIL_WINDOW)
    if not due:
        return 0
    made = 0
    async with _drafting(ctx) as maker:
        for email in due:
            org = email.org_id
            async with engine.transaction(maker, org) as session:
                if not await score_store.claim_at_risk_email(
                    session, org_id=org, alert_id=email.alert_id
                ):
                    continue
                await drafts.create(
                    session,
                    org_id=org,
                    customer_id=email.customer_id,
                    kind=DraftKind.AT_RISK_EMAIL.value,
                    subject_type="alert",
                    subject_id=email.alert_id,
                    locale=email.locale,
                    body=outreach.at_risk_email(email.locale, email.customer_name, email.reasons),
                    now=at,
                )
                made += 1
    return made


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
