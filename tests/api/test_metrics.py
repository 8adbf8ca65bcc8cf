"""The support and success metrics over a period through the API (§4.6): average first response
and resolution, CSAT %, NPS, churn rate and support load."""

from __future__ import annotations

from datetime import timedelta

from domain.roles import Role
from tests.api.success_support import add_ticket, customer, gid
from tests.factories import T0, Org

RATE = "mutation($i: RateTicketInput!) { rateTicket(input: $i) { __typename } }"
NPS = "mutation($i: RecordNpsInput!) { recordNps(input: $i) { __typename } }"
STAGE = """
mutation($i: ChangeCustomerStageInput!) { changeCustomerStage(input: $i) { __typename } }"""
METRICS = """
query($from: DateTime!, $to: DateTime!) { supportMetrics(from: $from, to: $to) {
  avgFirstResponseMinutes avgResolutionHours csatPct nps churnRate supportLoad } }"""


async def test_support_metrics_over_a_period(org: Org) -> None:
    start, end = T0 - timedelta(days=30), T0 + timedelta(days=1)
    customers = [await customer(org) for _ in range(4)]
    a = customers[0]
    opened = T0 - timedelta(days=5)
    # first responses 20 and 40 min → 30.0; resolutions 2 h and 5 h → 3.5
    tickets = [
        await add_ticket(
            org,
            a,
            opened_at=opened,
            first_response_at=opened + timedelta(minutes=minutes),
            resolved_at=opened + timedelta(hours=hours),
        )
        for minutes, hours in ((20, 2), (40, 5))
    ]
    await add_ticket(org, a, status="open", opened_at=opened)
    await add_ticket(org, a, opened_at=start - timedelta(days=1))  # before the period
    for ticket, rating in zip(tickets, (5, 3), strict=True):
        await org.data(RATE, {"i": {"ticketId": gid("Ticket", ticket), "rating": rating}})
    for score in (10, 9, 7, 3):  # 2 promoters, 1 detractor of 4 → 25.0
        await org.data(NPS, {"i": {"customerId": a, "score": score}})
    await org.data(STAGE, {"i": {"id": customers[3], "version": 1, "stage": "CHURNED"}})
    data = await org.data(
        METRICS, {"from": start.isoformat(), "to": end.isoformat()}, role=Role.VIEWER
    )
    assert data["supportMetrics"] == {
        "avgFirstResponseMinutes": 30.0,
        "avgResolutionHours": 3.5,
        "csatPct": 50.0,
        "nps": 25.0,
        "churnRate": 0.25,
        "supportLoad": 0.75,
    }


async def test_the_churn_rate_counts_only_customers_live_at_the_start(org: Org) -> None:
    """Of the 2 customers live at the start, 1 churns: 0.5. A customer who starts and churns
    inside the period, and one created already churned, count in neither side of the rate."""
    start, end = T0 - timedelta(days=30), T0 + timedelta(days=1)
    live = [await customer(org) for _ in range(2)]
    late = await customer(org, started=T0 - timedelta(days=10))
    await customer(org, stage="CHURNED")
    for c in (live[0], late):
        await org.data(STAGE, {"i": {"id": c, "version": 1, "stage": "CHURNED"}})
    await add_ticket(org, live[1], opened_at=T0 - timedelta(days=2))
    data = await org.data(METRICS, {"from": start.isoformat(), "to": end.isoformat()})
    assert data["supportMetrics"]["churnRate"] == 0.5
    # Live at some point in the period: both live customers and the late one, not the one
    # created churned.
    assert data["supportMetrics"]["supportLoad"] == 0.33


async def test_support_metrics_with_nothing_to_average(org: Org) -> None:
    data = await org.data(
        METRICS, {"from": (T0 - timedelta(days=7)).isoformat(), "to": T0.isoformat()}
    )
    assert data["supportMetrics"] == {
        "avgFirstResponseMinutes": None,
        "avgResolutionHours": None,
        "csatPct": None,
        "nps": None,
        "churnRate": 0.0,
        "supportLoad": 0.0,
    }


async def test_support_metrics_refuse_an_empty_period(org: Org) -> None:
    body = await org.gql(METRICS, {"from": T0.isoformat(), "to": T0.isoformat()})
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "to"}
