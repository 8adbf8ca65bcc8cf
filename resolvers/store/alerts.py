"""Alerts (docs/rules.md §5): stored once per subject, kind and occurrence; also their own outbox.

Three ways in, each writing the alert in the transaction of the change that caused it:
- `raise_alert` inside a mutation's session;
- `insert_from_select` for set-based scans: a SELECT that yields candidate alerts becomes one
  INSERT ... ON CONFLICT DO NOTHING, so running a scan twice writes nothing new;
- `chain_sql` for a scan whose writes and their alerts are one statement (the breach scan):
  its UPDATEs and the alerts of the rows they returned, the same way.
After any of them commits, the relay job publishes the events (docs/architecture.md#alerts): a
mutation's `ctx.transaction()` enqueues it on its own when `raise_alert` wrote something, and the
worker enqueues it after every other job.

Per organisation, alert ids are allocated in commit order. Ids come from a
sequence when a row is inserted, not when it commits: without more, a transaction could take id 10,
commit after another's 11 was published and seen, and a client resuming `after: 11` would never
get 10. So every writer takes a transaction-scoped advisory lock before its INSERT, held until
commit or rollback:
- `raise_alert` (a mutation: one organisation) takes `(NS_ALERTS, 0)` shared, then
  `(NS_ALERTS_ORG, org_id)` exclusive: two transactions alerting one organisation queue, the
  second taking its ids after the first committed; different organisations do not wait;
- `insert_returning` and `chain_sql` (a scan: many organisations in one statement) take
  `(NS_ALERTS, 0)` exclusive: a scan waits for every open transaction that has raised an alert,
  and they wait for it.
The order is always global, then organisation, so these locks alone never deadlock. Both last
to the end of the transaction, so the rule with row locks is: every row lock first, the alert
lock last. A mutation locks its rows before it raises an alert (a ticket is read FOR UPDATE
first); a scan takes every row lock it needs before its first `insert_returning`, and a
`chain_sql` statement takes the alert lock once its UPDATEs have run to the end (every row they
change is locked) and before its first alert id. A scan that took the alert lock and then
waited for a ticket a mutation holds, while that mutation waits for the alert lock, would
deadlock (PostgreSQL would abort one of the two). The relay then publishes each organisation's
alerts in id order, one relay at a time per organisation, past the highest id it published
before (`outbox.relay_batch`): that mark is only sound because of this order. So every alert is
written through `raise_alert`, `insert_returning`/`insert_from_select` or `chain_sql`: an
INSERT that skipped the lock could commit behind the relay's mark and never be published.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.alerts import Alert, AlertKind
from resolvers.store import alert_shape, outbox, paging, pubsub

# Advisory lock namespaces (the two-int form; `outbox.NS_RELAY` is the third). The two-int keys
# never meet the one-bigint keys used elsewhere (PostgreSQL keeps the forms apart). Organisation
# ids are cast to integer for the second key: an id past 2**31 - 1 makes the cast fail loudly,
# it never shares a lock in silence.
NS_ALERTS = 0x57A1  # key 0: shared by a mutation raising alerts, exclusive for a scan
NS_ALERTS_ORG = 0x57A2  # key org_id: one transaction at a time raises an organisation's alerts

_LOCK_ONE_ORG = (
    # Left to right: the global key first, then the organisation's.
    f"SELECT pg_advisory_xact_lock_shared({NS_ALERTS}, 0), "
    f"pg_advisory_xact_lock({NS_ALERTS_ORG}, CAST(:org_id AS integer))"
)
_LOCK_ALL_ORGS = f"SELECT pg_advisory_xact_lock({NS_ALERTS}, 0)"

# The columns a scan's SELECT must yield, in this order.
CANDIDATE_COLUMNS = "org_id, kind, subject, subject_id, occurrence, customer_id, for_role, payload"

_COLUMNS = (
    "id, kind, subject, subject_id, occurrence, customer_id, for_role, "
    f"{alert_shape.payload_sql('alerts')} AS payload, created_at, "
    "acknowledged_at, acknowledged_by, action_taken"
)

# In the order of the `alerts_once` key, and so of the primary key `(org_id, id)` too (ids are
# taken in insertion order): a scan's rows go into each B-tree next to the one before instead of
# at random leaves (bench_sla_scan at 1M tickets and 14,500 alerts: 0.15x the bare UPDATE less
# in a 7-round run).
_INSERT_RETURNING = """
INSERT INTO alerts (org_id, kind, subject, subject_id, occurrence, customer_id, for_role,
                    payload, created_at)
SELECT org_id, kind, subject, subject_id, occurrence, customer_id, for_role, payload, {now}
FROM ({select}) AS candidate
ORDER BY org_id, kind, subject_id, occurrence
ON CONFLICT ON CONSTRAINT alerts_once DO NOTHING
RETURNING org_id, id, subject_id
"""

_RAISE_SELECT = (
    "SELECT CAST(:org_id AS bigint) AS org_id, CAST(:kind AS text) AS kind, "
    "CAST(:subject AS text) AS subject, CAST(:subject_id AS bigint) AS subject_id, "
    "CAST(:occurrence AS text) AS occurrence, CAST(:customer_id AS bigint) AS customer_id, "
    "CAST(:for_role AS text) AS for_role, CAST(:payload AS jsonb) AS payload"
)


async def raise_alert(
    session: AsyncSession,
    *,
    org_id: int,
    kind: str,
    subject: str,
    subject_id: int,
    occurrence: str,
    customer_id: int | None,
    for_role: str,
    payload: dict[str, Any],
    now: datetime,
) -> int | None:
    """Store an alert in the caller's transaction; the relay publishes it after commit.

    Returns the alert id, or None when this occurrence was already alerted. Waits first for
    any other open transaction alerting this organisation, and for a running scan (see the
    module docstring): the id is taken only when every alert of the organisation taken before
    it has committed or rolled back.
    """
    await session.execute(text(_LOCK_ONE_ORG), {"org_id": org_id})
    sql = _INSERT_RETURNING.format(select=_RAISE_SELECT, now=":now")
    result = await session.execute(
        text(sql),
        {
            "org_id": org_id,
            "kind": str(kind),
            "subject": subject,
            "subject_id": subject_id,
            "occurrence": occurrence,
            "customer_id": customer_id,
            "for_role": for_role,
            "payload": json.dumps(payload, ensure_ascii=False, default=str),
            "now": now,
        },
    )
    row = result.one_or_none()
    if row is None:
        return None
    outbox.mark_pending(session)
    return int(row.id)


# A write and its alerts in one statement (`chain_sql`): the alert lock is taken inside it, once
# every row the writes change is locked (`rows` reads them all to the end), and before the first
# alert id is taken (the INSERT's rows pass the gate `EXISTS (SELECT FROM alert_lock)` first,
# a one-time filter under the nextval() of their ids). Unlike `_locked_fetch`, the statement's
# snapshot is older than the wait for the lock, and that is harmless here: the candidates are
# what the UPDATEs returned, and an UPDATE re-checks every row a transaction changed meanwhile
# against its newest version; ON CONFLICT sees every committed alert, whatever the snapshot.
_CHAIN = """
WITH {writes},
alert_lock AS MATERIALIZED (
    SELECT pg_advisory_xact_lock({ns}, 0)
    FROM (SELECT count(*) AS n FROM ({rows}) AS written) AS c WHERE c.n > 0
), {events}
{result}
"""


def chain_sql(*, writes: str, rows: str, candidates: str, result: str) -> str:
    """One statement that writes rows and alerts them, for a set-based scan: no row crosses to
    the client and back, and nothing loops per row outside PostgreSQL.

    - `writes`: CTEs (`name AS (...)`, comma-separated) whose UPDATEs take every row lock the
      statement needs;
    - `rows`: a SELECT over them that reads every written row (the alert lock waits for it);
    - `candidates`: a SELECT yielding CANDIDATE_COLUMNS from them, each becoming an alert once
      (ON CONFLICT DO NOTHING);
    - `result`: the statement's final SELECT, which may read the CTE `events` (org_id and id of
      each alert written).
    `$1` is `now`. The alert lock (the module docstring) is taken only when something was
    written, and lasts until the transaction ends."""
    insert = _INSERT_RETURNING.format(
        select=f"SELECT * FROM ({candidates}) AS c WHERE EXISTS (SELECT FROM alert_lock)",
        now="$1",
    )
    return _CHAIN.format(
        writes=writes, ns=NS_ALERTS, rows=rows, events=f"events AS ({insert})", result=result
    )


async def insert_from_select(
    conn: asyncpg.Connection, *, select_sql: str, args: tuple[Any, ...], now: datetime
) -> int:
    """Set-based: every candidate row of `select_sql` (yielding CANDIDATE_COLUMNS, using $2..)
    becomes an alert, once. `$1` is bound to `now`. Returns how many."""
    return len(await insert_returning(conn, select_sql=select_sql, args=args, now=now))


@dataclass(frozen=True, slots=True)
class Inserted:
    """An alert `insert_returning` wrote (a candidate already alerted is not one)."""

    org_id: int
    id: int
    subject_id: int


async def insert_returning(
    conn: asyncpg.Connection, *, select_sql: str, args: tuple[Any, ...], now: datetime
) -> list[Inserted]:
    """`insert_from_select`, returning which alerts were new, for writes that follow them.

    Takes the scans' exclusive lock first (see the module docstring), in the caller's
    transaction, where it lasts until that commits; outside one (autocommit), in a transaction
    of its own around the lock and the INSERT."""
    sql = _INSERT_RETURNING.format(select=select_sql, now="$1")
    if conn.is_in_transaction():
        rows = await _locked_fetch(conn, sql, now, *args)
    else:
        async with conn.transaction():
            rows = await _locked_fetch(conn, sql, now, *args)
    return [Inserted(org_id=r["org_id"], id=r["id"], subject_id=r["subject_id"]) for r in rows]


async def _locked_fetch(conn: asyncpg.Connection, sql: str, *args: Any) -> list[asyncpg.Record]:
    # Its own statement, before the INSERT: the INSERT's snapshot is then taken after the wait,
    # so its SELECT sees what the transactions it waited for committed.
    await conn.execute(_LOCK_ALL_ORGS)
    rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
    return rows


def channel(org_id: int) -> str:
    return pubsub.alerts_channel(org_id)


def from_event(event: Mapping[str, Any]) -> Alert:
    """A published event (`alert_shape.ALERT_EVENT_SQL`) as the alert it announces."""
    return Alert(
        id=int(event["id"]),
        kind=AlertKind(event["kind"]),
        subject=str(event["subject"]),
        subject_id=int(event["subjectId"]),
        occurrence=str(event["occurrence"]),
        customer_id=None if event.get("customerId") is None else int(event["customerId"]),
        for_role=str(event["forRole"]),
        payload=event.get("payload") or {},
        created_at=datetime.fromisoformat(str(event["createdAt"])),
    )


def _from_record(row: asyncpg.Record) -> Alert:
    values = dict(row)
    values["kind"] = AlertKind(values["kind"])
    return Alert(**values)


@dataclass(frozen=True, slots=True)
class Filter:
    kinds: Collection[AlertKind] | None = None
    acknowledged: bool | None = None
    customer_id: int | None = None


def _where(org_id: int, filter: Filter, bind: paging.Params) -> list[str]:
    kinds = filter.kinds
    wanted = bind(None if kinds is None else [str(kind) for kind in kinds])
    taken, customer = bind(filter.acknowledged), bind(filter.customer_id)
    return [
        f"org_id = {bind(org_id)}",
        f"({wanted}::text[] IS NULL OR kind = ANY({wanted}))",
        f"({taken}::boolean IS NULL OR (acknowledged_at IS NOT NULL) = {taken})",
        f"({customer}::bigint IS NULL OR customer_id = {customer})",
    ]


async def page(
    conn: asyncpg.Connection,
    *,
    org_id: int,
    filter: Filter,
    keyset: paging.Keyset,
) -> list[Alert]:
    """Newest first (by id); `keyset.limit` rows, read backward for `last`."""
    bind = paging.Params()
    where = _where(org_id, filter, bind)
    more, tail = paging.clauses(keyset, id_sql="id", bind=bind)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM alerts WHERE {' AND '.join(where + more)}{tail}", *bind.values
    )
    return [_from_record(row) for row in rows]


async def count(
    conn: asyncpg.Connection,
    *,
    org_id: int,
    filter: Filter,
) -> int:
    """How many alerts `page` would list with these filters, over all pages."""
    bind = paging.Params()
    where = _where(org_id, filter, bind)
    total: int = await conn.fetchval(
        f"SELECT count(*) FROM alerts WHERE {' AND '.join(where)}", *bind.values
    )
    return total


async def since(
    conn: asyncpg.Connection,
    *,
    org_id: int,
    after_id: int,
    kinds: Collection[AlertKind] | None,
    limit: int,
) -> list[Alert]:
    """Replay for a subscriber: the alerts stored after `after_id`, oldest first."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM alerts WHERE org_id = $1 AND id > $2 "
        "AND ($3::text[] IS NULL OR kind = ANY($3)) ORDER BY id LIMIT $4",
        org_id,
        after_id,
        None if kinds is None else [str(kind) for kind in kinds],
        limit,
    )
    return [_from_record(row) for row in rows]


async def latest_ids(
    conn: asyncpg.Connection, *, org_id: int, up_to: int | None, limit: int
) -> list[int]:
    """The newest stored alert ids (at most `up_to`), newest first: what a subscriber that
    starts there already has, so a late re-publication of one of them is not sent again."""
    rows = await conn.fetch(
        "SELECT id FROM alerts WHERE org_id = $1 AND ($2::bigint IS NULL OR id <= $2) "
        "ORDER BY id DESC LIMIT $3",
        org_id,
        up_to,
        limit,
    )
    return [int(row["id"]) for row in rows]


async def get_for_update(session: AsyncSession, *, org_id: int, alert_id: int) -> Alert | None:
    """The alert, locked until the transaction ends."""
    result = await session.execute(
        text(f"SELECT {_COLUMNS} FROM alerts WHERE org_id = :org AND id = :id FOR UPDATE"),
        {"org": org_id, "id": alert_id},
    )
    row = result.mappings().one_or_none()
    if row is None:
        return None
    values = dict(row)
    values["kind"] = AlertKind(values["kind"])
    return Alert(**values)


async def save_acknowledgement(session: AsyncSession, *, org_id: int, alert: Alert) -> None:
    await session.execute(
        text(
            "UPDATE alerts SET acknowledged_at = :at, acknowledged_by = :by, "
            "action_taken = :action WHERE org_id = :org AND id = :id"
        ),
        {
            "at": alert.acknowledged_at,
            "by": alert.acknowledged_by,
            "action": alert.action_taken,
            "org": org_id,
            "id": alert.id,
        },
    )
