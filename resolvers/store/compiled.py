"""The compiled read path's SQL: a plan (schema/types/compiling.py) → one statement that builds
the whole answer in PostgreSQL (docs/architecture.md#compiled-read-path).

Objects are `json_build_object(...)`, each connection a correlated subquery reading `first + 1`
rows by id (`LIMIT`), so a nested list costs one index range per parent row, like a LATERAL join.
A computed field (health, at-risk, SLA clocks) reads as its stored inputs, marked, in its place
(the router computes it in Python). Every value, response key and type name is a
parameter; table and column names come from the types' declarations only. The statement runs on
the request's connection, under its RLS settings, with an explicit `org_id` filter besides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from resolvers.store import calendars
from schema.types import compiling as c

MAX_PAIRS = 50  # json_build_object takes at most 100 arguments
MAX_INPUTS = 98  # a computed field's inputs, after its mark and index


@dataclass(frozen=True, slots=True)
class Bound:
    """A parameter known per request: `org`, or a connection's / lookup's checked argument."""

    name: str


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    slots: tuple[object, ...]  # constants, or Bound names filled per request

    def values(self, bound: dict[str, object]) -> list[object]:
        return [bound[s.name] if isinstance(s, Bound) else s for s in self.slots]


class _Builder:
    def __init__(self) -> None:
        self.slots: list[object] = []
        self._seen: dict[tuple[str, object, str], int] = {}
        self._aliases = 0

    def param(self, value: object, cast: str) -> str:
        key = (type(value).__name__, value, cast)
        if key not in self._seen:
            self.slots.append(value)
            self._seen[key] = len(self.slots)
        return f"${self._seen[key]}::{cast}"

    def alias(self) -> str:
        self._aliases += 1
        return f"r{self._aliases}"

    def pairs(self, fields: list[tuple[str, str]]) -> str:
        assert len(fields) <= MAX_PAIRS, "the planner keeps objects within json_build_object"
        inner = ", ".join(f"{self.param(key, 'text')}, {expr}" for key, expr in fields)
        return f"json_build_object({inner})"

    def obj(self, obj: c.Obj, row: str) -> str:
        return self.pairs([(key, self.value(value, row)) for key, value in obj.fields])

    def value(self, value: c.Value, row: str) -> str:
        if isinstance(value, c.Typename):
            return self.param(value.name, "text")
        if isinstance(value, c.GlobalId):
            return _base64url(f"{self.param(value.type_name + ':', 'text')} || {row}.id")
        if isinstance(value, c.Obj):
            return self.obj(value, row)
        if isinstance(value, c.Conn):
            return self.connection(value, row)
        if isinstance(value, c.Compute):
            inputs = value.field.inputs
            assert len(inputs) <= MAX_INPUTS, "json_build_array takes at most 100 arguments"
            read = ", ".join(
                calendars.SPEC_SQL.format(t=row)  # as the tickets store reads it
                if i.kind is c.Kind.CALENDAR
                else f"{row}.{i.column}"  # as stored; a timestamp in ISO 8601 with an offset
                for i in inputs
            )
            return f"json_build_array({_MARK}::json, {value.index:d}, {read})"
        read = f"{row}.{value.column}"
        if value.kind is c.Kind.DATETIME:
            return _datetime(read)
        if value.kind is c.Kind.ENUM:
            return f"({self.param(json.dumps(dict(value.names)), 'json')} ->> {read})"
        return read

    def connection(self, conn: c.Conn, parent: str | None) -> str:
        a, source = self.alias(), conn.source
        first = self.param(Bound(f"{conn.name}.first"), "int")
        after = self.param(Bound(f"{conn.name}.after"), "bigint")
        direction, later = ("DESC", "<") if source.descending else ("ASC", ">")
        where = [*self._rows(a, source, parent), f"({after} IS NULL OR {a}.id {later} {after})"]
        columns = ", ".join(f"{a}.{name}" for name in sorted(_columns(conn)))
        page = (
            f"SELECT {a}q.*, row_number() OVER (ORDER BY {a}q.id {direction}) AS n__ FROM "
            f"(SELECT {columns} FROM {source.table} {a} WHERE {' AND '.join(where)} "
            f"ORDER BY {a}.id {direction} LIMIT {first} + 1) {a}q"
        )
        shown = f"FILTER (WHERE {a}.n__ <= {first})"
        fields: list[tuple[str, str]] = []
        for key, part in conn.fields:
            if isinstance(part, c.Typename):
                fields.append((key, self.param(part.name, "text")))
            elif isinstance(part, c.TotalCount):
                b = self.alias()
                rows = " AND ".join(self._rows(b, source, parent))
                fields.append((key, f"(SELECT count(*) FROM {source.table} {b} WHERE {rows})"))
            elif isinstance(part, c.Edges):
                edge = self.pairs([(k, self._edge(v, a)) for k, v in part.fields])
                fields.append(
                    (key, f"coalesce(json_agg({edge} ORDER BY {a}.n__) {shown}, '[]'::json)")
                )
            else:
                ends = {
                    c.PagePart.START: "max" if source.descending else "min",
                    c.PagePart.END: "min" if source.descending else "max",
                }
                info = []
                for k, p in part.fields:
                    if isinstance(p, c.Typename):
                        info.append((k, self.param(p.name, "text")))
                    elif p is c.PagePart.HAS_NEXT:
                        info.append((k, f"(count(*) > {first})"))
                    elif p is c.PagePart.HAS_PREVIOUS:
                        info.append((k, f"({after} IS NOT NULL)"))
                    else:
                        info.append((k, _cursor(f"{ends[p]}({a}.id) {shown}")))
                fields.append((key, self.pairs(info)))
        return f"(SELECT {self.pairs(fields)} FROM ({page}) {a})"

    def _rows(self, a: str, source: c.Source, parent: str | None) -> list[str]:
        """The list's own conditions: the organisation, live rows, the parent."""
        where = [f"{a}.org_id = {self.param(Bound('org'), 'bigint')}"]
        if source.live_only:
            where.append(f"{a}.archived_at IS NULL")
        if source.parent_key is not None:
            assert parent is not None
            where.append(f"{a}.{source.parent_key} = {parent}.id")
        return where

    def _edge(self, value: c.EdgeValue, row: str) -> str:
        if isinstance(value, c.Typename):
            return self.param(value.name, "text")
        if isinstance(value, c.Obj):
            return self.obj(value, row)
        return _cursor(f"{row}.id")

    def lookup(self, lookup: c.NodeLookup) -> str:
        kind = self.param(Bound(f"{lookup.name}.type"), "text")
        pk = self.param(Bound(f"{lookup.name}.pk"), "bigint")
        org = self.param(Bound("org"), "bigint")
        cases = []
        for type_name, obj in lookup.branches:
            if obj is None:
                continue
            a = self.alias()
            cases.append(
                f"WHEN {self.param(type_name, 'text')} THEN (SELECT {self.obj(obj, a)} FROM "
                f"{c.TABLES[type_name]} {a} WHERE {a}.org_id = {org} AND {a}.id = {pk})"
            )
        return f"(CASE {kind} {' '.join(cases)} ELSE NULL END)" if cases else "NULL::json"


def _columns(conn: c.Conn) -> set[str]:
    """The columns a connection's rows must carry: the id, and whatever its nodes read."""
    found = {"id"}

    def add(column: c.Column) -> None:
        if column.kind is c.Kind.CALENDAR:
            found.update(_CALENDAR_READS)
        else:
            found.add(column.column)

    def walk(obj: c.Obj) -> None:
        for _, value in obj.fields:
            if isinstance(value, c.Column):
                add(value)
            elif isinstance(value, c.Compute):
                for column in value.field.inputs:
                    add(column)
            elif isinstance(value, c.Obj):
                walk(value)

    for _, part in conn.fields:
        if isinstance(part, c.Edges):
            for _, value in part.fields:
                if isinstance(value, c.Obj):
                    walk(value)
    return found


_CALENDAR_READS = ("org_id", "priority")  # what calendars.SPEC_SQL reads of the row

# A computed field's place in the answer's text: `["\\u0000", index, input, ...]`, its inputs in
# the order declared. No value can hold that prefix — text cannot contain NUL, and a quote in a
# string is escaped — so the router finds each place by it alone.
_MARK = "'\"\\u0000\"'"
COMPUTED = '["\\u0000",'


def _base64url(text: str) -> str:
    # Python's urlsafe_b64encode: + and / become - and _; PostgreSQL's line breaks go.
    return f"translate(encode(convert_to({text}, 'UTF8'), 'base64'), E'+/\\n', '-_')"


def _cursor(pk: str) -> str:
    return _base64url(f"'c:' || {pk}")


def _datetime(value: str) -> str:
    # What the DateTime scalar writes: datetime.isoformat() in UTC, fractions only when present.
    utc = f"({value} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"extract(microseconds FROM {utc}) % 1000000 = 0 THEN '' "
        f"ELSE to_char({utc}, '.US') END || '+00:00')"
    )


def build(plan: c.Plan) -> Statement:
    """The statement answering `plan`: columns `data` (the answer's JSON text) and `missing`
    (a `node` found nothing: the executor answers, with its error)."""
    builder = _Builder()
    fields, sources, missing = [], [], []
    for key, value in plan.fields:
        if isinstance(value, c.Typename):
            fields.append((key, builder.param(value.name, "text")))
        elif isinstance(value, c.Conn):
            fields.append((key, builder.connection(value, None)))
        else:
            name = builder.alias()
            sources.append(f"(SELECT {builder.lookup(value)} AS v) {name}")
            fields.append((key, f"{name}.v"))
            missing.append(f"{name}.v IS NULL")
    found = " OR ".join(missing) or "false"
    sql = f"SELECT {builder.pairs(fields)}::text AS data, {found} AS missing"
    if sources:
        sql += " FROM " + ", ".join(sources)
    return Statement(sql, tuple(builder.slots))


async def answer(
    conn: asyncpg.Connection, statement: Statement, bound: dict[str, object]
) -> str | None:
    """The answer's JSON text, or None when a `node` found nothing."""
    row: Any = await conn.fetchrow(statement.sql, *statement.values(bound))
    return None if row["missing"] else str(row["data"])
