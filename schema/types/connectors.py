"""What a client sees of a customer's connectors (docs/rules.md §4.5)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from domain import connectors
from domain.errors import DomainError
from schema import language
from schema.types import errors, relations

# Relation name the resolvers layer provides a loader for (schema.types.relations).
CONNECTORS = "customer_connectors"

ConnectorKey = strawberry.enum(connectors.ConnectorKey, description="§4.5 integration.")
ConnectorMode = strawberry.enum(connectors.Mode, name="ConnectorMode", description="§4.5 mode.")
ConnectorState = strawberry.enum(connectors.ConnectorState, description="§4.5 state.")

States = dict[connectors.ConnectorKey, tuple[connectors.ConnectorState, datetime]]


@strawberry.type(description="One of the eleven connectors, its defaults and its state.")
class Connector:
    key: connectors.ConnectorKey = strawberry.field(
        description="Which of the eleven connectors (docs/rules.md §4.5)."
    )
    default_mode: connectors.Mode = strawberry.field(
        description="How it acts once connected, by default."
    )
    blocking: bool = strawberry.field(description="Must be connected before the first service.")
    phase: int = strawberry.field(description="Rollout phase, 1..3.")
    state: connectors.ConnectorState = strawberry.field(
        description="Where it stands; only the §4.5 moves are allowed."
    )
    connected: bool = strawberry.field(description="In either connected state.")
    updated_at: datetime | None = strawberry.field(description="None: never touched.")

    @classmethod
    def build(cls, spec: connectors.ConnectorSpec, states: States) -> Connector:
        state, at = states.get(spec.key, (connectors.ConnectorState.NOT_STARTED, None))
        return cls(
            key=spec.key,
            default_mode=spec.default_mode,
            blocking=spec.blocking,
            phase=spec.phase,
            state=state,
            connected=connectors.is_connected(state),
            updated_at=at,
        )


@strawberry.type(description="How many connectors are in one state.")
class ConnectorStateCount:
    state: connectors.ConnectorState = strawberry.field(description="A connector state.")
    count: int = strawberry.field(description="How many of the eleven connectors are in it.")


@strawberry.type(description="§4.5 summary: connected count and %, counts by state, readiness.")
class ConnectorSummary:
    connected: int = strawberry.field(description="Connectors in either connected state, 0..11.")
    connected_pct: float = strawberry.field(description="round(100 × connected / 11, 1).")
    by_state: list[ConnectorStateCount] = strawberry.field(
        description="A count for every state, zeros included."
    )
    blocking_missing: list[connectors.ConnectorKey] = strawberry.field(
        description="Blocking connectors not yet connected (whatsapp_cloud today)."
    )
    ready_for_first_service: bool = strawberry.field(
        description="No blocking connector unconnected and at least one connected."
    )

    @classmethod
    def build(cls, states: States) -> ConnectorSummary:
        value = connectors.summary({key: state for key, (state, _) in states.items()})
        return cls(
            connected=value.connected,
            connected_pct=value.connected_pct,
            by_state=[ConnectorStateCount(state=s, count=n) for s, n in value.by_state.items()],
            blocking_missing=list(value.blocking_missing),
            ready_for_first_service=value.ready_for_first_service,
        )


async def resolve_connectors(root: Any, info: strawberry.Info) -> list[Connector]:
    """`Customer.connectors`: all eleven in rollout order, batched over a page."""
    states: States = await relations.loader(info.context, CONNECTORS).load(root.pk)
    return [Connector.build(spec, states) for spec in connectors.CONNECTORS]


async def resolve_summary(root: Any, info: strawberry.Info) -> ConnectorSummary:
    """`Customer.connectorSummary`, batched over a page (shares the connectors query)."""
    states: States = await relations.loader(info.context, CONNECTORS).load(root.pk)
    return ConnectorSummary.build(states)


@strawberry.input(description="Move one of a customer's connectors to another state.")
class MoveConnectorInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    key: connectors.ConnectorKey = strawberry.field(description="Which connector.")
    to: connectors.ConnectorState = strawberry.field(
        description="The state to move to (docs/rules.md §4.5)."
    )


@strawberry.type(description="The connector after the move, and the customer's new summary.")
class ConnectorPayload:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    connector: Connector = strawberry.field(description="The connector after the move.")
    summary: ConnectorSummary = strawberry.field(
        description="The customer's connectors at a glance after the move."
    )


@strawberry.type(description="§4.5 refused a move; both states are named.")
class ConnectorTransitionError(errors.UserError):
    from_state: connectors.ConnectorState = strawberry.field(
        description="The connector's current state."
    )
    to_state: connectors.ConnectorState = strawberry.field(
        description="The state asked for, which §4.5 does not allow from there."
    )

    @classmethod
    def build(
        cls,
        error: DomainError,
        current: connectors.ConnectorState,
        target: connectors.ConnectorState,
    ) -> ConnectorTransitionError:
        return cls(
            field=error.field,
            code=error.code,
            message=error.message(language.current()),
            from_state=current,
            to_state=target,
        )


MoveConnectorResult = Annotated[
    ConnectorPayload
    | ConnectorTransitionError
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("MoveConnectorResult", description="The connector, or why it was refused."),
]
