"""docs/rules.md §8.4 through the GraphQL API and GET /reports/cs-plan.{md,csv}: the CS plan
report's values, lights and top issues from the real database, as Markdown and CSV."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.roles import Role
from tests.conftest import ENGLISH
from tests.factories import T0, Org, new_customer, open_ticket

REPORT = """query($f: DateTime!, $t: DateTime!) { csPlanReport(from: $f, to: $t) {
  lines { metric value target lowerIsBetter light } topIssues { keyword count }
  md: export(language: EN) csv: export(format: CSV, language: AR) } }"""
FROM, TO = T0.isoformat(), (T0 + timedelta(days=30)).isoformat()


async def arrange(org: Org) -> None:
    """Three tickets from two customers, the first answered after 4.8 h."""
    customer = await new_customer(org)
    await new_customer(org)
    first = await open_ticket(org, customer, "outage")
    await open_ticket(org, customer, "Gmail connector")
    await open_ticket(org, customer, "outage again")
    org.clock.now = T0 + timedelta(minutes=288)
    reply = await org.data(
        "mutation($i: TicketStepInput!) { logReply(input: $i) { __typename } }",
        {"i": {"id": first["ticket"]["id"], "version": 1}},
    )
    assert reply["logReply"]["__typename"] == "TicketPayload"


def line(metric: str, value: float | None, target: float, lower: bool, light: str) -> Any:
    return {
        "metric": metric,
        "value": value,
        "target": target,
        "lowerIsBetter": lower,
        "light": light,
    }


async def test_the_report_judges_the_period_and_exports_it(org: Org) -> None:
    await arrange(org)
    data = await org.data(REPORT, {"f": FROM, "t": TO}, role=Role.VIEWER)
    report = data["csPlanReport"]
    assert report["lines"] == [
        line("FIRST_RESPONSE", 4.8, 4, True, "YELLOW"),
        line("RESOLUTION", None, 24, True, "GREY"),
        line("CHURN", None, 5, True, "GREY"),
        line("SUPPORT_LOAD", 150.0, 10, True, "RED"),
        line("CSAT", None, 90, False, "GREY"),
        line("NPS", None, 40, False, "GREY"),
    ]
    assert report["topIssues"] == [
        {"keyword": "outage", "count": 2},
        {"keyword": "connector", "count": 1},
    ]
    assert report["md"].splitlines()[6:14] == [
        "| Average first response | 4.8 h | < 4 h | yellow |",
        "| Average resolution | — | < 24 h | grey |",
        "| Churn (a month) | — | < 5% | grey |",
        "| Support load | 150% | < 10% | red |",
        "| CSAT | — | > 90% | grey |",
        "| NPS | — | > 40 | grey |",
        "",
        "## Top issues",
    ]
    assert report["csv"].splitlines()[1] == "متوسط أول رد,4.8 h,< 4 h,أصفر"
    assert report["csv"].splitlines()[-2:] == [
        "أبرز المشكلات,outage,العدد,2",
        "أبرز المشكلات,connector,العدد,1",
    ]


async def test_the_report_refuses_an_inverted_period(org: Org) -> None:
    body = await org.gql(REPORT, {"f": TO, "t": FROM})
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": "to"}


async def test_the_http_exports_need_the_bearer_token(org: Org) -> None:
    await arrange(org)
    viewer = await org.token_for(Role.VIEWER)
    auth = {"Authorization": f"Bearer {viewer}"} | ENGLISH
    params = {"from": FROM, "to": TO, "lang": "en"}
    md = await org.client.get("/reports/cs-plan.md", params=params, headers=auth)
    assert md.status_code == 200
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    data = await org.data(REPORT, {"f": FROM, "t": TO})
    assert md.text == data["csPlanReport"]["md"]
    csv = await org.client.get("/reports/cs-plan.csv", params=params | {"lang": "ar"}, headers=auth)
    assert csv.status_code == 200
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.text == data["csPlanReport"]["csv"]

    missing = await org.client.get("/reports/cs-plan.md", params=params, headers=ENGLISH)
    assert missing.status_code == 401
    assert missing.json()["errors"][0]["extensions"] == {
        "code": "UNAUTHENTICATED",
        "field": "authorization",
    }
    wrong = await org.client.get(
        "/reports/cs-plan.csv", params=params, headers={"Authorization": "Bearer nope"} | ENGLISH
    )
    assert wrong.status_code == 401
    for bad, field in (
        ({"from": "yesterday"}, "from"),
        ({"to": FROM}, "to"),
        ({"lang": "fr"}, "lang"),
    ):
        refused = await org.client.get("/reports/cs-plan.md", params=params | bad, headers=auth)
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"] == {"code": "INVALID", "field": field}
