"""Reading the action ledger: managers and owners only."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action
from resolvers import pages
from resolvers.common import refusals_as_errors
from resolvers.store import ledger as store
from schema.context import Context
from schema.types import relay
from schema.types.ledger import LedgerEntry
from schema.types.relay import Connection, from_global_id


@refusals_as_errors
async def list_entries(
    info: Info[Context, None],
    entity: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Only the rows of this thing (any global id)."),
    ] = None,
    first: Annotated[int | None, strawberry.argument(description=relay.FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=relay.AFTER)] = None,
    last: Annotated[int | None, strawberry.argument(description=relay.LAST)] = None,
    before: Annotated[str | None, strawberry.argument(description=relay.BEFORE)] = None,
) -> Connection[LedgerEntry]:
    ctx = info.context
    principal = ctx.authorize(Action.READ_LEDGER, field="ledger")
    window = relay.window(first=first, last=last, after=after, before=before)
    entity_type, entity_id = (None, None)
    if entity is not None:
        entity_type, entity_id = from_global_id(entity, field="entity")
    async with ctx.db() as conn:
        if entity_type is not None and entity_id is not None:
            known = await store.entity_exists(
                conn, org_id=principal.org_id, entity=entity_type, entity_id=entity_id
            )
            if not known:
                raise DomainError("entity", ErrorCode.NOT_FOUND, Msg.NOTHING_WITH_ID)
        rows = await store.page(
            conn,
            org_id=principal.org_id,
            entity=entity_type,
            entity_id=entity_id,
            keyset=pages.keyset(window, descending=True),
        )
        total = (
            await store.count(
                conn, org_id=principal.org_id, entity=entity_type, entity_id=entity_id
            )
            if relay.wants_total(info)
            else None
        )
    return relay.window_connection(
        rows,
        window=window,
        cursor_of=lambda e: relay.cursor(e.id),
        build=LedgerEntry.from_store,
        total=total,
    )
