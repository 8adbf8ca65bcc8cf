"""SQLModel rows: the tables' shape, used by Alembic and by the write path.

Every tenant table has `org_id` first in its primary key and its indexes, and composite foreign
keys `(org_id, x_id)` so a row can never point into another organisation (DESIGN.md Tenancy).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlmodel.sql.sqltypes  # noqa: F401  (Alembic autogenerate needs it importable)
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
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
    """DOMAIN.md §6: append-only; APP_ROLE may insert and select, never update or delete."""

    __tablename__ = "ledger"
    __table_args__ = (Index("ledger_org_entity", "org_id", "entity", "entity_id"),)

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


class AlertRow(SQLModel, table=True):
    """DOMAIN.md §5: one alert per subject and kind per occurrence."""

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


class OutboxRow(SQLModel, table=True):
    """Events committed with the change that caused them; the relay publishes them to Redis."""

    __tablename__ = "outbox"

    org_id: int = _org_key()
    id: int | None = _id()
    channel: str = Field(sa_column=Column(Text, nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = _ts()
    published_at: datetime | None = _ts(nullable=True)


TENANT_TABLES = (
    "operators",
    "api_tokens",
    "customers",
    "ledger",
    "idempotency_keys",
    "alerts",
    "outbox",
)
