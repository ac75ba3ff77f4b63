"""Demo events: the default closed-loop workflow, the category tree, and a first set of recent
cases put through the real intake and workflow, so every page and test has cases to show.
(The three-year history is ``seed/history.py``.)"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from gridgov.accounts.actor import Actor
from gridgov.events import services
from gridgov.events.catalog import CATEGORIES
from gridgov.events.models import Source, Urgency
from gridgov.events.schemas import ActionIn, EventIn, Location
from gridgov.kit.clock import now, stopped_at
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.seed.context import SeedContext, Tier

RECENT_EVENTS = {Tier.DISTRICT: 1_000, Tier.CITY: 5_000}
# Spread over the last two weeks: all on seed day, they were a fourfold burst over the
# history's daily volume, and the early-warning scan rightly raised ~100 abnormal rises.
RECENT_DAYS = 14


def generate(ctx: SeedContext) -> None:
    actor = Actor.system("seed")
    ctx.counts["event_defaults"] = services.install_defaults(ctx.session, actor=actor)
    if ctx.territory is None:
        return
    rnd = random.Random(ctx.seed * 13 + 5)
    grids = [r for r in ctx.territory.regions if r.level == "grid"]
    leaves = [(code, name) for code, name, parent, *_ in CATEGORIES if parent]
    departments = list(
        ctx.session.execute(
            select(Organisation.id, Organisation.region_path).where(
                Organisation.kind == OrgKind.DEPARTMENT
            )
        )
    )

    def serving(grid_code: str) -> list[int]:
        """The departments that serve a grid: the district's, and its own street's (a police
        station of one street does not take another street's cases)."""
        street = grid_code[:9]
        return [
            org_id
            for org_id, path in departments
            if path.count("/") == 1 or path.endswith(f"/{street}/")
        ]

    total = RECENT_EVENTS[ctx.tier]
    end = now()
    # Oldest first, so ids and timeline order follow time as they do in a live system.
    reported = sorted(
        end - timedelta(seconds=rnd.uniform(0, RECENT_DAYS * 86_400)) for _ in range(total)
    )
    for n, moment in enumerate(reported):
        grid = rnd.choice(grids)
        point = grid.polygon.representative_point()
        code, name = rnd.choice(leaves)
        with stopped_at(moment):
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
        # Move cases along the loop, so lists show every stage: today's at any stage, older
        # ones mostly closed (a few stuck past their deadline, as in any real backlog).
        if end - moment > timedelta(days=2):
            steps = rnd.choices(range(7), weights=(2, 2, 3, 4, 4, 25, 60))[0]
        else:
            steps = rnd.choice([0, 0, 1, 2, 3, 4, 5, 6])
        loop: list[tuple[str, dict[str, Any]]] = [
            ("accept", {}),
            ("dispatch", {"department_id": rnd.choice(serving(grid.code))}),
            ("receive", {}),
            ("feedback", {"comment": "已现场处置完毕"}),
            ("approve", {}),
            ("rate", {"satisfaction": rnd.choice([3, 4, 5, 5, 5])}),
        ]
        plan = loop[:steps]
        for version, (action, extra) in enumerate(plan, start=1):
            # Each step a little later, never past the seed's "now".
            moment = min(end, moment + timedelta(minutes=rnd.randint(5, 90)))
            with stopped_at(moment):
                services.act(
                    ctx.session, event.id, action, ActionIn(version=version, **extra), actor=actor
                )
        if n % 200 == 0:
            ctx.progress("事件", n, total)
    ctx.counts["events"] = total
    ctx.progress("事件", total, total)
