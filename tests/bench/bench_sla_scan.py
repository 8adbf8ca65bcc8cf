"""The breach scan against the bare UPDATE it is built on, at each given table size.

Run on demand (never collected by pytest):

    WAFI_BENCH_DATABASE_URL=postgresql://user@host:5432/postgres \
        python -m tests.bench.bench_sla_scan [SIZE ...] [--rounds 7] [--parts] [--explain] \
        [--previous]

SIZE defaults to `1000000 10000000`. It creates a database of its own (dropped at the end),
migrates it, seeds the first size's tickets over 1,000 organisations with `generate_series` —
1% first-response breaches waiting for the scan (P0, unanswered), 0.25% resolution breaches
(answered, unresolved), 0.1% breaching both clocks, 0.5% open and not yet due, the rest answered
and resolved — and grows the table to each next size with resolved tickets and more open ones
not yet due (the breaches stay the same: the scan's cost should follow what is due, not what
exists). At each size it times, in rotated rounds (the order shifts each round, a VACUUM before
each run, every run inside a transaction that is rolled back so each sees the same rows, and each
side run twice in a row, its round's figure the mean of the two — see PAIRED):
- bare: the minimal statement that marks the same clocks breached, one UPDATE over the same
  partial indexes, returning nothing;
- floor: the same UPDATE, then the same alert rows from a list of the due clocks made beforehand
  (untimed), nothing checked or ordered: what the tables cost to write them;
- scan: the two statements of `store.tickets.scan_breaches` (the scan's lock, then `SCAN_SQL`),
  which also write each newly breached clock's alert;
- before: the scan's statement as it was up to migration 0024, on that schema (created inside
  the rolled-back run): the alerts' foreign keys to customers and operators, and an outbox row
  carrying the whole alert for each one, so "before" and "after" come from one run;
and prints the medians and their ratios — wall time, and the server process's CPU time when
PostgreSQL runs on this machine (less moved by other load) — checking every side flagged the
clocks the seed made due. All run without JIT (the scan turns it off for its transaction).
`--explain` prints the bare UPDATE's and the scan's EXPLAIN (ANALYZE, BUFFERS, WAL) at each size
(also rolled back).
`--parts` also times the floor with the alerts' old foreign keys put back (what they cost), with
the old whole payload (ticket, clock, priority, due time), and without the `alerts_once` unique
index: what an alert row costs at the least.
`--previous` also times the scan as it was before it became one statement, in the same rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from resolvers.store import alerts, engine
from resolvers.store import tickets as ticket_store
from tests.bench.harness import drop_database, fresh_database

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORGS = 1_000

# Marks every clock the scan would: one statement, both clocks, the same partial indexes.
BARE = (
    "UPDATE tickets SET "
    "first_response_breached = first_response_breached "
    "OR (first_response_at IS NULL AND first_response_due_at < $1), "
    "resolution_breached = resolution_breached "
    "OR (resolved_at IS NULL AND resolution_due_at < $1) "
    "WHERE (first_response_at IS NULL AND NOT first_response_breached "
    "AND first_response_due_at < $1) "
    "OR (resolved_at IS NULL AND NOT resolution_breached AND resolution_due_at < $1)"
)


@dataclass(frozen=True, slots=True)
class Kinds:
    """How many of a seeded range (from its start) are of each open kind; the rest are done."""

    first_response: int = 0  # P0 opened 2 h ago, unanswered: first response breached
    resolution: int = 0  # P1 opened 30 h ago, answered, unresolved: resolution breached
    both: int = 0  # P0 opened 5 h ago, unanswered: both clocks breached
    pending: int = 0  # P1 opened 10 min ago: neither clock due yet


# One INSERT ... SELECT per batch; `kind` by position in the range (see Kinds).
_SEED = """
WITH c AS (SELECT org_id, id, row_number() OVER (ORDER BY org_id) - 1 AS k FROM customers)
INSERT INTO tickets (org_id, customer_id, subject, body, channel, classified_priority, priority,
    matched_keyword, reason_ar, status, opened_at, first_response_at, resolved_at,
    first_response_due_at, resolution_due_at, version, created_at, updated_at)
SELECT c.org_id, c.id, 'subject ' || g, 'body', 'email', p.priority, p.priority, NULL, 'bench',
    CASE WHEN kind = 'done' THEN 'resolved' ELSE 'open' END,
    t.opened_at,
    CASE WHEN kind IN ('done', 'resolution') THEN t.opened_at + interval '10 minutes' END,
    CASE WHEN kind = 'done' THEN t.opened_at + interval '1 hour' END,
    t.opened_at + p.first_response, t.opened_at + p.resolution, 1, t.opened_at, t.opened_at
FROM generate_series($2::bigint, $3::bigint) AS g
CROSS JOIN LATERAL (SELECT g - $4::bigint AS n) AS o
CROSS JOIN LATERAL (SELECT CASE WHEN n < $5 THEN 'first_response'
                                WHEN n < $5 + $6 THEN 'resolution'
                                WHEN n < $5 + $6 + $7 THEN 'both'
                                WHEN n < $5 + $6 + $7 + $8 THEN 'pending'
                                ELSE 'done' END AS kind) AS k
CROSS JOIN LATERAL (SELECT CASE kind
        WHEN 'first_response' THEN $1::timestamptz - interval '2 hours'
        WHEN 'resolution' THEN $1::timestamptz - interval '30 hours'
        WHEN 'both' THEN $1::timestamptz - interval '5 hours'
        WHEN 'pending' THEN $1::timestamptz - interval '10 minutes'
        ELSE $1::timestamptz - interval '1 day' - (g % 720) * interval '1 hour' END AS opened_at
    ) AS t
CROSS JOIN LATERAL (SELECT
        CASE WHEN kind IN ('first_response', 'both') THEN 'P0'
             WHEN kind = 'done' THEN 'P2' ELSE 'P1' END AS priority,
        CASE WHEN kind IN ('first_response', 'both') THEN interval '30 minutes'
             WHEN kind = 'done' THEN interval '8 hours' ELSE interval '2 hours' END
            AS first_response,
        CASE WHEN kind IN ('first_response', 'both') THEN interval '4 hours'
             WHEN kind = 'done' THEN interval '72 hours' ELSE interval '24 hours' END
            AS resolution) AS p
JOIN c ON c.k = g % $9
"""


async def seed_organisations(conn: asyncpg.Connection) -> None:
    await conn.execute(
        "INSERT INTO organisations (slug, name, created_at) "
        "SELECT 'bench-' || g, 'Bench ' || g, $1 FROM generate_series(1, $2) AS g",
        NOW,
        ORGS,
    )
    await conn.execute(
        "INSERT INTO customers (org_id, name, name_search, locale, bundle, stage, "
        "subscription_status, subscription_started_at, version, created_at, updated_at) "
        "SELECT id, 'c', 'c', 'ar', 'growth_starter', 'adoption', 'active', $1, 1, $1, $1 "
        "FROM organisations",
        NOW,
    )


async def seed_tickets(conn: asyncpg.Connection, *, start: int, stop: int, kinds: Kinds) -> float:
    """Tickets numbered start..stop (1-based), the first ones open as `kinds` says.

    Bulk load: the secondary indexes are dropped and rebuilt around it and the foreign-key
    triggers skipped (the rows reference seeded customers), then the table is vacuumed."""
    began = time.perf_counter()
    indexes = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "JOIN pg_class c ON c.relname = i.indexname "
        "JOIN pg_index x ON x.indexrelid = c.oid "
        "WHERE i.tablename = 'tickets' AND NOT x.indisprimary AND NOT x.indisunique"
    )
    for row in indexes:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    await conn.execute("SET session_replication_role = replica")
    batch = 1_000_000
    for low in range(start, stop + 1, batch):
        high = min(low + batch - 1, stop)
        await conn.execute(
            _SEED,
            NOW,
            low,
            high,
            start,
            kinds.first_response,
            kinds.resolution,
            kinds.both,
            kinds.pending,
            ORGS,
        )
    await conn.execute("RESET session_replication_role")
    for row in indexes:
        await conn.execute(row["indexdef"])
    await conn.execute("VACUUM ANALYZE tickets")
    return time.perf_counter() - began


# The floor: the same UPDATE, then the same alert rows written from a list of the
# due clocks made beforehand (untimed), with nothing checked or ordered — no ON CONFLICT, no
# alert lock, no sort. What the tables cost to write the rows a breach needs.
_DUE_NOW = """
CREATE TEMP TABLE due_now ON COMMIT DROP AS
SELECT org_id, id, customer_id, priority,
       CASE WHEN first_response_at IS NULL AND NOT first_response_breached
            AND first_response_due_at < $1 THEN first_response_due_at END AS first_response_due,
       CASE WHEN resolved_at IS NULL AND NOT resolution_breached
            AND resolution_due_at < $1 THEN resolution_due_at END AS resolution_due
FROM tickets
WHERE (first_response_at IS NULL AND NOT first_response_breached AND first_response_due_at < $1)
   OR (resolved_at IS NULL AND NOT resolution_breached AND resolution_due_at < $1)
"""
_OCCURRENCE = "to_char(k.due AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
_FULL_ALERT_ROWS = f"""
    INSERT INTO alerts (org_id, kind, subject, subject_id, occurrence, customer_id, for_role,
                        payload, created_at)
    SELECT d.org_id, k.kind, 'Ticket', d.id, {_OCCURRENCE}, d.customer_id,
           CASE WHEN d.priority = 'P0' THEN 'owner' ELSE 'agent' END,
           jsonb_build_object('ticketId', d.id, 'clock', k.clock, 'priority', d.priority,
                              'dueAt', {_OCCURRENCE}), $1
    FROM due_now d CROSS JOIN LATERAL (VALUES
        ('SLA_FIRST_RESPONSE_BREACH', 'first_response', d.first_response_due),
        ('SLA_RESOLUTION_BREACH', 'resolution', d.resolution_due)) AS k(kind, clock, due)
    WHERE k.due IS NOT NULL"""
# Today's rows: the payload keeps the priority alone (resolvers/store/alert_shape.py).
_ALERT_ROWS = _FULL_ALERT_ROWS.replace(
    "jsonb_build_object('ticketId', d.id, 'clock', k.clock, 'priority', d.priority,\n"
    "                              'dueAt', " + _OCCURRENCE + ")",
    "jsonb_build_object('priority', d.priority)",
)
assert _ALERT_ROWS != _FULL_ALERT_ROWS

# The schema up to migration 0024, inside a rolled-back run: the alerts' foreign keys, and the
# outbox every alert was copied into.
_FKS = (
    "ALTER TABLE alerts ADD CONSTRAINT alerts_customer_id_fk FOREIGN KEY (org_id, customer_id) "
    "REFERENCES customers (org_id, id)",
    "ALTER TABLE alerts ADD CONSTRAINT alerts_acknowledged_by_fk "
    "FOREIGN KEY (org_id, acknowledged_by) REFERENCES operators (org_id, id)",
)
_SCHEMA_0024 = (
    *_FKS,
    "CREATE TABLE outbox (org_id bigint NOT NULL, id bigint GENERATED BY DEFAULT AS IDENTITY, "
    "channel text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL, "
    "published_at timestamptz, PRIMARY KEY (org_id, id))",
    "CREATE INDEX outbox_org_unpublished ON outbox (org_id, id) WHERE published_at IS NULL",
)
_OUTBOX_0024 = """
INSERT INTO outbox (org_id, channel, payload, created_at)
SELECT org_id, format('wafi:%s:alerts', org_id),
       jsonb_build_object('id', id, 'kind', kind, 'subject', subject, 'subjectId', subject_id,
                          'occurrence', occurrence, 'customerId', customer_id,
                          'forRole', for_role, 'payload', payload, 'createdAt', created_at),
       $1
FROM inserted
ORDER BY id
RETURNING org_id, (payload->>'id')::bigint AS id
"""


# Migration 0024's candidates: the payload whole (ticket, clock, priority, due time).
_SCAN_ALERTS_0024 = (
    "SELECT f.org_id, k.kind, 'Ticket'::text AS subject, f.id AS subject_id, "
    "o.at AS occurrence, f.customer_id, "
    "CASE WHEN f.priority = 'P0' THEN 'owner' ELSE 'agent' END AS for_role, "
    "jsonb_build_object('ticketId', f.id, 'clock', k.clock, 'priority', f.priority, "
    "'dueAt', o.at) AS payload "
    "FROM flagged f CROSS JOIN LATERAL (VALUES "
    "('SLA_FIRST_RESPONSE_BREACH', 'first_response', f.first_response_due), "
    "('SLA_RESOLUTION_BREACH', 'resolution', f.resolution_due)) AS k(kind, clock, due) "
    "CROSS JOIN LATERAL (SELECT "
    + ticket_store.OCCURRENCE_SQL.format(due="k.due")
    + " AS at) AS o WHERE k.due IS NOT NULL"
)


def scan_0024_sql() -> str:
    """The scan's statement as migration 0024's store built it: the same UPDATEs and alert lock
    (this checkout's), its candidates, its INSERT (unordered, returning the whole alert) and an
    outbox row per alert."""
    returning = "RETURNING org_id, id, subject_id"
    ordered = "ORDER BY org_id, kind, subject_id, occurrence\n"
    assert returning in alerts._INSERT_RETURNING
    assert ordered in alerts._INSERT_RETURNING
    insert = (
        alerts._INSERT_RETURNING.replace(ordered, "")
        .replace(
            returning,
            "RETURNING org_id, id, kind, subject, subject_id, occurrence, customer_id, "
            "for_role, payload, created_at",
        )
        .format(
            select=f"SELECT * FROM ({_SCAN_ALERTS_0024}) AS c "
            "WHERE EXISTS (SELECT FROM alert_lock)",
            now="$1",
        )
    )
    return alerts._CHAIN.format(
        writes=ticket_store._SCAN_WRITES,
        ns=alerts.NS_ALERTS,
        rows="SELECT FROM flagged",
        events=f"inserted AS ({insert}), events AS ({_OUTBOX_0024})",
        result="SELECT (SELECT count(*) FROM flagged WHERE first_response_due IS NOT NULL), "
        "(SELECT count(*) FROM flagged WHERE resolution_due IS NOT NULL), "
        "(SELECT count(*) FROM events)",
    )


_DROP_ONCE = "ALTER TABLE alerts DROP CONSTRAINT alerts_once"

# --parts: name, label, the alert rows written, DDL inside the run.
PARTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("with_fks", "floor + the FKs", _ALERT_ROWS, _FKS),
    ("full_payload", "floor, 0024 payload", _FULL_ALERT_ROWS, ()),
    ("no_once", "floor, no once index", _ALERT_ROWS, (_DROP_ONCE,)),
)


# `--previous`: the scan as it was before the statement chain — per clock, an UPDATE returning
# the flagged rows to Python, then their ids sent back in arrays to `alerts.insert_from_select`
# (its alert lock in a statement of its own) — to compare both in one run.
_PREVIOUS_CLOCKS = {
    "first_response": ("first_response_breached", "first_response_at", "first_response_due_at"),
    "resolution": ("resolution_breached", "resolved_at", "resolution_due_at"),
}
_PREVIOUS_UPDATE = (
    "UPDATE tickets SET {flag} = true WHERE {running} IS NULL AND NOT {flag} AND {due} < $1 "
    "RETURNING org_id, id"
)
_PREVIOUS_OCCURRENCE = ticket_store.OCCURRENCE_SQL.format(due="t.{due}")
_PREVIOUS_ALERTS = (
    "SELECT t.org_id, $2::text AS kind, 'Ticket'::text AS subject, t.id AS subject_id, "
    + _PREVIOUS_OCCURRENCE
    + " AS occurrence, t.customer_id, "
    "CASE WHEN t.priority = 'P0' THEN 'owner' ELSE 'agent' END AS for_role, "
    "jsonb_build_object('ticketId', t.id, 'clock', $3::text, 'priority', t.priority, "
    "'dueAt', " + _PREVIOUS_OCCURRENCE + ") AS payload"
    "  FROM unnest($4::bigint[], $5::bigint[]) AS k(org_id, id) "
    "JOIN tickets t ON t.org_id = k.org_id AND t.id = k.id"
)


async def previous_scan(conn: asyncpg.Connection) -> tuple[int, int]:
    async with conn.transaction():
        breached = {
            clock: await conn.fetch(
                _PREVIOUS_UPDATE.format(flag=flag, running=running, due=due), NOW
            )
            for clock, (flag, running, due) in _PREVIOUS_CLOCKS.items()
        }
        for clock, rows in breached.items():
            if rows:
                await alerts.insert_from_select(
                    conn,
                    select_sql=_PREVIOUS_ALERTS.format(due=_PREVIOUS_CLOCKS[clock][2]),
                    args=(
                        ticket_store.BREACH_KINDS[clock],
                        clock,
                        [row["org_id"] for row in rows],
                        [row["id"] for row in rows],
                    ),
                    now=NOW,
                )
    return len(breached["first_response"]), len(breached["resolution"])


@dataclass(frozen=True, slots=True)
class Side:
    name: str
    label: str
    work: Callable[[], Awaitable[tuple[int, int]]]  # what it flagged or wrote, to check
    ddl: tuple[str, ...] = ()  # untimed, in the run's transaction (rolled back with it)
    prepare: str | None = None  # untimed, in the run's transaction
    explained: str | None = None  # the statement --explain shows
    setup: str | None = None  # run before `explained` in its transaction


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    cpu_seconds: float | None  # the server process's, when it runs on this machine
    checked: tuple[int, int]


def backend_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a local PostgreSQL backend (Linux /proc), else None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Runs alternate between two states of the tickets' indexes, whatever statement runs: a run's
# rolled-back UPDATE and the VACUUM after it leave the B-tree leaves so that the next run's index
# inserts need about 2,000 deduplication passes (the WAL shows 2,028 Btree/DEDUP records against
# 75, the same 63,908 leaf inserts), about 120 ms at 1M tickets, and the run after that almost
# none. A side timed once per round would be favoured by where the rotation put it (every
# second run is the slow one): each side runs twice in a row, and a round counts their mean.
PAIRED = 2


async def run_once(conn: asyncpg.Connection, side: Side, pid: int) -> Run:
    """One run after a VACUUM, in a transaction rolled back."""
    await conn.execute("VACUUM tickets, alerts")
    transaction = conn.transaction()
    await transaction.start()
    for statement in side.ddl:
        await conn.execute(statement)
    if side.prepare is not None:
        await conn.execute(side.prepare, NOW)
    cpu = backend_cpu(pid)
    began = time.perf_counter()
    checked = await side.work()
    elapsed = time.perf_counter() - began
    after = backend_cpu(pid)
    await transaction.rollback()
    used = None if cpu is None or after is None else after - cpu
    return Run(elapsed, used, checked)


async def rounds(conn: asyncpg.Connection, sides: list[Side], count: int) -> dict[str, list[Run]]:
    """Each side PAIRED times in a row per round, the order rotated every round. Returns each
    side's runs per round, each the mean of its PAIRED runs (they must check the same)."""
    pid = await conn.fetchval("SELECT pg_backend_pid()")
    found: dict[str, list[Run]] = {side.name: [] for side in sides}
    for n in range(count):
        shift = n % len(sides)
        for side in sides[shift:] + sides[:shift]:
            runs = [await run_once(conn, side, pid) for _ in range(PAIRED)]
            checked = {run.checked for run in runs}
            cpus = [run.cpu_seconds for run in runs if run.cpu_seconds is not None]
            found[side.name].append(
                Run(
                    statistics.mean(run.seconds for run in runs),
                    statistics.mean(cpus) if len(cpus) == PAIRED else None,
                    checked.pop() if len(checked) == 1 else (-1, -1),
                )
            )
    return found


async def explain(conn: asyncpg.Connection, side: Side) -> str:
    assert side.explained is not None
    transaction = conn.transaction()
    await transaction.start()
    try:
        if side.setup is not None:
            await conn.execute(side.setup)
        plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS, WAL) " + side.explained, NOW)
    finally:
        await transaction.rollback()
    return "\n".join("    " + row[0] for row in plan)


def _count(status: str) -> int:
    return int(status.split()[-1])  # "UPDATE 5", "INSERT 0 5"


async def measure(
    conn: asyncpg.Connection,
    *,
    total: int,
    expected: tuple[int, int],
    tickets: int,
    args: argparse.Namespace,
) -> dict[str, float]:
    """Each side's median wall seconds at this size, printed with the ratios to the bare one."""

    async def bare() -> tuple[int, int]:
        return _count(await conn.execute(BARE, NOW)), 0

    def bare_then(writes: str) -> Callable[[], Awaitable[tuple[int, int]]]:
        """The bare UPDATE, then `writes` from `due_now` (the side's `prepare`)."""

        async def work() -> tuple[int, int]:
            flagged = _count(await conn.execute(BARE, NOW))
            return flagged, _count(await conn.execute(writes, NOW))

        return work

    floor = bare_then(_ALERT_ROWS)

    async def scan() -> tuple[int, int]:
        # `scan_breaches`' two statements, in the run's transaction (its own transaction would
        # be a savepoint inside the run's, which the product never has); checked like `before`.
        await conn.execute(ticket_store.SCAN_LOCK_SQL)
        row = await conn.fetchrow(ticket_store.SCAN_SQL, NOW)
        assert row is not None
        if row["alerts"] != row["first_response"] + row["resolution"]:
            return (-1, -1)
        return row["first_response"], row["resolution"]

    async def previous() -> tuple[int, int]:
        return await previous_scan(conn)

    before_sql = scan_0024_sql()

    async def before() -> tuple[int, int]:
        await conn.execute(ticket_store.SCAN_LOCK_SQL)
        row = await conn.fetchrow(before_sql, NOW)
        assert row is not None
        # Checked like the others; every flagged clock must have written its outbox row too.
        return (row[0], row[1]) if row[2] == row[0] + row[1] else (-1, -1)

    sides = [
        Side("bare", "bare UPDATE", bare, explained=BARE),
        Side("floor", "UPDATE + alert rows", floor, prepare=_DUE_NOW),
        Side(
            "scan", "scan", scan, explained=ticket_store.SCAN_SQL, setup=ticket_store.SCAN_LOCK_SQL
        ),
        Side("before", "scan, 0024 schema", before, ddl=_SCHEMA_0024),
    ]
    if args.parts:
        sides[2:2] = [
            Side(name, label, bare_then(rows), prepare=_DUE_NOW, ddl=ddl)
            for name, label, rows, ddl in PARTS
        ]
    if args.previous:
        sides.append(Side("previous", "previous scan", previous))
    found = await rounds(conn, sides, args.rounds)
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"\n== {total:,} tickets (load averages {load}; medians of {args.rounds} rounds, "
        f"each the mean of {PAIRED} runs in a row)"
    )
    wall = {name: statistics.median(run.seconds for run in runs) for name, runs in found.items()}
    cpus = {name: [run.cpu_seconds for run in runs] for name, runs in found.items()}
    cpu = None
    if all(value is not None for values in cpus.values() for value in values):
        cpu = {name: statistics.median(v or 0.0 for v in values) for name, values in cpus.items()}
    for side in sides:
        seconds = wall[side.name]
        line = f"  {side.label:18} wall {seconds * 1000:8.1f} ms ×{seconds / wall['bare']:.2f}"
        if cpu is not None:
            ratio = cpu[side.name] / max(cpu["bare"], 1e-9)
            line += f"   server CPU {cpu[side.name] * 1000:6.0f} ms ×{ratio:.2f}"
        print(line)
    for side in sides:
        runs = " ".join(f"{run.seconds * 1000:.0f}" for run in found[side.name])
        print(f"  {side.name} rounds ms: {runs}")
    checks = {name: sorted({run.checked for run in runs}) for name, runs in found.items()}
    alerts = expected[0] + expected[1]
    print(
        f"  bare flagged {checks['bare']} (tickets: {tickets:,}), floor {checks['floor']} "
        f"(tickets, alerts: {tickets:,}, {alerts:,}), scan {checks['scan']}, before "
        f"{checks['before']} (clocks: {expected})"
    )
    if args.parts:
        print("  " + ", ".join(f"{name} {checks[name]}" for name, *_ in PARTS))
    if "previous" in checks:
        print(f"  previous {checks['previous']} (clocks: {expected})")
    wanted = {
        "bare": [(tickets, 0)],
        "floor": [(tickets, alerts)],
        "scan": [expected],
        "before": [expected],
    }
    if args.parts:
        for name, *_ in PARTS:
            wanted[name] = [(tickets, alerts)]
    if args.previous:
        wanted["previous"] = [expected]
    if checks != wanted:
        print("  !! a side did not flag or write what the seed made due")
    if args.explain:
        for side in sides:
            if side.explained is not None:
                print(f"  -- {side.name}:\n" + await explain(conn, side))
    return wall


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--parts",
        action="store_true",
        help="also the floor with the alerts' old foreign keys, with their old payload, and "
        "without the once index",
    )
    parser.add_argument("--previous", action="store_true", help="time the scan as it was too")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    name = f"wafi_bench_sla_{secrets.token_hex(4)}"
    url = await fresh_database(name)
    try:
        conn = await asyncpg.connect(engine.asyncpg_dsn(url))
        await conn.set_type_codec(
            "jsonb", encoder=lambda v: v, decoder=lambda v: v, schema="pg_catalog"
        )
        # The scan turns JIT off for its transaction; the bare UPDATE runs without it too.
        await conn.execute("SET jit = off")
        first = sizes[0]
        breaches = Kinds(
            first_response=first // 100,
            resolution=first // 400,
            both=first // 1000,
            pending=first // 200,
        )
        # Per clock: first-response breaches plus both-clock ones; resolution likewise.
        expected = (
            breaches.first_response + breaches.both,
            breaches.resolution + breaches.both,
        )
        print(
            f"breaches: {breaches.first_response:,} first response, {breaches.resolution:,} "
            f"resolution, {breaches.both:,} both; open and not yet due: 0.5% of the tickets"
        )
        await seed_organisations(conn)
        seeded, low = 0.0, 1
        results = []
        for size in sizes:
            kinds = breaches if low == 1 else Kinds(pending=(size - low + 1) // 200)
            seeded += await seed_tickets(conn, start=low, stop=size, kinds=kinds)
            low = size + 1
            print(f"\nseeded {size:,} tickets in {seeded:.0f} s")
            measured = await measure(
                conn,
                total=size,
                expected=expected,
                tickets=breaches.first_response + breaches.resolution + breaches.both,
                args=args,
            )
            results.append((size, measured))
        parts = [name for name, *_ in PARTS]
        names = ["bare", "floor"] + (parts if args.parts else []) + ["scan", "before"]
        names += ["previous"] if args.previous else []
        print("\nmedian wall ms (× the bare UPDATE)")
        print("size       " + "".join(f"{name:>18}" for name in names))
        for size, wall in results:
            print(
                f"{size:>10,} "
                + "".join(
                    f"{wall[name] * 1000:10.1f} (×{wall[name] / wall['bare']:.2f})"
                    for name in names
                )
            )
        await conn.close()
    finally:
        await drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
