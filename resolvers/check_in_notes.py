"""The weekly check-in note (docs/rules.md §1, §4.3): the week's check-in drafted as a note to the
customer, approval first: authorize → validate → transaction{lock, domain, save, ledger} → map."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import outreach
from domain.drafts import DraftKind
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action
from resolvers.common import refusals_as_data
from resolvers.store import drafts as draft_store
from resolvers.store import idempotency, ledger
from resolvers.store import signals as signal_store
from resolvers.success import locked_customer
from schema.context import Context
from schema.types import drafts as draft_types
from schema.types import success as types
from schema.types.relay import pk_of

CtxInfo = Info[Context, None]
DRAFT_CHECK_IN_NOTE = "draftCheckInNote"


@refusals_as_data
async def draft_check_in_note(
    info: CtxInfo,
    input: Annotated[
        types.DraftCheckInNoteInput,
        strawberry.argument(description="The customer and the week whose metrics are recorded."),
    ],
) -> Any:
    """§4.3: the `weeklyCheckIn` agenda and talking points as a check_in draft (§1) in the
    customer's locale; refused while no metrics are recorded for that week."""
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field=DRAFT_CHECK_IN_NOTE)
    customer_id = pk_of(input.customer_id, "Customer", field="customerId")
    org_id = principal.org_id
    async with ctx.transaction() as session:
        once = await idempotency.once(
            session,
            org_id=org_id,
            key=input.idempotency_key,
            operation=DRAFT_CHECK_IN_NOTE,
            request=input,
            now=ctx.now,
        )
        if once.previous is not None:
            made = await draft_store.get_for_update(session, org_id=org_id, draft_id=once.previous)
            assert made is not None
            return draft_types.DraftPayload(draft=draft_types.Draft.from_domain(made))
        customer = await locked_customer(session, org_id, customer_id)
        check_in = await signal_store.check_in_for_week_in(
            session, org_id=org_id, customer_id=customer_id, week_of=input.week_of
        )
        if check_in is None or check_in.id is None:
            raise DomainError(
                "weekOf",
                ErrorCode.PRECONDITION_FAILED,
                Msg.RECORD_METRICS_FIRST,
            )
        locale = customer.locale.value
        draft_id = await draft_store.create(
            session,
            org_id=org_id,
            customer_id=customer_id,
            kind=DraftKind.CHECK_IN.value,
            subject_type="check_in",
            subject_id=check_in.id,
            locale=locale,
            body=outreach.check_in_note(locale, customer.name, check_in),
            now=ctx.now,
        )
        draft = await draft_store.get_for_update(session, org_id=org_id, draft_id=draft_id)
        assert draft is not None
        await once.made(draft_id)
        await ledger.record(
            session,
            principal=principal,
            action=DRAFT_CHECK_IN_NOTE,
            entity="Draft",
            entity_id=draft_id,
            before=None,
            after=draft,
            now=ctx.now,
        )
    return draft_types.DraftPayload(draft=draft_types.Draft.from_domain(draft))
