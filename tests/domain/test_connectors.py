"""docs/rules.md §4.5: connectors, their states and readiness."""

from __future__ import annotations

import itertools

import pytest

from domain import connectors
from domain.connectors import ConnectorKey, ConnectorState, Mode
from domain.errors import DomainError, ErrorCode
from domain.messages import Language

K, S = ConnectorKey, ConnectorState

ALLOWED = {
    (S.NOT_STARTED, S.CONFIGURING),
    (S.CONFIGURING, S.CONNECTED_DRAFT_ONLY),
    (S.CONFIGURING, S.CONNECTED_APPROVED_EXECUTE),
    (S.CONFIGURING, S.FAILED),
    (S.CONFIGURING, S.SKIPPED),
    (S.FAILED, S.CONFIGURING),
    (S.SKIPPED, S.CONFIGURING),
    (S.CONNECTED_DRAFT_ONLY, S.CONFIGURING),
    (S.CONNECTED_DRAFT_ONLY, S.FAILED),
    (S.CONNECTED_APPROVED_EXECUTE, S.CONFIGURING),
    (S.CONNECTED_APPROVED_EXECUTE, S.FAILED),
}
ALL_PAIRS = list(itertools.product(ConnectorState, repeat=2))


def test_eleven_connectors_in_order() -> None:
    assert [k.value for k in ConnectorKey] == [
        "gmail",
        "google_calendar",
        "google_sheets",
        "moyasar",
        "whatsapp_cloud",
        "website_forms",
        "linkedin_lead_forms",
        "google_business_profile",
        "crm_generic",
        "google_meet",
        "instagram_graph",
    ]
    assert [spec.key for spec in connectors.CONNECTORS] == list(ConnectorKey)


@pytest.mark.parametrize(
    ("key", "mode", "blocking", "phase"),
    [
        (K.GMAIL, Mode.DRAFT_ONLY, False, 1),
        (K.GOOGLE_CALENDAR, Mode.DRAFT_ONLY, False, 1),
        (K.GOOGLE_SHEETS, Mode.APPROVED_EXECUTE, False, 1),
        (K.MOYASAR, Mode.MANUAL, False, 1),
        (K.WHATSAPP_CLOUD, Mode.DRAFT_ONLY, True, 1),
        (K.WEBSITE_FORMS, Mode.APPROVED_EXECUTE, False, 1),
        (K.LINKEDIN_LEAD_FORMS, Mode.INGEST_ONLY, False, 2),
        (K.GOOGLE_BUSINESS_PROFILE, Mode.DRAFT_ONLY, False, 2),
        (K.CRM_GENERIC, Mode.DRAFT_ONLY, False, 2),
        (K.GOOGLE_MEET, Mode.INGEST_ONLY, False, 2),
        (K.INSTAGRAM_GRAPH, Mode.INGEST_ONLY, False, 3),
    ],
)
def test_connector_spec(key: ConnectorKey, mode: Mode, blocking: bool, phase: int) -> None:
    spec = connectors.SPECS[key]
    assert (spec.default_mode, spec.blocking, spec.phase) == (mode, blocking, phase)


def test_only_whatsapp_cloud_is_blocking() -> None:
    assert [s.key for s in connectors.CONNECTORS if s.blocking] == [K.WHATSAPP_CLOUD]


def test_modes_and_states() -> None:
    assert [m.value for m in Mode] == ["draft_only", "approved_execute", "manual", "ingest_only"]
    assert [s.value for s in ConnectorState] == [
        "not_started",
        "configuring",
        "connected_draft_only",
        "connected_approved_execute",
        "failed",
        "skipped",
    ]


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_transition(current: ConnectorState, target: ConnectorState) -> None:
    assert connectors.transition(current, target) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.NOT_STARTED, S.CONNECTED_DRAFT_ONLY),
        (S.NOT_STARTED, S.SKIPPED),
        (S.NOT_STARTED, S.NOT_STARTED),
        (S.CONFIGURING, S.CONFIGURING),
        (S.CONFIGURING, S.NOT_STARTED),
        (S.FAILED, S.CONNECTED_DRAFT_ONLY),
        (S.SKIPPED, S.CONNECTED_APPROVED_EXECUTE),
        (S.CONNECTED_DRAFT_ONLY, S.CONNECTED_APPROVED_EXECUTE),
        (S.CONNECTED_APPROVED_EXECUTE, S.SKIPPED),
        (S.CONNECTED_APPROVED_EXECUTE, S.NOT_STARTED),
    ],
)
def test_refused_transition_names_both_states(
    current: ConnectorState, target: ConnectorState
) -> None:
    with pytest.raises(DomainError) as err:
        connectors.transition(current, target)
    assert (err.value.field, err.value.code) == ("state", ErrorCode.INVALID_TRANSITION)
    assert current.value in err.value.message(Language.EN)
    assert target.value in err.value.message(Language.EN)


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_all_36_pairs_against_the_allowed_set(
    current: ConnectorState, target: ConnectorState
) -> None:
    try:
        connectors.transition(current, target)
    except DomainError:
        allowed = False
    else:
        allowed = True
    assert allowed is ((current, target) in ALLOWED)


def test_there_are_36_pairs_and_11_allowed() -> None:
    assert (len(ALL_PAIRS), len(ALLOWED)) == (36, 11)


@pytest.mark.parametrize(
    ("connected", "pct"),
    [
        (0, 0.0),
        (1, 9.1),
        (2, 18.2),
        (3, 27.3),
        (4, 36.4),
        (5, 45.5),
        (6, 54.5),
        (7, 63.6),
        (8, 72.7),
        (9, 81.8),
        (10, 90.9),
        (11, 100.0),
    ],
)
def test_connected_pct(connected: int, pct: float) -> None:
    states = dict.fromkeys(list(ConnectorKey)[:connected], S.CONNECTED_DRAFT_ONLY)
    result = connectors.summary(states)
    assert (result.connected, result.connected_pct) == (connected, pct)


def test_empty_summary_counts_everything_as_not_started() -> None:
    result = connectors.summary({})
    assert result.connected == 0
    assert result.connected_pct == 0.0
    assert dict(result.by_state) == {
        S.NOT_STARTED: 11,
        S.CONFIGURING: 0,
        S.CONNECTED_DRAFT_ONLY: 0,
        S.CONNECTED_APPROVED_EXECUTE: 0,
        S.FAILED: 0,
        S.SKIPPED: 0,
    }
    assert result.blocking_missing == (K.WHATSAPP_CLOUD,)
    assert result.ready_for_first_service is False


def test_summary_counts_by_state() -> None:
    result = connectors.summary(
        {
            K.GMAIL: S.CONNECTED_DRAFT_ONLY,
            K.GOOGLE_SHEETS: S.CONNECTED_APPROVED_EXECUTE,
            K.MOYASAR: S.FAILED,
            K.WHATSAPP_CLOUD: S.CONFIGURING,
            K.INSTAGRAM_GRAPH: S.SKIPPED,
        }
    )
    assert (result.connected, result.connected_pct) == (2, 18.2)
    assert dict(result.by_state) == {
        S.NOT_STARTED: 6,
        S.CONFIGURING: 1,
        S.CONNECTED_DRAFT_ONLY: 1,
        S.CONNECTED_APPROVED_EXECUTE: 1,
        S.FAILED: 1,
        S.SKIPPED: 1,
    }
    assert result.blocking_missing == (K.WHATSAPP_CLOUD,)


@pytest.mark.parametrize(
    ("states", "ready"),
    [
        ({}, False),
        ({K.WHATSAPP_CLOUD: S.CONNECTED_DRAFT_ONLY}, True),
        ({K.WHATSAPP_CLOUD: S.CONNECTED_APPROVED_EXECUTE}, True),
        ({K.WHATSAPP_CLOUD: S.CONNECTED_DRAFT_ONLY, K.GMAIL: S.FAILED}, True),
        ({K.GMAIL: S.CONNECTED_DRAFT_ONLY}, False),
        ({K.GMAIL: S.CONNECTED_DRAFT_ONLY, K.WHATSAPP_CLOUD: S.SKIPPED}, False),
        ({K.GMAIL: S.CONNECTED_DRAFT_ONLY, K.WHATSAPP_CLOUD: S.FAILED}, False),
        ({K.GMAIL: S.CONNECTED_DRAFT_ONLY, K.WHATSAPP_CLOUD: S.CONFIGURING}, False),
        (dict.fromkeys(ConnectorKey, S.CONNECTED_APPROVED_EXECUTE), True),
    ],
)
def test_ready_for_first_service(states: dict[ConnectorKey, ConnectorState], ready: bool) -> None:
    result = connectors.summary(states)
    assert result.ready_for_first_service is ready
    assert result.blocking_missing == (() if ready else (K.WHATSAPP_CLOUD,))
