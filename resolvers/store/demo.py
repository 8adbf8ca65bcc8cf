"""A bilingual demo organisation, so GraphiQL has something to show (`wafi demo`)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import asyncpg

from domain import text
from resolvers.store import orgs

CUSTOMERS = (
    ("شركة الأفق للتقنية", "ar", "executive_growth_os", "adoption", "active", 120),
    ("مؤسسة إتقان التجارية", "ar", "growth_starter", "onboarding", "pilot", 5),
    ("Najm Logistics", "en", "partnership_growth", "expansion", "active", 300),
    ("مكتب الإبداع الهندسي", "ar", "growth_starter", "adoption", "past_due", 60),
    ("Sahara Analytics", "en", "executive_growth_os", "advocacy", "active", 500),
)


async def load(conn: asyncpg.Connection, *, now: datetime) -> tuple[str, str]:
    """A new demo organisation with customers; returns its slug and owner token."""
    slug = "demo-" + secrets.token_hex(3)
    org, token = await orgs.create_organisation(
        conn, slug=slug, name="وافي — عرض تجريبي", owner_name="المؤسس", now=now
    )
    for name, locale, bundle, stage, status, age_days in CUSTOMERS:
        started = now - timedelta(days=age_days)
        await conn.execute(
            "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
            "subscription_status, subscription_started_at, renews_at, last_activity_at, "
            "created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11)",
            org.id,
            name,
            text.normalise(name),
            locale,
            bundle,
            stage,
            status,
            started,
            started + timedelta(days=365),
            now - timedelta(days=age_days % 9),
            now,
        )
    return slug, token
