"""Customer use-cases: validate → load → domain → save with the ledger → map."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import customers
from domain.errors import DomainError, ErrorCode
from domain.roles import Action
from resolvers import loaders
from resolvers.common import refusals_as_data, refusals_as_errors
from resolvers.store import customers as store
from resolvers.store import idempotency, ledger
from schema.context import Context
from schema.types import customers as types
from schema.types.relay import Connection, connection, page_args, pk_of

CtxInfo = Info[Context, None]


@refusals_as_errors
async def list_customers(
    info: CtxInfo,
    first: Annotated[
        int | None, strawberry.argument(description="Page size, 1..100 (default 20).")
    ] = None,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="The `cursor` of the last item you have; the page starts after it."
        ),
    ] = None,
    filter: Annotated[
        types.CustomerFilter | None,
        strawberry.argument(
            description="Narrow the list; left out: every live (not archived) customer."
        ),
    ] = None,
) -> Connection[types.Customer]:
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="customers")
    page = page_args(first, after)
    wanted = filter or types.CustomerFilter()
    search = customers.validate_search(wanted.search, field="filter.search")
    async with ctx.db() as conn:
        rows = await store.page(
            conn,
            org_id=principal.org_id,
            filter=store.Filter(
                stage=wanted.stage,
                bundle=wanted.bundle,
                search=search,
                include_archived=wanted.include_archived,
            ),
            after_id=page.after,
            first=page.first,
        )
    return connection(rows, first=page.first, key=_pk, build=types.Customer.from_domain)


def _pk(customer: customers.Customer) -> int:
    assert customer.id is not None
    return customer.id


@refusals_as_errors
async def get_customer(
    info: CtxInfo,
    id: Annotated[strawberry.ID, strawberry.argument(description="The customer's global id.")],
) -> types.Customer:
    ctx = info.context
    ctx.authorize(Action.READ, field="customer")
    found = await loaders.customers(ctx).load(pk_of(id, "Customer"))
    if found is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, "no such customer in your organisation")
    return types.Customer.from_domain(found)


@refusals_as_data
async def create_customer(
    info: CtxInfo,
    input: Annotated[
        types.CreateCustomerInput,
        strawberry.argument(
            description="The new customer; only the name and the subscription start are required."
        ),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="createCustomer")
    customer = customers.validate(
        customers.Customer(
            name=input.name,
            locale=input.locale,
            bundle=input.bundle,
            stage=input.stage,
            subscription_status=input.subscription_status,
            subscription_started_at=input.subscription_started_at,
            renews_at=input.renews_at,
            contact_email=input.contact_email,
            last_activity_at=input.last_activity_at,
        )
    )
    async with ctx.transaction() as session:
        once = await idempotency.once(
            session,
            org_id=principal.org_id,
            key=input.idempotency_key,
            operation="createCustomer",
            now=ctx.now,
        )
        if once.previous is not None:
            existing = await store.get_for_update(
                session, org_id=principal.org_id, customer_id=once.previous
            )
            assert existing is not None
            return types.CustomerPayload(customer=types.Customer.from_domain(existing))
        saved = await store.insert(session, org_id=principal.org_id, customer=customer, now=ctx.now)
        assert saved.id is not None
        await once.made(saved.id)
        await ledger.record(
            session,
            principal=principal,
            action="createCustomer",
            entity="Customer",
            entity_id=saved.id,
            before=None,
            after=saved,
            now=ctx.now,
        )
    return types.CustomerPayload(customer=types.Customer.from_domain(saved))


_UPDATABLE = (
    "name",
    "locale",
    "bundle",
    "subscription_status",
    "subscription_started_at",
    "renews_at",
    "contact_email",
    "last_activity_at",
)


@refusals_as_data
async def update_customer(
    info: CtxInfo,
    input: Annotated[
        types.UpdateCustomerInput,
        strawberry.argument(
            description="The customer, the version you read, and the fields to change."
        ),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.WRITE_CUSTOMERS, field="updateCustomer")
    customer_id = pk_of(input.id, "Customer")
    changes = {
        name: getattr(input, name) for name in _UPDATABLE if getattr(input, name) is not None
    }
    async with ctx.transaction() as session:
        current = await _locked(session, principal.org_id, customer_id)
        customers.check_version(current.version, input.version)
        if current.archived_at is not None:
            raise DomainError("id", ErrorCode.INVALID_TRANSITION, "customer is archived")
        changed = customers.validate(
            dataclasses.replace(current, **changes, version=current.version + 1)
        )
        await store.save(session, org_id=principal.org_id, customer=changed, now=ctx.now)
        await ledger.record(
            session,
            principal=principal,
            action="updateCustomer",
            entity="Customer",
            entity_id=customer_id,
            before=current,
            after=changed,
            now=ctx.now,
        )
    return types.CustomerPayload(customer=types.Customer.from_domain(changed))


@refusals_as_data
async def archive_customer(
    info: CtxInfo,
    input: Annotated[
        types.ArchiveCustomerInput,
        strawberry.argument(description="The customer and the version you read."),
    ],
) -> Any:
    ctx = info.context
    principal = ctx.authorize(Action.ARCHIVE_CUSTOMERS, field="archiveCustomer")
    customer_id = pk_of(input.id, "Customer")
    async with ctx.transaction() as session:
        current = await _locked(session, principal.org_id, customer_id)
        customers.check_version(current.version, input.version)
        archived = customers.archive(current, now=ctx.now)
        await store.save(session, org_id=principal.org_id, customer=archived, now=ctx.now)
        await ledger.record(
            session,
            principal=principal,
            action="archiveCustomer",
            entity="Customer",
            entity_id=customer_id,
            before=current,
            after=archived,
            now=ctx.now,
        )
    return types.CustomerPayload(customer=types.Customer.from_domain(archived))


async def _locked(session: Any, org_id: int, customer_id: int) -> customers.Customer:
    current = await store.get_for_update(session, org_id=org_id, customer_id=customer_id)
    if current is None:
        raise DomainError("id", ErrorCode.NOT_FOUND, "no such customer in your organisation")
    return current
