"""Connectors: the eleven integrations, their states and readiness (docs/rules.md §4.5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg


class ConnectorKey(StrEnum):
    """The integrations a customer can connect, in rollout order."""

    GMAIL = "gmail"
    GOOGLE_CALENDAR = "google_calendar"
    GOOGLE_SHEETS = "google_sheets"
    MOYASAR = "moyasar"
    WHATSAPP_CLOUD = "whatsapp_cloud"
    WEBSITE_FORMS = "website_forms"
    LINKEDIN_LEAD_FORMS = "linkedin_lead_forms"
    GOOGLE_BUSINESS_PROFILE = "google_business_profile"
    CRM_GENERIC = "crm_generic"
    GOOGLE_MEET = "google_meet"
    INSTAGRAM_GRAPH = "instagram_graph"


class Mode(StrEnum):
    """How far Wafi may act through a connector."""

    DRAFT_ONLY = "draft_only"
    APPROVED_EXECUTE = "approved_execute"
    MANUAL = "manual"
    INGEST_ONLY = "ingest_only"


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    """A connector's defaults: a `blocking` one must be connected before the first service."""

    key: ConnectorKey
    default_mode: Mode
    blocking: bool
    phase: int


class ConnectorState(StrEnum):
    """Where a customer's connector stands."""

    NOT_STARTED = "not_started"
    CONFIGURING = "configuring"
    CONNECTED_DRAFT_ONLY = "connected_draft_only"
    CONNECTED_APPROVED_EXECUTE = "connected_approved_execute"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class ConnectorSummary:
    """A customer's connectors at a glance."""

    connected: int
    connected_pct: float
    by_state: Mapping[ConnectorState, int]
    blocking_missing: tuple[ConnectorKey, ...]
    ready_for_first_service: bool


_K, _M = ConnectorKey, Mode
CONNECTORS: tuple[ConnectorSpec, ...] = (
    ConnectorSpec(_K.GMAIL, _M.DRAFT_ONLY, False, 1),
    ConnectorSpec(_K.GOOGLE_CALENDAR, _M.DRAFT_ONLY, False, 1),
    ConnectorSpec(_K.GOOGLE_SHEETS, _M.APPROVED_EXECUTE, False, 1),
    ConnectorSpec(_K.MOYASAR, _M.MANUAL, False, 1),
    ConnectorSpec(_K.WHATSAPP_CLOUD, _M.DRAFT_ONLY, True, 1),
    ConnectorSpec(_K.WEBSITE_FORMS, _M.APPROVED_EXECUTE, False, 1),
    ConnectorSpec(_K.LINKEDIN_LEAD_FORMS, _M.INGEST_ONLY, False, 2),
    ConnectorSpec(_K.GOOGLE_BUSINESS_PROFILE, _M.DRAFT_ONLY, False, 2),
    ConnectorSpec(_K.CRM_GENERIC, _M.DRAFT_ONLY, False, 2),
    ConnectorSpec(_K.GOOGLE_MEET, _M.INGEST_ONLY, False, 2),
    ConnectorSpec(_K.INSTAGRAM_GRAPH, _M.INGEST_ONLY, False, 3),
)
SPECS: Mapping[ConnectorKey, ConnectorSpec] = MappingProxyType(
    {spec.key: spec for spec in CONNECTORS}
)

_S = ConnectorState
CONNECTED_STATES: frozenset[ConnectorState] = frozenset(
    {_S.CONNECTED_DRAFT_ONLY, _S.CONNECTED_APPROVED_EXECUTE}
)
ALLOWED_TRANSITIONS: Mapping[ConnectorState, frozenset[ConnectorState]] = MappingProxyType(
    {
        _S.NOT_STARTED: frozenset({_S.CONFIGURING}),
        _S.CONFIGURING: frozenset(
            {_S.CONNECTED_DRAFT_ONLY, _S.CONNECTED_APPROVED_EXECUTE, _S.FAILED, _S.SKIPPED}
        ),
        _S.FAILED: frozenset({_S.CONFIGURING}),
        _S.SKIPPED: frozenset({_S.CONFIGURING}),
        _S.CONNECTED_DRAFT_ONLY: frozenset({_S.CONFIGURING, _S.FAILED}),
        _S.CONNECTED_APPROVED_EXECUTE: frozenset({_S.CONFIGURING, _S.FAILED}),
    }
)


def is_connected(state: ConnectorState) -> bool:
    """§4.5: connected = either connected state."""
    return state in CONNECTED_STATES


def transition(current: ConnectorState, target: ConnectorState) -> ConnectorState:
    """§4.5: move a connector to `target`; any move not listed there is refused."""
    if target not in ALLOWED_TRANSITIONS[current]:
        raise DomainError(
            "state",
            ErrorCode.INVALID_TRANSITION,
            Msg.CONNECTOR_MOVE,
            current=current,
            target=target,
        )
    return target


def summary(states: Mapping[ConnectorKey, ConnectorState]) -> ConnectorSummary:
    """§4.5: connected count and percentage, counts by state, blocking ones missing, readiness."""
    resolved = {spec.key: states.get(spec.key, _S.NOT_STARTED) for spec in CONNECTORS}
    connected = sum(1 for state in resolved.values() if is_connected(state))
    by_state = dict.fromkeys(ConnectorState, 0)
    for state in resolved.values():
        by_state[state] += 1
    blocking_missing = tuple(
        spec.key for spec in CONNECTORS if spec.blocking and not is_connected(resolved[spec.key])
    )
    return ConnectorSummary(
        connected=connected,
        connected_pct=round(100 * connected / len(CONNECTORS), 1),
        by_state=MappingProxyType(by_state),
        blocking_missing=blocking_missing,
        ready_for_first_service=not blocking_missing and connected > 0,
    )
