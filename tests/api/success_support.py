"""Helpers for the customer-success API tests: customers, arranged rows, snapshots."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from tests.factories import T0, Org

CUSTOMER_FIELDS = "id version stage lastActivityAt"

CREATE = (
    "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { __typename "
    "... on CustomerPayload { customer { id } } ... on UserError { field code message } } }"
)

# The tables this slice writes, plus what every mutation touches.
SUCCESS_TABLES = (
    "check_ins",
    "csat_ratings",
    "nps_responses",
    "proof_packs",
    "stage_changes",
    "success_plans",
    "success_plan_items",
    "onboarding_steps",
    "customer_connectors",
    "customers",
    "drafts",
    "ledger",
    "alerts",
)


def pk(global_id: str) -> int:
    return int(base64.urlsafe_b64decode(global_id).decode().split(":")[1])


def gid(type_name: str, value: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{value}".encode()).decode()


async def customer(
    org: Org,
    *,
    started: datetime = T0 - timedelta(days=60),
    last_activity: datetime | None = None,
    **fields: Any,
) -> str:
    """A customer through the API; its global id."""
    payload: dict[str, Any] = {
        "name": fields.pop("name", "شركة الأفق"),
        "subscriptionStartedAt": started.isoformat(),
        **fields,
    }
    if last_activity is not None:
        payload["lastActivityAt"] = last_activity.isoformat()
    data = await org.data(CREATE, {"i": payload})
    result: str = data["createCustomer"]["customer"]["id"]
    return result


async def snapshot(org: Org) -> dict[str, list[dict[str, Any]]]:
    """Every row of this slice's tables (and the ledger) for `org`: a refusal changes none."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with org.pool.acquire() as conn:
        for table in SUCCESS_TABLES:
            rows = await conn.fetch(f"SELECT * FROM {table} WHERE org_id = $1", org.id)
            found[table] = sorted((dict(row) for row in rows), key=repr)
    return found


async def count(org: Org, table: str) -> int:
    async with org.pool.acquire() as conn:
        value: int = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE org_id = $1", org.id)
    return value


async def add_drafts(
    org: Org, customer_id: str, status: str, n: int, decided_at: datetime | None = None
) -> None:
    """Arrange `n` drafts of a customer in `status` (the drafts slice owns their API)."""
    async with org.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO drafts (org_id, customer_id, kind, subject_type, subject_id, locale, "
            "body, status, created_at, decided_at, version) "
            "SELECT $1, $2, 'check_in', 'customer', $2, 'ar', 'نص', $3, $4, $5, 1 "
            "FROM generate_series(1, $6)",
            org.id,
            pk(customer_id),
            status,
            T0 - timedelta(days=40),
            decided_at,
            n,
        )


async def add_ticket(
    org: Org,
    customer_id: str,
    *,
    status: str = "closed",
    priority: str = "P3",
    opened_at: datetime = T0 - timedelta(days=1),
    first_response_at: datetime | None = None,
    resolved_at: datetime | None = None,
    first_response_due_at: datetime | None = None,
    resolution_due_at: datetime | None = None,
) -> int:
    """Arrange a ticket row directly (the tickets slice owns its API); its id."""
    async with org.pool.acquire() as conn:
        ticket_id: int = await conn.fetchval(
            "INSERT INTO tickets (org_id, customer_id, subject, body, channel, "
            "classified_priority, priority, reason_ar, status, opened_at, first_response_at, "
            "resolved_at, first_response_due_at, resolution_due_at, version, created_at, "
            "updated_at) VALUES ($1, $2, 's', 'b', 'email', $3, $3, 'r', $4, $5, $6, $7, $8, $9, "
            "1, $5, $5) RETURNING id",
            org.id,
            pk(customer_id),
            priority,
            status,
            opened_at,
            first_response_at,
            resolved_at,
            first_response_due_at or opened_at + timedelta(days=1),
            resolution_due_at or opened_at + timedelta(days=7),
        )
    return ticket_id


async def add_incident(org: Org, customer_id: str, *, severity: str, status: str) -> int:
    """Arrange an incident affecting one customer (the incidents slice owns its API)."""
    async with org.pool.acquire() as conn:
        incident_id: int = await conn.fetchval(
            "INSERT INTO incidents (org_id, title, description, severity, triage_severity, "
            "reason_ar, has_data_leak, has_unauthorized_send, status, detected_at, "
            "first_action_due_at, version, created_at, updated_at) VALUES ($1, 't', 'd', $2, $2, "
            "'r', false, false, $3, $4, $4, 1, $4, $4) RETURNING id",
            org.id,
            severity,
            status,
            T0 - timedelta(hours=2),
        )
        await conn.execute(
            "INSERT INTO incident_customers (org_id, incident_id, customer_id) VALUES ($1, $2, $3)",
            org.id,
            incident_id,
            pk(customer_id),
        )
    return incident_id
