"""§4.3 check-in bounds: the pipeline is refused as OUT_OF_RANGE however large, never a crash."""

from __future__ import annotations

import math
from datetime import date

import pytest

from domain import signals
from domain.errors import DomainError, ErrorCode


def check_in(pipeline_sar: float) -> signals.CheckIn:
    return signals.CheckIn(
        customer_id=1,
        week_of=date(2026, 10, 26),
        drafts_approved=0,
        replies=0,
        meetings=0,
        risks_blocked=0,
        pipeline_sar=pipeline_sar,
    )


@pytest.mark.parametrize(
    "sar", [1e12, 999_999_999_999.995, 1e26, 1.7e308, math.inf, -math.inf, math.nan, -0.01]
)
def test_a_pipeline_outside_0_to_a_trillion_is_out_of_range(sar: float) -> None:
    with pytest.raises(DomainError) as refused:
        signals.validate_check_in(check_in(sar))
    assert (refused.value.field, refused.value.code) == ("pipelineSar", ErrorCode.OUT_OF_RANGE)


@pytest.mark.parametrize("sar", [0.0, 18_000.4, 999_999_999_999.99])
def test_a_pipeline_up_to_the_last_halala_is_accepted(sar: float) -> None:
    assert signals.validate_check_in(check_in(sar)).pipeline_sar == sar
