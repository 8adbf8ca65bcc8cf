"""The computed fields of the compiled read path (docs/architecture.md#compiled-read-path).

Each computation turns the stored inputs one answer's statement read for a computed field
(schema/types/compiling.py `Computed`) into the values the field's resolver returns: the same
domain functions, fed the same inputs, at the request's time (`Context.now`, the app's clock).
Health and at-risk (docs/rules.md §4.1, §4.2) come from the resolvers' own batch loader, one
query for the whole answer; the SLA clocks (§2.5, §7) from the ticket's columns and the calendar
its priority counts in, as the tickets store reads them for `Ticket`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain import sla
from domain.signals import CustomerScores
from domain.support_modes import SupportMode
from domain.tickets import Lifecycle, Priority, TicketStatus
from resolvers import loaders  # noqa: F401  (provides the scores loader)
from resolvers.store import calendars as calendar_store
from schema.context import Context
from schema.types import relations
from schema.types import scores as score_types
from schema.types.sla import TicketSla

Inputs = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Computation:
    """How one computed field's values come: `each` from one row's inputs alone (no I/O,
    written at once), or `batch` over all of one answer's inputs, in order (a loader)."""

    each: Callable[[Context, Inputs], object] | None = None
    batch: Callable[[Context, list[Inputs]], Awaitable[list[object]]] | None = None


async def _scores(ctx: Context, inputs: list[Inputs]) -> list[CustomerScores]:
    # The loader `Customer.health` / `Customer.atRisk` resolve through: one query per answer.
    loader = relations.loader(ctx, score_types.SCORES)
    found: list[CustomerScores] = await loader.load_many([i["id"] for i in inputs])
    return found


async def _health(ctx: Context, inputs: list[Inputs]) -> list[object]:
    return [score_types.CustomerHealth.from_domain(s.health) for s in await _scores(ctx, inputs)]


async def _at_risk(ctx: Context, inputs: list[Inputs]) -> list[object]:
    return [score_types.AtRisk.from_domain(s.at_risk) for s in await _scores(ctx, inputs)]


def _at(value: str) -> datetime:
    # PostgreSQL writes a timestamp in JSON with the session's offset; asyncpg reads it in UTC.
    return datetime.fromisoformat(value).astimezone(UTC)


def _maybe(value: str | None) -> datetime | None:
    return None if value is None else _at(value)


_STATUSES = {status.value: status for status in TicketStatus}
_PRIORITIES = {priority.value: priority for priority in Priority}


def clocks(inputs: Inputs, now: datetime) -> TicketSla:
    """A ticket's clocks as `Ticket.from_domain` builds them from the row the store reads."""
    manual, pauses = inputs["manual_priority"], inputs["pauses"]
    opened_at = _at(inputs["opened_at"])
    life = Lifecycle(
        status=_STATUSES[inputs["status"]],
        classified=_PRIORITIES[inputs["classified_priority"]],
        manual_raise=None if manual is None else _PRIORITIES[manual],
        opened_at=opened_at,
        first_response_at=_maybe(inputs["first_response_at"]),
        resolved_at=_maybe(inputs["resolved_at"]),
        pauses=calendar_store.pauses_from(pauses) if pauses else (),
    )
    spec = inputs["calendar"]
    counting = sla.TWENTY_FOUR_SEVEN if spec is None else calendar_store.from_spec(spec)
    # A support mode counts only when stored whole (the store's reading of the three columns).
    mode = inputs["support_mode"]
    whole = None not in (mode, inputs["support_mode_reason"], inputs["support_mode_set_by"])
    first = sla.first_response_minutes(
        life.priority, opened_at, counting, SupportMode(mode) if whole else None
    )
    return TicketSla.build(life.priority, life, now, counting, first)


COMPUTATIONS: dict[str, Computation] = {
    "Customer.health": Computation(batch=_health),
    "Customer.atRisk": Computation(batch=_at_risk),
    "Ticket.sla": Computation(each=lambda ctx, inputs: clocks(inputs, ctx.now)),
    "Ticket.resolutionDueAt": Computation(
        each=lambda ctx, inputs: clocks(inputs, ctx.now).resolution.due_at
    ),
}
