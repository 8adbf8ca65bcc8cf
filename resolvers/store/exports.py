"""CSV export reads: one organisation's customers, tickets or ledger through a server-side
cursor, a batch at a time, so memory stays flat whatever the table's size."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import asyncpg

BATCH = 500

# Each export's columns, in order; the imported external ids come from import_keys.
QUERIES: Mapping[str, str] = {
    "customers": (
        "SELECT c.id, k.external_id, c.name, c.locale, c.bundle, c.stage, c.subscription_status, "
        "c.subscription_started_at, c.renews_at, c.contact_email, c.last_activity_at, "
        "c.archived_at, c.created_at FROM customers c LEFT JOIN import_keys k "
        "ON k.org_id = c.org_id AND k.entity = 'Customer' AND k.entity_id = c.id "
        "WHERE c.org_id = $1 ORDER BY c.id"
    ),
    "tickets": (
        "SELECT t.id, k.external_id, t.customer_id, ck.external_id AS customer_external_id, "
        "t.subject, t.body, t.channel, t.priority, t.status, t.opened_at, t.first_response_at, "
        "t.resolved_at, t.closed_at, t.first_response_due_at, t.resolution_due_at "
        "FROM tickets t LEFT JOIN import_keys k "
        "ON k.org_id = t.org_id AND k.entity = 'Ticket' AND k.entity_id = t.id "
        "LEFT JOIN import_keys ck "
        "ON ck.org_id = t.org_id AND ck.entity = 'Customer' AND ck.entity_id = t.customer_id "
        "WHERE t.org_id = $1 ORDER BY t.id"
    ),
    "ledger": (
        "SELECT id, at, operator_id, role, action, entity, entity_id, before, after "
        "FROM ledger WHERE org_id = $1 ORDER BY id"
    ),
}


# The header row of each export: the query's column names, in order.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "customers": (
        "id",
        "external_id",
        "name",
        "locale",
        "bundle",
        "stage",
        "subscription_status",
        "subscription_started_at",
        "renews_at",
        "contact_email",
        "last_activity_at",
        "archived_at",
        "created_at",
    ),
    "tickets": (
        "id",
        "external_id",
        "customer_id",
        "customer_external_id",
        "subject",
        "body",
        "channel",
        "priority",
        "status",
        "opened_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "first_response_due_at",
        "resolution_due_at",
    ),
    "ledger": (
        "id",
        "at",
        "operator_id",
        "role",
        "action",
        "entity",
        "entity_id",
        "before",
        "after",
    ),
}


async def batches(
    conn: asyncpg.Connection, *, kind: str, org_id: int, size: int | None = None
) -> AsyncIterator[list[asyncpg.Record]]:
    """The rows of one export, `size` at a time, in id order (the connection is the caller's,
    scoped to `org_id`, so row-level security filters as well)."""
    async with conn.transaction(readonly=True):
        cursor = await conn.cursor(QUERIES[kind], org_id)
        while batch := await cursor.fetch(size or BATCH):
            yield batch
