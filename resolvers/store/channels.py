"""Channel health (docs/rules.md §8.5): daily counts per channel, and the freezes they cause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.channels import DayStats, FreezeCause
from domain.tickets import Channel


@dataclass(frozen=True, slots=True)
class Freeze:
    """A channel freeze as stored; `lifted_at` is None while it holds."""

    id: int
    channel: Channel
    cause: FreezeCause
    frozen_at: datetime
    lifted_at: datetime | None = None
    lifted_by: int | None = None


async def local_today(session: AsyncSession, *, org_id: int, now: datetime) -> date:
    """The organisation's local date at `now`."""
    found = await session.execute(
        text(
            "SELECT (CAST(:now AS timestamptz) AT TIME ZONE time_zone)::date "
            "FROM organisations WHERE id = :org"
        ),
        {"now": now, "org": org_id},
    )
    today: date = found.scalar_one()
    return today


async def record(
    session: AsyncSession, *, org_id: int, channel: Channel, stats: DayStats, now: datetime
) -> DayStats | None:
    """Store one day's counts (a second record for the day replaces the first); the day's
    counts before, or None when it had none."""
    before = await session.execute(
        text(
            "SELECT day, sent, bounced, complaints, blocks FROM channel_stats "
            "WHERE org_id = :org AND channel = :channel AND day = :day FOR UPDATE"
        ),
        {"org": org_id, "channel": channel.value, "day": stats.day},
    )
    old = before.one_or_none()
    await session.execute(
        text(
            "INSERT INTO channel_stats (org_id, channel, day, sent, bounced, complaints, blocks, "
            "recorded_at) VALUES (:org, :channel, :day, :sent, :bounced, :complaints, :blocks, "
            ":now) ON CONFLICT (org_id, channel, day) DO UPDATE SET sent = EXCLUDED.sent, "
            "bounced = EXCLUDED.bounced, complaints = EXCLUDED.complaints, "
            "blocks = EXCLUDED.blocks, recorded_at = EXCLUDED.recorded_at"
        ),
        {
            "org": org_id,
            "channel": channel.value,
            "day": stats.day,
            "sent": stats.sent,
            "bounced": stats.bounced,
            "complaints": stats.complaints,
            "blocks": stats.blocks,
            "now": now,
        },
    )
    return None if old is None else DayStats(*old)


async def days(
    session: AsyncSession, *, org_id: int, channel: Channel, first: date, last: date
) -> list[DayStats]:
    """The channel's recorded days from `first` to `last`, oldest first."""
    rows = await session.execute(
        text(
            "SELECT day, sent, bounced, complaints, blocks FROM channel_stats "
            "WHERE org_id = :org AND channel = :channel AND day BETWEEN :first AND :last "
            "ORDER BY day"
        ),
        {"org": org_id, "channel": channel.value, "first": first, "last": last},
    )
    return [DayStats(*row) for row in rows]


async def recorded_channels(session: AsyncSession, *, org_id: int) -> list[Channel]:
    """Every channel with counts or a freeze, in the enum's order."""
    rows = await session.execute(
        text(
            "SELECT channel FROM channel_stats WHERE org_id = :org "
            "UNION SELECT channel FROM channel_freezes WHERE org_id = :org"
        ),
        {"org": org_id},
    )
    found = {str(row[0]) for row in rows}
    return [c for c in Channel if c.value in found]


_FREEZE_COLUMNS = "id, channel, reason, frozen_at, lifted_at, lifted_by"


def _freeze(row: Any) -> Freeze:
    return Freeze(
        row.id,
        Channel(row.channel),
        FreezeCause(row.reason),
        row.frozen_at,
        row.lifted_at,
        row.lifted_by,
    )


async def active(session: AsyncSession, *, org_id: int, channel: Channel) -> Freeze | None:
    """The freeze holding `channel`, locked, or None."""
    rows = await session.execute(
        text(
            f"SELECT {_FREEZE_COLUMNS} FROM channel_freezes WHERE org_id = :org "
            "AND channel = :channel AND lifted_at IS NULL FOR UPDATE"
        ),
        {"org": org_id, "channel": channel.value},
    )
    row = rows.one_or_none()
    return None if row is None else _freeze(row)


async def freeze(
    session: AsyncSession, *, org_id: int, channel: Channel, cause: FreezeCause, now: datetime
) -> Freeze | None:
    """Freeze `channel` unless a freeze already holds it; the new freeze, or None."""
    rows = await session.execute(
        text(
            "INSERT INTO channel_freezes (org_id, channel, reason, frozen_at) "
            "VALUES (:org, :channel, :reason, :now) "
            "ON CONFLICT (org_id, channel) WHERE lifted_at IS NULL DO NOTHING "
            f"RETURNING {_FREEZE_COLUMNS}"
        ),
        {"org": org_id, "channel": channel.value, "reason": cause.value, "now": now},
    )
    row = rows.one_or_none()
    return None if row is None else _freeze(row)


async def lift(
    session: AsyncSession, *, org_id: int, freeze_id: int, by: int | None, now: datetime
) -> None:
    """Record the owner's lift of a freeze."""
    await session.execute(
        text(
            "UPDATE channel_freezes SET lifted_at = :now, lifted_by = :by "
            "WHERE org_id = :org AND id = :id"
        ),
        {"org": org_id, "id": freeze_id, "by": by, "now": now},
    )


async def frozen_for_draft(
    session: AsyncSession, *, org_id: int, ticket_id: int | None
) -> list[tuple[Channel, Channel | None]]:
    """Every frozen channel, with the channel of the draft's ticket (None without one)."""
    rows = await session.execute(
        text(
            "SELECT f.channel, (SELECT t.channel FROM tickets t WHERE t.org_id = :org "
            "AND t.id = CAST(:ticket AS bigint)) FROM channel_freezes f "
            "WHERE f.org_id = :org AND f.lifted_at IS NULL ORDER BY f.channel"
        ),
        {"org": org_id, "ticket": ticket_id},
    )
    return [(Channel(a), None if b is None else Channel(b)) for a, b in rows]
