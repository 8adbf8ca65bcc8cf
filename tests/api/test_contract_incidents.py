"""docs/rules.md §3 through the GraphQL API, for what tests/api/test_incidents.py leaves unpinned:
SEV1 whatever the count, the update cadence after an update at every severity, the post-mortem
rule following a raised severity, and the SEV2 reason for any count of five or more."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.test_incidents import (
    COMMON_STEPS,
    EXTRA_STEPS,
    LABELS,
    POST_MORTEM,
    RAISE,
    SEV1_REASON,
    UPDATE,
    customers,
    declared,
    iso,
    post_mortem,
    refused,
    run,
    snapshot,
    walk,
)
from tests.factories import T0, Org


@pytest.mark.parametrize(
    ("count", "leak", "unauthorized"),
    [(10, True, False), (6, False, True), (5, True, True), (0, True, True)],
)
async def test_a_leak_or_unauthorized_send_is_sev1_whatever_the_count(
    org: Org, count: int, leak: bool, unauthorized: bool
) -> None:
    ids = await customers(org, count)
    incident = await declared(
        org, affectedCustomerIds=ids, hasDataLeak=leak, hasUnauthorizedSend=unauthorized
    )
    assert (incident["severity"], incident["triageSeverity"]) == ("SEV1", "SEV1")
    assert incident["reasonAr"] == SEV1_REASON
    assert incident["severityLabelAr"] == LABELS["SEV1"]
    assert [s["textAr"] for s in incident["responsePlan"]] == COMMON_STEPS + EXTRA_STEPS["SEV1"]
    assert incident["firstActionDueAt"] == iso(T0 + timedelta(minutes=15))
    assert incident["pdplNotifyBy"] == (iso(T0 + timedelta(hours=72)) if leak else None)
    assert incident["liveActionsFrozen"] is True
    assert incident["affectedCustomerCount"] == count


@pytest.mark.parametrize("count", [6, 12])
async def test_the_sev2_reason_names_the_count(org: Org, count: int) -> None:
    incident = await declared(org, affectedCustomerIds=await customers(org, count))
    assert incident["severity"] == "SEV2"
    assert incident["reasonAr"] == f"عدد العملاء المتأثرين: {count} ≥ 5."
    assert incident["liveActionsFrozen"] is False
    assert incident["pdplNotifyBy"] is None


@pytest.mark.parametrize(
    ("count", "leak", "cadence"),
    [(1, True, 30), (5, False, 60), (1, False, 240)],
)
async def test_after_an_update_the_next_is_due_one_cadence_later(
    org: Org, count: int, leak: bool, cadence: int
) -> None:
    incident = await declared(
        org, affectedCustomerIds=await customers(org, count), hasDataLeak=leak
    )
    assert incident["nextUpdateDueAt"] == iso(T0 + timedelta(minutes=cadence))
    org.clock.advance(minutes=10)
    result = await run(
        org, UPDATE, "postIncidentUpdate", id=incident["id"], version=1, body="تحديث"
    )
    assert result["__typename"] == "PostIncidentUpdatePayload"
    assert (result["approvalRequired"], result["liveSendAllowed"]) == (True, False)
    assert len(result["draftIds"]) == count
    moved = result["incident"]
    assert moved["lastUpdateAt"] == iso(T0 + timedelta(minutes=10))
    assert moved["nextUpdateDueAt"] == iso(T0 + timedelta(minutes=10 + cadence))
    # Due exactly at the cadence is not yet overdue; a minute past it is.
    org.clock.advance(minutes=cadence)
    on_time = await org.data(
        "query($id: ID!) { incident(id: $id) { updateOverdue } }", {"id": incident["id"]}
    )
    assert on_time["incident"]["updateOverdue"] is False
    org.clock.advance(minutes=1)
    late = await org.data(
        "query($id: ID!) { incident(id: $id) { updateOverdue } }", {"id": incident["id"]}
    )
    assert late["incident"]["updateOverdue"] is True


async def test_every_update_draft_carries_the_approval_flags(org: Org) -> None:
    incident = await declared(org, affectedCustomerIds=await customers(org, 2))
    result = await run(
        org, UPDATE, "postIncidentUpdate", id=incident["id"], version=1, body="تحديث"
    )
    for draft_id in result["draftIds"]:
        data = await org.data(
            "query($id: ID!) { draft(id: $id) { kind status approvalRequired liveSendAllowed } }",
            {"id": draft_id},
        )
        assert data["draft"] == {
            "kind": "INCIDENT_UPDATE",
            "status": "DRAFT",
            "approvalRequired": True,
            "liveSendAllowed": False,
        }


async def test_a_sev3_raised_to_sev2_needs_its_post_mortem_to_close(org: Org) -> None:
    incident = await declared(org)
    assert incident["postMortemRequired"] is False
    raised = await run(
        org, RAISE, "raiseIncidentSeverity", id=incident["id"], version=1, severity="SEV2"
    )
    assert raised["incident"]["postMortemRequired"] is True
    org.clock.advance(hours=1)
    resolved = (await walk(org, incident["id"], "MITIGATED", "RESOLVED", version=2))["incident"]
    assert resolved["postMortemDueAt"] == iso(T0 + timedelta(hours=1 + 48))
    before = await snapshot(org)
    refusal = await walk(org, incident["id"], "CLOSED", version=4)
    refused(refusal, "RuleError", "postMortem", "PRECONDITION_FAILED")
    assert await snapshot(org) == before
    written: dict[str, Any] = await run(
        org, POST_MORTEM, "submitPostMortem", **post_mortem(incident["id"], 4)
    )
    assert written["__typename"] == "IncidentPayload"
    closed = (await walk(org, incident["id"], "CLOSED", version=5))["incident"]
    assert closed["status"] == "CLOSED"


async def test_a_sev1_raised_from_triage_sets_no_pdpl_deadline_without_a_leak(org: Org) -> None:
    incident = await declared(org, affectedCustomerIds=await customers(org, 1))
    raised = await run(
        org, RAISE, "raiseIncidentSeverity", id=incident["id"], version=1, severity="SEV1"
    )
    assert raised["incident"]["severity"] == "SEV1"
    assert raised["incident"]["pdplNotifyBy"] is None
    assert raised["incident"]["liveActionsFrozen"] is True
