"""Playbooks (docs/rules.md §8.1, §8.2): the pilot and red flags as a client sees them."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain import drafts as domain_drafts
from domain import pilots, red_flags
from domain.pilots import PilotView
from schema import language
from schema.types import errors, relations
from schema.types.relay import to_global_id

if TYPE_CHECKING:
    from schema.types.drafts import Draft

PILOTS = "pilots"
RED_FLAGS = "red_flags"

PilotStatus = strawberry.enum(pilots.PilotStatus, description="§8.1: running, then decided.")
RedFlagCategory = strawberry.enum(
    red_flags.RedFlagCategory, description="§8.2: why a customer is flagged."
)
RedFlagSource = strawberry.enum(red_flags.RedFlagSource, description="Where a red flag came from.")


@strawberry.type(description="One pilot day's check-in (docs/rules.md §8.1).")
class PilotCheckIn:
    day: int = strawberry.field(description="The pilot day, 2 to 6.")
    attended: bool = strawberry.field(description="Whether the customer attended.")
    leads: int = strawberry.field(description="Leads replied to that day.")
    demos: int = strawberry.field(description="Demos booked that day.")
    response_seconds: int = strawberry.field(description="Average reply time that day, seconds.")


def _drafts(root: Pilot) -> list[Annotated[Draft, strawberry.lazy("schema.types.drafts")]]:
    from schema.types.drafts import Draft as DraftType  # the draft types import customers

    return [DraftType.from_domain(d) for d in root.step_drafts]


@strawberry.type(description="A customer's 7-day pilot (docs/rules.md §8.1).")
class Pilot:
    id: strawberry.ID = strawberry.field(description="The pilot's global id.")
    status: pilots.PilotStatus = strawberry.field(description="Running, converted or declined.")
    started_at: datetime = strawberry.field(description="When it started.")
    start_day: date = strawberry.field(description="Day 0: the start's local date.")
    day: int = strawberry.field(description="Today's pilot day (organisation's local date).")
    check_ins: list[PilotCheckIn] = strawberry.field(description="The check-ins, by day.")
    total_leads: int = strawberry.field(description="Leads summed over the check-ins.")
    total_demos: int = strawberry.field(description="Demos summed over the check-ins.")
    average_response_seconds: int = strawberry.field(
        description="Reply time averaged over the check-ins (0 when none)."
    )
    plan_name: str | None = strawberry.field(description="Starter, once converted.")
    monthly_price_sar: int | None = strawberry.field(description="999, once converted.")
    plan_starts_on: date | None = strawberry.field(
        description="The Monday after the conversion, when the plan starts."
    )
    decline_question: str = strawberry.field(description="What is asked when it is declined.")
    decline_reason: str | None = strawberry.field(description="The answer, once declined.")
    step_drafts: strawberry.Private[tuple[domain_drafts.Draft, ...]]

    drafts = strawberry.field(
        resolver=_drafts,
        description="The drafts its days brought (check-ins, asks), oldest first.",
    )

    @classmethod
    def build(cls, view: PilotView) -> Pilot:
        p = view.pilot
        sums = pilots.totals(view.check_ins)
        converted = p.status is pilots.PilotStatus.CONVERTED
        return cls(
            id=to_global_id("Pilot", p.id),
            status=p.status,
            started_at=p.started_at,
            start_day=p.start_day,
            day=view.day,
            check_ins=[
                PilotCheckIn(
                    day=c.day,
                    attended=c.attended,
                    leads=c.leads,
                    demos=c.demos,
                    response_seconds=c.response_seconds,
                )
                for c in view.check_ins
            ],
            total_leads=sums.leads,
            total_demos=sums.demos,
            average_response_seconds=sums.response_seconds,
            plan_name=pilots.PLAN_NAME if converted else None,
            monthly_price_sar=pilots.PLAN_PRICE_SAR if converted else None,
            plan_starts_on=p.plan_starts_on,
            decline_question=pilots.DECLINE_QUESTION,
            decline_reason=p.decline_reason,
            step_drafts=view.drafts,
        )


@strawberry.type(description="A red flag on a customer, escalated within the hour (§8.2).")
class RedFlag:
    id: strawberry.ID = strawberry.field(description="The red flag's global id.")
    category: red_flags.RedFlagCategory = strawberry.field(description="Why it was raised.")
    source: red_flags.RedFlagSource = strawberry.field(description="Where it came from.")
    reason: str = strawberry.field(description="Why, in the request's language.")
    raised_at: datetime = strawberry.field(description="When it was raised.")
    due_at: datetime = strawberry.field(description="When it must be escalated by (1 h).")

    @classmethod
    def from_domain(cls, flag: red_flags.RedFlag) -> RedFlag:
        return cls(
            id=to_global_id("RedFlag", flag.id),
            category=flag.category,
            source=flag.source,
            reason=language.text(red_flags.REASONS[flag.category], detail=flag.detail),
            raised_at=flag.raised_at,
            due_at=flag.due_at,
        )


async def resolve_pilot(root: Any, info: strawberry.Info) -> Pilot | None:
    """`Customer.pilot`, batched over a page."""
    view: PilotView | None = await relations.loader(info.context, PILOTS).load(root.pk)
    return None if view is None else Pilot.build(view)


async def resolve_red_flags(root: Any, info: strawberry.Info) -> list[RedFlag]:
    """`Customer.redFlags`, newest first, batched over a page."""
    found: list[red_flags.RedFlag] = await relations.loader(info.context, RED_FLAGS).load(root.pk)
    return [RedFlag.from_domain(flag) for flag in found]


@strawberry.input(description="Start a customer's 7-day pilot (day 0 is today's local date).")
class StartPilotInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")


@strawberry.input(description="Record a pilot day's check-in (docs/rules.md §8.1).")
class RecordDailyCheckInInput:
    pilot_id: strawberry.ID = strawberry.field(description="The pilot's global id.")
    day: int = strawberry.field(description="The pilot day, 2 to 6, not after today.")
    attended: bool = strawberry.field(description="Whether the customer attended.")
    leads: int = strawberry.field(default=0, description="Leads replied to that day.")
    demos: int = strawberry.field(default=0, description="Demos booked that day.")
    response_seconds: int = strawberry.field(
        default=0, description="Average reply time that day, in seconds."
    )


@strawberry.input(description="Convert a running pilot: Starter, 999 SAR a month.")
class ConvertPilotInput:
    pilot_id: strawberry.ID = strawberry.field(description="The pilot's global id.")


@strawberry.input(description="Decline a running pilot with the customer's answer.")
class DeclinePilotInput:
    pilot_id: strawberry.ID = strawberry.field(description="The pilot's global id.")
    reason: str = strawberry.field(description="The answer to `ما اللي منع الاستمرار؟`.")


@strawberry.input(description="Record a red flag an operator saw (docs/rules.md §8.2).")
class RecordRedFlagInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    category: red_flags.RedFlagCategory = strawberry.field(description="Why it is raised.")
    detail: str = strawberry.field(description="What was said or seen (at most 500 characters).")


@strawberry.type(description="The pilot after the change.")
class PilotPayload:
    pilot: Pilot = strawberry.field(description="The pilot.")


@strawberry.type(description="The red flag recorded; its RED_FLAG alert is due in an hour.")
class RedFlagPayload:
    red_flag: RedFlag = strawberry.field(description="The red flag.")


_REFUSALS = (
    errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError
)

PilotResult = Annotated[
    PilotPayload | _REFUSALS,
    strawberry.union("PilotResult", description="The pilot, or why it was refused."),
]
RedFlagResult = Annotated[
    RedFlagPayload | _REFUSALS,
    strawberry.union("RedFlagResult", description="The red flag, or why it was refused."),
]
