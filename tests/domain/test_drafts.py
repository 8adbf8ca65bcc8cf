"""docs/rules.md §1: approval first; drafts move draft → approved → sent or draft → rejected."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from domain import drafts
from domain.drafts import DraftKind, DraftStatus
from domain.errors import DomainError, ErrorCode
from domain.messages import Language

ALLOWED = {
    (DraftStatus.DRAFT, DraftStatus.APPROVED),
    (DraftStatus.DRAFT, DraftStatus.REJECTED),
    (DraftStatus.APPROVED, DraftStatus.SENT),
}
REFUSED = sorted(set(itertools.product(DraftStatus, DraftStatus)) - ALLOWED)


def test_payload_flags() -> None:
    assert drafts.APPROVAL_REQUIRED is True
    assert drafts.LIVE_SEND_ALLOWED is False


def test_vocabulary() -> None:
    assert [s.value for s in DraftStatus] == ["draft", "approved", "rejected", "sent"]
    assert [k.value for k in DraftKind] == [
        "first_response",
        "check_in",
        "at_risk_email",
        "incident_update",
        "renewal_offer",
        "onboarding_step",
        "win_back_step",
        "cs_outreach",
        "pilot_check_in",
        "pilot_soft_ask",
        "pilot_firm_ask",
        "testimonial_ask",
        "referral_ask",
    ]


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_transitions(current: DraftStatus, target: DraftStatus) -> None:
    assert drafts.can_transition(current, target) is True
    assert drafts.transition(current, target) is target


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_refuses_any_other_transition(current: DraftStatus, target: DraftStatus) -> None:
    assert drafts.can_transition(current, target) is False
    with pytest.raises(DomainError) as caught:
        drafts.transition(current, target)
    assert (caught.value.field, caught.value.code) == ("status", ErrorCode.INVALID_TRANSITION)
    assert caught.value.message(Language.EN) == f"A draft cannot go from '{current}' to '{target}'."


def test_refused_transitions_count() -> None:
    assert len(REFUSED) == 13


@pytest.mark.parametrize("role", ["owner", "manager", "agent"])
def test_operators_approve_reject_and_mark_sent(role: str) -> None:
    approved = drafts.approve(DraftStatus.DRAFT, role, frozen=False)
    assert approved is DraftStatus.APPROVED
    assert drafts.mark_sent(approved, role) is DraftStatus.SENT
    assert drafts.reject(DraftStatus.DRAFT, role) is DraftStatus.REJECTED


@pytest.mark.parametrize("frozen", [False, True])
def test_viewer_approves_nothing(frozen: bool) -> None:
    with pytest.raises(DomainError) as caught:
        drafts.approve(DraftStatus.DRAFT, "viewer", frozen=frozen)
    assert (caught.value.field, caught.value.code) == ("role", ErrorCode.FORBIDDEN)
    assert caught.value.message(Language.EN) == "A viewer cannot approve drafts."


@pytest.mark.parametrize(
    ("act", "message"),
    [
        (lambda: drafts.reject(DraftStatus.DRAFT, "viewer"), "A viewer cannot reject drafts."),
        (lambda: drafts.mark_sent(DraftStatus.APPROVED, "viewer"), "A viewer cannot send drafts."),
    ],
)
def test_viewer_decides_nothing(act: Callable[[], DraftStatus], message: str) -> None:
    with pytest.raises(DomainError) as caught:
        act()
    assert (caught.value.code, caught.value.message(Language.EN)) == (ErrorCode.FORBIDDEN, message)


def test_frozen_organisation_approves_nothing() -> None:
    with pytest.raises(DomainError) as caught:
        drafts.approve(DraftStatus.DRAFT, "owner", frozen=True)
    assert (caught.value.field, caught.value.code) == ("status", ErrorCode.FROZEN)


def test_frozen_organisation_may_still_reject() -> None:
    assert drafts.reject(DraftStatus.DRAFT, "owner") is DraftStatus.REJECTED


@pytest.mark.parametrize("status", [DraftStatus.APPROVED, DraftStatus.REJECTED, DraftStatus.SENT])
def test_refuses_approving_a_decided_draft(status: DraftStatus) -> None:
    with pytest.raises(DomainError) as caught:
        drafts.approve(status, "owner", frozen=False)
    assert caught.value.code == ErrorCode.INVALID_TRANSITION
    assert caught.value.message(Language.EN) == f"A draft cannot go from '{status}' to 'approved'."


def test_refuses_sending_an_unapproved_draft() -> None:
    with pytest.raises(DomainError) as caught:
        drafts.mark_sent(DraftStatus.DRAFT, "agent")
    assert caught.value.message(Language.EN) == "A draft cannot go from 'draft' to 'sent'."
