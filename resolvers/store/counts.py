"""How many items a nested list holds per parent, for a whole page of parents in one query."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

# Per relation (the loader names schema.types give them): parent id and count, for the parents
# `$2` of organisation `$1`. Counted as the relation's page query lists, with no cursor.
_SQL = {
    "customer.tickets": "SELECT customer_id AS parent, count(*) AS n FROM tickets "
    "WHERE org_id = $1 AND customer_id = ANY($2::bigint[]) GROUP BY 1",
    "customer.incidents": "SELECT customer_id AS parent, count(*) AS n FROM incident_customers "
    "WHERE org_id = $1 AND customer_id = ANY($2::bigint[]) GROUP BY 1",
    "incident.affectedCustomerIds": "SELECT incident_id AS parent, count(*) AS n "
    "FROM incident_customers WHERE org_id = $1 AND incident_id = ANY($2::bigint[]) GROUP BY 1",
    "incident.timeline": "SELECT entity_id AS parent, count(*) AS n FROM ledger "
    "WHERE org_id = $1 AND entity = 'Incident' AND entity_id = ANY($2::bigint[]) GROUP BY 1",
}
RELATIONS = tuple(_SQL)


async def per_parent(
    conn: asyncpg.Connection, *, org_id: int, relation: str, parent_ids: Sequence[int]
) -> dict[int, int]:
    """Each parent's item count in `relation` (a key of `_SQL`); 0 for a parent with none."""
    rows = await conn.fetch(_SQL[relation], org_id, list(parent_ids))
    found = dict.fromkeys(parent_ids, 0)
    found.update({row["parent"]: row["n"] for row in rows})
    return found
