"""Success plan use-cases (DOMAIN.md §4.3): start from the bundle, complete items, change the
cadence with consent."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from typing import Any

from strawberry.types import Info

from domain import success_plans
from domain.errors import DomainError, ErrorCode
from domain.roles import Action
from resolvers.store import idempotency, ledger
from resolvers.store import signals as signal_store
from resolvers.store import success_plans as store
from resolvers.success import locked_customer
from schema.context import Context
from schema.types import success_plans as types
from schema.types.relay import pk_of

CtxInfo = Info[Context, None]
OPERATION = "startSuccessPlan"


@refusals_as_data_import := None  # placeholder removed below
