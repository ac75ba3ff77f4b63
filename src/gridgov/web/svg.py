"""Region outlines as inline SVG, so a page can show boundaries without a map library."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Rings = list[list[list[float]]]


@dataclass(frozen=True)
class Outline:
    width: int
    height: int
    region: str
    children: list[tuple[str, str]]  # (code, path)


def outline_svg(
    geometry: dict[str, Any],
    children: list[tuple[str, dict[str, Any]]] = (),  # type: ignore[assignment]
    width: int = 480,
    height: int = 360,
) -> Outline:
    """SVG path data for a region and its children, projected into one viewBox."""
    rings: Rings = geometry.get("coordinates", [])
    points = [pt for ring in rings for pt in ring]
    if not points:
        return Outline(width, height, "", [])
    min_x = min(p[0] for p in points)
    max_x = max(p[0] for p in points)
    min_y = min(p[1] for p in points)
    max_y = max(p[1] for p in points)
    # Degrees of longitude are shorter than degrees of latitude away from the equator.
    x_factor = math.cos(math.radians((min_y + max_y) / 2))
    span_x = max((max_x - min_x) * x_factor, 1e-12)
    span_y = max(max_y - min_y, 1e-12)
    scale = min((width - 20) / span_x, (height - 20) / span_y)

    def path(shape_rings: Rings) -> str:
        def project(pt: list[float]) -> str:
            x = 10 + (pt[0] - min_x) * x_factor * scale
            y = height - 10 - (pt[1] - min_y) * scale
            return f"{x:.1f},{y:.1f}"

        return " ".join("M" + " L".join(project(pt) for pt in ring) + " Z" for ring in shape_rings)

    return Outline(
        width,
        height,
        path(rings),
        [(code, path(child.get("coordinates", []))) for code, child in children],
    )
