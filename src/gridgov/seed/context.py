"""What the generator modules share while they build one demo database."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.orm import Session

from gridgov.config import Settings

Progress = Callable[[str, int, int], None]


class Tier(StrEnum):
    DISTRICT = "district"
    CITY = "city"


@dataclass(frozen=True)
class TierSize:
    workers: int


# The scale tiers of DESIGN.md. Territory sizes (grid counts) live in the territory generator.
TIER_SIZES: dict[Tier, TierSize] = {
    Tier.DISTRICT: TierSize(workers=400),
    Tier.CITY: TierSize(workers=10_000),
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
    regions: list[SeededRegion] = field(default_factory=list)
    org_ids: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

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
