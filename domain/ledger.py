"""The action ledger's entry (docs/rules.md §6): who, role, action, entity, before and after."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Entry:
    """§6: one append-only record of one mutation."""

    id: int
    operator_id: int | None
    role: str
    action: str
    entity: str
    entity_id: int
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    at: datetime
