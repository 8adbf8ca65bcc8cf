"""What a client sees of a customer's health (§4.2) and at-risk (§4.1) scores."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from domain import scores, signals
from domain.errors import DomainError
from schema import cost
from schema.types import errors, relations

# Relation names the resolvers layer provides loaders for (schema.types.relations).
SCORES = "customer_scores"
HEALTH_HISTORY = "customer_health_history"

HealthBand = strawberry.enum(scores.HealthBand, description="§4.2 band of a health value.")
RiskSeverity = strawberry.enum(scores.Severity, name="RiskSeverity", description="§4.1 severity.")


@strawberry.type(description="One term of the §4.2 formula: its input and the points it adds.")
class HealthContribution:
    factor: str = strawberry.field(
        description="csat, pipeline_sar, meetings, approval_rate, days_inactive, drafts_pending."
    )
    input: float = strawberry.field(description="The factor's value over the trailing 30 days.")
    points: float = strawberry.field(description="Points added (negative: subtracted), 2 dp.")


@strawberry.type(description="§4.2 health: 0..100 (1 dp), its band, and how it was reached.")
class CustomerHealth:
    value: float = strawberry.field(description="0..100, 1 decimal (docs/rules.md §4.2).")
    band: scores.HealthBand = strawberry.field(
        description="healthy (≥ 75), watch (50–74.9) or at_risk (< 50)."
    )
    contributions: list[HealthContribution] = strawberry.field(
        description="Each term of the formula with its input and points, in formula order."
    )
    explanation: list[str] = strawberry.field(
        description="One sentence per term, in order, in English (`explanationAr`: Arabic)."
    )
    explanation_ar: list[str] = strawberry.field(
        description="The same sentences as `explanation`, in Arabic, in the same order."
    )

    @classmethod
    def from_domain(cls, value: scores.Health) -> CustomerHealth:
        return cls(
            value=value.value,
            band=value.band,
            contributions=[
                HealthContribution(factor=c.factor, input=c.input, points=c.points)
                for c in value.contributions
            ],
            explanation=list(value.explanation),
            explanation_ar=list(value.explanation_ar),
        )


# Query cost (schema/cost.py): each score is computed from several signals per customer.
cost.weigh("CustomerHealth", 5)
cost.weigh("AtRisk", 5)


@strawberry.type(description="§4.1 at-risk score (0..100), severity, reasons and what to do.")
class AtRisk:
    score: int = strawberry.field(
        description="0..100: the §4.1 factors plus Wafi's two extra signals, capped at 100."
    )
    severity: scores.Severity = strawberry.field(
        description="high (score ≥ 60), medium (≥ 30) or low (docs/rules.md §4.1)."
    )
    reasons: list[str] = strawberry.field(
        description="Arabic, in factor order, then signals (`reasonsEn`: English)."
    )
    recommended_action: str = strawberry.field(
        description="Arabic, per severity (`recommendedActionEn`: English)."
    )
    reasons_en: list[str] = strawberry.field(
        description="The same reasons as `reasons`, in English, in the same order."
    )
    recommended_action_en: str = strawberry.field(
        description="The same action as `recommendedAction`, in English."
    )

    @classmethod
    def from_domain(cls, value: scores.AtRisk) -> AtRisk:
        return cls(
            score=value.score,
            severity=value.severity,
            reasons=list(value.reasons),
            recommended_action=value.recommended_action,
            reasons_en=list(value.reasons_en),
            recommended_action_en=value.recommended_action_en,
        )


@strawberry.type(description="One day of health history (written by the daily snapshot job).")
class HealthPoint:
    day: date = strawberry.field(description="The organisation's local day of the snapshot.")
    value: float = strawberry.field(description="Health that day, 0..100 (docs/rules.md §4.2).")
    band: scores.HealthBand = strawberry.field(description="The health band that day.")
    risk_score: int = strawberry.field(
        description="The at-risk score that day, 0..100 (docs/rules.md §4.1)."
    )
    severity: scores.Severity = strawberry.field(description="The at-risk severity that day.")

    @classmethod
    def from_domain(cls, value: signals.HealthPoint) -> HealthPoint:
        return cls(
            day=value.day,
            value=value.value,
            band=value.band,
            risk_score=value.risk_score,
            severity=value.severity,
        )


async def resolve_health(root: Any, info: strawberry.Info) -> CustomerHealth:
    """`Customer.health`: computed now from the trailing 30 days, batched over a page."""
    found: signals.CustomerScores = await relations.loader(info.context, SCORES).load(root.pk)
    return CustomerHealth.from_domain(found.health)


async def resolve_at_risk(root: Any, info: strawberry.Info) -> AtRisk:
    """`Customer.atRisk`: computed now, batched over a page (shares the health query)."""
    found: signals.CustomerScores = await relations.loader(info.context, SCORES).load(root.pk)
    return AtRisk.from_domain(found.at_risk)


async def resolve_health_history(
    root: Any,
    info: strawberry.Info,
    days: Annotated[int, strawberry.argument(description="How many days back, 1..366.")] = 30,
) -> list[HealthPoint]:
    """`Customer.healthHistory(days)`: daily points, oldest first."""
    try:
        signals.history_days(days)
    except DomainError as error:
        raise errors.as_graphql_error(error) from None
    points: list[signals.HealthPoint] = await relations.loader(info.context, HEALTH_HISTORY).load(
        (root.pk, days)
    )
    return [HealthPoint.from_domain(point) for point in points]
