"""Computed fields on the compiled read path (docs/architecture.md#compiled-read-path): a
resolver's value written as graphql-core completes it — leaves by their own type, objects field
by field from their attributes, null refused where the type forbids it — straight to the JSON
text the app's encoder would write; and an answer's text finished with each computed field's
value in place of the inputs the statement read for it (resolvers/store/compiled.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring  # what the app's encoder writes a string with
from typing import Any

from graphql import GraphQLEnumType, GraphQLLeafType
from graphql.pyutils import Undefined

from resolvers import compiled
from resolvers.store import compiled as store
from schema.context import Context
from schema.types import compiling as c


class UnwritableError(Exception):
    """A computed value the executor would answer with an error (null where not allowed)."""


_DECODER = json.JSONDecoder()
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # as the app encodes

Writer = Callable[[Any], str]  # a resolver's value → its JSON text, as completed and encoded


def _text(value: object) -> str:
    """A completed leaf's JSON text, as the app's encoder writes it."""
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    return _ENCODER.encode(value)


def non_null(inner: Writer) -> Writer:
    def write(value: Any) -> str:
        if value is None:
            raise UnwritableError
        return inner(value)

    return write


def list_of(inner: Writer) -> Writer:
    def write(value: Any) -> str:
        return "null" if value is None else "[" + ",".join([inner(item) for item in value]) + "]"

    return write


def leaf(type_: GraphQLLeafType) -> Writer:
    coerce = type_.coerce_output_value

    def write(value: Any) -> str:
        if value is None:
            return "null"
        written = coerce(value)
        if written is None or written is Undefined:
            raise UnwritableError
        return _text(written)

    if not isinstance(type_, GraphQLEnumType):
        return write
    names: dict[tuple[type, Any], str] = {}  # an enum's few values, each written once

    def write_enum(value: Any) -> str:
        key = (type(value), value)
        if key not in names:
            names[key] = write(value)
        return names[key]

    return write_enum


def object_of(parts: tuple[tuple[str, str | None, Writer], ...]) -> Writer:
    keys = [encode_basestring(key) + ":" for key, _, _ in parts]
    fields = [(key, attribute, part) for key, (_, attribute, part) in zip(keys, parts, strict=True)]

    def write(value: Any) -> str:
        if value is None:
            return "null"
        return (
            "{"
            + ",".join(
                [
                    key + part(None if attribute is None else getattr(value, attribute))
                    for key, attribute, part in fields
                ]
            )
            + "}"
        )

    return write


def typename(name: str) -> Writer:
    text = encode_basestring(name)
    return lambda _: text


async def finish(request: Context, plan: c.Plan, text: str) -> str:
    """The answer's text with each computed field's value in place of its inputs: a value
    computed from one row's inputs is written as it is found; a batched computation runs once
    over all of the answer's inputs (one query, like the executor's loaders). The rest of the
    text is as PostgreSQL wrote it."""
    places: list[tuple[int, int]] = []  # (start, end) of each mark
    written: list[str] = []
    batches: dict[str, list[tuple[int, c.Compute, dict[str, Any]]]] = {}
    at = text.find(store.COMPUTED)
    while at >= 0:
        (_, index, *values), end = _DECODER.raw_decode(text, at)
        compute = plan.computes[index]
        inputs = dict(zip(compute.field.names, values, strict=True))
        computation = compiled.COMPUTATIONS[compute.field.name]
        if computation.each is not None:
            written.append(compute.write(computation.each(request, inputs)))
        else:
            batches.setdefault(compute.field.name, []).append((len(written), compute, inputs))
            written.append("")
        places.append((at, end))
        at = text.find(store.COMPUTED, end)
    for name, batch in batches.items():
        compute_all = compiled.COMPUTATIONS[name].batch
        assert compute_all is not None
        values = await compute_all(request, [inputs for _, _, inputs in batch])
        for (number, compute, _), value in zip(batch, values, strict=True):
            written[number] = compute.write(value)
    parts: list[str] = []
    last = 0
    for (start, end), value in zip(places, written, strict=True):
        parts += (text[last:start], value)
        last = end
    parts.append(text[last:])
    return "".join(parts)
