"""From a validated page request (schema.types.relay.Window) to the store's keyset."""

from __future__ import annotations

from resolvers.store import paging
from schema.types import relay


def _position(at: relay.Position | None) -> paging.Position | None:
    return None if at is None else paging.Position(at.key, at.id)


def keyset(window: relay.Window, *, descending: bool) -> paging.Keyset:
    """The rows a window reads: one more than it shows, to tell whether more lie beyond."""
    return paging.Keyset(
        limit=window.size + 1,
        descending=descending,
        backward=window.backward,
        after=_position(window.after),
        before=_position(window.before),
    )


def cursor_of(window: relay.Window, pk: int, key: object) -> str:
    """An edge's cursor in the window's ordering."""
    return relay.ordered_cursor(window.order, paging.key_text(key), pk)
