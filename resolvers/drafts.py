"""Draft use-cases (docs/rules.md §1): approve, reject, record as sent; nothing is sent by Wafi."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import drafts
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action
from resolvers import channels as channel_use_cases
from resolvers import loaders, pages
from resolvers import tickets as ticket_use_cases
from resolvers.common import known_customer, refusals_as_data, refusals_as_errors
from resolvers.store import drafts as store
from resolvers.store import freezes, ledger
from schema.context import Context
from schema.types import drafts as types
from schema.types import relay
from schema.types.relay import Connection, pk_of

CtxInfo = Info[Context, None]


@refusals_as_errors
async def get_draft(
    info: CtxInfo,
    id: Annotated[strawberry.ID, strawberry.argument(description="The draft's global id.")],
) -> types.Draft:
    ctx = info.context
    ctx.authorize(Action.READ, field="draft")
    found = await loaders.drafts(ctx).load(pk_of(id, "Draft"))
    if found is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_DRAFT_IN_ORG)
    return types.Draft.from_domain(found)


@refusals_as_errors
async def list_drafts(
    info: CtxInfo,
    status: Annotated[
        list[drafts.DraftStatus] | None,
        strawberry.argument(
            description="Only drafts in one of these states (e.g. [DRAFT] for the approval "
            "queue); left out: every state."
        ),
    ] = None,
    kinds: Annotated[
        list[drafts.DraftKind] | None,
        strawberry.argument(description="Only drafts of one of these kinds; left out: every kind."),
    ] = None,
    customer: Annotated[
        strawberry.ID | None,
        strawberry.argument(
            description="Only one customer's drafts (its global id); another organisation's id "
            "is refused as NOT_FOUND."
        ),
    ] = None,
    first: Annotated[int | None, strawberry.argument(description=relay.FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=relay.AFTER)] = None,
) -> Connection[types.Draft]:
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="drafts")
    window = relay.window(first=first, last=None, after=after, before=None)
    customer_id = (
        None if customer is None else await known_customer(ctx, customer, field="customer")
    )
    where = store.Filter(
        statuses=status,
        kinds=kinds,
        customer_id=customer_id,
    )
    async with ctx.db() as conn:
        rows = await store.page(
            conn,
            org_id=principal.org_id,
            filter=where,
            keyset=pages.keyset(window, descending=True),
        )
        total = (
            await store.count(conn, org_id=principal.org_id, filter=where)
            if relay.wants_total(info)
            else None
        )
    return relay.window_connection(
        rows,
        window=window,
        cursor_of=lambda d: relay.cursor(d.id),
        build=types.Draft.from_domain,
        total=total,
    )


@refusals_as_data
async def approve_draft(
    info: CtxInfo,
    input: Annotated[
        types.ApproveDraftInput,
        strawberry.argument(description="The draft and the version you read."),
    ],
) -> Any:
    return await _decide(info, input.id, input.version, "approveDraft")


@refusals_as_data
async def reject_draft(
    info: CtxInfo,
    input: Annotated[
        types.RejectDraftInput,
        strawberry.argument(description="The draft and the version you read."),
    ],
) -> Any:
    return await _decide(info, input.id, input.version, "rejectDraft")


@refusals_as_data
async def mark_draft_sent(
    info: CtxInfo,
    input: Annotated[
        types.MarkDraftSentInput,
        strawberry.argument(description="The approved draft and the version you read."),
    ],
) -> Any:
    return await _decide(info, input.id, input.version, "markDraftSent")


async def _decide(info: CtxInfo, id: strawberry.ID, version: int, action: str) -> Any:
    """Lock the draft, apply the §1 step, and for a sent first response record the ticket's
    first response (§2.5) in the same transaction."""
    ctx = info.context
    principal = ctx.authorize(Action.APPROVE_DRAFTS, field=action)
    draft_id = pk_of(id, "Draft")
    async with ctx.transaction() as session:
        current = await store.get_for_update(session, org_id=principal.org_id, draft_id=draft_id)
        if current is None:
            raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_DRAFT_IN_ORG)
        if current.version != version:
            raise DomainError(
                "version", ErrorCode.CONFLICT, Msg.DRAFT_CHANGED, current=current.version
            )
        role = principal.role.value
        if action == "approveDraft":
            reason = await freezes.active_reason(
                session,
                org_id=principal.org_id,
                customer_id=current.customer_id,
                draft_kind=current.kind,
            )
            channel = await channel_use_cases.frozen_channel(
                session,
                principal.org_id,
                current.kind,
                current.subject_id if current.subject_type == "ticket" else None,
            )
            status = drafts.approve(
                current.status, role, frozen=reason is not None, frozen_channel=channel
            )
        elif action == "rejectDraft":
            status = drafts.reject(current.status, role)
        else:
            status = drafts.mark_sent(current.status, role)
        changed = replace(current, status=status, version=current.version + 1)
        if status is drafts.DraftStatus.SENT:
            changed = replace(changed, sent_at=ctx.now, sent_by=principal.operator_id)
            if current.kind is drafts.DraftKind.FIRST_RESPONSE and current.subject_type == "ticket":
                await _answer_ticket(session, principal, current, ctx.now)
        else:
            changed = replace(changed, decided_at=ctx.now, decided_by=principal.operator_id)
        await store.save(session, org_id=principal.org_id, draft=changed)
        await ledger.record(
            session,
            principal=principal,
            action=action,
            entity="Draft",
            entity_id=current.id,
            before=current,
            after=changed,
            now=ctx.now,
        )
    return types.DraftPayload(draft=types.Draft.from_domain(changed))


async def _answer_ticket(session: Any, principal: Any, draft: drafts.Draft, now: Any) -> None:
    ticket = await ticket_use_cases.locked(session, principal.org_id, draft.subject_id)
    change = ticket_use_cases.answer(now, {"via": "draft", "draftId": draft.id})
    await ticket_use_cases.apply(session, principal, ticket, change, now)
