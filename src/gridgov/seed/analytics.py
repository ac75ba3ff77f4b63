"""The analytics rollups of the demo: built in bulk from every case the generators before it
wrote (so it runs last)."""

from __future__ import annotations

from gridgov.accounts.actor import Actor
from gridgov.analytics import services as analytics
from gridgov.seed.context import SeedContext


def generate(ctx: SeedContext) -> None:
    ctx.progress("统计汇总", 0, 1)
    report = analytics.rollup_full(ctx.session, actor=Actor.system("seed"))
    ctx.counts["analytics_case_facts"] = report.cases
    ctx.counts["analytics_daily"] = report.daily_keys
    ctx.counts["analytics_monthly"] = report.monthly_keys
    ctx.progress("统计汇总", 1, 1)
