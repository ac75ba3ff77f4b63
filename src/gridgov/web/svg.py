"""A region's outline as inline SVG, so a page can show a boundary without a map library."""

from __future__ import annotations

import math
from typing import Any


def polygon_svg_path(
    geometry: dict[str, Any], width: int = 480, height: int = 360
) -> dict[str, Any]:
    rings: list[list[list[float]]] = geometry.get("coordinates", [])
    points = [pt for ring in rings for pt in ring]
    if not points:
        return {"d": "", "width": width, "height": height}
    min_x = min(p[0] for p in points)
    max_x = max(p[0] for p in points)
    min_y = min(p[1] for p in points)
    max_y = max(p[1] for p in points)
    # Degrees of longitude are shorter than degrees of latitude away from the equator.
    x_factor = math.cos(math.radians((min_y + max_y) / 2))
    span_x = max((max_x - min_x) * x_factor, 1e-12)
    span_y = max(max_y - min_y, 1e-12)
    scale = min((width - 20) / span_x, (height - 20) / span_y)

    def project(pt: list[float]) -> str:
        x = 10 + (pt[0] - min_x) * x_factor * scale
        y = height - 10 - (pt[1] - min_y) * scale
        return f"{x:.1f},{y:.1f}"

    d = " ".join("M" + " L".join(project(pt) for pt in ring) + " Z" for ring in rings)
    return {"d": d, "width": width, "height": height}
