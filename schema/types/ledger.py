"""What a client sees of the action ledger (docs/rules.md §6)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from domain.ledger import Entry
from schema.types.relay import to_global_id


@strawberry.type(description="One mutation as it happened: who, what, before and after.")
class LedgerEntry:
    id: strawberry.ID = strawberry.field(description="The entry's global id.")
    pk: strawberry.Private[int]
    operator_id: strawberry.ID | None = strawberry.field(
        description="The operator who did it; null when no operator did (the system)."
    )
    role: str = strawberry.field(
        description="The operator's role at the time: owner, manager, agent or viewer."
    )
    action: str = strawberry.field(
        description="The mutation, by its GraphQL name (e.g. approveDraft)."
    )
    entity: str = strawberry.field(
        description=(
            "The kind of thing changed: Customer, Ticket, Draft, Incident, Alert, Organisation…"
        )
    )
    entity_id: strawberry.ID = strawberry.field(description="The global id of the thing changed.")
    before: JSON | None = strawberry.field(
        description="Its fields before the change; null when the change created it."
    )
    after: JSON | None = strawberry.field(description="Its fields after the change.")
    at: datetime = strawberry.field(description="When it happened (the transaction's time).")

    @classmethod
    def from_store(cls, entry: Entry) -> LedgerEntry:
        return cls(
            id=to_global_id("LedgerEntry", entry.id),
            pk=entry.id,
            operator_id=None
            if entry.operator_id is None
            else to_global_id("Operator", entry.operator_id),
            role=entry.role,
            action=entry.action,
            entity=entry.entity,
            entity_id=to_global_id(entry.entity, entry.entity_id),
            before=cast(JSON, dict(entry.before)) if entry.before is not None else None,
            after=cast(JSON, dict(entry.after)) if entry.after is not None else None,
            at=entry.at,
        )
