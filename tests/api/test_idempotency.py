"""Idempotency keys through the API: a repeat with the same input returns the first result; the
same key with another input is a ConflictError IDEMPOTENCY_KEY_REUSED; a blank key is refused.
Every refusal leaves every row as it was."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.api.test_input_bounds import _create_inputs, refused, rows, run
from tests.factories import Org

CHANGED = {
    "createCustomer": {"name": "عميل آخر"},
    "openTicket": {"subject": "another"},
    "declareIncident": {"title": "تعطل آخر"},
    "startSuccessPlan": {"startOn": "2026-02-01"},
}


@pytest.mark.parametrize("operation", sorted(CHANGED))
async def test_a_key_reused_with_another_input_is_a_conflict(org: Org, operation: str) -> None:
    query, payload = (await _create_inputs(org))[operation]
    first = await run(org, query, {**payload, "idempotencyKey": "k-1"})
    assert first["__typename"].endswith("Payload"), first
    changed = {**payload, **CHANGED[operation], "idempotencyKey": "k-1"}
    await refused(org, query, changed, "ConflictError", "idempotencyKey", "IDEMPOTENCY_KEY_REUSED")
    before = await rows(org)
    assert await run(org, query, {**payload, "idempotencyKey": "k-1"}) == first
    assert await rows(org) == before


async def test_the_same_input_spelt_differently_is_the_same_request(org: Org) -> None:
    query, payload = (await _create_inputs(org))["createCustomer"]
    utc = {**payload, "subscriptionStartedAt": "2026-01-01T00:00:00Z", "idempotencyKey": "k"}
    first = await run(org, query, utc)
    before = await rows(org)
    riyadh = {**utc, "subscriptionStartedAt": "2026-01-01T03:00:00+03:00", "locale": "AR"}
    assert await run(org, query, riyadh) == first
    assert await rows(org) == before


@pytest.mark.parametrize("operation", sorted(CHANGED))
@pytest.mark.parametrize("key", ["", "   ", "\u200b", "\ufeff"])
async def test_a_blank_key_is_refused(org: Org, operation: str, key: str) -> None:
    query, payload = (await _create_inputs(org))[operation]
    await refused(
        org,
        query,
        {**payload, "idempotencyKey": key},
        "ValidationError",
        "idempotencyKey",
        "INVALID",
    )


async def test_a_key_stored_before_fingerprints_keeps_its_first_result(
    org: Org, system_pool: asyncpg.Pool
) -> None:
    query, payload = (await _create_inputs(org))["createCustomer"]
    first = await run(org, query, {**payload, "idempotencyKey": "old"})
    async with system_pool.acquire() as conn:
        cleared = await conn.execute(
            "UPDATE idempotency_keys SET fingerprint = NULL WHERE org_id = $1 AND key = 'old'",
            org.id,
        )
    assert cleared == "UPDATE 1"
    before = await rows(org)
    again: dict[str, Any] = await run(
        org, query, {**payload, "name": "غيره", "idempotencyKey": "old"}
    )
    assert again == first
    assert await rows(org) == before
