"""The process's pub/sub hub: one Redis subscription per channel, bounded feeds, reconnects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis

from resolvers.store import namespaces, pubsub
from tests.live import PrivateRedis, numsub, private_redis, until

NS = namespaces.Namespace("wafi-test")
CHANNEL = pubsub.alerts_channel(1)
OTHER = pubsub.alerts_channel(2)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@pytest.fixture
async def publisher(redis_server: PrivateRedis) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture
async def hub(redis_server: PrivateRedis) -> AsyncIterator[pubsub.Hub]:
    started = pubsub.Hub(
        redis_server.url, namespace=NS, feed_limit=5, backoff_min=0.02, backoff_max=0.2
    )
    await started.start()
    yield started
    await started.stop()


async def _publish(client: Redis, channel: str, *ids: int) -> None:
    """As the relay publishes: in the namespace, naming the deployment and organisation."""
    org_id = pubsub.org_of(channel)
    assert org_id is not None
    for alert_id in ids:
        await client.publish(NS.channel(channel), pubsub.envelope(NS, org_id, {"id": alert_id}))


async def _next(feed: pubsub.Feed) -> Any:
    return await asyncio.wait_for(feed.next(), 5)


def test_the_alerts_channel_is_per_organisation() -> None:
    assert pubsub.alerts_channel(42) == "wafi:42:alerts"


async def test_one_redis_subscription_per_channel_however_many_feeds(
    hub: pubsub.Hub, redis_server: PrivateRedis
) -> None:
    async with (
        hub.subscribe(CHANNEL) as a,
        hub.subscribe(CHANNEL) as b,
        hub.subscribe(CHANNEL) as c,
        hub.subscribe(OTHER) as d,
    ):
        for feed in (a, b, c, d):
            await asyncio.wait_for(feed.ready(), 5)
        assert await numsub(redis_server.url, NS.channel(CHANNEL)) == 1
        assert await numsub(redis_server.url, NS.channel(OTHER)) == 1
        assert hub.subscribers(CHANNEL) == 3
    await until(lambda: _numsub_is(redis_server, NS.channel(CHANNEL), 0), what="unsubscribe")
    assert await numsub(redis_server.url, NS.channel(OTHER)) == 0


async def _numsub_is(server: PrivateRedis, channel: str, count: int) -> bool:
    return await numsub(server.url, channel) == count


async def test_every_feed_gets_every_event_of_its_channel_in_order(
    hub: pubsub.Hub, publisher: Redis
) -> None:
    async with hub.subscribe(CHANNEL) as a, hub.subscribe(CHANNEL) as b, hub.subscribe(OTHER) as o:
        await a.ready()
        await o.ready()
        await _publish(publisher, CHANNEL, 1, 2, 3)
        await _publish(publisher, OTHER, 9)
        assert [await _next(a) for _ in range(3)] == [{"id": 1}, {"id": 2}, {"id": 3}]
        assert [await _next(b) for _ in range(3)] == [{"id": 1}, {"id": 2}, {"id": 3}]
        assert await _next(o) == {"id": 9}
        assert len(o) == 0


async def test_a_full_feed_is_dropped_and_the_others_keep_receiving(
    hub: pubsub.Hub, publisher: Redis
) -> None:
    async with hub.subscribe(CHANNEL) as slow, hub.subscribe(CHANNEL) as fast:
        await fast.ready()
        received: list[Any] = []

        async def read_fast() -> None:
            while len(received) < 12:
                received.append(await fast.next())

        reader = asyncio.create_task(read_fast())
        await _publish(publisher, CHANNEL, *range(1, 13))
        await asyncio.wait_for(reader, 5)
        assert received == [{"id": n} for n in range(1, 13)]
        with pytest.raises(pubsub.FeedOverflowError):
            await _next(slow)
        assert hub.subscribers(CHANNEL) == 1


async def test_after_redis_restarts_the_hub_resubscribes_and_marks_a_gap(
    hub: pubsub.Hub, publisher: Redis, redis_server: PrivateRedis
) -> None:
    async with hub.subscribe(CHANNEL) as feed:
        await feed.ready()
        await _publish(publisher, CHANNEL, 1)
        assert await _next(feed) == {"id": 1}
        connections = hub.connections
        redis_server.restart()
        assert await _next(feed) is pubsub.GAP
        await asyncio.wait_for(feed.ready(), 5)
        assert hub.connections == connections + 1
        assert await numsub(redis_server.url, NS.channel(CHANNEL)) == 1
        fresh = Redis.from_url(redis_server.url)
        try:
            await _publish(fresh, CHANNEL, 2)
        finally:
            await fresh.aclose()
        assert await _next(feed) == {"id": 2}


async def test_a_feed_opened_while_redis_is_down_is_ready_once_it_is_back(
    hub: pubsub.Hub, redis_server: PrivateRedis
) -> None:
    async with hub.subscribe(OTHER) as warm:
        await warm.ready()
        redis_server.stop()
        try:
            assert await _next(warm) is pubsub.GAP
            async with hub.subscribe(CHANNEL) as feed:
                waiting = asyncio.create_task(feed.ready())
                await asyncio.sleep(0.1)  # a wait for the hub's retries, not for a rule
                assert not waiting.done()
                redis_server.start()
                await asyncio.wait_for(waiting, 5)
                assert await numsub(redis_server.url, NS.channel(CHANNEL)) == 1
        finally:
            if not redis_server_running(redis_server):
                redis_server.start()


def redis_server_running(server: PrivateRedis) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", server.port)) == 0


async def test_stopping_the_hub_ends_its_feeds(redis_server: PrivateRedis) -> None:
    hub = pubsub.Hub(redis_server.url, namespace=NS)
    await hub.start()
    async with hub.subscribe(CHANNEL) as feed:
        await feed.ready()
        await hub.stop()
        with pytest.raises(pubsub.HubClosedError):
            await _next(feed)
    with pytest.raises(pubsub.HubClosedError):
        async with hub.subscribe(CHANNEL):
            pass


class DropsOneCancellation(pubsub.Hub):
    """A hub whose connection drops the first cancellation it is sent and reads on, as a Redis
    call on Python 3.11 can (resolvers/store/shutdown.py)."""

    dropped = 0

    async def _session(self) -> None:
        try:
            await super()._session()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self.dropped or task is None:
                raise
            self.dropped += 1
            task.uncancel()
            await asyncio.sleep(3600)  # and goes on waiting, as the lost cancel leaves it


async def test_stopping_the_hub_survives_a_lost_cancellation(redis_server: PrivateRedis) -> None:
    hub = DropsOneCancellation(redis_server.url, namespace=NS)
    await hub.start()
    async with hub.subscribe(CHANNEL) as feed:
        await feed.ready()
        # Its session reads on after the first cancel: only a repeat ends it, at once.
        stopping = asyncio.ensure_future(hub.stop())
        await asyncio.wait({stopping}, timeout=2)
        assert stopping.done(), "the hub's stop waited on a session that lost its cancellation"
    assert hub.dropped == 1


async def test_a_feed_opened_as_the_last_one_leaves_waits_for_its_own_subscription(
    hub: pubsub.Hub, publisher: Redis, redis_server: PrivateRedis
) -> None:
    async with hub.subscribe(CHANNEL) as first:
        await first.ready()
    async with hub.subscribe(CHANNEL) as second:  # UNSUBSCRIBE, then SUBSCRIBE, in flight
        await asyncio.wait_for(second.ready(), 5)
        assert await numsub(redis_server.url, NS.channel(CHANNEL)) == 1
        await _publish(publisher, CHANNEL, 7)
        assert await _next(second) == {"id": 7}


async def test_channels_are_named_in_the_deployments_namespace(
    hub: pubsub.Hub, redis_server: PrivateRedis
) -> None:
    async with hub.subscribe(CHANNEL) as feed:
        await feed.ready()
        assert await numsub(redis_server.url, "wafi-test:wafi:1:alerts") == 1
        assert await numsub(redis_server.url, CHANNEL) == 0


async def test_an_event_of_another_deployment_or_organisation_is_dropped(
    hub: pubsub.Hub, publisher: Redis
) -> None:
    redis_channel = NS.channel(CHANNEL)
    async with hub.subscribe(CHANNEL) as feed:
        await feed.ready()
        other = namespaces.Namespace("wafi-other")
        await publisher.publish(redis_channel, pubsub.envelope(other, 1, {"id": 1}))
        await publisher.publish(redis_channel, pubsub.envelope(NS, 2, {"id": 2}))
        await publisher.publish(redis_channel, json.dumps({"id": 3}))  # no envelope at all
        await publisher.publish(redis_channel, json.dumps([4]))
        await publisher.publish(redis_channel, pubsub.envelope(NS, 1, {"id": 5}))
        # Only the last one is ours; it arrives without its envelope, as the outbox stored it.
        assert await _next(feed) == {"id": 5}
        assert hub.dropped == 4
        assert len(feed) == 0


async def test_an_alarm_comes_once_ahead_of_queued_events_and_not_after_the_feed_closes(
    hub: pubsub.Hub, publisher: Redis
) -> None:
    async with hub.subscribe(CHANNEL) as feed:
        await feed.ready()
        await _publish(publisher, CHANNEL, 1, 2)
        await until(_queued(feed, 2), what="two queued events")
        loop = asyncio.get_running_loop()
        feed.alarm_at(loop.time())
        await until(_rang(feed), what="the alarm")
        assert await _next(feed) is pubsub.ALARM  # ahead of what is queued
        assert [(await _next(feed))["id"] for _ in range(2)] == [1, 2]
        feed.alarm_at(loop.time() + 3600)
    # Leaving the block cancels the feed's timer: nothing is left scheduled for it.
    assert feed._alarm is None


def _queued(feed: pubsub.Feed, count: int) -> Any:
    async def check() -> bool:
        return len(feed) == count

    return check


def _rang(feed: pubsub.Feed) -> Any:
    async def check() -> bool:
        return feed._rang

    return check


async def test_the_feeds_of_a_channel_are_handed_one_event_object(
    hub: pubsub.Hub, publisher: Redis
) -> None:
    # Live alerts are converted and rendered once per event on this (schema/fanout.py).
    async with hub.subscribe(CHANNEL) as a, hub.subscribe(CHANNEL) as b:
        await a.ready()
        await _publish(publisher, CHANNEL, 1)
        assert await _next(a) is await _next(b)
