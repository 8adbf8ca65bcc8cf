"""Channel health (docs/rules.md §8.5): recorded counts, the trailing window, freezes, lifts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from domain import channels
from domain.tickets import Channel
from schema.types import errors
from schema.types.relay import to_global_id

FreezeCause = strawberry.enum(
    channels.FreezeCause, description="Why a channel froze (docs/rules.md §8.5)."
)


@strawberry.type(description="A channel's trailing 7 days and its freeze (docs/rules.md §8.5).")
class ChannelHealth:
    channel: Channel = strawberry.field(description="The channel.")
    window_start: date = strawberry.field(description="First local day of the trailing window.")
    window_end: date = strawberry.field(description="Last local day of the window (today).")
    sent: int = strawberry.field(description="Sent in the window.")
    bounced: int = strawberry.field(description="Bounced in the window.")
    complaints: int = strawberry.field(description="Complaints in the window.")
    blocks: int = strawberry.field(description="Blocks in the window.")
    bounce_rate: float | None = strawberry.field(description="Bounced / sent; null if none sent.")
    complaint_rate: float | None = strawberry.field(
        description="Complaints / sent; null if none sent."
    )
    block_rate: float | None = strawberry.field(description="Blocks / sent; null if none sent.")
    frozen: bool = strawberry.field(description="Whether the channel's drafts are refused now.")
    freeze_id: strawberry.ID | None = strawberry.field(
        description="Global id of the freeze in force, if any."
    )
    freeze_cause: channels.FreezeCause | None = strawberry.field(
        description="Why it froze, if frozen."
    )
    frozen_at: datetime | None = strawberry.field(description="When it froze, if frozen.")

    @classmethod
    def build(
        cls,
        channel: Channel,
        today: date,
        totals: channels.Totals,
        freeze: tuple[int, channels.FreezeCause, datetime] | None,
    ) -> ChannelHealth:
        first, last = channels.window(today)
        return cls(
            channel=channel,
            window_start=first,
            window_end=last,
            sent=totals.sent,
            bounced=totals.bounced,
            complaints=totals.complaints,
            blocks=totals.blocks,
            bounce_rate=totals.rate(totals.bounced),
            complaint_rate=totals.rate(totals.complaints),
            block_rate=totals.rate(totals.blocks),
            frozen=freeze is not None,
            freeze_id=None if freeze is None else to_global_id("ChannelFreeze", freeze[0]),
            freeze_cause=None if freeze is None else freeze[1],
            frozen_at=None if freeze is None else freeze[2],
        )


@strawberry.input(description="One channel's counts for one local day (docs/rules.md §8.5).")
class RecordChannelStatsInput:
    channel: Channel = strawberry.field(description="The channel (email, whatsapp, …).")
    day: date = strawberry.field(description="The local day counted; not in the future.")
    sent: int = strawberry.field(description="Messages sent that day.")
    bounced: int = strawberry.field(default=0, description="Of those, bounced.")
    complaints: int = strawberry.field(default=0, description="Of those, complaints.")
    blocks: int = strawberry.field(default=0, description="Of those, blocks (WhatsApp).")


@strawberry.type(description="The counts were recorded; the channel's health after them.")
class RecordChannelStatsPayload:
    health: ChannelHealth = strawberry.field(description="The channel's trailing 7 days.")
    froze: bool = strawberry.field(description="Whether these counts froze the channel now.")


RecordChannelStatsResult = Annotated[
    RecordChannelStatsPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("RecordChannelStatsResult", description="The record, or why it was refused."),
]


@strawberry.input(description="Lift a channel's freeze (owners).")
class LiftChannelFreezeInput:
    channel: Channel = strawberry.field(description="The frozen channel.")


@strawberry.type(description="The channel's freeze was lifted.")
class LiftChannelFreezePayload:
    health: ChannelHealth = strawberry.field(description="The channel after the lift.")
    lifted_cause: channels.FreezeCause = strawberry.field(description="Why it had been frozen.")


LiftChannelFreezeResult = Annotated[
    LiftChannelFreezePayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("LiftChannelFreezeResult", description="The lift, or why it was refused."),
]
