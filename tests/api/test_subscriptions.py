"""Live alerts over graphql-transport-ws against a real uvicorn in the test's loop, on a Redis of
the test's own (docs/architecture.md#alerts, steps 3-4)."""

from __future__ import annotations

from typing import Any

import pytest
from httpx_ws import WebSocketDisconnect

from domain.roles import Role
from resolvers import subscriptions
from resolvers.store import pubsub
from schema.types.relay import to_global_id
from tests.api.success_support import pk
from tests.api.test_incidents import declared
from tests.factories import Org, add_customers, forget_published, make_org, raise_alerts
from tests.live import Live, WsClient, until

ALERTS = """
subscription ($after: ID, $kinds: [AlertKind!]) {
  alerts(after: $after, kinds: $kinds) {
    id kind subject subjectId customerId severity payload { ... on AtRiskDetails { riskSeverity } }
  }
}
"""


@pytest.fixture
async def stranger(live: Live) -> Org:
    return await make_org(live.pool, live.client, live.clock)


def gid(alert_id: int) -> str:
    return to_global_id("Alert", alert_id)


async def _ids(client: WsClient, op_id: str, count: int) -> list[str]:
    got = []
    for _ in range(count):
        message = await client.receive()
        assert (message["type"], message["id"]) == ("next", op_id), message
        assert "errors" not in message["payload"], message
        got.append(next(iter(message["payload"]["data"].values()))["id"])
    return got


async def test_a_subscriber_gets_each_new_alert_once_and_another_organisation_none(
    live: Live, tenant: Org, stranger: Org
) -> None:
    async with live.subscriber(tenant) as mine, live.subscriber(stranger) as theirs:
        op = await mine.subscribe(ALERTS)
        their_op = await theirs.subscribe(ALERTS)
        await live.listening(tenant)
        await live.listening(stranger)
        [customer] = await add_customers(live.pool, tenant.id)
        [alert_id] = await raise_alerts(
            live.pool, tenant.id, customer_id=customer, payload={"severity": "high"}
        )
        await live.relay()
        message = await mine.receive()
        assert message == {
            "id": op,
            "type": "next",
            "payload": {
                "data": {
                    "alerts": {
                        "id": gid(alert_id),
                        "kind": "AT_RISK",
                        "subject": "Customer",
                        "subjectId": to_global_id("Customer", 1),
                        "customerId": to_global_id("Customer", customer),
                        "severity": "HIGH",
                        "payload": {"riskSeverity": "HIGH"},
                    }
                }
            },
        }
        # The stranger's first event is its own, raised after: it never saw the tenant's.
        [theirs_id] = await raise_alerts(live.pool, stranger.id)
        await live.relay()
        assert await _ids(theirs, their_op, 1) == [gid(theirs_id)]
        # A re-published event (the relay is at least once) is not sent twice.
        [marker] = await raise_alerts(live.pool, tenant.id, first_subject_id=2)
        await forget_published(live.pool, tenant.id)
        await live.relay()
        assert await _ids(mine, op, 1) == [gid(marker)]
        await mine.nothing_for(0.3)


async def test_after_replays_the_stored_alerts_then_follows_live(live: Live, tenant: Org) -> None:
    ids = await raise_alerts(live.pool, tenant.id, count=4)
    await live.relay()
    async with live.subscriber(tenant) as client:
        op = await client.subscribe(ALERTS, {"after": gid(ids[1])})
        assert await _ids(client, op, 2) == [gid(ids[2]), gid(ids[3])]
        await live.listening(tenant)
        more = await raise_alerts(live.pool, tenant.id, count=2, first_subject_id=10)
        await live.relay()
        assert await _ids(client, op, 2) == [gid(more[0]), gid(more[1])]


async def test_without_after_nothing_older_is_replayed(live: Live, tenant: Org) -> None:
    await raise_alerts(live.pool, tenant.id, count=2)
    await live.relay()
    async with live.subscriber(tenant) as client:
        op = await client.subscribe(ALERTS)
        await live.listening(tenant)
        [new] = await raise_alerts(live.pool, tenant.id, first_subject_id=5)
        await live.relay()
        assert await _ids(client, op, 1) == [gid(new)]


async def test_kinds_and_the_narrow_subscriptions_filter_what_is_sent(
    live: Live, tenant: Org
) -> None:
    watched, other = await add_customers(live.pool, tenant.id, 2)
    customer = to_global_id("Customer", watched)
    incident = (await declared(tenant))["id"]
    watched_incident = pk(incident)
    async with live.subscriber(tenant) as client:
        kinds = await client.subscribe(ALERTS, {"kinds": ["SLA_RESOLUTION_BREACH"]})
        sla = await client.subscribe("subscription { slaBreached { id kind } }")
        risk = await client.subscribe(
            "subscription ($c: ID) { customerAtRisk(customerId: $c) { id customerId } }",
            {"c": customer},
        )
        incidents = await client.subscribe(
            "subscription ($i: ID) { incidentUpdated(incidentId: $i) { id subjectId } }",
            {"i": incident},
        )
        await live.listening(tenant, count=4)
        [first_breach] = await raise_alerts(
            live.pool, tenant.id, kind="SLA_FIRST_RESPONSE_BREACH", subject="Ticket"
        )
        [other_risk] = await raise_alerts(live.pool, tenant.id, customer_id=other)
        [risk_7] = await raise_alerts(live.pool, tenant.id, customer_id=watched, first_subject_id=2)
        [other_incident] = await raise_alerts(
            live.pool,
            tenant.id,
            kind="PDPL_DEADLINE_NEAR",
            subject="Incident",
            first_subject_id=watched_incident + 1,
        )
        [incident_3] = await raise_alerts(
            live.pool,
            tenant.id,
            kind="INCIDENT_UPDATE_OVERDUE",
            subject="Incident",
            first_subject_id=watched_incident,
        )
        [resolution] = await raise_alerts(
            live.pool, tenant.id, kind="SLA_RESOLUTION_BREACH", subject="Ticket"
        )
        await live.relay()
        got: dict[str, list[str]] = {}
        for _ in range(5):
            message = await client.receive()
            got.setdefault(message["id"], []).append(
                next(iter(message["payload"]["data"].values()))["id"]
            )
        assert got == {
            kinds: [gid(resolution)],
            sla: [gid(first_breach), gid(resolution)],
            risk: [gid(risk_7)],
            incidents: [gid(incident_3)],
        }
        assert min(other_risk, other_incident) > 0  # raised, and sent to none of the four
        await client.nothing_for(0.3)


async def test_the_token_may_come_in_the_payload_or_the_upgrade_header(
    live: Live, tenant: Org
) -> None:
    token = await tenant.token_for(Role.VIEWER)
    async with live.socket() as by_payload:
        assert (await by_payload.init({"token": token}))["type"] == "connection_ack"
    async with live.socket(headers={"Authorization": f"Bearer {token}"}) as by_header:
        assert (await by_header.init(None))["type"] == "connection_ack"
        op = await by_header.subscribe(ALERTS)
        await live.listening(tenant)
        [alert_id] = await raise_alerts(live.pool, tenant.id)
        await live.relay()
        assert await _ids(by_header, op, 1) == [gid(alert_id)]


@pytest.mark.parametrize(
    "payload", [None, {"token": "wafi_not-a-token"}, {"authorization": "Basic abc"}]
)
async def test_a_connection_without_a_valid_token_is_closed_4403(
    live: Live, payload: dict[str, Any] | None
) -> None:
    async with live.socket() as client:
        with pytest.raises(WebSocketDisconnect) as closed:
            await client.init(payload)  # no ack: the server closes instead
    assert closed.value.code == 4403


async def test_a_token_revoked_after_connecting_opens_no_new_subscription(
    live: Live, tenant: Org
) -> None:
    async with live.subscriber(tenant, role=Role.AGENT) as client:
        async with live.pool.acquire() as conn:
            await conn.execute(
                "UPDATE api_tokens SET revoked_at = now() WHERE org_id = $1 AND operator_id = "
                "(SELECT id FROM operators WHERE org_id = $1 AND role = 'agent')",
                tenant.id,
            )
        op = await client.subscribe(ALERTS)
        message = await client.receive()
        assert message["id"] == op
        assert message["payload"]["errors"][0]["extensions"] == {
            "code": "UNAUTHENTICATED",
            "field": "alerts",
        }
        assert (await client.receive())["type"] == "complete"


async def test_a_running_subscription_ends_when_its_token_is_revoked(
    live: Live, tenant: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subscriptions, "TOKEN_RECHECK_S", 0.2)
    async with live.subscriber(tenant, role=Role.AGENT) as client:
        op = await client.subscribe(ALERTS)
        await live.listening(tenant)
        [first] = await raise_alerts(live.pool, tenant.id)
        await live.relay()
        assert await _ids(client, op, 1) == [gid(first)]
        await client.nothing_for(0.5)  # rechecks pass while the token is live
        async with live.pool.acquire() as conn:
            await conn.execute(
                "UPDATE api_tokens SET revoked_at = now() WHERE org_id = $1 AND operator_id = "
                "(SELECT id FROM operators WHERE org_id = $1 AND role = 'agent')",
                tenant.id,
            )
        message = await client.receive()
        assert message["id"] == op
        assert message["payload"]["errors"][0]["extensions"] == {
            "code": "UNAUTHENTICATED",
            "field": "alerts",
        }
        assert (await client.receive())["type"] == "complete"


async def test_a_busy_subscription_still_ends_when_its_token_is_revoked(
    live: Live, tenant: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subscriptions, "TOKEN_RECHECK_S", 0.2)
    async with live.subscriber(tenant, role=Role.AGENT) as client:
        op = await client.subscribe(ALERTS)
        await live.listening(tenant)
        async with live.pool.acquire() as conn:
            await conn.execute(
                "UPDATE api_tokens SET revoked_at = now() WHERE org_id = $1 AND operator_id = "
                "(SELECT id FROM operators WHERE org_id = $1 AND role = 'agent')",
                tenant.id,
            )
        # Alerts keep coming, one after another: the re-check is not put off by them.
        for subject in range(1, 500):
            await raise_alerts(live.pool, tenant.id, first_subject_id=subject)
            await live.relay()
            message = await client.receive()
            assert message["id"] == op
            if "errors" in message["payload"]:
                break
        assert message["payload"]["errors"][0]["extensions"] == {
            "code": "UNAUTHENTICATED",
            "field": "alerts",
        }
        assert (await client.receive())["type"] == "complete"


async def test_a_malformed_after_is_refused(live: Live, tenant: Org) -> None:
    async with live.subscriber(tenant) as client:
        await client.subscribe(ALERTS, {"after": to_global_id("Customer", 1)})
        message = await client.receive()
        assert message["payload"]["errors"][0]["extensions"] == {
            "code": "NOT_FOUND",
            "field": "after",
        }


async def test_a_narrow_subscription_to_another_organisations_subject_is_not_found(
    live: Live, tenant: Org, stranger: Org
) -> None:
    [theirs] = await add_customers(live.pool, stranger.id, 1)
    their_incident = (await declared(stranger))["id"]
    async with live.subscriber(tenant) as client:
        for query, variables, field in (
            (
                "subscription ($c: ID) { customerAtRisk(customerId: $c) { id } }",
                {"c": to_global_id("Customer", theirs)},
                "customerId",
            ),
            (
                "subscription ($i: ID) { incidentUpdated(incidentId: $i) { id } }",
                {"i": their_incident},
                "incidentId",
            ),
        ):
            op = await client.subscribe(query, variables)
            message = await client.receive()
            assert message["id"] == op
            assert message["payload"]["errors"][0]["extensions"] == {
                "code": "NOT_FOUND",
                "field": field,
            }
            assert await client.receive() == {"id": op, "type": "complete"}


async def test_waiting_subscribers_hold_no_database_connection(live: Live, tenant: Org) -> None:
    pool = live.app.state.resources.pool
    async with live.subscriber(tenant) as a, live.subscriber(tenant) as b:
        for client in (a, b, a):
            await client.subscribe(ALERTS)
        await live.listening(tenant, count=3)

        # The last subscription's setup connection goes back to the pool as it starts waiting:
        # on a loaded machine that can land a moment after Redis shows the listener.
        async def all_idle() -> bool:
            return bool(pool.get_idle_size() == pool.get_size())

        await until(all_idle, within=2, what="every pooled connection idle")


async def test_a_subscriber_that_falls_behind_is_ended_and_resumes_without_loss(
    live: Live, tenant: Org
) -> None:
    ids = await raise_alerts(live.pool, tenant.id, count=3)
    async with live.subscriber(tenant) as client:
        op = await client.subscribe(ALERTS, {"after": gid(ids[0])})
        assert await _ids(client, op, 1) == [gid(ids[1])]  # one read; then it stalls
        [feed] = live.hub._feeds[pubsub.alerts_channel(tenant.id)]
        event = {"id": 0, "kind": "AT_RISK"}
        # As if its socket stopped draining: the hub fills its feed past the limit at once.
        while feed.deliver(dict(event)):
            pass
        message = await client.receive()
        while message["type"] == "next" and "errors" not in message["payload"]:
            message = await client.receive()  # what it had already been sent
        error = message["payload"]["errors"][0]
        assert error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
        resume = error["extensions"]["resumeAfter"]
        assert resume in (gid(ids[1]), gid(ids[2]))
        assert (await client.receive())["type"] == "complete"
        # Resubscribing with `after` gets exactly what it had not had.
        again = await client.subscribe(ALERTS, {"after": resume})
        expected = [gid(i) for i in ids if i > int(_pk(resume))]
        assert await _ids(client, again, len(expected)) == expected


def _pk(global_id: str) -> int:
    import base64

    return int(base64.urlsafe_b64decode(global_id).decode().split(":")[1])


async def test_a_redis_restart_is_ridden_out_and_missed_alerts_are_replayed(
    live: Live, tenant: Org
) -> None:
    async with live.subscriber(tenant) as client:
        op = await client.subscribe(ALERTS)
        await live.listening(tenant)
        [before] = await raise_alerts(live.pool, tenant.id)
        await live.relay()
        assert await _ids(client, op, 1) == [gid(before)]
        connections = live.hub.connections
        live.redis.stop()
        # Committed while Redis is down: the relay cannot publish them.
        during = await raise_alerts(live.pool, tenant.id, count=3, first_subject_id=10)
        live.redis.start()

        async def reconnected() -> bool:
            return live.hub.connections > connections

        await until(reconnected, what="the hub to reconnect")
        assert await _ids(client, op, 3) == [gid(i) for i in during]
        await live.relay()  # now published too: dropped as already sent
        [after] = await raise_alerts(live.pool, tenant.id, first_subject_id=20)
        await live.relay()
        assert await _ids(client, op, 1) == [gid(after)]
        await client.nothing_for(0.3)
