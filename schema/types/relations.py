"""How a type's relation field reaches the request's DataLoaders without importing resolvers.

Types sit below resolvers (import-linter), so a relation field cannot import a loader; instead
the resolvers layer `provide`s a factory per relation name at import time, and the field asks
for it by name with the request's context. One loader per name per request, as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.dataloader import DataLoader

Factory = Callable[[Any], DataLoader[Any, Any]]

_FACTORIES: dict[str, Factory] = {}


def provide(name: str, factory: Factory) -> None:
    """Register the loader factory behind relation `name` (called by resolvers.loaders)."""
    _FACTORIES[name] = factory


def loader(context: Any, name: str) -> DataLoader[Any, Any]:
    """The request's loader for relation `name`."""
    return _FACTORIES[name](context)


async def total(info: Any, relation: str, parent: int) -> int | None:
    """How many items nested list `relation` holds for `parent` when its `totalCount` is
    selected (one query for all the page's parents); None when it is not."""
    from schema.types.relay import count_name, wants_total

    if not wants_total(info):
        return None
    counted: int = await loader(info.context, count_name(relation)).load(parent)
    return counted
