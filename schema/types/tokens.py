"""What a client sees of API tokens: never the secret, except once in the create payload."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import tokens
from domain.roles import Role as DomainRole
from schema.types import errors
from schema.types.relay import Node, to_global_id

Role = strawberry.enum(DomainRole, name="Role", description="An operator's role (README: Roles).")


@strawberry.type(description="An API token as listed: who holds it and its life, never its secret.")
class ApiToken(Node):
    pk: strawberry.Private[int]
    name: str = strawberry.field(description="The display name of the operator the token is for.")
    role: DomainRole = strawberry.field(description="What the token may do (README: Roles).")
    created_at: datetime = strawberry.field(description="When the token was made.")
    expires_at: datetime | None = strawberry.field(
        description="When the token stops working; null: it does not expire."
    )
    last_used_at: datetime | None = strawberry.field(
        description="When a request last used it (noted at most every 5 minutes); null: never."
    )
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked; null while it is live."
    )
    live: bool = strawberry.field(description="Neither revoked nor expired now.")

    @classmethod
    def from_domain(cls, value: tokens.ApiToken, *, now: datetime) -> ApiToken:
        return cls(
            id=to_global_id("ApiToken", value.id),
            pk=value.id,
            name=value.name,
            role=value.role,
            created_at=value.created_at,
            expires_at=value.expires_at,
            last_used_at=value.last_used_at,
            revoked_at=value.revoked_at,
            live=value.live(now),
        )


@strawberry.input(description="A new token for a new operator, with a role at most your own.")
class CreateApiTokenInput:
    name: str = strawberry.field(description="The operator's display name, 1 to 120 characters.")
    role: DomainRole = strawberry.field(description="The token's role: at most the creator's.")
    expires_at: datetime | None = strawberry.field(
        default=None,
        description="When it stops working: in the future, at most two years ahead; null: never.",
    )


@strawberry.type(description="The new token. `secret` is shown this once and never again.")
class CreateApiTokenPayload:
    token: ApiToken = strawberry.field(description="The token as it will be listed.")
    secret: str = strawberry.field(
        description="The bearer token itself: store it now; only its SHA-256 hash is kept."
    )


@strawberry.input(description="Revoke a token: requests with it are refused from then on.")
class RevokeApiTokenInput:
    id: strawberry.ID = strawberry.field(description="The token's global id.")


@strawberry.type(description="The token as it is after being revoked.")
class ApiTokenPayload:
    token: ApiToken = strawberry.field(description="The revoked token.")


CreateApiTokenResult = Annotated[
    CreateApiTokenPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("CreateApiTokenResult", description="The new token, or why it was refused."),
]
RevokeApiTokenResult = Annotated[
    ApiTokenPayload
    | errors.ValidationError
    | errors.NotFoundError
    | errors.ConflictError
    | errors.ForbiddenError
    | errors.RuleError,
    strawberry.union("RevokeApiTokenResult", description="The revoked token, or why not."),
]


@strawberry.type(description="The caller: the role of the token this request carries.")
class Me:
    role: DomainRole = strawberry.field(description="What this token may do (README: Roles).")
    may_approve_drafts: bool = strawberry.field(
        description="Whether this token may approve, reject and mark drafts sent (not a viewer)."
    )
    may_acknowledge_alerts: bool = strawberry.field(
        description="Whether this token may acknowledge alerts (not a viewer)."
    )
