"""Approval first: every outbound text is a draft an operator approves, sends (docs/rules.md §1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

# Every payload carrying a draft states both; Wafi has no live-send path at all.
APPROVAL_REQUIRED: Final = True
LIVE_SEND_ALLOWED: Final = False

# Compared as a string so both `roles.Role.VIEWER` and a plain "viewer" are refused.
VIEWER_ROLE: Final = "viewer"


class DraftStatus(StrEnum):
    """Where a draft is: `draft → approved → sent` or `draft → rejected` (§1)."""

    DRAFT = "draft"
    APPROVED = "approved"
    REJECTED = "rejected"
    SENT = "sent"


class DraftKind(StrEnum):
    """What a draft is for (§1, §2.4, §3, §4.3, §8.1, §8.3, §8.4)."""

    FIRST_RESPONSE = "first_response"
    CHECK_IN = "check_in"
    AT_RISK_EMAIL = "at_risk_email"
    INCIDENT_UPDATE = "incident_update"
    RENEWAL_OFFER = "renewal_offer"
    ONBOARDING_STEP = "onboarding_step"
    WIN_BACK_STEP = "win_back_step"
    # §8.4: the weekly CS review's outreach to the top at-risk customer, and its asks of the
    # top delighted one.
    CS_OUTREACH = "cs_outreach"
    PILOT_CHECK_IN = "pilot_check_in"
    PILOT_SOFT_ASK = "pilot_soft_ask"
    PILOT_FIRM_ASK = "pilot_firm_ask"
    TESTIMONIAL_ASK = "testimonial_ask"
    REFERRAL_ASK = "referral_ask"


TRANSITIONS: Mapping[DraftStatus, frozenset[DraftStatus]] = MappingProxyType(
    {
        DraftStatus.DRAFT: frozenset({DraftStatus.APPROVED, DraftStatus.REJECTED}),
        DraftStatus.APPROVED: frozenset({DraftStatus.SENT}),
        DraftStatus.REJECTED: frozenset(),
        DraftStatus.SENT: frozenset(),
    }
)


def can_transition(current: DraftStatus, target: DraftStatus) -> bool:
    """§1: True when a draft may move from `current` to `target`."""
    return target in TRANSITIONS[current]


def transition(current: DraftStatus, target: DraftStatus) -> DraftStatus:
    """§1: move a draft to `target`, or refuse with INVALID_TRANSITION naming both states."""
    if not can_transition(current, target):
        raise DomainError(
            "status",
            ErrorCode.INVALID_TRANSITION,
            Msg.DRAFT_MOVE,
            current=current,
            target=target,
        )
    return target


def _require_operator(role: str, refusal: Msg) -> None:
    if role == VIEWER_ROLE:
        raise DomainError("role", ErrorCode.FORBIDDEN, refusal)


def approve(
    status: DraftStatus, role: str, frozen: bool, frozen_channel: str | None = None
) -> DraftStatus:
    """§1/§2.7/§8.5: approve a draft; never by a viewer, never while live actions are frozen,
    never while the channel it goes out on is frozen."""
    _require_operator(role, Msg.VIEWER_CANNOT_APPROVE)
    if frozen:
        raise DomainError(
            "status",
            ErrorCode.FROZEN,
            Msg.DRAFT_FROZEN,
        )
    if frozen_channel is not None:
        raise DomainError(
            "status", ErrorCode.CHANNEL_FROZEN, Msg.DRAFT_CHANNEL_FROZEN, channel=frozen_channel
        )
    return transition(status, DraftStatus.APPROVED)


def reject(status: DraftStatus, role: str) -> DraftStatus:
    """§1: reject a draft; a freeze does not stop a rejection, since nothing goes out."""
    _require_operator(role, Msg.VIEWER_CANNOT_REJECT)
    return transition(status, DraftStatus.REJECTED)


def mark_sent(status: DraftStatus, role: str) -> DraftStatus:
    """§1: record that an operator sent an approved draft through their own channel."""
    _require_operator(role, Msg.VIEWER_CANNOT_SEND)
    return transition(status, DraftStatus.SENT)


@dataclass(frozen=True, slots=True)
class Draft:
    """One outbound text awaiting an operator (§1); `subject_*` names what it is about."""

    id: int
    version: int
    customer_id: int
    kind: DraftKind
    subject_type: str
    subject_id: int
    locale: str
    body: str
    status: DraftStatus
    created_at: datetime
    decided_at: datetime | None = None
    decided_by: int | None = None
    sent_at: datetime | None = None
    sent_by: int | None = None
