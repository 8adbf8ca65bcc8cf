"""Validation stays linear in the document (issue: 21 fragments each spreading the next twice
took 4.9 s of event loop; the depth limiter walked a fragment again at every spread)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from graphql import get_introspection_query, parse

from schema import depth
from tests.factories import Org


def doubling(levels: int) -> str:
    """`{ ...F0 }`, and F0..F{levels-1} each spreading the next twice; the last is a leaf."""
    parts = [f"query Q{levels} {{ ...F0 }}"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels - 1)]
    parts.append(f"fragment F{levels - 1} on Query {{ __typename }}")
    return " ".join(parts)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail a synchronous stall (an exponential walk never yields to the loop) by SIGALRM."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_each_fragment_is_measured_once() -> None:
    walker, sizes = depth.measure(parse(doubling(40)))
    # The operation's one spread, two spreads in each of F0..F38, F39's one field: 80 nodes,
    # where a walk per spread would take 2^40.
    assert walker.visits == 80
    assert sizes == {"Q40": depth.Size(depth=0, selections=depth.MAX_SELECTIONS + 1)}


def test_depth_and_size_count_through_fragments_and_aliases() -> None:
    document = parse(
        "query A { a: customers { ...E } b: customers { ...E } } "
        "fragment E on CustomerConnection { edges { node { id name } } pageInfo { hasNextPage } }"
    )
    walker, sizes = depth.measure(document)
    assert sizes == {"A": depth.Size(depth=3, selections=14)}
    assert walker.visits == 10


async def test_a_40_level_doubling_document_is_refused_at_once(org: Org) -> None:
    with deadline(5):
        body = await org.gql(doubling(40))
    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (
            "'Q40' expands to more than 10,000 field selections once its fragments are spread",
            {"code": "QUERY_TOO_LARGE", "field": "query"},
        )
    ]


async def test_a_document_expanding_to_the_limit_runs(org: Org) -> None:
    # 2^13 = 8,192 `__typename`s once expanded (and 8,191 fragment spreads): within 10,000.
    with deadline(5):
        assert await org.data(doubling(14)) == {"__typename": "Query"}


# The chain of test_limits split by a fragment: customers(1) edges(2) node(3) tickets(4)
# edges(5) node(6), then in C customer(7) tickets(8) edges(9) node(10).
_SPLIT = (
    "{ customers(first: 1) { edges { node { tickets(first: 1) { edges { node { ...C } } } } } } } "
    "fragment C on Ticket { customer { tickets(first: 1) { edges { node { %s } } } } }"
)


async def test_depth_through_fragments_is_the_depth_of_the_expanded_operation(org: Org) -> None:
    assert await org.data(_SPLIT % "id") == {"customers": {"edges": []}}
    body = await org.gql(_SPLIT % "customer { id }")
    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (
            "'anonymous' exceeds maximum operation depth of 10",
            {"code": "QUERY_TOO_DEEP", "field": "query"},
        )
    ]


async def test_the_introspection_query_passes(org: Org) -> None:
    data = await org.data(get_introspection_query(descriptions=True))
    assert data["__schema"]["queryType"]["name"] == "Query"
