"""Per-request DataLoaders: relations load in one query per kind, whatever the page size."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from domain.customers import Customer
from resolvers.store import customers as customer_store
from schema.context import Context

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
