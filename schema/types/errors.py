"""Expected refusals as data: every mutation's union carries these
(docs/architecture.md#house-rules, rule 5)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from domain.errors import DomainError
from domain.errors import ErrorCode as DomainErrorCode
from schema import language

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="Why input was refused.")


@strawberry.interface(description="An expected refusal: which input field, and why.")
class UserError:
    field: str = strawberry.field(description="The input field refused, in GraphQL spelling.")
    code: DomainErrorCode = strawberry.field(description="A stable code for the refusal.")
    message: str = strawberry.field(
        description="A sentence for a person, in the request's language (Accept-Language: "
        "Arabic or English; Arabic by default). `field` and `code` never change with it."
    )


@strawberry.type(description="An input broke a field rule (missing, too long, out of range).")
class ValidationError(UserError):
    pass


@strawberry.type(description="No such thing in your organisation.")
class NotFoundError(UserError):
    pass


@strawberry.type(description="Someone changed it since you read it: read again, then retry.")
class ConflictError(UserError):
    pass


@strawberry.type(description="Your token may not do this, or live actions are frozen.")
class ForbiddenError(UserError):
    pass


@strawberry.type(description="A domain rule refused the step (order, priority, state).")
class RuleError(UserError):
    pass


_BY_CODE: dict[DomainErrorCode, type[UserError]] = {
    DomainErrorCode.NOT_FOUND: NotFoundError,
    DomainErrorCode.CONFLICT: ConflictError,
    DomainErrorCode.IDEMPOTENCY_KEY_REUSED: ConflictError,
    DomainErrorCode.FORBIDDEN: ForbiddenError,
    DomainErrorCode.UNAUTHENTICATED: ForbiddenError,
    DomainErrorCode.FROZEN: ForbiddenError,
    DomainErrorCode.CHANNEL_FROZEN: ForbiddenError,
    DomainErrorCode.INVALID_TRANSITION: RuleError,
    DomainErrorCode.PRIORITY_LOWERED: RuleError,
    DomainErrorCode.SEVERITY_LOWERED: RuleError,
    DomainErrorCode.PRECONDITION_FAILED: RuleError,
}

# Every mutation result union lists these after its success type.
ERROR_TYPES = (ValidationError, NotFoundError, ConflictError, ForbiddenError, RuleError)


def from_domain(error: DomainError) -> Any:
    """The union member for a domain refusal."""
    kind = _BY_CODE.get(error.code, ValidationError)
    return kind(field=error.field, code=error.code, message=error.message(language.current()))


def as_graphql_error(error: DomainError) -> GraphQLError:
    """A query's refusal: a top-level error whose extensions name the field and the code."""
    return GraphQLError(
        error.message(language.current()),
        extensions={"code": error.code.value, "field": error.field},
    )
