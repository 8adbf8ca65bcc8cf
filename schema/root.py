"""Query, Mutation and Subscription: each field bound to a resolver function."""

from __future__ import annotations

import logging
import uuid

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxTokensLimiter, QueryDepthLimiter
from strawberry.extensions.parser_cache import ParserCache
from strawberry.extensions.validation_cache import ValidationCache

from resolvers import customers as customer_resolvers
from resolvers import ledger as ledger_resolvers
from resolvers import nodes as node_resolvers
from schema.types import errors
from schema.types.customers import Customer, CustomerResult
from schema.types.ledger import LedgerEntry
from schema.types.relay import Connection, Node

log = logging.getLogger("wafi")

MAX_DEPTH = 10
MAX_TOKENS = 2_000


@strawberry.type(description="Everything you can read.")
class Query:
    node: Node | None = strawberry.field(
        resolver=node_resolvers.node, description="Anything by global id."
    )
    customers: Connection[Customer] = strawberry.field(
        resolver=customer_resolvers.list_customers, description="Your customers, oldest first."
    )
    customer: Customer = strawberry.field(
        resolver=customer_resolvers.get_customer, description="One customer by id."
    )
    ledger: Connection[LedgerEntry] = strawberry.field(
        resolver=ledger_resolvers.list_entries,
        description="The action ledger, newest first; `entity` narrows it to one thing's id.",
    )


@strawberry.type(description="Everything you can change; each call is one transaction.")
class Mutation:
    create_customer: CustomerResult = strawberry.mutation(
        resolver=customer_resolvers.create_customer, description="Add a customer."
    )
    update_customer: CustomerResult = strawberry.mutation(
        resolver=customer_resolvers.update_customer,
        description="Change a customer (pass its version).",
    )
    archive_customer: CustomerResult = strawberry.mutation(
        resolver=customer_resolvers.archive_customer,
        description="Archive a customer (owners, managers).",
    )


def _unexpected(error: Exception) -> bool:
    # Refusals were turned into GraphQLErrors with a code; anything else is a bug: mask it.
    original = getattr(error, "original_error", None)
    return original is not None and not isinstance(original, GraphQLError)


class LoggedMaskErrors(MaskErrors):
    """Masks unexpected errors for the client and logs each with an id the client is shown."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        error_id = uuid.uuid4().hex[:12]
        log.error("unexpected error %s", error_id, exc_info=error.original_error)
        return GraphQLError(
            f"{self.error_message} (id {error_id})",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL", "errorId": error_id},
        )


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[*errors.ERROR_TYPES],
        extensions=[
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: LoggedMaskErrors(should_mask_error=_unexpected, error_message="Internal error"),
        ],
    )


schema = build_schema()
