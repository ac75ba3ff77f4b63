"""The early warnings of the demo: one scan over what the generators before it wrote (so it
runs after the analytics rollups, whose counts it reads)."""

from __future__ import annotations

from gridgov.accounts.actor import Actor
from gridgov.alerts import services as alerts
from gridgov.seed.context import SeedContext


def generate(ctx: SeedContext) -> None:
    ctx.progress("预警扫描", 0, 1)
    report = alerts.scan(ctx.session, actor=Actor.system("seed"))
    for kind, count in report.created.items():
        ctx.counts[f"alerts_{kind}"] = count
    ctx.progress("预警扫描", 1, 1)
