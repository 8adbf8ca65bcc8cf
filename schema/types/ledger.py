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
    id: strawberry.ID
    pk: strawberry.Private[int]
    operator_id: strawberry.ID | None
    role: str
    action: str
    entity: str
    entity_id: strawberry.ID
    before: JSON | None
    after: JSON | None
    at: datetime

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
