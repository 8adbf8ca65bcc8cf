"""Where a webhook URL's host points: resolved before an endpoint is saved and before each
attempt, so a private or loopback target is refused (domain.webhooks.check_targets)."""

from __future__ import annotations

import asyncio
import socket

LOOKUP_TIMEOUT_S = 5.0


async def addresses(host: str) -> list[str]:
    """The host's IP addresses (an IP literal is itself); empty when it does not resolve."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(LOOKUP_TIMEOUT_S):
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})
