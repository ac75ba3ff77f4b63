"""What the generator modules share while they build one demo database."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.orm import Session

from gridgov.config import Settings
from gridgov.seed.territory import Territory

Progress = Callable[[str, int, int], None]


class Tier(StrEnum):
    DISTRICT = "district"
    CITY = "city"


@dataclass(frozen=True)
class TierSize:
    workers: int
    # Base data (seed/registry.py). Buildings, households and persons are exact; houses land
    # near their target because whole buildings are generated.
    persons: int = 0
    households: int = 0
    buildings: int = 0
    houses: int = 0
    components: int = 0
    cameras: int = 0
    enterprises: int = 0
    shops: int = 0
    pois: int = 0
    # Multiplies the district's count of every generic resource category.
    resource_scale: float = 1.0


# The scale tiers of DESIGN.md. Territory sizes (grid counts) live in the territory generator.
TIER_SIZES: dict[Tier, TierSize] = {
    Tier.DISTRICT: TierSize(
        workers=400,
        persons=129_000,
        households=45_000,
        buildings=6_600,
        houses=46_500,
        components=46_500,
        cameras=1_200,
        enterprises=2_000,
        shops=3_000,
        pois=1_500,
    ),
    Tier.CITY: TierSize(
        workers=10_000,
        persons=10_000_000,
        households=3_490_000,
        buildings=500_000,
        houses=3_600_000,
        components=3_000_000,
        cameras=93_000,
        enterprises=155_000,
        shops=232_000,
        pois=116_000,
        resource_scale=60.0,
    ),
}


@dataclass(frozen=True)
class SeededRegion:
    id: int
    code: str
    name: str
    level: str
    path: str
    area_km2: float


@dataclass
class SeedContext:
    session: Session
    settings: Settings
    tier: Tier
    seed: int
    progress: Progress
    rng: random.Random = field(init=False)
    territory: Territory | None = None
    regions: list[SeededRegion] = field(default_factory=list)
    org_ids: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    # How many historical cases seed/history.py writes; None means the tier's default (tests
    # and quick demos ask for fewer).
    history_events: int | None = None

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @property
    def size(self) -> TierSize:
        return TIER_SIZES[self.tier]

    def regions_at(self, level: str) -> list[SeededRegion]:
        return [r for r in self.regions if r.level == level]

    def region(self, code: str) -> SeededRegion:
        for region in self.regions:
            if region.code == code:
                return region
        raise KeyError(code)
