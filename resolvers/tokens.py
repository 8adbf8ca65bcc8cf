"""API tokens over the API: list, create (role at most the creator's, optional expiry), revoke."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import tokens
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action, allowed
from resolvers.common import refusals_as_data, refusals_as_errors
from resolvers.store import ledger
from resolvers.store import tokens as store
from schema.context import Context
from schema.types import relay
from schema.types import tokens as types
from schema.types.relay import Connection, connection, page_args, pk_of

CtxInfo = Info[Context, None]


def _pk(token: tokens.ApiToken) -> int:
    return token.id


@refusals_as_errors
async def list_tokens(
    info: CtxInfo,
    first: Annotated[int | None, strawberry.argument(description=relay.FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=relay.AFTER)] = None,
) -> Connection[types.ApiToken]:
    ctx = info.context
    principal = ctx.authorize(Action.MANAGE_TOKENS, field="apiTokens")
    page = page_args(first, after)
    async with ctx.db() as conn:
        rows = await store.page(
            conn, org_id=principal.org_id, after_id=page.after, first=page.first
        )
    return connection(
        rows, first=page.first, key=_pk, build=lambda t: types.ApiToken.from_domain(t, now=ctx.now)
    )


@refusals_as_data
async def create_token(
    info: CtxInfo,
    input: Annotated[
        types.CreateApiTokenInput,
        strawberry.argument(
            description="The operator's name, the role (at most yours) and an optional expiry."
        ),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.MANAGE_TOKENS, field="createApiToken")
    name = tokens.validate_name(input.name)
    tokens.check_grant(principal.role, input.role, field="role")
    tokens.check_expiry(input.expires_at, ctx.now, field="expiresAt")
    async with ctx.transaction() as session:
        token, secret = await store.insert(
            session,
            org_id=principal.org_id,
            name=name,
            role=input.role,
            expires_at=input.expires_at,
            now=ctx.now,
        )
        await ledger.record(
            session,
            principal=principal,
            action="createApiToken",
            entity="ApiToken",
            entity_id=token.id,
            before=None,
            after=token,  # the listing: the secret is never in the ledger
            now=ctx.now,
        )
    return types.CreateApiTokenPayload(
        token=types.ApiToken.from_domain(token, now=ctx.now), secret=secret
    )


@refusals_as_data
async def revoke_token(
    info: CtxInfo,
    input: Annotated[
        types.RevokeApiTokenInput, strawberry.argument(description="The token to revoke.")
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.MANAGE_TOKENS, field="revokeApiToken")
    token_id = pk_of(input.id, "ApiToken")
    async with ctx.transaction() as session:
        current = await store.get_for_update(session, org_id=principal.org_id, token_id=token_id)
        if current is None:
            raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_TOKEN)
        tokens.check_revoke(principal.role, current, field="id")
        await store.revoke(session, org_id=principal.org_id, token_id=token_id, now=ctx.now)
        revoked = tokens.revoke(current, ctx.now)
        await ledger.record(
            session,
            principal=principal,
            action="revokeApiToken",
            entity="ApiToken",
            entity_id=token_id,
            before=current,
            after=revoked,
            now=ctx.now,
        )
    return types.ApiTokenPayload(token=types.ApiToken.from_domain(revoked, now=ctx.now))


@refusals_as_errors
async def me(info: CtxInfo) -> types.Me:
    """The caller's role and what it may do, so a client can hide what it would be refused."""
    principal = info.context.authorize(Action.READ, field="me")
    return types.Me(
        role=principal.role,
        may_approve_drafts=allowed(principal.role, Action.APPROVE_DRAFTS),
        may_acknowledge_alerts=allowed(principal.role, Action.ACKNOWLEDGE_ALERTS),
    )
