"""Demo routing rules: a first rule set, saved as a draft so that the admin page shows the
intended path — replay it over past cases, then activate it."""

from __future__ import annotations

from gridgov.accounts.actor import Actor
from gridgov.events.catalog import CATEGORIES
from gridgov.routing import services as routing
from gridgov.routing.catalog import DEMO_RULES
from gridgov.seed.context import SeedContext


def generate(ctx: SeedContext) -> None:
    categories = {code: parent for code, _, parent, *_ in CATEGORIES}
    routing.save_rule_set(
        ctx.session,
        DEMO_RULES,
        actor=Actor.system("seed"),
        note="演示规则：先在“模拟回放”中检查，再启用",
        categories=categories,
    )
    ctx.counts["routing_rule_sets"] = 1
