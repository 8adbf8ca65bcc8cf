"""Incidents: severity, triage, response plan, lifecycle and deadlines (docs/rules.md §3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from domain import text
from domain.drafts import DraftKind
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

TITLE_MAX: Final = 120
DESCRIPTION_MAX: Final = 500
SEV2_MIN_AFFECTED: Final = 5
PDPL_NOTIFY_HOURS: Final = 72
PDPL_ALERT_HOURS_BEFORE: Final = 12


class Severity(StrEnum):
    """§3: incident severity; SEV1 is the most severe."""

    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"


_RANKS: Final[Mapping[Severity, int]] = MappingProxyType(
    {Severity.SEV1: 3, Severity.SEV2: 2, Severity.SEV3: 1}
)


def rank(severity: Severity) -> int:
    """§3: how severe, as a number that grows with severity (SEV1 = 3 … SEV3 = 1)."""
    return _RANKS[severity]


@dataclass(frozen=True, slots=True)
class SeverityPolicy:
    """§3: what a severity demands; `post_mortem_due_hours` None = post-mortem optional."""

    severity: Severity
    label_ar: str
    first_action_minutes: int
    update_cadence_minutes: int
    post_mortem_due_hours: int | None

    @property
    def post_mortem_required(self) -> bool:
        """§3: a SEV1 or SEV2 cannot be closed without its post-mortem."""
        return self.post_mortem_due_hours is not None


POLICIES: Final[Mapping[Severity, SeverityPolicy]] = MappingProxyType(
    {
        Severity.SEV1: SeverityPolicy(
            Severity.SEV1, "حرج جداً — تسريب أمان / إرسال خاطئ / تعطل كامل", 15, 30, 24
        ),
        Severity.SEV2: SeverityPolicy(
            Severity.SEV2, "خدمة مهمة معطلة لعدد كبير من العملاء", 30, 60, 48
        ),
        Severity.SEV3: SeverityPolicy(
            Severity.SEV3, "خدمة معطلة لعميل واحد أو degraded performance", 120, 240, None
        ),
    }
)


@dataclass(frozen=True, slots=True)
class Triage:
    """§3: the severity triage gives (the floor for the incident) and why."""

    severity: Severity
    reason_ar: str


def triage(affected_count: int, has_data_leak: bool, has_unauthorized_send: bool) -> Triage:
    """§3: leak or unauthorized send → SEV1; else ≥ 5 affected → SEV2; else SEV3."""
    if affected_count < 0:
        raise DomainError(
            "affectedCount", ErrorCode.OUT_OF_RANGE, Msg.AFFECTED_NEGATIVE, count=affected_count
        )
    if has_data_leak or has_unauthorized_send:
        return Triage(Severity.SEV1, "تسريب أمان أو إرسال غير معتمد — أعلى أولوية.")
    if affected_count >= SEV2_MIN_AFFECTED:
        return Triage(Severity.SEV2, f"عدد العملاء المتأثرين: {affected_count} ≥ 5.")
    return Triage(Severity.SEV3, "حدث محدود التأثير.")


def raise_severity(current: Severity, floor: Severity, requested: Severity) -> Severity:
    """§3: an operator may set any severity at or above the triage floor, never below it."""
    if rank(requested) < rank(floor):
        raise DomainError(
            "severity",
            ErrorCode.SEVERITY_LOWERED,
            Msg.SEVERITY_BELOW_TRIAGE,
            current=current,
            requested=requested,
            floor=floor,
        )
    return requested


_COMMON_STEPS: Final = (
    "تجميد الـ live actions على القناة المعنية فوراً.",
    "إخطار المؤسس + on-call operator.",
    "إنشاء incident channel مع timeline.",
    "مراجعة Action Ledger للأفعال المرتبطة.",
    "إذا تسريب: إخطار العملاء المتأثرين خلال 72 ساعة (PDPL).",
)
_EXTRA_STEPS: Final[Mapping[Severity, tuple[str, ...]]] = MappingProxyType(
    {
        Severity.SEV1: (
            "تواصل مباشر مع المؤسس + خلية أزمة.",
            "كتابة post-mortem خلال 24 ساعة.",
            "مراجعة قانونية إن لزم.",
        ),
        Severity.SEV2: (
            "تحديث العملاء المتأثرين كل 60 دقيقة.",
            "post-mortem خلال 48 ساعة.",
        ),
        Severity.SEV3: (
            "تحديث العميل المتأثر مع كل خطوة.",
            "post-mortem اختياري.",
        ),
    }
)


def response_plan(severity: Severity) -> tuple[str, ...]:
    """§3: the checklist — the five common steps, then the severity's extras, in order."""
    return _COMMON_STEPS + _EXTRA_STEPS[severity]


def replan(current: Sequence[tuple[str, bool]], severity: Severity) -> tuple[str, ...]:
    """§3: the checklist after a change to `severity`, from the current one's (text, ticked).

    A tick is never lost: it is the record of who did what when, and the first action is the
    earliest tick, so it must never move later. The plan is the five common steps, then the
    extras already ticked (in their order, so a ticked step keeps its place), then the new
    severity's extras not among them; extras not yet ticked go with the old severity.
    """
    kept = tuple(text for text, done in current if done and text not in _COMMON_STEPS)
    return _COMMON_STEPS + kept + tuple(t for t in _EXTRA_STEPS[severity] if t not in kept)


def validate_text(title: str, description: str) -> None:
    """§3: a title is required and ≤ 120 characters; a description is ≤ 500 characters."""
    if text.blank(title):
        raise DomainError("title", ErrorCode.REQUIRED, Msg.TITLE_REQUIRED)
    if not text.bounded(title, limit=TITLE_MAX):
        raise DomainError(
            "title",
            ErrorCode.TOO_LONG,
            Msg.FIELD_CHARS_OVER,
            field="title",
            length=len(title),
            limit=TITLE_MAX,
        )
    if not text.bounded(description, limit=DESCRIPTION_MAX):
        raise DomainError(
            "description",
            ErrorCode.TOO_LONG,
            Msg.FIELD_CHARS_OVER,
            field="description",
            length=len(description),
            limit=DESCRIPTION_MAX,
        )


class IncidentStatus(StrEnum):
    """§3: an incident's lifecycle, open → mitigated → resolved → closed."""

    OPEN = "open"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


_NEXT: Final[Mapping[IncidentStatus, IncidentStatus]] = MappingProxyType(
    {
        IncidentStatus.OPEN: IncidentStatus.MITIGATED,
        IncidentStatus.MITIGATED: IncidentStatus.RESOLVED,
        IncidentStatus.RESOLVED: IncidentStatus.CLOSED,
    }
)


def transition(
    current: IncidentStatus,
    target: IncidentStatus,
    *,
    severity: Severity,
    has_post_mortem: bool,
) -> IncidentStatus:
    """§3: move one step forward; a SEV1 or SEV2 closes only with its post-mortem."""
    if _NEXT.get(current) is not target:
        raise DomainError(
            "status",
            ErrorCode.INVALID_TRANSITION,
            Msg.INCIDENT_MOVE,
            current=current,
            target=target,
        )
    closing = target is IncidentStatus.CLOSED
    if closing and POLICIES[severity].post_mortem_required and not has_post_mortem:
        raise DomainError(
            "postMortem",
            ErrorCode.PRECONDITION_FAILED,
            Msg.CLOSE_NEEDS_POST_MORTEM,
            severity=severity,
        )
    return target


def _aware(moment: datetime) -> datetime:
    # Deadlines are compared across workers and stored as timestamptz; a naive time is a bug.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime: {moment.isoformat()}")
    return moment


def _due(start: datetime, minutes: int) -> datetime:
    return _aware(start) + timedelta(minutes=minutes)


def first_action_due(detected_at: datetime, severity: Severity) -> datetime:
    """§3: detection + the severity's first-action target (15 / 30 / 120 min)."""
    return _due(detected_at, POLICIES[severity].first_action_minutes)


def next_update_due(last_update_at: datetime, severity: Severity) -> datetime:
    """§3: the last customer update + the severity's cadence (30 / 60 / 240 min)."""
    return _due(last_update_at, POLICIES[severity].update_cadence_minutes)


def update_overdue(next_update_due_at: datetime, now: datetime) -> bool:
    """§3: an update is overdue once `now` is strictly past its due time (equal is on time)."""
    return _aware(now) > _aware(next_update_due_at)


def pdpl_notify_by(detected_at: datetime) -> datetime:
    """§3: a data leak must be notified to affected customers by detection + 72 h (PDPL)."""
    return _due(detected_at, PDPL_NOTIFY_HOURS * 60)


def pdpl_alert_at(notify_by: datetime) -> datetime:
    """§3/§5: the PDPL_DEADLINE_NEAR alert fires 12 h before the notification deadline."""
    return _aware(notify_by) - timedelta(hours=PDPL_ALERT_HOURS_BEFORE)


def post_mortem_due(resolved_at: datetime, severity: Severity) -> datetime | None:
    """§3: resolution + 24 h (SEV1) or 48 h (SEV2); None when optional (SEV3)."""
    hours = POLICIES[severity].post_mortem_due_hours
    return None if hours is None else _due(resolved_at, hours * 60)


POST_MORTEM_FIELDS: Final = (
    "summary",
    "timeline",
    "root_cause",
    "what_went_right",
    "what_went_wrong",
    "preventive_actions",
    "action_owners",
    "deadline",
)


@dataclass(frozen=True, slots=True)
class PostMortem:
    """§3: the post-mortem; `action_owners[i]` owns `preventive_actions[i]`."""

    summary: str
    timeline: str
    root_cause: str
    what_went_right: str
    what_went_wrong: str
    preventive_actions: tuple[str, ...]
    action_owners: tuple[str, ...]
    deadline: datetime

    def validate(self) -> None:
        """§3: every text is filled in, at least one action, and one owner per action."""
        texts = (
            ("summary", self.summary),
            ("timeline", self.timeline),
            ("rootCause", self.root_cause),
            ("whatWentRight", self.what_went_right),
            ("whatWentWrong", self.what_went_wrong),
        )
        for field, value in texts:
            if text.blank(value):
                raise DomainError(field, ErrorCode.REQUIRED, Msg.FIELD_REQUIRED, field=field)
        if not self.preventive_actions or any(map(text.blank, self.preventive_actions)):
            raise DomainError("preventiveActions", ErrorCode.REQUIRED, Msg.ACTION_NEEDS_TEXT)
        if len(self.action_owners) != len(self.preventive_actions) or any(
            map(text.blank, self.action_owners)
        ):
            raise DomainError("actionOwners", ErrorCode.REQUIRED, Msg.ACTION_NEEDS_OWNER)
        if self.deadline.tzinfo is None or self.deadline.utcoffset() is None:
            raise DomainError("deadline", ErrorCode.INVALID, Msg.NEEDS_TIME_ZONE, field="deadline")


# The aggregate: one incident's state and the moves an operator makes on it (§3).

_ACTIVE: Final = frozenset({IncidentStatus.OPEN, IncidentStatus.MITIGATED})


def higher(first: Severity, second: Severity) -> Severity:
    """§3: the more severe of two severities."""
    return first if rank(first) >= rank(second) else second


@dataclass(frozen=True, slots=True)
class Incident:
    """§3: an incident; `severity` never sits below `triage_severity`, `version` moves on change."""

    title: str
    description: str
    severity: Severity
    triage_severity: Severity
    reason_ar: str
    has_data_leak: bool
    has_unauthorized_send: bool
    status: IncidentStatus
    detected_at: datetime
    first_action_due_at: datetime
    next_update_due_at: datetime | None
    affected_count: int
    last_update_at: datetime | None = None
    first_action_at: datetime | None = None
    pdpl_notify_by: datetime | None = None
    pdpl_notified_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    post_mortem: PostMortem | None = None
    post_mortem_due_at: datetime | None = None
    id: int | None = None
    version: int = 1

    @property
    def active(self) -> bool:
        """Open or mitigated: updates are due and a SEV1 keeps live actions frozen."""
        return self.status in _ACTIVE

    @property
    def freezes_live_actions(self) -> bool:
        """§3: a SEV1 freezes live actions for its affected customers until it is resolved
        (all but incident updates: see `held_by_incident_freeze`)."""
        return self.severity is Severity.SEV1 and self.active


def held_by_incident_freeze(kind: DraftKind | None) -> bool:
    """§3: whether a SEV1's freeze holds back a live action for its affected customers.

    It holds every draft but the incidents' own updates to the customers they hurt: those are the
    one thing the freeze must not stop (the cadence counts them as posted, and a leak's 72 h PDPL
    notice is one). Kept simple: an update of *any* incident is exempt from *every* incident
    freeze, so a customer hit by two SEV1s still hears about both. `None` is any other action.
    """
    return kind is not DraftKind.INCIDENT_UPDATE


def declare(
    *,
    title: str,
    description: str,
    affected_count: int,
    has_data_leak: bool,
    has_unauthorized_send: bool,
    detected_at: datetime,
) -> Incident:
    """§3: a new open incident, triaged, with its first-action, update and PDPL deadlines."""
    validate_text(title, description)
    found = triage(affected_count, has_data_leak, has_unauthorized_send)
    return Incident(
        title=title.strip(),
        description=description,
        severity=found.severity,
        triage_severity=found.severity,
        reason_ar=found.reason_ar,
        has_data_leak=has_data_leak,
        has_unauthorized_send=has_unauthorized_send,
        status=IncidentStatus.OPEN,
        detected_at=detected_at,
        first_action_due_at=first_action_due(detected_at, found.severity),
        next_update_due_at=next_update_due(detected_at, found.severity),
        affected_count=affected_count,
        pdpl_notify_by=pdpl_notify_by(detected_at) if has_data_leak else None,
    )


def ensure_not_closed(incident: Incident) -> None:
    """§3: a closed incident is history; nothing on it changes any more."""
    if incident.status is IncidentStatus.CLOSED:
        raise DomainError("id", ErrorCode.INVALID_TRANSITION, Msg.INCIDENT_CLOSED)


def check_version(current: int, expected: int) -> None:
    """Optimistic concurrency: refuse an update made from a stale read."""
    if current != expected:
        raise DomainError(
            "version",
            ErrorCode.CONFLICT,
            Msg.INCIDENT_CHANGED,
            current=current,
            expected=expected,
        )


def _with_severity(incident: Incident, severity: Severity, **changes: object) -> Incident:
    # Every deadline is computed from the current severity, so a change moves them all.
    start = incident.last_update_at or incident.detected_at
    return replace(
        incident,
        severity=severity,
        first_action_due_at=first_action_due(incident.detected_at, severity),
        next_update_due_at=next_update_due(start, severity) if incident.active else None,
        post_mortem_due_at=None
        if incident.resolved_at is None
        else post_mortem_due(incident.resolved_at, severity),
        version=incident.version + 1,
        **changes,  # type: ignore[arg-type]
    )


def change_severity(incident: Incident, requested: Severity) -> Incident:
    """§3: an operator sets the severity, at or above what triage gave, never below."""
    ensure_not_closed(incident)
    chosen = raise_severity(incident.severity, incident.triage_severity, requested)
    return _with_severity(incident, chosen)


def add_affected(incident: Incident, affected_count: int) -> Incident:
    """§3: more affected customers re-triage; the severity only ever goes up from it."""
    ensure_not_closed(incident)
    found = triage(affected_count, incident.has_data_leak, incident.has_unauthorized_send)
    floor = higher(incident.triage_severity, found.severity)
    reason = found.reason_ar if floor is found.severity else incident.reason_ar
    return _with_severity(
        incident,
        higher(incident.severity, floor),
        triage_severity=floor,
        reason_ar=reason,
        affected_count=affected_count,
    )


def advance(incident: Incident, target: IncidentStatus, *, now: datetime) -> Incident:
    """§3: one step along open → mitigated → resolved → closed; stamps resolution and closing."""
    status = transition(
        incident.status,
        target,
        severity=incident.severity,
        has_post_mortem=incident.post_mortem is not None,
    )
    changed = replace(incident, status=status, version=incident.version + 1)
    if status is IncidentStatus.RESOLVED:
        return replace(
            changed,
            resolved_at=now,
            next_update_due_at=None,
            post_mortem_due_at=post_mortem_due(now, incident.severity),
        )
    if status is IncidentStatus.CLOSED:
        return replace(changed, closed_at=now)
    return changed


def post_update(incident: Incident, *, now: datetime) -> Incident:
    """§3: an update drafted for the affected customers; the next is due one cadence later."""
    ensure_not_closed(incident)
    if incident.affected_count == 0:
        raise DomainError("id", ErrorCode.PRECONDITION_FAILED, Msg.NO_AFFECTED_CUSTOMERS)
    return replace(
        incident,
        last_update_at=now,
        next_update_due_at=next_update_due(now, incident.severity) if incident.active else None,
        version=incident.version + 1,
    )


def record_pdpl_notification(incident: Incident, *, now: datetime) -> Incident:
    """§3: the affected customers were told of the leak; the PDPL deadline no longer runs."""
    ensure_not_closed(incident)
    if not incident.has_data_leak:
        raise DomainError("id", ErrorCode.PRECONDITION_FAILED, Msg.PDPL_ONLY_DATA_LEAK)
    if incident.pdpl_notified_at is not None:
        raise DomainError("id", ErrorCode.INVALID_TRANSITION, Msg.PDPL_ALREADY)
    return replace(
        incident, pdpl_notified_at=now, pdpl_notify_by=None, version=incident.version + 1
    )


def submit_post_mortem(incident: Incident, post_mortem: PostMortem) -> Incident:
    """§3: the post-mortem is written once the incident is resolved, before it is closed."""
    if incident.status is not IncidentStatus.RESOLVED:
        raise DomainError(
            "id",
            ErrorCode.PRECONDITION_FAILED,
            Msg.POST_MORTEM_ONLY_RESOLVED,
            status=incident.status,
        )
    post_mortem.validate()
    return replace(incident, post_mortem=post_mortem, version=incident.version + 1)


def first_action_overdue(incident: Incident, *, now: datetime) -> bool:
    """§3: no step ticked by the first-action due time (or the first tick came after it)."""
    acted = incident.first_action_at
    return (now if acted is None else acted) > incident.first_action_due_at


def update_overdue_now(incident: Incident, *, now: datetime) -> bool:
    """§3: an active incident whose next customer update is past due."""
    due = incident.next_update_due_at
    return incident.active and due is not None and update_overdue(due, now)
