"""Reading the action ledger: managers and owners only."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from domain.errors import DomainError, ErrorCode
from domain.roles import Action
from resolvers.common import refusals_as_errors
from resolvers.store import ledger as store
from schema.context import Context
from schema.types.ledger import LedgerEntry
from schema.types.relay import Connection, connection, from_global_id, page_args


@refusals_as_errors
async def list_entries(
    info: Info[Context, None],
    entity: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="A global id: only that thing's entries."),
    ] = None,
    first: Annotated[
        int | None, strawberry.argument(description="Page size, 1..100 (default 20).")
    ] = None,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="The `cursor` of the last item you have; the page starts after it."
        ),
    ] = None,
) -> Connection[LedgerEntry]:
    ctx = info.context
    principal = ctx.authorize(Action.READ_LEDGER, field="ledger")
    page = page_args(first, after)
    entity_type, entity_id = (None, None)
    if entity is not None:
        entity_type, entity_id = from_global_id(entity, field="entity")
    async with ctx.db() as conn:
        if entity_type is not None and entity_id is not None:
            known = await store.entity_exists(
                conn, org_id=principal.org_id, entity=entity_type, entity_id=entity_id
            )
            if not known:
                raise DomainError(
                    "entity", ErrorCode.NOT_FOUND, "nothing with this id in your organisation"
                )
        rows = await store.page(
            conn,
            org_id=principal.org_id,
            entity=entity_type,
            entity_id=entity_id,
            after_id=page.after,
            first=page.first,
        )
    return connection(rows, first=page.first, key=lambda e: e.id, build=LedgerEntry.from_store)
