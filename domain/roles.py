"""Who may do what: the one role table (README: Roles)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg


class Role(StrEnum):
    """An operator's role in their organisation (docs/architecture.md#request-path)."""

    OWNER = "owner"
    MANAGER = "manager"
    AGENT = "agent"
    VIEWER = "viewer"


class Action(StrEnum):
    """Everything an operator can be allowed or refused."""

    READ = "read"
    WRITE_CUSTOMERS = "write_customers"
    ARCHIVE_CUSTOMERS = "archive_customers"
    WORK_TICKETS = "work_tickets"
    WORK_INCIDENTS = "work_incidents"
    APPROVE_DRAFTS = "approve_drafts"
    READ_LEDGER = "read_ledger"
    LIFT_FREEZE = "lift_freeze"
    MANAGE_TOKENS = "manage_tokens"
    MANAGE_WEBHOOKS = "manage_webhooks"
    ACKNOWLEDGE_ALERTS = "acknowledge_alerts"
    IMPORT_DATA = "import_data"
    MANAGE_CALENDARS = "manage_calendars"
    BACKDATE_EVENTS = "backdate_events"


_ALL = frozenset(Role)
_STAFF = frozenset({Role.OWNER, Role.MANAGER, Role.AGENT})
_LEADS = frozenset({Role.OWNER, Role.MANAGER})

PERMISSIONS: Mapping[Action, frozenset[Role]] = {
    Action.READ: _ALL,
    Action.WRITE_CUSTOMERS: _STAFF,
    Action.ARCHIVE_CUSTOMERS: _LEADS,
    Action.WORK_TICKETS: _STAFF,
    Action.WORK_INCIDENTS: _STAFF,
    Action.APPROVE_DRAFTS: _STAFF,
    Action.READ_LEDGER: _LEADS,
    Action.LIFT_FREEZE: frozenset({Role.OWNER}),
    Action.MANAGE_TOKENS: _LEADS,
    Action.MANAGE_WEBHOOKS: _LEADS,
    Action.ACKNOWLEDGE_ALERTS: _STAFF,
    Action.IMPORT_DATA: _LEADS,
    Action.MANAGE_CALENDARS: _LEADS,
    Action.BACKDATE_EVENTS: _LEADS,
}


def allowed(role: Role, action: Action) -> bool:
    """§1 and the README role table: may `role` do `action`."""
    return role in PERMISSIONS[action]


def require(role: Role, action: Action, *, field: str) -> None:
    """Refuse with FORBIDDEN, naming the operation, when `role` may not do `action`."""
    if not allowed(role, action):
        raise DomainError(field, ErrorCode.FORBIDDEN, Msg.ROLE_MAY_NOT, role=role, action=action)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: resolved from a token, never from client input."""

    org_id: int
    operator_id: int
    role: Role
