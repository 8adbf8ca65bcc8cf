"""Connector use-cases (docs/rules.md §4.5): move one of a customer's connectors."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import connectors
from domain.errors import DomainError, ErrorCode
from domain.roles import Action
from resolvers import playbooks
from resolvers.common import refusals_as_data
from resolvers.store import connectors as store
from resolvers.store import ledger
from resolvers.success import locked_customer
from schema.context import Context
from schema.types import connectors as types
from schema.types.relay import pk_of

CtxInfo = Info[Context, None]


@refusals_as_data
async def move_connector(
    info: CtxInfo,
    input: Annotated[
        types.MoveConnectorInput,
        strawberry.argument(description="The customer, the connector and the state to move it to."),
    ],
) -> Any:
    """§4.5: any move the state machine does not list is refused, naming both states."""
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="moveConnector")
    customer_id = pk_of(input.customer_id, "Customer", field="customerId")
    org_id = principal.org_id
    async with ctx.transaction() as session:
        await locked_customer(session, org_id, customer_id)
        current = await store.state_for_update(
            session, org_id=org_id, customer_id=customer_id, key=input.key
        )
        try:
            moved = connectors.transition(current, input.to)
        except DomainError as error:
            if error.code is not ErrorCode.INVALID_TRANSITION:
                raise
            return types.ConnectorTransitionError.build(error, current, input.to)
        await store.save(
            session, org_id=org_id, customer_id=customer_id, key=input.key, state=moved, now=ctx.now
        )
        await ledger.record(
            session,
            principal=principal,
            action="moveConnector",
            entity="Customer",
            entity_id=customer_id,
            before={"connector": input.key.value, "state": current.value},
            after={"connector": input.key.value, "state": moved.value},
            now=ctx.now,
        )
        if moved is connectors.ConnectorState.FAILED:
            await playbooks.flag_connector(
                session, org_id=org_id, customer_id=customer_id, key=input.key, now=ctx.now
            )
        states = await store.states_of(session, org_id=org_id, customer_id=customer_id)
    spec = connectors.SPECS[input.key]
    return types.ConnectorPayload(
        customer_id=input.customer_id,
        connector=types.Connector.build(spec, states),
        summary=types.ConnectorSummary.build(states),
    )
