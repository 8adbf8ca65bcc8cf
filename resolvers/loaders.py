"""Per-request DataLoaders: relations load in one query per kind, whatever the page size."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from domain.customers import Customer
from domain.drafts import Draft, DraftKind
from domain.incidents import Incident
from domain.signals import CustomerScores, HealthPoint
from domain.tickets import Ticket
from resolvers.store import connectors as connector_store
from resolvers.store import counts as count_store
from resolvers.store import customers as customer_store
from resolvers.store import drafts as draft_store
from resolvers.store import incidents as incident_store
from resolvers.store import onboarding as onboarding_store
from resolvers.store import pilots as pilot_store
from resolvers.store import red_flags as red_flag_store
from resolvers.store import scores as score_store
from resolvers.store import success_plans as plan_store
from resolvers.store import tickets as ticket_store
from schema.context import Context
from schema.types import connectors as connector_types
from schema.types import incidents as incident_types
from schema.types import onboarding as onboarding_types
from schema.types import playbooks as playbook_types
from schema.types import relations, relay
from schema.types import scores as score_types
from schema.types import success_plans as plan_types
from schema.types import tickets as ticket_types

K = TypeVar("K")
V = TypeVar("V")


def _loader(
    ctx: Context,
    name: str,
    fetch: Callable[[Any, int, Sequence[Any]], Awaitable[dict[Any, Any]]],
) -> DataLoader[Any, Any]:
    loader = ctx.loaders.get(name)
    if loader is None:
        assert ctx.principal is not None
        org_id = ctx.principal.org_id

        async def load(keys: Sequence[Any]) -> list[Any]:
            async with ctx.db() as conn:
                found = await fetch(conn, org_id, keys)
            return [found.get(key) for key in keys]

        loader = DataLoader(load_fn=load)
        ctx.loaders[name] = loader
    return loader


async def _customers(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Customer]:
    return {c.id: c for c in await customer_store.by_ids(conn, org_id=org_id, ids=ids) if c.id}


def customers(ctx: Context) -> DataLoader[int, Customer | None]:
    """Customers by id, within the caller's organisation."""
    return _loader(ctx, "customers", _customers)


# Incidents (docs/rules.md §3) and the relations incident types reach through
# schema.types.relations.


async def _incidents(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Incident]:
    return {i.id: i for i in await incident_store.by_ids(conn, org_id=org_id, ids=ids) if i.id}


def incidents(ctx: Context) -> DataLoader[int, Incident | None]:
    """Incidents by id, within the caller's organisation."""
    return _loader(ctx, "incidents", _incidents)


async def _incident_steps(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Any]:
    found = await incident_store.steps_for(conn, org_id=org_id, incident_ids=ids)
    return {pk: found.get(pk, []) for pk in ids}


async def _incident_ticket_ids(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Any]:
    found = await incident_store.ticket_ids_for(conn, org_id=org_id, incident_ids=ids)
    return {pk: found.get(pk, []) for pk in ids}


def _sliced(
    fetch: Callable[..., Awaitable[dict[incident_store.Slice, Any]]],
) -> Callable[[Any, int, Sequence[tuple[int, int | None, int]]], Awaitable[dict[Any, Any]]]:
    # Relation pages are keyed (parent id, after id, first) and fetched for all keys at once.
    async def load(conn: Any, org_id: int, keys: Sequence[tuple[int, int | None, int]]) -> Any:
        slices = [incident_store.Slice(*key) for key in keys]
        found = await fetch(conn, org_id=org_id, slices=slices)
        return {key: found[s] for key, s in zip(keys, slices, strict=True)}

    return load


def _provider(name: str, fetch: Any) -> Callable[[Any], DataLoader[Any, Any]]:
    return lambda ctx: _loader(ctx, name, fetch)


relations.provide(incident_types.CUSTOMERS, customers)
relations.provide(incident_types.STEPS, _provider(incident_types.STEPS, _incident_steps))
relations.provide(
    incident_types.TICKET_IDS, _provider(incident_types.TICKET_IDS, _incident_ticket_ids)
)
relations.provide(
    incident_types.AFFECTED_CUSTOMER_IDS,
    _provider(incident_types.AFFECTED_CUSTOMER_IDS, _sliced(incident_store.affected_customer_ids)),
)
relations.provide(
    incident_types.CUSTOMER_INCIDENTS,
    _provider(incident_types.CUSTOMER_INCIDENTS, _sliced(incident_store.customer_incidents)),
)
relations.provide(
    incident_types.TIMELINE, _provider(incident_types.TIMELINE, _sliced(incident_store.timelines))
)


def _counts(relation: str) -> Callable[[Any, int, Sequence[int]], Awaitable[dict[int, int]]]:
    async def fetch(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, int]:
        return await count_store.per_parent(conn, org_id=org_id, relation=relation, parent_ids=ids)

    return fetch


# Nested lists' totalCount: one count query per relation for all the page's parents.
for _relation in count_store.RELATIONS:
    _name = relay.count_name(_relation)
    relations.provide(_name, _provider(_name, _counts(_relation)))


# Tickets and drafts (docs/rules.md §1, §2) and the relations their types reach by name.


async def _tickets(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Ticket]:
    return {t.id: t for t in await ticket_store.by_ids(conn, org_id=org_id, ids=ids) if t.id}


def tickets(ctx: Context) -> DataLoader[int, Ticket | None]:
    """Tickets by id, within the caller's organisation."""
    return _loader(ctx, "tickets", _tickets)


async def _drafts(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Draft]:
    return {d.id: d for d in await draft_store.by_ids(conn, org_id=org_id, ids=ids)}


def drafts(ctx: Context) -> DataLoader[int, Draft | None]:
    """Drafts by id, within the caller's organisation."""
    return _loader(ctx, "drafts", _drafts)


async def _first_response_drafts(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Draft]:
    return await draft_store.latest_by_subjects(
        conn, org_id=org_id, kind=DraftKind.FIRST_RESPONSE, subject_type="ticket", subject_ids=ids
    )


async def _ticket_history(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Any]:
    return await ticket_store.history(conn, org_id=org_id, ticket_ids=ids)


async def _customer_tickets(
    conn: Any, org_id: int, keys: Sequence[tuple[int, int | None, int]]
) -> dict[Any, Any]:
    # Keys are (customer id, after id, first); one page's keys share (after, first).
    found: dict[Any, Any] = {}
    for after_id, first in {(after_id, first) for _, after_id, first in keys}:
        ids = [customer_id for customer_id, a, f in keys if (a, f) == (after_id, first)]
        rows = await ticket_store.by_customers(
            conn, org_id=org_id, customer_ids=ids, after_id=after_id, first=first
        )
        found.update({(pk, after_id, first): rows[pk] for pk in ids})
    return found


relations.provide(
    ticket_types.FIRST_RESPONSE_DRAFT,
    _provider(ticket_types.FIRST_RESPONSE_DRAFT, _first_response_drafts),
)
relations.provide(ticket_types.HISTORY, _provider(ticket_types.HISTORY, _ticket_history))
relations.provide(
    ticket_types.CUSTOMER_TICKETS, _provider(ticket_types.CUSTOMER_TICKETS, _customer_tickets)
)
relations.provide(incident_types.TICKETS, tickets)


# Customer success (docs/rules.md §4): one query per kind for a whole page of customers.


def _customer_scores(ctx: Context) -> DataLoader[int, CustomerScores]:
    async def fetch(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, CustomerScores]:
        found = await score_store.for_customers(conn, org_id=org_id, ids=ids, now=ctx.now)
        return {pk: signals.scores() for pk, signals in found.items()}

    return _loader(ctx, score_types.SCORES, fetch)


def _health_history(ctx: Context) -> DataLoader[tuple[int, int], list[HealthPoint]]:
    async def fetch(conn: Any, org_id: int, keys: Sequence[tuple[int, int]]) -> dict[Any, Any]:
        found: dict[tuple[int, int], list[HealthPoint]] = {}
        for days in {days for _, days in keys}:
            ids = [pk for pk, d in keys if d == days]
            rows = await score_store.history(
                conn, org_id=org_id, customer_ids=ids, now=ctx.now, days=days
            )
            found.update({(pk, days): rows[pk] for pk in ids})
        return found

    return _loader(ctx, score_types.HEALTH_HISTORY, fetch)


async def _onboarding(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Any]:
    return await onboarding_store.by_customers(conn, org_id=org_id, customer_ids=ids)


async def _connectors(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Any]:
    return await connector_store.by_customers(conn, org_id=org_id, customer_ids=ids)


async def _success_plans(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Any]:
    return await plan_store.by_customers(conn, org_id=org_id, customer_ids=ids)


relations.provide(score_types.SCORES, _customer_scores)
relations.provide(score_types.HEALTH_HISTORY, _health_history)
relations.provide(onboarding_types.ONBOARDING, _provider(onboarding_types.ONBOARDING, _onboarding))
relations.provide(connector_types.CONNECTORS, _provider(connector_types.CONNECTORS, _connectors))
relations.provide(plan_types.PLAN, _provider(plan_types.PLAN, _success_plans))


def _pilots(ctx: Context) -> DataLoader[int, Any]:
    async def fetch(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Any]:
        return await pilot_store.by_customers(conn, org_id=org_id, customer_ids=ids, now=ctx.now)

    return _loader(ctx, playbook_types.PILOTS, fetch)


async def _red_flags(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, Any]:
    return await red_flag_store.by_customers(conn, org_id=org_id, customer_ids=ids)


relations.provide(playbook_types.PILOTS, _pilots)
relations.provide(playbook_types.RED_FLAGS, _provider(playbook_types.RED_FLAGS, _red_flags))
