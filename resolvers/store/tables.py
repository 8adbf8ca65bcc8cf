"""SQLModel rows: the tables' shape, used by Alembic and by the write path.

Every tenant table has `org_id` first in its primary key and its indexes, and composite foreign
keys `(org_id, x_id)` so a row can never point into another organisation
(docs/architecture.md#tenancy).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlmodel.sql.sqltypes  # noqa: F401  (Alembic autogenerate needs it importable)
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel


def _id() -> Any:
    return Field(sa_column=Column(BigInteger, Identity(always=False), primary_key=True))


def _org_key() -> Any:
    return Field(sa_column=Column(BigInteger, primary_key=True))


def _ts(*, nullable: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=nullable),
    )


def _text(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(Text, nullable=nullable))


class OrganisationRow(SQLModel, table=True):
    __tablename__ = "organisations"
    __table_args__ = (
        # A zone PostgreSQL knows, or the row is refused (every scan reads it: migration 0010).
        CheckConstraint(
            "timezone(time_zone, '2000-01-01 00:00:00+00'::timestamptz) IS NOT NULL",
            name="organisations_time_zone",
        ),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True)
    )
    slug: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    name: str = Field(sa_column=Column(Text, nullable=False))
    time_zone: str = Field(sa_column=Column(Text, nullable=False, server_default="Asia/Riyadh"))
    frozen_at: datetime | None = _ts(nullable=True)
    frozen_reason: str | None = _text(nullable=True)
    created_at: datetime = _ts()


class OperatorRow(SQLModel, table=True):
    __tablename__ = "operators"
    __table_args__ = (
        ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        CheckConstraint("role IN ('owner','manager','agent','viewer')", name="operators_role"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    name: str = Field(sa_column=Column(Text, nullable=False))
    role: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts()


class ApiTokenRow(SQLModel, table=True):
    __tablename__ = "api_tokens"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "operator_id"], ["operators.org_id", "operators.id"]),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    operator_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    token_hash: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    created_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)
    expires_at: datetime | None = _ts(nullable=True)
    last_used_at: datetime | None = _ts(nullable=True)


class CustomerRow(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = (
        ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        Index("customers_org_name_search", "org_id", "name_search"),
        Index("customers_org_stage", "org_id", "stage"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    name: str = Field(sa_column=Column(Text, nullable=False))
    name_search: str = Field(sa_column=Column(Text, nullable=False))
    locale: str = Field(sa_column=Column(Text, nullable=False))
    bundle: str = Field(sa_column=Column(Text, nullable=False))
    stage: str = Field(sa_column=Column(Text, nullable=False))
    subscription_status: str = Field(sa_column=Column(Text, nullable=False))
    subscription_started_at: datetime = _ts()
    renews_at: datetime | None = _ts(nullable=True)
    contact_email: str | None = _text(nullable=True)
    last_activity_at: datetime | None = _ts(nullable=True)
    archived_at: datetime | None = _ts(nullable=True)
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class LedgerRow(SQLModel, table=True):
    """docs/rules.md §6: append-only; APP_ROLE may insert and select, never update or delete."""

    __tablename__ = "ledger"
    __table_args__ = (
        Index("ledger_org_entity", "org_id", "entity", "entity_id"),
        ForeignKeyConstraint(
            ["org_id", "operator_id"],
            ["operators.org_id", "operators.id"],
            name="ledger_operator_id_fk",
        ),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    operator_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    role: str = Field(sa_column=Column(Text, nullable=False))
    action: str = Field(sa_column=Column(Text, nullable=False))
    entity: str = Field(sa_column=Column(Text, nullable=False))
    entity_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    at: datetime = _ts()


class IdempotencyKeyRow(SQLModel, table=True):
    """A create mutation's key and what it created, so a repeat returns the first result."""

    __tablename__ = "idempotency_keys"

    org_id: int = _org_key()
    key: str = Field(sa_column=Column(Text, primary_key=True))
    operation: str = Field(sa_column=Column(Text, nullable=False))
    entity_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = _ts()
    # SHA-256 of the operation and its input; NULL on keys stored before migration 0011.
    fingerprint: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class AlertRow(SQLModel, table=True):
    """docs/rules.md §5: one alert per subject and kind per occurrence.

    Also the outbox of live alerts: the relay publishes each organisation's alerts past its
    `AlertRelayMarkRow` (docs/architecture.md#alerts). No foreign keys to customers or operators
    (migration 0025): every writer takes the customer from a row it read in the same transaction,
    and neither customers nor operators are ever deleted; the checks cost the breach scan about
    0.25-0.3x the bare UPDATE (docs/architecture.md#jobs)."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("org_id", "kind", "subject_id", "occurrence", name="alerts_once"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    kind: str = Field(sa_column=Column(Text, nullable=False))
    subject: str = Field(sa_column=Column(Text, nullable=False))
    subject_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    occurrence: str = Field(sa_column=Column(Text, nullable=False))
    customer_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    for_role: str = Field(sa_column=Column(Text, nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = _ts()
    acknowledged_at: datetime | None = _ts(nullable=True)
    acknowledged_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    action_taken: str | None = _text(nullable=True)


class AlertRelayMarkRow(SQLModel, table=True):
    """How far the relay has published an organisation's alerts: every alert id up to
    `published_through` is published (ids are allocated in commit order per organisation)."""

    __tablename__ = "alert_relay_marks"
    __table_args__ = (ForeignKeyConstraint(["org_id"], ["organisations.id"]),)

    org_id: int = _org_key()
    published_through: int = Field(sa_column=Column(BigInteger, nullable=False))
    published_at: datetime = _ts()


class DraftRow(SQLModel, table=True):
    """docs/rules.md §1: every outbound text is a draft an operator approves, then sends."""

    __tablename__ = "drafts"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        CheckConstraint("status IN ('draft','approved','rejected','sent')", name="drafts_status"),
        Index("drafts_org_subject", "org_id", "subject_type", "subject_id"),
        Index("drafts_org_customer_status", "org_id", "customer_id", "status"),
        # One founder's email per at-risk rise, however many scans race to draft it (§4.1).
        Index(
            "drafts_at_risk_email_once",
            "org_id",
            "subject_id",
            unique=True,
            postgresql_where=text("kind = 'at_risk_email'"),
        ),
        ForeignKeyConstraint(
            ["org_id", "decided_by"],
            ["operators.org_id", "operators.id"],
            name="drafts_decided_by_fk",
        ),
        ForeignKeyConstraint(
            ["org_id", "sent_by"], ["operators.org_id", "operators.id"], name="drafts_sent_by_fk"
        ),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str = Field(sa_column=Column(Text, nullable=False))
    subject_type: str = Field(sa_column=Column(Text, nullable=False))
    subject_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    locale: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts()
    decided_at: datetime | None = _ts(nullable=True)
    decided_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sent_at: datetime | None = _ts(nullable=True)
    sent_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))


class TicketRow(SQLModel, table=True):
    """docs/rules.md §2: a support ticket, its classification, lifecycle and SLA clocks."""

    __tablename__ = "tickets"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        CheckConstraint(
            "status IN ('open','waiting_on_customer','resolved','closed')", name="tickets_status"
        ),
        CheckConstraint("priority IN ('P0','P1','P2','P3')", name="tickets_priority"),
        # Tickets attach to incidents (docs/rules.md §3 Links), inside the same organisation.
        ForeignKeyConstraint(
            ["org_id", "incident_id"], ["incidents.org_id", "incidents.id"], name="tickets_incident"
        ),
        Index("tickets_org_customer", "org_id", "customer_id", "id"),
        Index("tickets_org_opened", "org_id", "opened_at"),
        # The per-minute SLA verdict re-judge reads only the 30-day window, index-only, across
        # organisations: its cost follows the window, not the ticket history.
        Index(
            "tickets_opened_window",
            "opened_at",
            postgresql_include=[
                "org_id",
                "first_response_at",
                "first_response_due_at",
                "resolved_at",
                "resolution_due_at",
            ],
        ),
        # The breach scan reads only clocks still running and not yet flagged
        # (docs/architecture.md#jobs).
        Index(
            "tickets_org_first_response_due",
            "org_id",
            "first_response_due_at",
            postgresql_where=text("first_response_at IS NULL AND NOT first_response_breached"),
        ),
        Index(
            "tickets_org_resolution_due",
            "org_id",
            "resolution_due_at",
            postgresql_where=text("resolved_at IS NULL AND NOT resolution_breached"),
        ),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    subject: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    channel: str = Field(sa_column=Column(Text, nullable=False))
    classified_priority: str = Field(sa_column=Column(Text, nullable=False))
    manual_priority: str | None = _text(nullable=True)
    # The effective priority (§2.3), kept so lists filter on it with an index-friendly column.
    priority: str = Field(sa_column=Column(Text, nullable=False))
    matched_keyword: str | None = _text(nullable=True)
    reason_ar: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(Text, nullable=False))
    opened_at: datetime = _ts()
    first_response_at: datetime | None = _ts(nullable=True)
    resolved_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)
    closed_confirmed_by: str | None = _text(nullable=True)
    first_response_due_at: datetime = _ts()
    # None while the customer is awaited: the resolution clock stands still (§7).
    resolution_due_at: datetime | None = _ts(nullable=True)
    # When each running clock turns at risk (80% of its working time, §7): the list filter's
    # input, like the due times are the scan's.
    first_response_at_risk_at: datetime | None = _ts(nullable=True)
    resolution_at_risk_at: datetime | None = _ts(nullable=True)
    # §7 support mode: detected from the text or set by an operator, with its reason.
    support_mode: str | None = _text(nullable=True)
    support_mode_reason: str | None = _text(nullable=True)
    support_mode_set_by: str | None = _text(nullable=True)
    # §7 pauses, [[start, end or null], ...] as ISO times: the resolution due time counts them.
    pauses: list[list[str | None]] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    first_response_breached: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    resolution_breached: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    incident_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class CalendarRow(SQLModel, table=True):
    """docs/rules.md §7: a business calendar of the organisation (in the organisation's zone)."""

    __tablename__ = "calendars"
    __table_args__ = (
        ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        UniqueConstraint("org_id", "name", name="calendars_org_name"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    name: str = Field(sa_column=Column(Text, nullable=False))
    # Python weekday numbers: Monday 0 … Sunday 6.
    working_days: list[int] = Field(sa_column=Column(ARRAY(SmallInteger), nullable=False))
    # [[start, end], ...] in minutes from local midnight.
    working_hours: list[list[int]] = Field(sa_column=Column(JSONB, nullable=False))
    # [{"day": "YYYY-MM-DD", "name": ...}, ...] sorted by day.
    holidays: list[dict[str, str]] = Field(sa_column=Column(JSONB, nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class PriorityCalendarRow(SQLModel, table=True):
    """docs/rules.md §7: the calendar a priority's clocks count in; no row means 24/7."""

    __tablename__ = "priority_calendars"
    __table_args__ = (
        ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        ForeignKeyConstraint(["org_id", "calendar_id"], ["calendars.org_id", "calendars.id"]),
        CheckConstraint("priority IN ('P0','P1','P2','P3')", name="priority_calendars_priority"),
        Index("priority_calendars_org_calendar", "org_id", "calendar_id"),
    )

    org_id: int = _org_key()
    priority: str = Field(sa_column=Column(Text, primary_key=True))
    calendar_id: int = Field(sa_column=Column(BigInteger, nullable=False))


class TicketFollowUpRow(SQLModel, table=True):
    """docs/rules.md §7: an escalation follow-up on a ticket, due in the business calendar."""

    __tablename__ = "ticket_follow_ups"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "ticket_id"], ["tickets.org_id", "tickets.id"]),
        CheckConstraint(
            "kind IN ('complaint_or_churn','technical_failure','legal_question')",
            name="ticket_follow_ups_kind",
        ),
        Index("ticket_follow_ups_org_ticket", "org_id", "ticket_id", "id"),
        # The scan reads only follow-ups still open and not yet alerted.
        Index(
            "ticket_follow_ups_org_due",
            "org_id",
            "due_at",
            postgresql_where=text("done_at IS NULL AND NOT overdue_alerted"),
        ),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    ticket_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str = Field(sa_column=Column(Text, nullable=False))
    note: str | None = _text(nullable=True)
    due_at: datetime = _ts()
    done_at: datetime | None = _ts(nullable=True)
    overdue_alerted: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    created_at: datetime = _ts()


class TicketEventRow(SQLModel, table=True):
    """A ticket's history (§2.3, §2.5): every lifecycle step and priority change, in order."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "ticket_id"], ["tickets.org_id", "tickets.id"]),
        Index("ticket_events_org_ticket", "org_id", "ticket_id", "id"),
        ForeignKeyConstraint(
            ["org_id", "operator_id"],
            ["operators.org_id", "operators.id"],
            name="ticket_events_operator_id_fk",
        ),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    ticket_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    event: str = Field(sa_column=Column(Text, nullable=False))
    detail: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    operator_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    at: datetime = _ts()


class IncidentRow(SQLModel, table=True):
    """docs/rules.md §3: an incident, its triage, deadlines and post-mortem."""

    __tablename__ = "incidents"
    __table_args__ = (
        ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        CheckConstraint("severity IN ('SEV1','SEV2','SEV3')", name="incidents_severity"),
        CheckConstraint(
            "triage_severity IN ('SEV1','SEV2','SEV3')", name="incidents_triage_severity"
        ),
        CheckConstraint(
            "status IN ('open','mitigated','resolved','closed')", name="incidents_status"
        ),
        Index("incidents_org_status", "org_id", "status", "id"),
        Index("incidents_org_severity", "org_id", "severity", "id"),
        Index(
            "incidents_org_update_due",
            "org_id",
            "next_update_due_at",
            postgresql_where=text("next_update_due_at IS NOT NULL"),
        ),
        Index(
            "incidents_org_pdpl_due",
            "org_id",
            "pdpl_notify_by",
            postgresql_where=text("pdpl_notify_by IS NOT NULL"),
        ),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    title: str = Field(sa_column=Column(Text, nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    severity: str = Field(sa_column=Column(Text, nullable=False))
    triage_severity: str = Field(sa_column=Column(Text, nullable=False))
    reason_ar: str = Field(sa_column=Column(Text, nullable=False))
    has_data_leak: bool = Field(sa_column=Column(Boolean, nullable=False))
    has_unauthorized_send: bool = Field(sa_column=Column(Boolean, nullable=False))
    status: str = Field(sa_column=Column(Text, nullable=False))
    detected_at: datetime = _ts()
    first_action_due_at: datetime = _ts()
    next_update_due_at: datetime | None = _ts(nullable=True)
    last_update_at: datetime | None = _ts(nullable=True)
    pdpl_notify_by: datetime | None = _ts(nullable=True)
    pdpl_notified_at: datetime | None = _ts(nullable=True)
    resolved_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)
    post_mortem: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    post_mortem_due_at: datetime | None = _ts(nullable=True)
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class IncidentCustomerRow(SQLModel, table=True):
    """docs/rules.md §3: which customers an incident hurts."""

    __tablename__ = "incident_customers"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "incident_id"], ["incidents.org_id", "incidents.id"]),
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        Index("incident_customers_org_customer", "org_id", "customer_id", "incident_id"),
    )

    org_id: int = _org_key()
    incident_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    customer_id: int = Field(sa_column=Column(BigInteger, primary_key=True))


class IncidentStepRow(SQLModel, table=True):
    """docs/rules.md §3: the response plan's checklist, each step ticked with who and when."""

    __tablename__ = "incident_steps"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "incident_id"], ["incidents.org_id", "incidents.id"]),
        ForeignKeyConstraint(["org_id", "done_by"], ["operators.org_id", "operators.id"]),
    )

    org_id: int = _org_key()
    incident_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    position: int = Field(sa_column=Column(Integer, primary_key=True))
    text_ar: str = Field(sa_column=Column(Text, nullable=False))
    done_at: datetime | None = _ts(nullable=True)
    done_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class CheckInRow(SQLModel, table=True):
    """docs/rules.md §4.3: one weekly check-in's metrics; at most one per customer per 7 days."""

    __tablename__ = "check_ins"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        UniqueConstraint("org_id", "customer_id", "week_of", name="check_ins_once_a_week"),
        CheckConstraint(
            "LEAST(drafts_approved, replies, meetings, risks_blocked) >= 0 AND pipeline_sar >= 0",
            name="check_ins_counts",
        ),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    week_of: date = Field(sa_column=Column(Date, nullable=False))
    drafts_approved: int = Field(sa_column=Column(Integer, nullable=False))
    replies: int = Field(sa_column=Column(Integer, nullable=False))
    meetings: int = Field(sa_column=Column(Integer, nullable=False))
    risks_blocked: int = Field(sa_column=Column(Integer, nullable=False))
    pipeline_sar: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    recorded_at: datetime = _ts()


class CsatRatingRow(SQLModel, table=True):
    """docs/rules.md §4.2/§4.6: a closed ticket's 1–5 rating, one per ticket (a new one wins)."""

    __tablename__ = "csat_ratings"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        CheckConstraint("rating BETWEEN 1 AND 5", name="csat_ratings_range"),
        Index("csat_ratings_org_customer_at", "org_id", "customer_id", "rated_at"),
        Index("csat_ratings_org_at", "org_id", "rated_at"),
        ForeignKeyConstraint(
            ["org_id", "ticket_id"],
            ["tickets.org_id", "tickets.id"],
            name="csat_ratings_ticket_id_fk",
        ),
    )

    org_id: int = _org_key()
    ticket_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    rating: int = Field(sa_column=Column(SmallInteger, nullable=False))
    rated_at: datetime = _ts()


class NpsResponseRow(SQLModel, table=True):
    """docs/rules.md §4.6: one 0–10 answer to "would you recommend us"."""

    __tablename__ = "nps_responses"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        CheckConstraint("score BETWEEN 0 AND 10", name="nps_responses_range"),
        Index("nps_responses_org_at", "org_id", "responded_at"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    score: int = Field(sa_column=Column(SmallInteger, nullable=False))
    responded_at: datetime = _ts()


class ProofPackRow(SQLModel, table=True):
    """docs/rules.md §4.1/§4.3: a Proof Pack delivered to a customer."""

    __tablename__ = "proof_packs"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        Index("proof_packs_org_customer_at", "org_id", "customer_id", "delivered_at"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    title: str = Field(sa_column=Column(Text, nullable=False))
    delivered_at: datetime = _ts()


class StageChangeRow(SQLModel, table=True):
    """docs/rules.md §4.6: a customer's lifecycle stage change (churn rate counts these)."""

    __tablename__ = "stage_changes"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        Index("stage_changes_org_to_at", "org_id", "to_stage", "changed_at"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    from_stage: str = Field(sa_column=Column(Text, nullable=False))
    to_stage: str = Field(sa_column=Column(Text, nullable=False))
    changed_at: datetime = _ts()


class SuccessPlanRow(SQLModel, table=True):
    """docs/rules.md §4.3: a customer's success plan, made from its bundle; one per customer."""

    __tablename__ = "success_plans"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        UniqueConstraint("org_id", "customer_id", name="success_plans_one_per_customer"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    bundle: str = Field(sa_column=Column(Text, nullable=False))
    started_on: date = Field(sa_column=Column(Date, nullable=False))
    cadence: str = Field(sa_column=Column(Text, nullable=False))
    consent_recorded_at: datetime | None = _ts(nullable=True)
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))
    created_at: datetime = _ts()


class SuccessPlanItemRow(SQLModel, table=True):
    """docs/rules.md §4.3: one dated plan item; `draft_id` is the renewal offer drafted for it."""

    __tablename__ = "success_plan_items"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "plan_id"], ["success_plans.org_id", "success_plans.id"]),
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        UniqueConstraint("org_id", "plan_id", "kind", "due_on", name="success_plan_items_once"),
        Index(
            "success_plan_items_org_open_due",
            "org_id",
            "kind",
            "due_on",
            postgresql_where=text("done_on IS NULL"),
        ),
        ForeignKeyConstraint(
            ["org_id", "done_by"],
            ["operators.org_id", "operators.id"],
            name="success_plan_items_done_by_fk",
        ),
        ForeignKeyConstraint(
            ["org_id", "draft_id"],
            ["drafts.org_id", "drafts.id"],
            name="success_plan_items_draft_id_fk",
        ),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    plan_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    day_offset: int = Field(sa_column=Column(Integer, nullable=False))
    title: str = Field(sa_column=Column(Text, nullable=False))
    kind: str = Field(sa_column=Column(Text, nullable=False))
    is_upgrade_or_upsell: bool = Field(sa_column=Column(Boolean, nullable=False))
    due_on: date = Field(sa_column=Column(Date, nullable=False))
    done_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    done_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    draft_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class OnboardingStepRow(SQLModel, table=True):
    """docs/rules.md §4.4: a checklist step a customer has done (absent = not done)."""

    __tablename__ = "onboarding_steps"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        ForeignKeyConstraint(
            ["org_id", "done_by"],
            ["operators.org_id", "operators.id"],
            name="onboarding_steps_done_by_fk",
        ),
    )

    org_id: int = _org_key()
    customer_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    step: str = Field(sa_column=Column(Text, primary_key=True))
    done_at: datetime = _ts()
    done_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class CustomerConnectorRow(SQLModel, table=True):
    """docs/rules.md §4.5: a connector's state for a customer (absent = not_started)."""

    __tablename__ = "customer_connectors"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
    )

    org_id: int = _org_key()
    customer_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    key: str = Field(sa_column=Column(Text, primary_key=True))
    state: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = _ts()


class HealthSnapshotRow(SQLModel, table=True):
    """docs/rules.md §4.2: one health point per customer per day (the organisation's day)."""

    __tablename__ = "health_snapshots"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
    )

    org_id: int = _org_key()
    customer_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    value: Decimal = Field(sa_column=Column(Numeric(4, 1), nullable=False))
    band: str = Field(sa_column=Column(Text, nullable=False))
    risk_score: int = Field(sa_column=Column(SmallInteger, nullable=False))
    severity: str = Field(sa_column=Column(Text, nullable=False))
    computed_at: datetime = _ts()


class RiskSeverityRow(SQLModel, table=True):
    """docs/rules.md §5: the last at-risk severity seen per customer; alerts fire on a rise only."""

    __tablename__ = "risk_severities"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
    )

    org_id: int = _org_key()
    customer_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    severity: str = Field(sa_column=Column(Text, nullable=False))
    score: int = Field(sa_column=Column(SmallInteger, nullable=False))
    scored_at: datetime = _ts()


class SlaVerdictRow(SQLModel, table=True):
    """§2.7: each organisation's last SLA health verdict, so a freeze follows a *turn* to
    critical (an owner's lift holds until the verdict leaves critical and turns again)."""

    __tablename__ = "sla_verdicts"
    __table_args__ = (ForeignKeyConstraint(["org_id"], ["organisations.id"]),)

    org_id: int = _org_key()
    verdict: str = Field(sa_column=Column(Text, nullable=False))
    changed_at: datetime = _ts()
    evaluated_at: datetime = _ts()


class WebhookEndpointRow(SQLModel, table=True):
    """A receiver of the organisation's alerts; its secrets sign messages (docs: webhooks)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (ForeignKeyConstraint(["org_id"], ["organisations.id"]),)

    org_id: int = _org_key()
    id: int | None = _id()
    url: str = Field(sa_column=Column(Text, nullable=False))
    kinds: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(Text), nullable=False, server_default=text("'{}'")),
    )
    secret: str = Field(sa_column=Column(Text, nullable=False))
    previous_secret: str | None = _text(nullable=True)
    previous_secret_expires_at: datetime | None = _ts(nullable=True)
    secret_rotated_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    disabled_at: datetime | None = _ts(nullable=True)
    disabled_reason: str | None = _text(nullable=True)


class WebhookDeliveryRow(SQLModel, table=True):
    """One alert for one endpoint: sent in id order per endpoint, retried until delivered."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "endpoint_id"], ["webhook_endpoints.org_id", "webhook_endpoints.id"]
        ),
        UniqueConstraint("org_id", "endpoint_id", "event_id", name="webhook_deliveries_once"),
        CheckConstraint(
            "status IN ('pending','succeeded','failed')", name="webhook_deliveries_status"
        ),
        # The worker reads each endpoint's oldest pending message: as small as the backlog.
        Index(
            "webhook_deliveries_pending",
            "org_id",
            "endpoint_id",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    endpoint_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    event_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str = Field(sa_column=Column(Text, nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    status: str = Field(sa_column=Column(Text, nullable=False))
    attempts: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("0")))
    next_attempt_at: datetime = _ts()
    last_response_code: int | None = Field(default=None, sa_column=Column(Integer))
    last_error: str | None = _text(nullable=True)
    last_latency_ms: int | None = Field(default=None, sa_column=Column(Integer))
    created_at: datetime = _ts()
    delivered_at: datetime | None = _ts(nullable=True)


class CustomerSequenceRow(SQLModel, table=True):
    """docs/rules.md §8.3: one run of an onboarding or win-back sequence for a customer."""

    __tablename__ = "customer_sequences"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        CheckConstraint("kind IN ('onboarding','win_back')", name="customer_sequences_kind"),
        # A run is named by what started it; one onboarding per customer, ever; at most one
        # running sequence of a kind per customer, however many scans race.
        UniqueConstraint("org_id", "customer_id", "kind", "started_at", name="sequences_once"),
        Index(
            "sequences_one_onboarding",
            "org_id",
            "customer_id",
            unique=True,
            postgresql_where=text("kind = 'onboarding'"),
        ),
        Index(
            "sequences_one_running",
            "org_id",
            "customer_id",
            "kind",
            unique=True,
            postgresql_where=text("stopped_at IS NULL"),
        ),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str = Field(sa_column=Column(Text, nullable=False))
    started_at: datetime = _ts()
    started_on: date = Field(sa_column=Column(Date, nullable=False))
    stopped_at: datetime | None = _ts(nullable=True)
    stop_reason: str | None = _text(nullable=True)


class SequenceStepRow(SQLModel, table=True):
    """docs/rules.md §8.3: a drafted step of a sequence; its draft is subject `sequence_step`."""

    __tablename__ = "sequence_steps"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "sequence_id"], ["customer_sequences.org_id", "customer_sequences.id"]
        ),
        # No step is drafted twice (§8.3).
        UniqueConstraint("org_id", "sequence_id", "day", name="sequence_steps_once"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    sequence_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    day: int = Field(sa_column=Column(SmallInteger, nullable=False))
    step: str = Field(sa_column=Column(Text, nullable=False))
    drafted_at: datetime = _ts()


class ExitSurveyRow(SQLModel, table=True):
    """docs/rules.md §8.3: a churned customer's exit survey, one per churn."""

    __tablename__ = "exit_surveys"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        UniqueConstraint("org_id", "customer_id", "churned_at", name="exit_surveys_once"),
        Index("exit_surveys_org_churned", "org_id", "churned_at"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    churned_at: datetime = _ts()
    primary_reason: str = Field(sa_column=Column(Text, nullable=False))
    reason_text: str | None = _text(nullable=True)
    could_do_better: str | None = _text(nullable=True)
    would_return: str = Field(sa_column=Column(Text, nullable=False))
    recorded_at: datetime = _ts()


class ChannelStatRow(SQLModel, table=True):
    """docs/rules.md §8.5: one channel's counts for one local day, as an operator recorded them."""

    __tablename__ = "channel_stats"
    __table_args__ = (ForeignKeyConstraint(["org_id"], ["organisations.id"]),)

    org_id: int = _org_key()
    channel: str = Field(sa_column=Column(Text, primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    sent: int = Field(sa_column=Column(Integer, nullable=False))
    bounced: int = Field(sa_column=Column(Integer, nullable=False))
    complaints: int = Field(sa_column=Column(Integer, nullable=False))
    blocks: int = Field(sa_column=Column(Integer, nullable=False))
    recorded_at: datetime = _ts()


class ChannelFreezeRow(SQLModel, table=True):
    """docs/rules.md §8.5: a channel frozen by its rates or an incident, until an owner lifts it."""

    __tablename__ = "channel_freezes"
    __table_args__ = (
        ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        # At most one freeze in force per channel.
        Index(
            "channel_freezes_active",
            "org_id",
            "channel",
            unique=True,
            postgresql_where=text("lifted_at IS NULL"),
        ),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    channel: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    frozen_at: datetime = _ts()
    lifted_at: datetime | None = _ts(nullable=True)
    lifted_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class ObjectionRow(SQLModel, table=True):
    """docs/rules.md §8.4: an objection a customer raised, in one category, with its text."""

    __tablename__ = "objections"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        CheckConstraint(
            "category IN ('price','privacy','arabic_quality','integration','timing','other')",
            name="objections_category",
        ),
        Index("objections_org_logged", "org_id", "logged_at"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    ticket_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    category: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    logged_at: datetime = _ts()
    logged_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class CsReviewRow(SQLModel, table=True):
    """docs/rules.md §8.4: the weekly CS review, stored once per organisation and Friday."""

    __tablename__ = "cs_reviews"
    __table_args__ = (
        ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        UniqueConstraint("org_id", "week_of", name="cs_reviews_once"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    week_of: date = Field(sa_column=Column(Date, nullable=False))
    review: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = _ts()


class PilotRow(SQLModel, table=True):
    """docs/rules.md §8.1: a customer's 7-day pilot; day 0 is `start_day` (the local date)."""

    __tablename__ = "pilots"
    __table_args__ = (
        CheckConstraint("status IN ('running','converted','declined')", name="pilots_status"),
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        UniqueConstraint("org_id", "customer_id", name="pilots_one_per_customer"),
        # Not org-first on purpose: the playbook scan reads every organisation's recent pilots.
        Index("pilots_start_day", "start_day"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    started_at: datetime = _ts()
    start_day: date = Field(sa_column=Column(Date, nullable=False))
    status: str = _text()
    decided_at: datetime | None = _ts(nullable=True)
    decline_reason: str | None = _text(nullable=True)
    plan_starts_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class PilotCheckInRow(SQLModel, table=True):
    """docs/rules.md §8.1: one pilot day's check-in: attended or not, and the day's figures."""

    __tablename__ = "pilot_check_ins"
    __table_args__ = (ForeignKeyConstraint(["org_id", "pilot_id"], ["pilots.org_id", "pilots.id"]),)

    org_id: int = _org_key()
    pilot_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    day: int = Field(sa_column=Column(SmallInteger, primary_key=True))
    attended: bool = Field(sa_column=Column(Boolean, nullable=False))
    leads: int = Field(sa_column=Column(Integer, nullable=False))
    demos: int = Field(sa_column=Column(Integer, nullable=False))
    response_seconds: int = Field(sa_column=Column(Integer, nullable=False))
    recorded_at: datetime = _ts()


class PilotStepRow(SQLModel, table=True):
    """docs/rules.md §8.1: a pilot step the scan has drafted (its key makes it once only)."""

    __tablename__ = "pilot_steps"
    __table_args__ = (ForeignKeyConstraint(["org_id", "pilot_id"], ["pilots.org_id", "pilots.id"]),)

    org_id: int = _org_key()
    pilot_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    step: str = Field(sa_column=Column(Text, primary_key=True))
    drafted_at: datetime = _ts()


class RedFlagRow(SQLModel, table=True):
    """docs/rules.md §8.2: a red flag on a customer, once per origin (NULL: operator-recorded)."""

    __tablename__ = "red_flags"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
        UniqueConstraint("org_id", "origin", name="red_flags_once"),
        Index("red_flags_customer", "org_id", "customer_id", "raised_at"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    customer_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    category: str = _text()
    source: str = _text()
    reason: str = _text()
    origin: str | None = _text(nullable=True)
    raised_at: datetime = _ts()
    due_at: datetime = _ts()


TENANT_TABLES = (
    "operators",
    "api_tokens",
    "customers",
    "ledger",
    "idempotency_keys",
    "alerts",
    "alert_relay_marks",
    "drafts",
    "tickets",
    "ticket_events",
    "sla_verdicts",
    "incidents",
    "incident_customers",
    "incident_steps",
    "check_ins",
    "csat_ratings",
    "nps_responses",
    "proof_packs",
    "stage_changes",
    "success_plans",
    "success_plan_items",
    "onboarding_steps",
    "customer_connectors",
    "health_snapshots",
    "risk_severities",
    "webhook_endpoints",
    "webhook_deliveries",
    "customer_sequences",
    "sequence_steps",
    "exit_surveys",
    "channel_stats",
    "channel_freezes",
    "objections",
    "cs_reviews",
    "pilots",
    "pilot_check_ins",
    "pilot_steps",
    "red_flags",
)


class ImportJobRow(SQLModel, table=True):
    """One CSV import (README: CSV import and export): its counts and first refused rows."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        ForeignKeyConstraint(
            ["org_id", "operator_id"],
            ["operators.org_id", "operators.id"],
            name="import_jobs_operator_id_fk",
        ),
        CheckConstraint("kind IN ('customers','tickets')", name="import_jobs_kind"),
    )

    org_id: int = _org_key()
    id: int | None = _id()
    kind: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(Text, nullable=False))
    operator_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    role: str = Field(sa_column=Column(Text, nullable=False))
    csv: str | None = _text(nullable=True)  # a queued import's file, dropped once it has run
    total: int = Field(sa_column=Column(Integer, nullable=False))
    processed: int = Field(sa_column=Column(Integer, nullable=False))
    created: int = Field(sa_column=Column(Integer, nullable=False))
    existing: int = Field(sa_column=Column(Integer, nullable=False))
    invalid: int = Field(sa_column=Column(Integer, nullable=False))
    errors: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = _ts()
    finished_at: datetime | None = _ts(nullable=True)


class ImportKeyRow(SQLModel, table=True):
    """An imported row's stable external id and what it became, so a re-import skips it."""

    __tablename__ = "import_keys"

    org_id: int = _org_key()
    entity: str = Field(sa_column=Column(Text, primary_key=True))
    external_id: str = Field(sa_column=Column(Text, primary_key=True))
    entity_id: int = Field(sa_column=Column(BigInteger, nullable=False))
