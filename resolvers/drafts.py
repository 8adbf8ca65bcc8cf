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
from resolvers import loaders
from resolvers import tickets as ticket_use_cases
from resolvers.common import refusals_as_data, refusals_as_errors
from resolvers.store import drafts as store
from resolvers.store import freezes, ledger
from schema.context import Context
from schema.types import drafts as types
from schema.types.relay import pk_of

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
