"""The assessment of the demo: the shipped schemes (one per target type), and the last two
full months frozen, as the monthly job would have done (runs after the analytics rollups)."""

from __future__ import annotations

from typing import Any

from gridgov.accounts.actor import Actor
from gridgov.assessment import services as assessment
from gridgov.seed.context import SeedContext

FROZEN_MONTHS = 2


def generate(ctx: SeedContext) -> None:
    actor = Actor.system("seed")
    schemes = assessment.install_defaults(ctx.session, actor=actor)
    ctx.counts["assessment_schemes"] = len(schemes)
    months = [assessment.previous_month()]
    while len(months) < FROZEN_MONTHS:
        months.append(assessment.previous_month(months[-1]))
    steps = len(schemes) * len(months)
    done = 0
    frozen = 0
    shared: dict[Any, Any] = {}  # field work per month, computed once for all schemes
    for month in reversed(months):
        for scheme in schemes:
            ctx.progress("绩效考核", done, steps)
            result = assessment.freeze(ctx.session, scheme.code, month, actor=actor, shared=shared)
            frozen += result.snapshot.rows
            done += 1
    ctx.counts["assessment_scores"] = frozen
    ctx.progress("绩效考核", steps, steps)
