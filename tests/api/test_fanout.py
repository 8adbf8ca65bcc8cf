"""Live alerts rendered once per render group (schema/fanout.py, docs/architecture.md#alerts):
the executions are counted, not timed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from domain.roles import Role
from schema import fanout
from schema.types.relay import to_global_id
from tests.factories import Org, add_customers, forget_published, make_org, raise_alerts
from tests.live import Live, WsClient

ALERTS = """
subscription ($after: ID, $kinds: [AlertKind!]) {
  alerts(after: $after, kinds: $kinds) {
    id kind subject subjectId customerId severity payload { ... on AtRiskDetails { riskSeverity } }
  }
}
"""

# The same fields, and a variable the rendering itself uses.
WITH_PAYLOAD = """
subscription ($full: Boolean!) {
  alerts { id kind payload @include(if: $full) { ... on AtRiskDetails { riskSeverity } } }
}
"""


def gid(alert_id: int) -> str:
    return to_global_id("Alert", alert_id)


class Counted:
    """Executions and shared renders since the block began."""

    def __init__(self) -> None:
        self._executions = fanout.Counters.executions
        self._shared = fanout.Counters.shared

    @property
    def executions(self) -> int:
        return fanout.Counters.executions - self._executions

    @property
    def shared(self) -> int:
        return fanout.Counters.shared - self._shared


def org_groups(org: Org) -> list[fanout.Group]:
    return [group for group in fanout.groups() if group.key[3] == org.id]


@contextlib.asynccontextmanager
async def subscriber(
    live: Live, org: Org, role: Role = Role.OWNER, language: str = "en"
) -> AsyncIterator[WsClient]:
    token = await org.token_for(role)
    async with live.socket(headers={"Accept-Language": language}) as client:
        ack = await client.init({"authorization": f"Bearer {token}"})
        assert ack["type"] == "connection_ack"
        yield client


async def nexts(client: WsClient, count: int) -> list[dict[str, Any]]:
    """The next `count` messages, each a `next` without errors: {op id: data}."""
    got = []
    for _ in range(count):
        message = await client.receive()
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        got.append({message["id"]: message["payload"]["data"]})
    return got


async def test_subscribers_that_render_alike_share_one_execution_per_event(
    live: Live, tenant: Org
) -> None:
    [customer] = await add_customers(live.pool, tenant.id)
    async with (
        subscriber(live, tenant) as a,
        subscriber(live, tenant) as b,
        subscriber(live, tenant) as c,
    ):
        # Root arguments choose events, they do not change how one is rendered: one group.
        ops = [
            await a.subscribe(ALERTS),
            await b.subscribe(ALERTS, {"kinds": ["AT_RISK", "INACTIVE_CUSTOMER"]}),
            await c.subscribe(ALERTS, {"after": gid(1)}),
            await c.subscribe(ALERTS),  # two on one socket
        ]
        await live.listening(tenant, count=4)
        counted = Counted()
        ids = await raise_alerts(
            live.pool, tenant.id, count=3, customer_id=customer, payload={"severity": "high"}
        )
        await live.relay()
        got_a, got_b = await nexts(a, 3), await nexts(b, 3)
        got_c = await nexts(c, 6)
        expected = [
            {
                "alerts": {
                    "id": gid(alert_id),
                    "kind": "AT_RISK",
                    "subject": "Customer",
                    "subjectId": to_global_id("Customer", subject),
                    "customerId": to_global_id("Customer", customer),
                    "severity": "HIGH",
                    "payload": {"riskSeverity": "HIGH"},
                }
            }
            for subject, alert_id in enumerate(ids, start=1)
        ]
        assert got_a == [{ops[0]: data} for data in expected]
        assert got_b == [{ops[1]: data} for data in expected]
        for op in ops[2:]:
            assert [m[op] for m in got_c if op in m] == expected
        assert counted.executions == 3  # one per event, not one per subscriber
        assert counted.shared == 9
        [group] = org_groups(tenant)
        assert group.executions == 3


async def test_other_selections_roles_languages_and_organisations_render_apart(
    live: Live, tenant: Org
) -> None:
    stranger = await make_org(live.pool, live.client, live.clock)
    async with (
        subscriber(live, tenant) as owner,
        subscriber(live, tenant, role=Role.VIEWER) as viewer,
        subscriber(live, tenant, language="ar") as arabic,
        subscriber(live, stranger) as theirs,
    ):
        plain = await owner.subscribe(ALERTS)
        full = await owner.subscribe(WITH_PAYLOAD, {"full": True})
        bare = await owner.subscribe(WITH_PAYLOAD, {"full": False})
        await viewer.subscribe(ALERTS)
        await arabic.subscribe(ALERTS)
        their_op = await theirs.subscribe(ALERTS)
        await live.listening(tenant, count=5)
        await live.listening(stranger)
        counted = Counted()
        [alert_id] = await raise_alerts(live.pool, tenant.id, payload={"severity": "high"})
        await live.relay()
        mine = {k: v for m in await nexts(owner, 3) for k, v in m.items()}
        assert mine[plain]["alerts"]["id"] == gid(alert_id)
        assert mine[full] == {
            "alerts": {"id": gid(alert_id), "kind": "AT_RISK", "payload": {"riskSeverity": "HIGH"}}
        }
        assert mine[bare] == {"alerts": {"id": gid(alert_id), "kind": "AT_RISK"}}
        for client in (viewer, arabic):
            [message] = await nexts(client, 1)
            assert next(iter(message.values()))["alerts"]["id"] == gid(alert_id)
        # Five groups: two selections, two values of a variable the selection uses, a role, a
        # language. The other organisation's subscriber gets nothing of it.
        assert counted.executions == 5
        assert len(org_groups(tenant)) == 5
        await theirs.nothing_for(0.3)
        [their_alert] = await raise_alerts(live.pool, stranger.id)
        await live.relay()
        [message] = await nexts(theirs, 1)
        assert message[their_op]["alerts"]["id"] == gid(their_alert)
        assert counted.executions == 6
        for client in (owner, viewer, arabic):
            await client.nothing_for(0.3)


async def test_members_of_a_group_keep_their_own_replay_filters_and_repeats(
    live: Live, tenant: Org
) -> None:
    older = await raise_alerts(live.pool, tenant.id, count=2)
    await live.relay()
    async with (
        subscriber(live, tenant) as fresh,
        subscriber(live, tenant) as resuming,
        subscriber(live, tenant) as breaches,
    ):
        fresh_op = await fresh.subscribe(ALERTS)
        resuming_op = await resuming.subscribe(ALERTS, {"after": gid(older[0])})
        breaches_op = await breaches.subscribe(ALERTS, {"kinds": ["SLA_RESOLUTION_BREACH"]})
        # The resuming one replays what it missed, rendered for it alone.
        [replayed] = await nexts(resuming, 1)
        assert replayed[resuming_op]["alerts"]["id"] == gid(older[1])
        await live.listening(tenant, count=3)
        counted = Counted()
        [risk] = await raise_alerts(live.pool, tenant.id, first_subject_id=10)
        [breach] = await raise_alerts(
            live.pool, tenant.id, kind="SLA_RESOLUTION_BREACH", subject="Ticket"
        )
        await live.relay()

        def ids(messages: list[dict[str, Any]], op: str) -> list[str]:
            return [m[op]["alerts"]["id"] for m in messages]

        assert ids(await nexts(fresh, 2), fresh_op) == [gid(risk), gid(breach)]
        assert ids(await nexts(resuming, 2), resuming_op) == [gid(risk), gid(breach)]
        assert ids(await nexts(breaches, 1), breaches_op) == [gid(breach)]
        [group] = org_groups(tenant)
        assert counted.executions == 2
        # A re-published event (the relay is at least once) reaches no member twice.
        await forget_published(live.pool, tenant.id)
        await live.relay()
        for client in (fresh, resuming, breaches):
            await client.nothing_for(0.3)
        assert group.executions >= 2


def test_the_shared_text_is_the_message_the_executor_path_sends() -> None:
    data = fanout.SharedData(
        {"alerts": {"id": "QWxlcnQ6MQ==", "note": 'عميل "مهم"\n', "n": [1, 2.5, None, True]}}
    )
    message = {"id": 'op "1"', "type": "next", "payload": {"data": data}}
    assert fanout.next_message('op "1"', data).text == fanout.dumps(message)
