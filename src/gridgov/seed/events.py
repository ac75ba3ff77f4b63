"""Demo events: the default closed-loop workflow, the category tree, and a first set of recent
cases put through the real intake and workflow, so every page and test has cases to show.
(The three-year history at full scale is the events feature's next step.)"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select

from gridgov.accounts.actor import Actor
from gridgov.events import services
from gridgov.events.catalog import CATEGORIES
from gridgov.events.models import Source, Urgency
from gridgov.events.schemas import ActionIn, EventIn, Location
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.seed.context import SeedContext, Tier

RECENT_EVENTS = {Tier.DISTRICT: 1_000, Tier.CITY: 5_000}


def generate(ctx: SeedContext) -> None:
    actor = Actor.system("seed")
    ctx.counts["event_defaults"] = services.install_defaults(ctx.session, actor=actor)
    if ctx.territory is None:
        return
    rnd = random.Random(ctx.seed * 13 + 5)
    grids = [r for r in ctx.territory.regions if r.level == "grid"]
    leaves = [(code, name) for code, name, parent, *_ in CATEGORIES if parent]
    departments = list(
        ctx.session.scalars(select(Organisation.id).where(Organisation.kind == OrgKind.DEPARTMENT))
    )
    total = RECENT_EVENTS[ctx.tier]
    for n in range(total):
        grid = rnd.choice(grids)
        point = grid.polygon.representative_point()
        code, name = rnd.choice(leaves)
        event, _ = services.intake(
            ctx.session,
            EventIn(
                title=f"{grid.name}{name}",
                description=f"{grid.name}附近发现{name}问题，请尽快处理。",
                category_code=code,
                location=Location(lon=point.x, lat=point.y),
                source=rnd.choice(list(Source)),
                urgency=rnd.choices(list(Urgency), weights=(85, 12, 3))[0],
            ),
            actor=actor,
        )
        # Move some cases along the loop, so lists show every stage.
        steps = rnd.choice([0, 0, 1, 2, 3, 4, 5, 6])
        loop: list[tuple[str, dict[str, Any]]] = [
            ("accept", {}),
            ("dispatch", {"department_id": rnd.choice(departments)}),
            ("receive", {}),
            ("feedback", {"comment": "已现场处置完毕"}),
            ("approve", {}),
            ("rate", {"satisfaction": rnd.choice([3, 4, 5, 5, 5])}),
        ]
        plan = loop[:steps]
        for version, (action, extra) in enumerate(plan, start=1):
            services.act(
                ctx.session, event.id, action, ActionIn(version=version, **extra), actor=actor
            )
        if n % 200 == 0:
            ctx.progress("事件", n, total)
    ctx.counts["events"] = total
    ctx.progress("事件", total, total)
