"""Customer use-cases: validate → load → domain → save with the ledger → map."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import customers
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg
from domain.roles import Action
from resolvers import loaders, pages
from resolvers.common import refusals_as_data, refusals_as_errors
from resolvers.store import customers as store
from resolvers.store import idempotency, ledger
from schema.context import Context
from schema.types import customers as types
from schema.types import relay
from schema.types.relay import BEFORE, LAST, Connection, pk_of

CtxInfo = Info[Context, None]


@refusals_as_errors
async def list_customers(
    info: CtxInfo,
    first: Annotated[int | None, strawberry.argument(description=relay.FIRST)] = None,
    after: Annotated[str | None, strawberry.argument(description=relay.AFTER)] = None,
    filter: Annotated[
        types.CustomerFilter | None,
        strawberry.argument(
            description="Narrow the list; left out: every live (not archived) customer."
        ),
    ] = None,
    last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
    before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
    order_by: Annotated[
        types.CustomerOrder | None,
        strawberry.argument(description="The order; by default oldest first (by id)."),
    ] = None,
) -> Connection[types.Customer]:
    ctx = info.context
    principal = ctx.authorize(Action.READ, field="customers")
    field = None if order_by is None else order_by.field
    window = relay.window(
        first=first,
        last=last,
        after=after,
        before=before,
        order="" if order_by is None else f"{order_by.field}_{order_by.direction}",
        parse_key=str if field is None else types.ORDER_KEYS[field],
    )
    descending = order_by is not None and order_by.direction is relay.Direction.DESC
    wanted = filter or types.CustomerFilter()
    search = customers.validate_search(wanted.search, field="filter.search")
    where = store.Filter(
        stage=wanted.stage,
        bundle=wanted.bundle,
        search=search,
        include_archived=wanted.include_archived,
    )
    async with ctx.db() as conn:
        rows = await store.page(
            conn,
            org_id=principal.org_id,
            filter=where,
            keyset=pages.keyset(window, descending=descending),
            order=None if field is None else field.value,
        )
        total = (
            await store.count(conn, org_id=principal.org_id, filter=where)
            if relay.wants_total(info)
            else None
        )
    return relay.window_connection(
        rows,
        window=window,
        cursor_of=lambda row: pages.cursor_of(window, _pk(row[1]), row[0]),
        build=lambda row: types.Customer.from_domain(row[1]),
        total=total,
    )


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
        raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_CUSTOMER_IN_ORG)
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
            request=input,
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
            raise DomainError("id", ErrorCode.INVALID_TRANSITION, Msg.CUSTOMER_ARCHIVED)
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
        raise DomainError("id", ErrorCode.NOT_FOUND, Msg.NO_SUCH_CUSTOMER_IN_ORG)
    return current
