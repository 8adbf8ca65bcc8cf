"""Lifecycle stages: which moves a customer's stage may make (docs/rules.md §4.6)."""

from __future__ import annotations

from domain.customers import Stage
from domain.errors import DomainError, ErrorCode
from domain.messages import Msg

# onboarding → adoption → expansion → advocacy, or churned from any of them.
ORDER: tuple[Stage, ...] = (Stage.ONBOARDING, Stage.ADOPTION, Stage.EXPANSION, Stage.ADVOCACY)


def change_stage(current: Stage, target: Stage) -> Stage:
    """§4.6: one step along the order, or churned from any live stage; a churned customer that
    comes back starts again at onboarding. Any other move is refused naming both stages."""
    if _allowed(current, target):
        return target
    raise DomainError(
        "stage",
        ErrorCode.INVALID_TRANSITION,
        Msg.STAGE_MOVE,
        current=current,
        target=target,
    )


def _allowed(current: Stage, target: Stage) -> bool:
    if current is Stage.CHURNED:
        return target is Stage.ONBOARDING
    if target is Stage.CHURNED:
        return True
    if target not in ORDER:
        return False
    return ORDER.index(target) == ORDER.index(current) + 1
