"""Incidents (docs/rules.md §3): the only place that speaks SQL about them, their affected
customers, their response-plan steps and the tickets attached to them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.incidents import Incident, IncidentStatus, PostMortem, Severity
from domain.ledger import Entry
from resolvers.store import alerts, paging
from resolvers.store.tables import IncidentRow

# `affected_count` and `first_action_at` come with the incident, so one read gives the whole
# aggregate (the first action is the first ticked step of the plan).
_DERIVED = (
    "(SELECT count(*) FROM incident_customers c "
    "WHERE c.org_id = i.org_id AND c.incident_id = i.id) AS affected_count, "
    "(SELECT min(s.done_at) FROM incident_steps s "
    "WHERE s.org_id = i.org_id AND s.incident_id = i.id) AS first_action_at"
)
_COLUMNS = (
    "i.id, i.version, i.title, i.description, i.severity, i.triage_severity, i.reason_ar, "
    "i.has_data_leak, i.has_unauthorized_send, i.status, i.detected_at, i.first_action_due_at, "
    "i.next_update_due_at, i.last_update_at, i.pdpl_notify_by, i.pdpl_notified_at, "
    "i.resolved_at, i.closed_at, i.post_mortem, i.post_mortem_due_at, " + _DERIVED
)


@dataclass(frozen=True, slots=True)
class Filter:
    status: IncidentStatus | None = None
    severity: Severity | None = None
    customer_id: int | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One response-plan step as stored: ticked with who and when, or not yet."""

    incident_id: int
    position: int
    text_ar: str
    done_at: datetime | None
    done_by: int | None


@dataclass(frozen=True, slots=True)
class Slice:
    """What a page of a relation asks for: the parent, the cursor and the size."""

    parent_id: int
    after_id: int | None
    first: int


def _post_mortem_from(value: Mapping[str, Any] | None) -> PostMortem | None:
    if value is None:
        return None
    return PostMortem(
        summary=value["summary"],
        timeline=value["timeline"],
        root_cause=value["root_cause"],
        what_went_right=value["what_went_right"],
        what_went_wrong=value["what_went_wrong"],
        preventive_actions=tuple(value["preventive_actions"]),
        action_owners=tuple(value["action_owners"]),
        deadline=datetime.fromisoformat(value["deadline"]),
    )


def _post_mortem_to(value: PostMortem | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "summary": value.summary,
        "timeline": value.timeline,
        "root_cause": value.root_cause,
        "what_went_right": value.what_went_right,
        "what_went_wrong": value.what_went_wrong,
        "preventive_actions": list(value.preventive_actions),
        "action_owners": list(value.action_owners),
        "deadline": value.deadline.isoformat(),
    }


def _from_record(row: Mapping[Any, Any]) -> Incident:
    return Incident(
        id=row["id"],
        version=row["version"],
        title=row["title"],
        description=row["description"],
        severity=Severity(row["severity"]),
        triage_severity=Severity(row["triage_severity"]),
        reason_ar=row["reason_ar"],
        has_data_leak=row["has_data_leak"],
        has_unauthorized_send=row["has_unauthorized_send"],
        status=IncidentStatus(row["status"]),
        detected_at=row["detected_at"],
        first_action_due_at=row["first_action_due_at"],
        next_update_due_at=row["next_update_due_at"],
        last_update_at=row["last_update_at"],
        pdpl_notify_by=row["pdpl_notify_by"],
        pdpl_notified_at=row["pdpl_notified_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        post_mortem=_post_mortem_from(row["post_mortem"]),
        post_mortem_due_at=row["post_mortem_due_at"],
        affected_count=int(row["affected_count"]),
        first_action_at=row["first_action_at"],
    )


# Reads (asyncpg) ------------------------------------------------------------------------------


def _where(filter: Filter, org_id: int, bind: paging.Params) -> list[str]:
    status, severity, customer = (
        bind(filter.status),
        bind(filter.severity),
        bind(filter.customer_id),
    )
    return [
        f"i.org_id = {bind(org_id)}",
        f"({status}::text IS NULL OR i.status = {status})",
        f"({severity}::text IS NULL OR i.severity = {severity})",
        f"({customer}::bigint IS NULL OR EXISTS (SELECT 1 FROM incident_customers c "
        f"WHERE c.org_id = i.org_id AND c.incident_id = i.id AND c.customer_id = {customer}))",
    ]


async def page(
    conn: asyncpg.Connection, *, org_id: int, filter: Filter, keyset: paging.Keyset
) -> list[Incident]:
    """Newest first by id; `keyset.limit` rows, read backward for `last`."""
    bind = paging.Params()
    where = _where(filter, org_id, bind)
    more, tail = paging.clauses(keyset, id_sql="i.id", bind=bind)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM incidents i WHERE {' AND '.join(where + more)}{tail}",
        *bind.values,
    )
    return [_from_record(row) for row in rows]


async def count(conn: asyncpg.Connection, *, org_id: int, filter: Filter) -> int:
    """How many incidents `page` would list with `filter`, over all pages."""
    bind = paging.Params()
    where = _where(filter, org_id, bind)
    total: int = await conn.fetchval(
        f"SELECT count(*) FROM incidents i WHERE {' AND '.join(where)}", *bind.values
    )
    return total


async def by_ids(conn: asyncpg.Connection, *, org_id: int, ids: Sequence[int]) -> list[Incident]:
    """Batch load for DataLoaders: one query for any number of ids."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM incidents i WHERE i.org_id = $1 AND i.id = ANY($2::bigint[])",
        org_id,
        list(ids),
    )
    return [_from_record(row) for row in rows]


async def steps_for(
    conn: asyncpg.Connection, *, org_id: int, incident_ids: Sequence[int]
) -> dict[int, list[Step]]:
    """Each incident's response plan in order, for any number of incidents in one query."""
    rows = await conn.fetch(
        "SELECT incident_id, position, text_ar, done_at, done_by FROM incident_steps "
        "WHERE org_id = $1 AND incident_id = ANY($2::bigint[]) ORDER BY incident_id, position",
        org_id,
        list(incident_ids),
    )
    found: dict[int, list[Step]] = {}
    for row in rows:
        found.setdefault(row["incident_id"], []).append(Step(**dict(row)))
    return found


def _slices_args(slices: Sequence[Slice]) -> tuple[list[int], list[int | None], list[int]]:
    return (
        [s.parent_id for s in slices],
        [s.after_id for s in slices],
        [s.first + 1 for s in slices],
    )


async def affected_customer_ids(
    conn: asyncpg.Connection, *, org_id: int, slices: Sequence[Slice]
) -> dict[Slice, list[int]]:
    """Pages of affected customer ids (ascending), for many incidents in one query."""
    rows = await conn.fetch(
        "SELECT k.n, c.customer_id FROM unnest($2::bigint[], $3::bigint[], $4::int[]) "
        "WITH ORDINALITY AS k(parent_id, after_id, lim, n) CROSS JOIN LATERAL ("
        "SELECT customer_id FROM incident_customers WHERE org_id = $1 "
        "AND incident_id = k.parent_id AND (k.after_id IS NULL OR customer_id > k.after_id) "
        "ORDER BY customer_id LIMIT k.lim) c ORDER BY k.n, c.customer_id",
        org_id,
        *_slices_args(slices),
    )
    found: dict[Slice, list[int]] = {s: [] for s in slices}
    for row in rows:
        found[slices[row["n"] - 1]].append(row["customer_id"])
    return found


async def customer_incidents(
    conn: asyncpg.Connection, *, org_id: int, slices: Sequence[Slice]
) -> dict[Slice, list[Incident]]:
    """Pages of the incidents that affect each customer (newest first), in one query."""
    rows = await conn.fetch(
        f"SELECT k.n, {_COLUMNS} FROM unnest($2::bigint[], $3::bigint[], $4::int[]) "
        "WITH ORDINALITY AS k(parent_id, after_id, lim, n) CROSS JOIN LATERAL ("
        "SELECT incident_id FROM incident_customers WHERE org_id = $1 "
        "AND customer_id = k.parent_id AND (k.after_id IS NULL OR incident_id < k.after_id) "
        "ORDER BY incident_id DESC LIMIT k.lim) c "
        "JOIN incidents i ON i.org_id = $1 AND i.id = c.incident_id ORDER BY k.n, i.id DESC",
        org_id,
        *_slices_args(slices),
    )
    found: dict[Slice, list[Incident]] = {s: [] for s in slices}
    for row in rows:
        found[slices[row["n"] - 1]].append(_from_record(row))
    return found


async def timelines(
    conn: asyncpg.Connection, *, org_id: int, slices: Sequence[Slice]
) -> dict[Slice, list[Entry]]:
    """Pages of each incident's ledger entries, oldest first: every change, in one query."""
    rows = await conn.fetch(
        "SELECT k.n, l.id, l.operator_id, l.role, l.action, l.entity, l.entity_id, l.before, "
        "l.after, l.at FROM unnest($2::bigint[], $3::bigint[], $4::int[]) "
        "WITH ORDINALITY AS k(parent_id, after_id, lim, n) CROSS JOIN LATERAL ("
        "SELECT * FROM ledger WHERE org_id = $1 AND entity = 'Incident' "
        "AND entity_id = k.parent_id AND (k.after_id IS NULL OR id > k.after_id) "
        "ORDER BY id LIMIT k.lim) l ORDER BY k.n, l.id",
        org_id,
        *_slices_args(slices),
    )
    found: dict[Slice, list[Entry]] = {s: [] for s in slices}
    for row in rows:
        values = dict(row)
        found[slices[values.pop("n") - 1]].append(Entry(**values))
    return found


async def ticket_ids_for(
    conn: asyncpg.Connection, *, org_id: int, incident_ids: Sequence[int]
) -> dict[int, list[int]]:
    """The tickets attached to each incident, oldest first, in one query."""
    rows = await conn.fetch(
        "SELECT incident_id, id FROM tickets WHERE org_id = $1 "
        "AND incident_id = ANY($2::bigint[]) ORDER BY incident_id, id",
        org_id,
        list(incident_ids),
    )
    found: dict[int, list[int]] = {}
    for row in rows:
        found.setdefault(row["incident_id"], []).append(row["id"])
    return found


# Writes (SQLAlchemy, in the mutation's transaction) -------------------------------------------


async def customer_locales(
    session: AsyncSession, *, org_id: int, customer_ids: Sequence[int]
) -> dict[int, str]:
    """The locale of each of these customers that exists in the organisation."""
    result = await session.execute(
        text("SELECT id, locale FROM customers WHERE org_id = :org AND id = ANY(:ids)"),
        {"org": org_id, "ids": list(customer_ids)},
    )
    return {int(row.id): str(row.locale) for row in result}


async def affected_locales(
    session: AsyncSession, *, org_id: int, incident_id: int
) -> list[tuple[int, str]]:
    """(customer id, locale) of every affected customer, by customer id."""
    result = await session.execute(
        text(
            "SELECT c.id, c.locale FROM incident_customers ic JOIN customers c "
            "ON c.org_id = ic.org_id AND c.id = ic.customer_id "
            "WHERE ic.org_id = :org AND ic.incident_id = :incident ORDER BY c.id"
        ),
        {"org": org_id, "incident": incident_id},
    )
    return [(int(row.id), str(row.locale)) for row in result]


async def get_for_update(
    session: AsyncSession, *, org_id: int, incident_id: int
) -> Incident | None:
    """The current incident, locked until the transaction ends."""
    result = await session.execute(
        text(f"SELECT {_COLUMNS} FROM incidents i WHERE i.org_id = :org AND i.id = :id FOR UPDATE"),
        {"org": org_id, "id": incident_id},
    )
    row = result.mappings().one_or_none()
    return None if row is None else _from_record(row)


def _values(incident: Incident, now: datetime) -> dict[str, Any]:
    return {
        "title": incident.title,
        "description": incident.description,
        "severity": incident.severity.value,
        "triage_severity": incident.triage_severity.value,
        "reason_ar": incident.reason_ar,
        "has_data_leak": incident.has_data_leak,
        "has_unauthorized_send": incident.has_unauthorized_send,
        "status": incident.status.value,
        "detected_at": incident.detected_at,
        "first_action_due_at": incident.first_action_due_at,
        "next_update_due_at": incident.next_update_due_at,
        "last_update_at": incident.last_update_at,
        "pdpl_notify_by": incident.pdpl_notify_by,
        "pdpl_notified_at": incident.pdpl_notified_at,
        "resolved_at": incident.resolved_at,
        "closed_at": incident.closed_at,
        "post_mortem": _post_mortem_to(incident.post_mortem),
        "post_mortem_due_at": incident.post_mortem_due_at,
        "version": incident.version,
        "updated_at": now,
    }


async def insert(
    session: AsyncSession,
    *,
    org_id: int,
    incident: Incident,
    customer_ids: Sequence[int],
    plan: Sequence[str],
    now: datetime,
) -> Incident:
    """A new incident with its affected customers and its response plan."""
    row = IncidentRow(org_id=org_id, created_at=now, **_values(incident, now))
    session.add(row)
    await session.flush()
    assert row.id is not None
    await add_customers(session, org_id=org_id, incident_id=row.id, customer_ids=customer_ids)
    await replan(session, org_id=org_id, incident_id=row.id, plan=plan)
    return replace(incident, id=row.id)


async def save(session: AsyncSession, *, org_id: int, incident: Incident, now: datetime) -> None:
    """Write a changed incident; the caller has checked its version under the row lock."""
    row = await session.get(IncidentRow, (org_id, incident.id))
    assert row is not None
    for name, value in _values(incident, now).items():
        setattr(row, name, value)
    await session.flush()


async def add_customers(
    session: AsyncSession, *, org_id: int, incident_id: int, customer_ids: Sequence[int]
) -> int:
    """Link customers to the incident (those already linked stay once); the new link count."""
    result = await session.execute(
        text(
            "INSERT INTO incident_customers (org_id, incident_id, customer_id) "
            "SELECT :org, :incident, unnest(CAST(:ids AS bigint[])) "
            "ON CONFLICT DO NOTHING RETURNING customer_id"
        ),
        {"org": org_id, "incident": incident_id, "ids": list(customer_ids)},
    )
    return len(result.all())


async def plan_of(session: AsyncSession, *, org_id: int, incident_id: int) -> list[Step]:
    """The stored checklist in order (the caller holds the incident's row lock)."""
    result = await session.execute(
        text(
            "SELECT incident_id, position, text_ar, done_at, done_by FROM incident_steps "
            "WHERE org_id = :org AND incident_id = :incident ORDER BY position"
        ),
        {"org": org_id, "incident": incident_id},
    )
    return [Step(**dict(row)) for row in result.mappings()]


async def replan(
    session: AsyncSession, *, org_id: int, incident_id: int, plan: Sequence[str]
) -> None:
    """Make the stored checklist `plan`, in order; a step whose text stays keeps its tick (who
    and when) wherever it lands. The texts of one plan are distinct."""
    removed = await session.execute(
        text(
            "DELETE FROM incident_steps WHERE org_id = :org AND incident_id = :incident "
            "RETURNING text_ar, done_at, done_by"
        ),
        {"org": org_id, "incident": incident_id},
    )
    ticks = {row.text_ar: (row.done_at, row.done_by) for row in removed}
    await session.execute(
        text(
            "INSERT INTO incident_steps (org_id, incident_id, position, text_ar, done_at, done_by) "
            "SELECT :org, :incident, p.position, p.text_ar, p.done_at, p.done_by FROM unnest("
            "CAST(:texts AS text[]), CAST(:done_ats AS timestamptz[]), CAST(:done_bys AS bigint[])"
            ") WITH ORDINALITY AS p(text_ar, done_at, done_by, position)"
        ),
        {
            "org": org_id,
            "incident": incident_id,
            "texts": list(plan),
            "done_ats": [ticks.get(step, (None, None))[0] for step in plan],
            "done_bys": [ticks.get(step, (None, None))[1] for step in plan],
        },
    )


async def step_for_update(
    session: AsyncSession, *, org_id: int, incident_id: int, position: int
) -> Step | None:
    result = await session.execute(
        text(
            "SELECT incident_id, position, text_ar, done_at, done_by FROM incident_steps "
            "WHERE org_id = :org AND incident_id = :incident AND position = :position FOR UPDATE"
        ),
        {"org": org_id, "incident": incident_id, "position": position},
    )
    row = result.mappings().one_or_none()
    return None if row is None else Step(**dict(row))


async def tick_step(
    session: AsyncSession, *, org_id: int, step: Step, operator_id: int, now: datetime
) -> Step:
    await session.execute(
        text(
            "UPDATE incident_steps SET done_at = :now, done_by = :by "
            "WHERE org_id = :org AND incident_id = :incident AND position = :position"
        ),
        {
            "now": now,
            "by": operator_id,
            "org": org_id,
            "incident": step.incident_id,
            "position": step.position,
        },
    )
    return replace(step, done_at=now, done_by=operator_id)


async def ticket_incident_for_update(
    session: AsyncSession, *, org_id: int, ticket_id: int
) -> tuple[bool, int | None]:
    """(whether the ticket exists, the incident it is attached to), locking the ticket."""
    result = await session.execute(
        text("SELECT incident_id FROM tickets WHERE org_id = :org AND id = :id FOR UPDATE"),
        {"org": org_id, "id": ticket_id},
    )
    row = result.one_or_none()
    return (False, None) if row is None else (True, row.incident_id)


async def attach_ticket(
    session: AsyncSession, *, org_id: int, ticket_id: int, incident_id: int, now: datetime
) -> None:
    # The ticket row changes, so its version moves: a stale ticket edit is refused as usual.
    await session.execute(
        text(
            "UPDATE tickets SET incident_id = :incident, version = version + 1, updated_at = :now "
            "WHERE org_id = :org AND id = :id"
        ),
        {"incident": incident_id, "now": now, "org": org_id, "id": ticket_id},
    )


# Scans (docs/rules.md §3, §5): set-based across organisations, one alert per due time -------------

# An occurrence is the due time it is about, spelt the same every run, so a re-run adds nothing.
_OCCURRENCE = "to_char({due} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

_UPDATE_OVERDUE = (
    "SELECT i.org_id, 'INCIDENT_UPDATE_OVERDUE'::text AS kind, 'Incident'::text AS subject, "
    "i.id AS subject_id, "
    + _OCCURRENCE.format(due="i.next_update_due_at")
    + " AS occurrence, NULL::bigint AS customer_id, "
    "CASE WHEN i.severity = 'SEV1' THEN 'owner' ELSE 'agent' END AS for_role, "
    "jsonb_build_object('incidentId', i.id, 'title', i.title, 'severity', i.severity, "
    "'dueAt', " + _OCCURRENCE.format(due="i.next_update_due_at") + ") AS payload FROM incidents i "
    "WHERE i.next_update_due_at < $1 AND i.status IN ('open', 'mitigated')"
)

_PDPL_NEAR = (
    "SELECT i.org_id, 'PDPL_DEADLINE_NEAR'::text AS kind, 'Incident'::text AS subject, "
    "i.id AS subject_id, "
    + _OCCURRENCE.format(due="i.pdpl_notify_by")
    + " AS occurrence, NULL::bigint AS customer_id, 'owner'::text AS for_role, "
    "jsonb_build_object('incidentId', i.id, 'title', i.title, 'severity', i.severity, "
    "'notifyBy', " + _OCCURRENCE.format(due="i.pdpl_notify_by") + ") AS payload FROM incidents i "
    "WHERE i.pdpl_notify_by IS NOT NULL AND i.pdpl_notified_at IS NULL "
    "AND i.pdpl_notify_by <= $1::timestamptz + make_interval(hours => $2::int)"
)


async def alert_overdue_updates(conn: asyncpg.Connection, *, now: datetime) -> int:
    """INCIDENT_UPDATE_OVERDUE for every active incident past its update due time, once each."""
    return await alerts.insert_from_select(conn, select_sql=_UPDATE_OVERDUE, args=(), now=now)


async def alert_pdpl_deadlines(
    conn: asyncpg.Connection, *, now: datetime, hours_before: int
) -> int:
    """PDPL_DEADLINE_NEAR for every un-notified leak within `hours_before` of its deadline."""
    return await alerts.insert_from_select(
        conn, select_sql=_PDPL_NEAR, args=(hours_before,), now=now
    )
