"""Region outlines as inline SVG, so a page can show boundaries without a map library."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

Rings = list[list[list[float]]]


@dataclass(frozen=True)
class Outline:
    width: int
    height: int
    region: str
    children: list[tuple[str, str]]  # (code, path)
    # (x, y, link, title, css class) of points drawn on top, e.g. cases on the workbench map.
    points: list[tuple[float, float, str, str, str]] = field(default_factory=list)


def outline_svg(
    geometry: dict[str, Any],
    children: list[tuple[str, dict[str, Any]]] = (),  # type: ignore[assignment]
    width: int = 480,
    height: int = 360,
    points: list[tuple[float, float, str, str, str]] = (),  # type: ignore[assignment]
) -> Outline:
    """SVG path data for a region and its children, projected into one viewBox."""
    rings: Rings = geometry.get("coordinates", [])
    corners = [pt for ring in rings for pt in ring]
    if not corners:
        return Outline(width, height, "", [])
    min_x = min(p[0] for p in corners)
    max_x = max(p[0] for p in corners)
    min_y = min(p[1] for p in corners)
    max_y = max(p[1] for p in corners)
    # Degrees of longitude are shorter than degrees of latitude away from the equator.
    x_factor = math.cos(math.radians((min_y + max_y) / 2))
    span_x = max((max_x - min_x) * x_factor, 1e-12)
    span_y = max(max_y - min_y, 1e-12)
    scale = min((width - 20) / span_x, (height - 20) / span_y)

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return 10 + (lon - min_x) * x_factor * scale, height - 10 - (lat - min_y) * scale

    def path(shape_rings: Rings) -> str:
        def project(pt: list[float]) -> str:
            x, y = xy(pt[0], pt[1])
            return f"{x:.1f},{y:.1f}"

        return " ".join("M" + " L".join(project(pt) for pt in ring) + " Z" for ring in shape_rings)

    return Outline(
        width,
        height,
        path(rings),
        [(code, path(child.get("coordinates", []))) for code, child in children],
        [(*xy(lon, lat), link, title, css) for lon, lat, link, title, css in points],
    )
