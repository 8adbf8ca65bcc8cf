"""Redis channels: where committed events are published for the API processes to fan out."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis


def alerts_channel(org_id: int) -> str:
    """DESIGN.md Alerts: one channel per organisation."""
    return f"wafi:{org_id}:alerts"


async def publish(redis: Redis, *, channel: str, payload: dict[str, Any]) -> None:
    await redis.publish(channel, json.dumps(payload, ensure_ascii=False, default=str))
