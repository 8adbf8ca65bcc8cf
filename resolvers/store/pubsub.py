"""Redis channels, and the hub that fans them out to the subscribers of one API process.

docs/architecture.md#alerts, step 3: each API process holds ONE Redis connection for pub/sub
and at most one subscription per channel in use, however many clients listen; every client gets
a bounded mailbox (`Feed`).
- A slow client cannot stall the others: delivery never waits. When a feed is full it is
  dropped and told so (`Feed.next` raises `FeedOverflowError`); the client resubscribes with `after`
  and replays from the stored alerts, so nothing is lost.
- Channels are named in the deployment's namespace (store.namespaces), and an event is delivered
  only when it names this deployment and the channel's organisation: Redis pub/sub ignores the
  database number, so anything else on the channel is another install's or a forgery.
- When the Redis connection drops, the hub reconnects with exponential backoff and jitter, and
  puts a `GAP` marker in every feed: whatever was published while it was away must be replayed
  from the database by the subscriber, after `Feed.ready()` says the channel is live again.
- A feed can be given an alarm (`Feed.alarm_at`): `next` answers `ALARM` once it is due, ahead
  of queued events. One timer per alarm, not one per wait: waiting costs nothing per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Final

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from resolvers.store import shutdown
from resolvers.store.namespaces import Namespace

log = logging.getLogger("wafi.pubsub")

FEED_LIMIT: Final = 1_000


def alerts_channel(org_id: int) -> str:
    """docs/architecture.md#alerts: one logical channel per organisation (Redis's is in a
    namespace)."""
    return f"wafi:{int(org_id)}:alerts"


_ALERTS_CHANNEL = re.compile(r"wafi:(\d+):alerts")


def org_of(channel: str) -> int | None:
    """The organisation whose alerts `channel` carries, or None for another kind of channel."""
    match = _ALERTS_CHANNEL.fullmatch(channel)
    return None if match is None else int(match.group(1))


def envelope(namespace: Namespace, org_id: int, payload: dict[str, Any]) -> str:
    """An event as published: the payload, plus the deployment and organisation it belongs to
    (what the hub checks before delivering it)."""
    event = {**payload, "deployment": namespace.prefix, "orgId": org_id}
    return json.dumps(event, ensure_ascii=False, default=str)


_ENVELOPE: Final = ("deployment", "orgId")


def belongs(event: dict[str, Any], namespace: Namespace, channel: str) -> bool:
    """Whether an event read from (logical) `channel` is this deployment's, for its organisation."""
    if event.get("deployment") != namespace.prefix:
        return False
    org_id = org_of(channel)
    return org_id is None or event.get("orgId") == org_id


class Gap:
    """In a feed: the hub lost Redis; events published meanwhile must be replayed."""

    def __repr__(self) -> str:
        return "GAP"


GAP: Final = Gap()


class Alarm:
    """In a feed: the time set with `Feed.alarm_at` has come."""

    def __repr__(self) -> str:
        return "ALARM"


ALARM: Final = Alarm()


class FeedOverflowError(Exception):
    """The subscriber fell `FEED_LIMIT` events behind and was dropped."""


class HubClosedError(Exception):
    """The process is shutting down."""


class Feed:
    """One subscriber's bounded mailbox on one channel."""

    def __init__(self, hub: Hub, channel: str, limit: int) -> None:
        self.channel = channel
        self._hub = hub
        self._limit = limit
        self._items: deque[dict[str, Any] | Gap] = deque()
        self._wake = asyncio.Event()
        self._overflowed = False
        self._closed = False
        self._alarm: asyncio.TimerHandle | None = None
        self._rang = False

    def deliver(self, event: dict[str, Any]) -> bool:
        """Queue an event without waiting; False (and the feed is dead) when it is full."""
        if self._overflowed or self._closed:
            return False
        if len(self._items) >= self._limit:
            self._overflowed = True
            self._items.clear()
            self._wake.set()
            return False
        self._items.append(event)
        self._wake.set()
        return True

    def gap(self) -> None:
        self._items.append(GAP)
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self.alarm_off()

    def alarm_at(self, when: float) -> None:
        """`next` answers ALARM from loop time `when` on (once; a new call replaces it)."""
        self.alarm_off()
        self._alarm = asyncio.get_running_loop().call_at(when, self._ring)

    def alarm_off(self) -> None:
        if self._alarm is not None:
            self._alarm.cancel()
            self._alarm = None
        self._rang = False

    def _ring(self) -> None:
        self._alarm = None
        self._rang = True
        self._wake.set()

    def __len__(self) -> int:
        return len(self._items)

    async def next(self) -> dict[str, Any] | Gap | Alarm:
        """The next event, GAP or ALARM; FeedOverflowError or HubClosedError when the feed is
        over."""
        while True:
            if self._overflowed:
                raise FeedOverflowError(self.channel)
            if self._closed:
                raise HubClosedError(self.channel)  # what is left is replayed on resubscribing
            if self._rang:
                self._rang = False
                return ALARM
            if self._items:
                return self._items.popleft()
            self._wake.clear()
            await self._wake.wait()

    async def ready(self) -> None:
        """Wait until Redis confirms the channel's subscription on the hub's connection."""
        await self._hub.ready(self.channel)


class Hub:
    """One pub/sub connection per process, resubscribed with backoff when it drops."""

    def __init__(
        self,
        redis_url: str,
        *,
        namespace: Namespace,
        timeout: float = 5.0,
        feed_limit: int = FEED_LIMIT,
        backoff_min: float = 0.05,
        backoff_max: float = 5.0,
        ping_interval: float = 5.0,
    ) -> None:
        self._url = redis_url
        self._namespace = namespace
        self._timeout = timeout
        self.dropped = 0  # events on our channels that were not ours: tests and logs watch it
        self._feed_limit = feed_limit
        self._backoff_min = backoff_min
        self._backoff_max = backoff_max
        self._ping_interval = ping_interval
        self._feeds: dict[str, set[Feed]] = {}
        self._ready: dict[str, asyncio.Event] = {}
        self._pubsub: PubSub | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._connected_for = 0.0
        self._had_connection = False
        self.connections = 0  # how many times it has connected: tests watch reconnects

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="wafi-pubsub-hub")

    async def stop(self) -> None:
        self._closed = True
        if self._task is not None:
            # Again until it ends: a cancellation can be lost inside a Redis call (shutdown.py).
            await shutdown.cancel_until_done(self._task, every=0.1)
        for feeds in self._feeds.values():
            for feed in feeds:
                feed.close()
        for event in self._ready.values():
            event.set()  # let waiters see the feed closed instead of waiting forever

    def subscribers(self, channel: str) -> int:
        return len(self._feeds.get(channel, ()))

    def subscriber_count(self) -> int:
        """Subscribers over every channel of this process (for /metrics)."""
        return sum(len(feeds) for feeds in self._feeds.values())

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Feed]:
        """A feed on `channel` for the block; the Redis subscription is shared."""
        if self._closed:
            raise HubClosedError(channel)
        feed = Feed(self, channel, self._feed_limit)
        feeds = self._feeds.setdefault(channel, set())
        first = not feeds
        feeds.add(feed)
        self._ready.setdefault(channel, asyncio.Event())
        try:
            if first:
                await self._command("subscribe", self._namespace.channel(channel))
            yield feed
        finally:
            feed.alarm_off()
            feeds = self._feeds.get(channel, set())
            feeds.discard(feed)
            if not feeds and channel in self._feeds:
                del self._feeds[channel]
                # Not ready from now on: a feed opened before Redis confirms the unsubscribe
                # must wait for its own subscribe's confirmation, not pass on the old one.
                self._ready[channel].clear()
                await self._command("unsubscribe", self._namespace.channel(channel))

    async def ready(self, channel: str) -> None:
        await self._ready.setdefault(channel, asyncio.Event()).wait()
        if self._closed:
            raise HubClosedError(channel)

    async def _command(self, name: str, channel: str) -> None:
        # Without a live connection there is nothing to send: the next connection subscribes
        # to every channel with feeds. A failed send is the reader's to notice and repair.
        pubsub = self._pubsub
        if pubsub is None:
            return
        try:
            await getattr(pubsub, name)(channel)
        except Exception as error:  # the reader reconnects; the feed waits for ready()
            log.warning("pubsub %s %s failed: %r", name, channel, error)

    async def _run(self) -> None:
        delay = self._backoff_min
        while not self._closed:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure means: reconnect
                log.warning("pubsub connection lost: %r; reconnecting", error)
            finally:
                self._lost()
            if self.connections and self._connected_for > 1.0:
                delay = self._backoff_min
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, self._backoff_max)

    async def _session(self) -> None:
        client = Redis.from_url(
            self._url,
            decode_responses=True,
            socket_connect_timeout=self._timeout,
            socket_timeout=self._timeout,
        )
        pubsub = client.pubsub()
        loop = asyncio.get_running_loop()
        self._connected_for = 0.0
        try:
            await pubsub.connect()
            self.connections += 1
            self._had_connection = True
            started = loop.time()
            self._pubsub = pubsub
            # No await since `_pubsub` was set: none missed.
            channels = [self._namespace.channel(name) for name in self._feeds]
            if channels:
                await pubsub.subscribe(*channels)
            last_seen = pinged = loop.time()
            while True:
                message = await pubsub.get_message(timeout=self._ping_interval / 2)
                now = loop.time()
                self._connected_for = now - started
                if message is not None:
                    last_seen = now
                    self._handle(message)
                    # Let the subscribers it woke drain before the next one: a burst read from
                    # the socket's buffer must not fill a keeping-up subscriber's queue alone.
                    await asyncio.sleep(0)
                if now - pinged >= self._ping_interval:
                    await pubsub.ping()
                    pinged = now
                if now - last_seen > 3 * self._ping_interval:
                    raise ConnectionError("no answer from Redis")
        finally:
            self._pubsub = None
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            with contextlib.suppress(Exception):
                await client.aclose()

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        channel = self._logical(message.get("channel"))
        if kind == "message" and isinstance(channel, str):
            self._fan_out(channel, message["data"])
        elif kind == "subscribe" and isinstance(channel, str):
            self._ready.setdefault(channel, asyncio.Event()).set()
        elif kind == "unsubscribe" and isinstance(channel, str):
            event = self._ready.get(channel)
            if event is not None:
                event.clear()
            if channel not in self._feeds:
                self._ready.pop(channel, None)

    def _logical(self, channel: object) -> str | None:
        head = self._namespace.channel("")
        if isinstance(channel, str) and channel.startswith(head):
            return channel[len(head) :]
        return None

    def _fan_out(self, channel: str, data: str) -> None:
        feeds = self._feeds.get(channel)
        if not feeds:
            return
        try:
            event = json.loads(data)
        except ValueError:
            event = None
        if not isinstance(event, dict) or not belongs(event, self._namespace, channel):
            self.dropped += 1
            log.warning("dropped an event on %s that is not this deployment's", channel)
            return
        for key in _ENVELOPE:
            event.pop(key, None)
        for feed in list(feeds):
            if not feed.deliver(event):
                feeds.discard(feed)  # too slow: its subscriber is told to resume with `after`

    def _lost(self) -> None:
        for event in self._ready.values():
            event.clear()
        if not self._had_connection:
            return  # failed reconnects: the feeds were told once
        self._had_connection = False
        for feeds in self._feeds.values():
            for feed in feeds:
                feed.gap()
