"""Webhook endpoints over the API: add (secret shown once), rotate, disable/enable, the
delivery log and redelivery (owners and managers)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

import strawberry
from strawberry.types import Info

from domain import webhooks
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action, Principal
from resolvers.common import refusals_as_data, refusals_as_errors
from resolvers.store import ledger, targets
from resolvers.store import webhooks as store
from schema.context import Context
from schema.types import relay
from schema.types import webhooks as types
from schema.types.relay import Connection, connection, page_args, pk_of

CtxInfo = Info[Context, None]


@refusals_as_errors
async def list_endpoints(
    info: CtxInfo,
    first: Annotated[int | None, strawberry.argument(description=relay.FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=relay.AFTER)] = None,
) -> Connection[types.WebhookEndpoint]:
    ctx = info.context
    principal = ctx.authorize(Action.MANAGE_WEBHOOKS, field="webhookEndpoints")
    page = page_args(first, after)
    async with ctx.db() as conn:
        rows = await store.endpoints_page(
            conn, org_id=principal.org_id, after_id=page.after, first=page.first
        )
    return connection(
        rows, first=page.first, key=lambda e: e.id, build=types.WebhookEndpoint.from_domain
    )


@refusals_as_errors
async def list_deliveries(
    info: CtxInfo,
    endpoint: Annotated[
        strawberry.ID, strawberry.argument(description="The endpoint's global id.")
    ],
    first: Annotated[int | None, strawberry.argument(description=relay.FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=relay.AFTER)] = None,
) -> Connection[types.WebhookDelivery]:
    ctx = info.context
    principal = ctx.authorize(Action.MANAGE_WEBHOOKS, field="webhookDeliveries")
    page = page_args(first, after)
    endpoint_id = pk_of(endpoint, "WebhookEndpoint", field="endpoint")
    async with ctx.db() as conn:
        if await store.endpoint(conn, org_id=principal.org_id, endpoint_id=endpoint_id) is None:
            raise DomainError("endpoint", ErrorCode.NOT_FOUND, Msg.NO_SUCH_WEBHOOK)
        rows = await store.deliveries_page(
            conn,
            org_id=principal.org_id,
            endpoint_id=endpoint_id,
            before_id=page.after,
            first=page.first,
        )
    return connection(
        rows, first=page.first, key=lambda d: d.id, build=types.WebhookDelivery.from_domain
    )


@refusals_as_data
async def create_endpoint(
    info: CtxInfo,
    input: Annotated[
        types.CreateWebhookEndpointInput,
        strawberry.argument(description="The URL and the alert kinds it receives."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.MANAGE_WEBHOOKS, field="createWebhookEndpoint")
    url = webhooks.validate_url(input.url)
    await _check_host(ctx, url)
    secret = webhooks.new_secret(secrets.token_bytes(webhooks.SECRET_BYTES))
    kinds = tuple(dict.fromkeys(input.kinds))
    async with ctx.transaction() as session:
        made = await store.insert_endpoint(
            session, org_id=principal.org_id, url=url, kinds=kinds, secret=secret, now=ctx.now
        )
        await _ledger(session, principal, "createWebhookEndpoint", made.id, None, made, ctx)
    return types.WebhookSecretPayload(
        endpoint=types.WebhookEndpoint.from_domain(made), secret=secret
    )


@refusals_as_data
async def rotate_secret(
    info: CtxInfo,
    input: Annotated[
        types.RotateWebhookSecretInput,
        strawberry.argument(description="The endpoint and how long the old secret keeps signing."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.MANAGE_WEBHOOKS, field="rotateWebhookSecret")
    overlap = timedelta(hours=input.overlap_hours)
    webhooks.check_overlap(overlap)
    endpoint_id = pk_of(input.id, "WebhookEndpoint")
    secret = webhooks.new_secret(secrets.token_bytes(webhooks.SECRET_BYTES))
    async with ctx.transaction() as session:
        current = await _endpoint(session, principal, endpoint_id)
        rotated = await store.rotate_secret(
            session,
            org_id=principal.org_id,
            endpoint_id=endpoint_id,
            secret=secret,
            previous_until=ctx.now + overlap,
            now=ctx.now,
        )
        await _ledger(session, principal, "rotateWebhookSecret", endpoint_id, current, rotated, ctx)
    return types.WebhookSecretPayload(
        endpoint=types.WebhookEndpoint.from_domain(rotated), secret=secret
    )


@refusals_as_data
async def disable_endpoint(
    info: CtxInfo,
    input: Annotated[
        types.WebhookEndpointInput,
        strawberry.argument(description="The endpoint to stop sending to."),
    ],
) -> Any:
    return await _switch(info, input, enable=False)


@refusals_as_data
async def enable_endpoint(
    info: CtxInfo,
    input: Annotated[
        types.WebhookEndpointInput,
        strawberry.argument(description="The endpoint to send to again."),
    ],
) -> Any:
    return await _switch(info, input, enable=True)


async def _switch(info: CtxInfo, input: types.WebhookEndpointInput, *, enable: bool) -> Any:
    ctx = info.context
    action = "enableWebhookEndpoint" if enable else "disableWebhookEndpoint"
    principal = ctx.authorize(Action.MANAGE_WEBHOOKS, field=action)
    endpoint_id = pk_of(input.id, "WebhookEndpoint")
    async with ctx.transaction() as session:
        current = await _endpoint(session, principal, endpoint_id)
        if (current.disabled_at is None) == enable:
            already = Msg.WEBHOOK_ALREADY_ENABLED if enable else Msg.WEBHOOK_ALREADY_DISABLED
            raise DomainError("id", ErrorCode.INVALID_TRANSITION, already)
        if enable:
            await _check_host(ctx, current.url)
        changed = await store.set_disabled(
            session,
            org_id=principal.org_id,
            endpoint_id=endpoint_id,
            at=None if enable else ctx.now,
            reason=None if enable else "disabled by an operator",
        )
        await _ledger(session, principal, action, endpoint_id, current, changed, ctx)
    return types.WebhookEndpointPayload(endpoint=types.WebhookEndpoint.from_domain(changed))


@refusals_as_data
async def redeliver(
    info: CtxInfo,
    input: Annotated[
        types.RedeliverWebhookInput, strawberry.argument(description="The delivery to send again.")
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.MANAGE_WEBHOOKS, field="redeliverWebhook")
    delivery_id = pk_of(input.id, "WebhookDelivery")
    async with ctx.transaction() as session:
        current = await store.delivery_for_update(
            session, org_id=principal.org_id, delivery_id=delivery_id
        )
        if current is None:
            raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_DELIVERY)
        endpoint = await _endpoint(session, principal, current.endpoint_id)
        if endpoint.disabled_at is not None:
            raise DomainError("id", ErrorCode.PRECONDITION_FAILED, Msg.ENABLE_WEBHOOK_FIRST)
        again = await store.redeliver(
            session, org_id=principal.org_id, delivery_id=delivery_id, now=ctx.now
        )
        await _ledger(
            session,
            principal,
            "redeliverWebhook",
            delivery_id,
            current,
            again,
            ctx,
            "WebhookDelivery",
        )
        ctx.on_commit(lambda: store.enqueue_delivery(ctx.resources.queue))
    return types.WebhookDeliveryPayload(delivery=types.WebhookDelivery.from_domain(again))


async def _check_host(ctx: Context, url: str) -> None:
    host = urlsplit(url).hostname or ""
    webhooks.check_targets(
        await targets.addresses(host),
        allow_private=ctx.resources.settings.webhooks_allow_private,
    )


async def _endpoint(session: Any, principal: Principal, endpoint_id: int) -> webhooks.Endpoint:
    found = await store.endpoint_for_update(
        session, org_id=principal.org_id, endpoint_id=endpoint_id
    )
    if found is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_WEBHOOK)
    return found


async def _ledger(
    session: Any,
    principal: Principal,
    action: str,
    entity_id: int,
    before: Any,
    after: Any,
    ctx: Context,
    entity: str = "WebhookEndpoint",
) -> None:
    # Endpoints and deliveries as listed: their secrets are not part of them.
    await ledger.record(
        session,
        principal=principal,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        now=ctx.now,
    )
