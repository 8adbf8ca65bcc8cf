"""Sequences on the customer and the exit survey (docs/rules.md §8.3): authorize → validate →
transaction{lock, domain, save, ledger} → map."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from domain import sequences
from domain.customers import Stage
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action
from resolvers.common import refusals_as_data
from resolvers.loaders import _loader
from resolvers.store import sequences as store
from resolvers.success import locked_customer, record
from schema.context import Context
from schema.types import relations
from schema.types import sequences as types
from schema.types.relay import pk_of

CtxInfo = Info[Context, None]
RECORD_EXIT_SURVEY = "recordExitSurvey"


def _sequences(ctx: Context) -> DataLoader[int, list[store.Run]]:
    async def fetch(conn: Any, org_id: int, ids: Sequence[int]) -> dict[int, list[store.Run]]:
        return await store.by_customers(conn, org_id=org_id, customer_ids=ids, now=ctx.now)

    return _loader(ctx, types.SEQUENCES, fetch)


relations.provide(types.SEQUENCES, _sequences)


@refusals_as_data
async def record_exit_survey(
    info: CtxInfo,
    input: Annotated[
        types.RecordExitSurveyInput,
        strawberry.argument(description="The churned customer and its answers."),
    ],
) -> Any:
    """§8.3: one exit survey per churn, for a churned customer only."""
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field=RECORD_EXIT_SURVEY)
    customer_id = pk_of(input.customer_id, "Customer", field="customerId")
    org_id = principal.org_id
    async with ctx.transaction() as session:
        customer = await locked_customer(session, org_id, customer_id)
        survey = sequences.exit_survey(
            customer_id=customer_id,
            churned=customer.stage is Stage.CHURNED,
            primary_reason=input.primary_reason,
            reason_text=input.reason_text,
            could_do_better=input.could_do_better,
            would_return=input.would_return,
        )
        churned = await store.churned_at(session, org_id=org_id, customer_id=customer_id)
        if await store.survey_exists(
            session, org_id=org_id, customer_id=customer_id, churned=churned
        ):
            raise DomainError("customerId", ErrorCode.CONFLICT, Msg.EXIT_SURVEY_RECORDED)
        saved = await store.add_survey(
            session, org_id=org_id, survey=survey, churned=churned, now=ctx.now
        )
        assert saved.id is not None
        await record(
            session, ctx, principal, RECORD_EXIT_SURVEY, "ExitSurvey", saved.id, None, saved
        )
    return types.ExitSurveyPayload.from_domain(saved)
