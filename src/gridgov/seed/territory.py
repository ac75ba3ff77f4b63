"""Deterministic generator of the synthetic territory (region tree and base-map layers).

Everything is cut out of one jittered lattice of small cells in local metres. The lattice is
a "brick" layout (every other row shifted by half a cell), so each lattice vertex is shared
by at most three cells: two cells of the same region can therefore never touch at a corner
only, which is what usually turns a union of cells into a MultiPolygon or an invalid ring.
Regions at every level are sets of edge-connected cells, and their polygons are traced from
the lattice edges whose two sides carry different labels. Both neighbours of an edge read the
same rounded vertex coordinates, so shared boundaries are bit-identical and each level is an
exact polygonal coverage of its parent by construction, without any floating-point overlay.

The module is pure: no I/O, no database, no global random state.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = [
    "LEVELS",
    "SPECIAL_KINDS",
    "BaseLayerSpec",
    "RegionSpec",
    "Territory",
    "build_city",
    "build_district",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
ProgressFn = Callable[[str, int, int], None]

LEVELS: tuple[str, ...] = ("city", "district", "street", "community", "grid", "special_grid")
SPECIAL_KINDS: tuple[str, ...] = (
    "school",
    "hospital",
    "market",
    "industrial_park",
    "construction_site",
    "scenic_area",
    "transport_hub",
    "government",
    "residential_compound",
    "elderly_care",
)


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    level: str
    parent_code: str | None
    polygon: Polygon
    kind: str | None = None


@dataclass(frozen=True)
class BaseLayerSpec:
    kind: str
    name: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class Territory:
    regions: list[RegionSpec]
    layers: list[BaseLayerSpec]


# ---------------------------------------------------------------------------------------------
# Projection
# ---------------------------------------------------------------------------------------------

_EARTH_RADIUS_M = 6_371_008.8
_DECIMALS = 7


@dataclass(frozen=True)
class _Projection:
    """Local equirectangular projection; affine, so straight lines stay straight."""

    lon0: float
    lat0: float

    @property
    def ky(self) -> float:
        return 180.0 / (math.pi * _EARTH_RADIUS_M)

    @property
    def kx(self) -> float:
        return self.ky / math.cos(math.radians(self.lat0))

    def lonlat(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        lon = np.round(self.lon0 + x * self.kx, _DECIMALS)
        lat = np.round(self.lat0 + y * self.ky, _DECIMALS)
        return lon, lat

    def metres(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) / self.kx, (lat - self.lat0) / self.ky

    def geometry(self, geom: BaseGeometry, *, rounded: bool = True) -> BaseGeometry:
        kx, ky, lon0, lat0 = self.kx, self.ky, self.lon0, self.lat0

        def fwd(xy: FloatArray) -> FloatArray:
            out = np.empty_like(xy)
            out[:, 0] = lon0 + xy[:, 0] * kx
            out[:, 1] = lat0 + xy[:, 1] * ky
            return np.round(out, _DECIMALS) if rounded else out

        return shapely.transform(geom, fwd)


def _round_geometry(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: np.round(xy, _DECIMALS))


# ---------------------------------------------------------------------------------------------
# Lattice
# ---------------------------------------------------------------------------------------------

# Cell (i, j) in row j with o = j % 2 uses the vertices (j, 2i+o), (j, 2i+o+1), (j, 2i+o+2),
# (j+1, 2i+o+2), (j+1, 2i+o+1), (j+1, 2i+o) counter-clockwise; edge e runs from vertex e to
# vertex e+1. The neighbour across edge e is at (i + _NB_DI[e] + o * _NB_DO[e], j + _NB_DJ[e]).
_NB_DI = np.array([-1, 0, 1, 0, -1, -1], dtype=np.int64)
_NB_DO = np.array([1, 1, 0, 1, 1, 0], dtype=np.int64)
_NB_DJ = np.array([-1, -1, 0, 1, 1, 0], dtype=np.int64)


@dataclass(frozen=True)
class _Lattice:
    vx: FloatArray  # every lattice vertex, metres
    vy: FloatArray
    cell_vertices: IntArray  # (n, 6) vertex ids of the selected cells
    neighbours: IntArray  # (n, 6) selected-cell index across each edge, -1 outside
    cx: FloatArray  # cell centres, metres
    cy: FloatArray

    @property
    def size(self) -> int:
        return int(self.cx.shape[0])


def _build_lattice(outline: Polygon, cell_width: float, rng: np.random.Generator) -> _Lattice:
    w = cell_width
    h = w * math.sqrt(3.0) / 2.0
    xmin, ymin, xmax, ymax = (float(v) for v in outline.bounds)
    # Two spare rows/columns keep every selected cell away from the lattice border.
    x0, y0 = xmin - 2.0 * w, ymin - 2.0 * h
    nx = math.ceil((xmax - xmin) / w) + 4
    ny = math.ceil((ymax - ymin) / h) + 4
    kw = 2 * nx + 2
    nvert = (ny + 1) * kw
    kk = np.tile(np.arange(kw, dtype=np.int64), ny + 1)
    jj = np.repeat(np.arange(ny + 1, dtype=np.int64), kw)
    # Jitter stays below half the vertex spacing in each axis, so every cell remains a simple,
    # counter-clockwise hexagon and the jittered cells still tile the plane.
    vx = x0 + kk * (w / 2.0) + rng.uniform(-0.18 * w, 0.18 * w, nvert)
    vy = y0 + jj * h + rng.uniform(-0.2 * h, 0.2 * h, nvert)

    ci = np.tile(np.arange(nx, dtype=np.int64), ny)
    cj = np.repeat(np.arange(ny, dtype=np.int64), nx)
    odd = cj % 2
    base = 2 * ci + odd
    row0 = cj * kw
    row1 = (cj + 1) * kw
    verts = np.stack(
        [
            row0 + base,
            row0 + base + 1,
            row0 + base + 2,
            row1 + base + 2,
            row1 + base + 1,
            row1 + base,
        ],
        axis=1,
    )
    ni = ci[:, None] + _NB_DI[None, :] + odd[:, None] * _NB_DO[None, :]
    nj = cj[:, None] + _NB_DJ[None, :]
    valid = (ni >= 0) & (ni < nx) & (nj >= 0) & (nj < ny)
    nb_full = np.where(valid, nj * nx + ni, -1)

    cx_full = vx[verts].mean(axis=1)
    cy_full = vy[verts].mean(axis=1)
    inside = shapely.contains_xy(outline, cx_full, cy_full)
    inside = _clean_selection(np.asarray(inside, dtype=np.bool_), nb_full)

    selected = np.flatnonzero(inside)
    compact = np.full(nx * ny + 1, -1, dtype=np.int64)
    compact[selected] = np.arange(selected.shape[0], dtype=np.int64)
    # Index -1 hits the trailing sentinel, which keeps "outside" as -1.
    neighbours = compact[nb_full[selected]]
    return _Lattice(
        vx=vx,
        vy=vy,
        cell_vertices=verts[selected],
        neighbours=neighbours,
        cx=cx_full[selected],
        cy=cy_full[selected],
    )


def _flood(start: int, allowed: bytearray, seen: bytearray, nb: list[list[int]]) -> list[int]:
    """Cells reachable from start through allowed cells; marks them in seen."""
    seen[start] = 1
    found = [start]
    queue: deque[int] = deque(found)
    while queue:
        c = queue.popleft()
        for n in nb[c]:
            if n >= 0 and allowed[n] and not seen[n]:
                seen[n] = 1
                found.append(n)
                queue.append(n)
    return found


def _clean_selection(inside: BoolArray, nb_full: IntArray) -> BoolArray:
    """Fill enclosed gaps and keep the largest edge-connected component.

    The territory outline must be one polygon without holes, and region growing can only reach
    cells connected to its seeds.
    """
    nb = nb_full.tolist()
    n = int(inside.shape[0])
    outside = bytearray((~inside).astype(np.uint8).tobytes())
    reached = bytearray(n)
    for c in np.flatnonzero((nb_full < 0).any(axis=1)).tolist():
        if outside[c] and not reached[c]:
            _flood(c, outside, reached, nb)
    filled = bytearray(1 - b for b in reached)

    seen = bytearray(n)
    best: list[int] = []
    for c in np.flatnonzero(np.frombuffer(bytes(filled), dtype=np.uint8)).tolist():
        if not seen[c]:
            comp = _flood(c, filled, seen, nb)
            if len(comp) > len(best):
                best = comp
    keep = np.zeros(n, dtype=np.bool_)
    keep[best] = True
    return keep


# ---------------------------------------------------------------------------------------------
# Partitioning
# ---------------------------------------------------------------------------------------------


def _kmeans(points: FloatArray, k: int, rng: np.random.Generator, iters: int = 8) -> FloatArray:
    m = int(points.shape[0])
    if k >= m:
        return np.array(points[:k], dtype=np.float64)
    centres = np.empty((k, 2), dtype=np.float64)
    centres[0] = points[int(rng.integers(m))]
    d2 = ((points - centres[0]) ** 2).sum(axis=1)
    for r in range(1, k):
        total = float(d2.sum())
        if total <= 0.0:
            idx = int(rng.integers(m))
        else:
            idx = min(int(np.searchsorted(np.cumsum(d2), rng.random() * total)), m - 1)
        centres[r] = points[idx]
        d2 = np.minimum(d2, ((points - centres[r]) ** 2).sum(axis=1))
    for _ in range(iters):
        dist = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        assign = dist.argmin(axis=1)
        counts = np.bincount(assign, minlength=k)
        sx = np.bincount(assign, weights=points[:, 0], minlength=k)
        sy = np.bincount(assign, weights=points[:, 1], minlength=k)
        full = counts > 0
        centres[full, 0] = sx[full] / counts[full]
        centres[full, 1] = sy[full] / counts[full]
    return centres


def _reading_order(seeds: FloatArray) -> IntArray:
    """North-to-south, west-to-east order, so serial numbers follow the map."""
    k = int(seeds.shape[0])
    if k <= 1:
        return np.arange(k, dtype=np.int64)
    span = float(np.ptp(seeds[:, 1])) or 1.0
    band = span / max(1.0, math.sqrt(k)) + 1e-9
    rows = np.floor((seeds[:, 1].max() - seeds[:, 1]) / band)
    return np.lexsort((seeds[:, 0], rows)).astype(np.int64)


def _cell_area(lat: _Lattice) -> float:
    v = lat.cell_vertices[0]
    return float(Polygon(np.column_stack([lat.vx[v], lat.vy[v]])).area)


@dataclass(frozen=True)
class _Level:
    labels: IntArray  # cell -> region index
    parent: IntArray  # region index -> parent region index (0 for the top level)
    seeds: FloatArray  # (regions, 2) centre of each region's first cell, metres

    @property
    def count(self) -> int:
        return int(self.parent.shape[0])

    def cell_counts(self) -> IntArray:
        return np.bincount(self.labels, minlength=self.count).astype(np.int64)


Warp = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


def _make_warp(scale: float, rng: np.random.Generator) -> Warp:
    """Smooth distortion of the plane by about 0.25 * scale.

    Distances measured in the distorted plane make region borders meander instead of
    following the straight bisectors of a plain Voronoi split.
    """
    waves = [
        [
            (
                scale * rng.uniform(1.0, 2.5),
                rng.uniform(0.0, 2 * math.pi),
                rng.uniform(0.0, 2 * math.pi),
            )
            for _ in range(4)
        ]
        for _ in range(2)
    ]

    def warp(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        out: list[FloatArray] = []
        for axis_waves in waves:
            acc = np.zeros_like(x)
            for wavelength, angle, phase in axis_waves:
                k = 2 * math.pi / wavelength
                acc += np.sin(x * (k * math.cos(angle)) + y * (k * math.sin(angle)) + phase)
            out.append(acc * (0.25 * scale / len(axis_waves)))
        return x + out[0], y + out[1]

    return warp


def _group_cells(labels: IntArray, n: int) -> list[IntArray]:
    order = np.argsort(labels, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=n))])
    return [order[bounds[p] : bounds[p + 1]] for p in range(n)]


def _partition(
    lat: _Lattice,
    parent_labels: IntArray,
    counts: Sequence[int],
    rng: np.random.Generator,
    *,
    fixed_seeds: FloatArray | None = None,
    weights: FloatArray | None = None,
    relax: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> _Level:
    """Split every parent region into counts[p] edge-connected children.

    Children grow from their seeds through a shared priority queue keyed by (weighted)
    distance to their own seed, claiming only neighbours of cells they already hold, so each
    child is connected and stays inside its parent.
    """
    n_parents = len(counts)
    groups = _group_cells(parent_labels, n_parents)
    nb = lat.neighbours.tolist()
    child_size = math.sqrt(_cell_area(lat) * lat.size / max(1, sum(counts)))
    warp = _make_warp(child_size, rng)
    wx, wy = warp(lat.cx, lat.cy)
    cx = wx.tolist()
    cy = wy.tolist()
    par = parent_labels.tolist()
    child = [-1] * lat.size
    all_seeds: list[FloatArray] = []
    parents: list[int] = []
    offset = 0
    for p, cells in enumerate(groups):
        k = int(counts[p])
        if k < 1 or k > cells.shape[0]:
            raise ValueError(f"cannot split {cells.shape[0]} cells into {k} regions")
        pts = np.column_stack([wx[cells], wy[cells]])
        if fixed_seeds is not None:
            fx, fy = warp(fixed_seeds[:, 0], fixed_seeds[:, 1])
            seeds = np.column_stack([fx, fy])
            wts = (
                np.ones(k, dtype=np.float64)
                if weights is None
                else np.array(weights, dtype=np.float64)
            )
        else:
            seeds = _kmeans(pts, k, rng)
            seeds = seeds[_reading_order(seeds)]
            wts = np.ones(k, dtype=np.float64)
        starts = _grow(cells, pts, p, seeds, wts, offset, nb, cx, cy, par, child)
        if fixed_seeds is None:
            # Lloyd-style relaxation: move seeds to their region's centre and favour regions
            # that came out small, so squeezed seeds do not leave sliver-sized children.
            for _ in range(relax):
                local = np.array([child[c] for c in cells.tolist()], dtype=np.int64) - offset
                size = np.bincount(local, minlength=k).astype(np.float64)
                seeds = np.column_stack(
                    [
                        np.bincount(local, weights=pts[:, 0], minlength=k) / size,
                        np.bincount(local, weights=pts[:, 1], minlength=k) / size,
                    ]
                )
                wts = wts * np.clip(np.sqrt(size.mean() / size), 0.8, 1.35)
                for c in cells.tolist():
                    child[c] = -1
                starts = _grow(cells, pts, p, seeds, wts, offset, nb, cx, cy, par, child)
        all_seeds.append(np.column_stack([lat.cx[starts], lat.cy[starts]]))
        parents.extend([p] * k)
        offset += k
        if progress is not None:
            progress(p + 1, n_parents)
    labels = np.array(child, dtype=np.int64)
    if (labels < 0).any():
        raise RuntimeError("region growing left cells unclaimed")
    return _Level(
        labels=labels,
        parent=np.array(parents, dtype=np.int64),
        seeds=np.concatenate(all_seeds, axis=0),
    )


def _grow(
    cells: IntArray,
    pts: FloatArray,
    p: int,
    seeds: FloatArray,
    weights: FloatArray,
    offset: int,
    nb: list[list[int]],
    cx: list[float],
    cy: list[float],
    par: list[int],
    child: list[int],
) -> list[int]:
    """Grow len(seeds) regions over the cells of parent p; returns their first cells.

    pts holds the (warped) positions of cells, the same plane as cx, cy and the seeds.
    """
    k = int(seeds.shape[0])
    px, py = pts[:, 0], pts[:, 1]
    sx, sy, sw = seeds[:, 0].tolist(), seeds[:, 1].tolist(), weights.tolist()
    heap: list[tuple[float, int, int]] = []
    starts: list[int] = []
    taken = np.zeros(cells.shape[0], dtype=np.bool_)
    for r in range(k):
        d2 = (px - sx[r]) ** 2 + (py - sy[r]) ** 2
        d2[taken] = np.inf
        idx = int(d2.argmin())
        taken[idx] = True
        heap.append((-1.0, r, int(cells[idx])))
        starts.append(int(cells[idx]))
    heapq.heapify(heap)
    while heap:
        _, r, c = heapq.heappop(heap)
        if child[c] >= 0:
            continue
        child[c] = offset + r
        x0, y0, wr = sx[r], sy[r], sw[r]
        for n in nb[c]:
            if n >= 0 and child[n] < 0 and par[n] == p:
                heapq.heappush(heap, (math.hypot(cx[n] - x0, cy[n] - y0) / wr, r, n))
    return starts


def _allocate(
    total: int, weights: Sequence[float], caps: Sequence[int], minimum: int = 1
) -> list[int]:
    """Integer split of total proportional to weights, each share within [minimum, cap]."""
    n = len(weights)
    if n == 0 or minimum * n > total or sum(caps) < total or min(caps) < minimum:
        raise ValueError(f"cannot allocate {total} over {n} slots with caps {sum(caps)}")
    wsum = float(sum(weights))
    targets = [total * w / wsum for w in weights] if wsum > 0 else [total / n] * n
    alloc = [min(cap, max(minimum, int(t))) for t, cap in zip(targets, caps, strict=True)]
    diff = total - sum(alloc)
    while diff > 0:
        best = max((i for i in range(n) if alloc[i] < caps[i]), key=lambda i: targets[i] - alloc[i])
        alloc[best] += 1
        diff -= 1
    while diff < 0:
        best = max((i for i in range(n) if alloc[i] > minimum), key=lambda i: alloc[i] - targets[i])
        alloc[best] -= 1
        diff += 1
    return alloc


# ---------------------------------------------------------------------------------------------
# Polygon tracing
# ---------------------------------------------------------------------------------------------


def _trace(
    lat: _Lattice, labels: IntArray, n_labels: int, lon: FloatArray, la: FloatArray
) -> list[Polygon]:
    """Polygons of all regions of one level, traced along lattice edges.

    Every lattice vertex has at most three cells around it, so each boundary vertex of a region
    has exactly one outgoing boundary edge and the rings never touch each other.
    """
    n = lat.size
    own = labels[:, None]
    nb_lab = np.append(labels, -1)[lat.neighbours]
    boundary = nb_lab != own
    starts = lat.cell_vertices[boundary]
    ends = np.roll(lat.cell_vertices, -1, axis=1)[boundary]
    labs = np.broadcast_to(own, (n, 6))[boundary]
    nv = int(lon.shape[0])
    keys = labs * nv + starts
    order = np.argsort(keys, kind="stable")
    keys, starts, ends, labs = keys[order], starts[order], ends[order], labs[order]
    want = labs * nv + ends
    succ = np.searchsorted(keys, want)
    if succ.size and (succ.max() >= keys.shape[0] or not np.array_equal(keys[succ], want)):
        raise RuntimeError("open region boundary")

    succ_l = succ.tolist()
    labs_l = labs.tolist()
    seen = bytearray(int(keys.shape[0]))
    rings: list[list[IntArray]] = [[] for _ in range(n_labels)]
    for s in range(int(keys.shape[0])):
        if seen[s]:
            continue
        idx: list[int] = []
        i = s
        while not seen[i]:
            seen[i] = 1
            idx.append(i)
            i = succ_l[i]
        rings[labs_l[s]].append(starts[idx])

    polygons: list[Polygon] = []
    for lab, lab_rings in enumerate(rings):
        shell: FloatArray | None = None
        holes: list[FloatArray] = []
        for ring in lab_rings:
            xs, ys = lon[ring], la[ring]
            xr, yr = xs - xs.mean(), ys - ys.mean()
            area2 = float(np.dot(xr, np.roll(yr, -1)) - np.dot(np.roll(xr, -1), yr))
            coords = np.column_stack([xs, ys])
            if area2 > 0:
                if shell is not None:
                    raise RuntimeError(f"region {lab} is not connected")
                shell = coords
            else:
                holes.append(coords)
        if shell is None:
            raise RuntimeError(f"region {lab} has no outer ring")
        polygons.append(Polygon(shell, holes))
    return polygons


# ---------------------------------------------------------------------------------------------
# Shapes in metres
# ---------------------------------------------------------------------------------------------


def _wobbly_outline(
    base: Polygon, rng: np.random.Generator, amplitude: float, area: float
) -> Polygon:
    """Radially perturbed copy of a convex shape, scaled to the wanted area.

    A convex base is star-shaped about its centroid, so a positive radial factor keeps the
    ring simple.
    """
    c = base.centroid
    ring = base.exterior
    pts = np.array(
        [ring.interpolate(t, normalized=True).coords[0] for t in np.linspace(0, 1, 360, False)]
    )
    dx, dy = pts[:, 0] - c.x, pts[:, 1] - c.y
    theta = np.arctan2(dy, dx)
    factor = np.ones_like(theta)
    for harmonic in range(2, 11):
        amp = amplitude * rng.uniform(0.3, 1.0) / harmonic**0.8
        factor += amp * np.cos(harmonic * theta + rng.uniform(0, 2 * math.pi))
    factor = np.clip(factor, 0.5, None)
    poly = Polygon(np.column_stack([c.x + dx * factor, c.y + dy * factor]))
    scale = math.sqrt(area / float(poly.area))
    return Polygon(np.column_stack([c.x + dx * factor * scale, c.y + dy * factor * scale]))


def _ellipse(cx: float, cy: float, a: float, b: float, angle: float, n: int = 96) -> Polygon:
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    ca, sa = math.cos(angle), math.sin(angle)
    x, y = a * np.cos(t), b * np.sin(t)
    return Polygon(np.column_stack([cx + x * ca - y * sa, cy + x * sa + y * ca]))


def _blob(
    cx: float, cy: float, a: float, b: float, angle: float, rng: np.random.Generator
) -> Polygon:
    t = np.linspace(0, 2 * math.pi, 72, endpoint=False)
    r = np.ones_like(t)
    for harmonic in range(2, 7):
        r += 0.12 / harmonic**0.7 * np.cos(harmonic * t + rng.uniform(0, 2 * math.pi))
    ca, sa = math.cos(angle), math.sin(angle)
    x, y = a * r * np.cos(t), b * r * np.sin(t)
    return Polygon(np.column_stack([cx + x * ca - y * sa, cy + x * sa + y * ca]))


def _fit_inside(shape: Polygon, container: BaseGeometry) -> Polygon:
    """Shrink shape about its centroid until it lies inside container."""
    for _ in range(40):
        if container.contains(shape):
            return shape
        c = shape.centroid
        xy = np.asarray(shape.exterior.coords)
        shape = Polygon(
            np.column_stack([c.x + (xy[:, 0] - c.x) * 0.9, c.y + (xy[:, 1] - c.y) * 0.9])
        )
    raise RuntimeError("lake does not fit inside the territory")


def _chaikin(points: Sequence[tuple[float, float]], rounds: int = 3) -> FloatArray:
    pts = np.asarray(points, dtype=np.float64)
    for _ in range(rounds):
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        mid = np.empty((2 * q.shape[0], 2))
        mid[0::2], mid[1::2] = q, r
        pts = np.vstack([pts[:1], mid, pts[-1:]])
    return pts


def _longest_line(geom: BaseGeometry) -> LineString | None:
    parts = [
        g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "LineString" and not g.is_empty
    ]
    if not parts:
        return None
    return max(parts, key=lambda g: float(g.length))


def _line_layer(
    kind: str,
    name: str,
    control: Sequence[tuple[float, float]],
    rng: np.random.Generator,
    outline: Polygon,
    lakes: BaseGeometry | None,
    proj: _Projection,
    wiggle: float,
) -> BaseLayerSpec | None:
    pts = np.asarray(control, dtype=np.float64)
    pts[1:-1] += rng.uniform(-wiggle, wiggle, pts[1:-1].shape)
    line: BaseGeometry = LineString(_chaikin([tuple(p) for p in pts]))
    line = line.intersection(outline)
    if lakes is not None:
        line = line.difference(lakes)
    piece = _longest_line(line)
    if piece is None or piece.length < 500.0:
        return None
    return BaseLayerSpec(kind=kind, name=name, geometry=proj.geometry(piece))


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

_URBAN_C1 = (
    "金银锦翠荷柳丽阳和康福瑞祥鑫华新春秋兰桂梅竹松枫泉湖滨绿景宏安泰欣嘉盛兴清明怡馨雅凤龙玉文"
)
_URBAN_C2 = "苑园城庭湾府华景馨泰安居桥岸林光丰乐源晖都坊里舍"
_URBAN_C3 = "苑园城里坊居湾庭"
_STREET_C1 = "崇文仁义礼智信圣儒德明阳光龙凤金玉泉青红古新济运洸泗峄凫尼孔颜"
_STREET_C2 = "城源阳河桥山坊营湖林门台岭亭阁口安兴华"
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛闫段雷侯史陶贺顾毛郝龚邵"
    "万钱严武戴孔汤"
)
_VILLAGE_SUFFIXES = (
    "庄", "楼", "集", "营", "屯", "店", "寨", "堂", "桥", "洼", "口", "庙", "湾", "岗", "铺",
    "家庄", "家楼", "家洼", "家营", "官庄",
)  # fmt: skip
_VILLAGE_PREFIXES = ("", "", "", "", "东", "西", "南", "北", "前", "后", "大", "小")
_CN_ORDINALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")


class _Names:
    """Names kept unique per level, all drawn from one seeded stream."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used: dict[str, set[str]] = {}

    def claim(self, level: str, candidates: Sequence[str]) -> str | None:
        used = self.used.setdefault(level, set())
        for cand in candidates:
            if cand not in used:
                used.add(cand)
                return cand
        return None

    def _pair(self, first: str, second: str) -> str:
        while True:
            a, b = self.rng.choice(first), self.rng.choice(second)
            if a != b:
                return a + b

    def urban_stem(self, level: str, suffix: str) -> str:
        for attempt in range(400):
            stem = self._pair(_URBAN_C1, _URBAN_C2)
            if attempt > 200:
                stem += self.rng.choice(_URBAN_C3)
            if self.claim(level, [stem + suffix]) is not None:
                return stem
        raise RuntimeError("urban name pool exhausted")

    def village_stem(self, level: str, suffix: str, *, short: bool = False) -> str:
        for attempt in range(1000):
            prefix = "" if short and attempt < 500 else self.rng.choice(_VILLAGE_PREFIXES)
            ending = self.rng.choice(_VILLAGE_SUFFIXES[:15] if short else _VILLAGE_SUFFIXES)
            stem = prefix + self.rng.choice(_SURNAMES) + ending
            if self.claim(level, [stem + suffix]) is not None:
                return stem
        raise RuntimeError("village name pool exhausted")

    def street_stem(self, level: str, suffix: str) -> str:
        for attempt in range(400):
            stem = self._pair(_STREET_C1, _STREET_C2)
            if attempt > 200:
                stem = self.rng.choice(_SURNAMES) + stem
            if self.claim(level, [stem + suffix]) is not None:
                return stem
        raise RuntimeError("street name pool exhausted")

    def residential(self) -> str:
        return self._pair(_URBAN_C1, _URBAN_C2)


# ---------------------------------------------------------------------------------------------
# Special grids
# ---------------------------------------------------------------------------------------------

# Nominal footprint (length, width) in metres; irregular kinds get a star-shaped outline.
_KIND_SIZE: dict[str, tuple[float, float]] = {
    "school": (200.0, 150.0),
    "hospital": (260.0, 200.0),
    "market": (130.0, 90.0),
    "industrial_park": (1300.0, 1000.0),
    "construction_site": (260.0, 180.0),
    "scenic_area": (800.0, 450.0),
    "transport_hub": (320.0, 200.0),
    "government": (160.0, 120.0),
    "residential_compound": (380.0, 300.0),
    "elderly_care": (110.0, 80.0),
}
_IRREGULAR = frozenset({"industrial_park", "scenic_area", "construction_site"})
# Weight of an urban street relative to a town for each kind.
_URBAN_BIAS: dict[str, float] = {
    "school": 1.6,
    "hospital": 2.0,
    "market": 1.4,
    "industrial_park": 0.3,
    "construction_site": 1.0,
    "scenic_area": 0.8,
    "transport_hub": 1.5,
    "government": 1.2,
    "residential_compound": 2.5,
    "elderly_care": 1.2,
}
_DISTRICT_KIND_COUNTS: dict[str, int] = {
    "school": 30,
    "hospital": 8,
    "market": 15,
    "industrial_park": 6,
    "construction_site": 20,
    "scenic_area": 6,
    "transport_hub": 5,
    "government": 12,
    "residential_compound": 40,
    "elderly_care": 15,
}
_CITY_KIND_SHARE: dict[str, float] = {
    "school": 0.19,
    "hospital": 0.05,
    "market": 0.10,
    "industrial_park": 0.03,
    "construction_site": 0.12,
    "scenic_area": 0.03,
    "transport_hub": 0.03,
    "government": 0.08,
    "residential_compound": 0.27,
    "elderly_care": 0.10,
}
_DISTRICT_FIXED_NAMES: dict[str, tuple[str, ...]] = {
    "school": ("太白湖新区实验小学", "太白湖新区实验中学", "济宁市第十三中学太白湖校区"),
    "hospital": ("济宁市第一人民医院东院区", "济宁市中医院太白湖院区", "太白湖新区人民医院"),
    "scenic_area": (
        "太白湖景区",
        "太白湖国家湿地公园",
        "太白湖滨湖公园",
        "太白湖荷花观赏区",
        "运河文化公园",
        "太白湖生态植物园",
    ),
    "transport_hub": ("太白湖新区公交枢纽站",),
    "government": ("太白湖新区管委会",),
    "industrial_park": ("太白湖新区科技产业园",),
}


@dataclass(frozen=True)
class _NameContext:
    community: str  # stem, e.g. "荷花"
    street: str  # stem, e.g. "许庄"
    street_full: str  # e.g. "许庄街道"
    district: str  # e.g. "太白湖新区"
    city: str
    urban: bool


def _special_name_candidates(kind: str, ctx: _NameContext, names: _Names) -> list[str]:
    c, s, sf, d, city = ctx.community, ctx.street, ctx.street_full, ctx.district, ctx.city
    ordinal = names.rng.choice(_CN_ORDINALS)
    direction = names.rng.choice("东西南北")
    cands: list[str]
    if kind == "school":
        cands = [f"{c}小学", f"{c}幼儿园", f"{s}中学", f"{s}中心小学", f"{d}实验小学",
                 f"{c}中心幼儿园", f"{s}第{ordinal}小学",
                 f"{city}第{ordinal}中学{s}校区"]  # fmt: skip
    elif kind == "hospital":
        cands = [f"{sf}卫生院" if not ctx.urban else f"{c}社区卫生服务中心",
                 f"{d}人民医院", f"{d}中医医院", f"{d}妇幼保健院", f"{s}中心医院",
                 f"{city}第{ordinal}人民医院{direction}院区", f"{c}卫生室"]  # fmt: skip
    elif kind == "market":
        cands = [f"{s}农贸市场", f"{c}农贸市场", f"{c}菜市场", f"{s}综合市场",
                 f"{s}大集" if not ctx.urban else f"{c}便民市场"]  # fmt: skip
    elif kind == "industrial_park":
        cands = [f"{s}工业园", f"{s}物流园", f"{d}高新技术产业园", f"{s}食品产业园",
                 f"{c}工业园", f"{s}新材料产业园"]  # fmt: skip
    elif kind == "construction_site":
        cands = [f"{c}安置房项目工地", f"{s}棚户区改造项目工地", f"{c}小区建设工地",
                 f"{s}学校建设项目工地", f"{c}道路改造工程工地", f"{c}综合体项目工地"]  # fmt: skip
    elif kind == "scenic_area":
        cands = [f"{s}生态园", f"{c}湿地公园", f"{d}植物园", f"{s}森林公园", f"{c}游园"]
    elif kind == "transport_hub":
        cands = [f"{d}客运中心", f"{s}汽车站", f"{c}公交首末站", f"{s}公交枢纽站",
                 f"{s}物流中转站"]  # fmt: skip
    elif kind == "government":
        cands = [f"{sf}办事处" if ctx.urban else f"{sf}人民政府", f"{c}党群服务中心",
                 f"{s}派出所", f"{s}便民服务中心", f"{c}综治中心"]  # fmt: skip
    elif kind == "residential_compound":
        r = names.residential()
        cands = [f"{c}花园", f"{c}家园", f"{c}小区", f"{r}华府", f"{r}名苑", f"{r}雅居"]
    else:
        cands = [f"{c}日间照料中心", f"{s}敬老院", f"{c}养老服务站", f"{d}社会福利中心",
                 f"{s}颐养院"]  # fmt: skip
    names.rng.shuffle(cands)
    return cands


def _special_name(kind: str, ctx: _NameContext, names: _Names, fixed: dict[str, list[str]]) -> str:
    pool = fixed.get(kind)
    if pool:
        got = names.claim("special_grid", [pool.pop(0)])
        if got is not None:
            return got
    cands = _special_name_candidates(kind, ctx, names)
    got = names.claim("special_grid", cands)
    if got is not None:
        return got
    for n in range(1, 10_000):
        got = names.claim("special_grid", [f"{cand}{n + 1}号" for cand in cands])
        if got is not None:
            return got
    raise RuntimeError("special grid names exhausted")


def _shape(kind: str, x: float, y: float, scale: float, rng: np.random.Generator) -> Polygon:
    length, width = _KIND_SIZE[kind]
    a = length * scale * rng.uniform(0.8, 1.25) / 2.0
    b = width * scale * rng.uniform(0.8, 1.25) / 2.0
    angle = rng.uniform(0.0, math.pi)
    if kind in _IRREGULAR:
        n = int(rng.integers(6, 11))
        step = 2 * math.pi / n
        # Evenly spread angles: fully random ones leave wide gaps that read as spikes.
        t = np.arange(n) * step + rng.uniform(-0.3 * step, 0.3 * step, n)
        rad = rng.uniform(0.85, 1.15, n)
        px, py = a * rad * np.cos(t), b * rad * np.sin(t)
    else:
        px = np.array([-a, a, a, -a])
        py = np.array([-b, -b, b, b])
    ca, sa = math.cos(angle), math.sin(angle)
    return Polygon(np.column_stack([x + px * ca - py * sa, y + px * sa + py * ca]))


class _SpatialHash:
    """Bounding-box buckets, enough to keep special grids from overlapping each other."""

    def __init__(self, size: float) -> None:
        self.size = size
        self.buckets: dict[tuple[int, int], list[int]] = {}
        self.items: list[BaseGeometry] = []

    def _keys(self, geom: BaseGeometry) -> list[tuple[int, int]]:
        x0, y0, x1, y1 = (float(v) for v in geom.bounds)
        s = self.size
        return [
            (i, j)
            for i in range(math.floor(x0 / s), math.floor(x1 / s) + 1)
            for j in range(math.floor(y0 / s), math.floor(y1 / s) + 1)
        ]

    def hits(self, geom: BaseGeometry) -> bool:
        seen: set[int] = set()
        for key in self._keys(geom):
            for idx in self.buckets.get(key, ()):
                if idx not in seen:
                    seen.add(idx)
                    if bool(self.items[idx].intersects(geom)):
                        return True
        return False

    def add(self, geom: BaseGeometry) -> None:
        idx = len(self.items)
        self.items.append(geom)
        for key in self._keys(geom):
            self.buckets.setdefault(key, []).append(idx)


@dataclass(frozen=True)
class _StreetInfo:
    code: str
    polygon: Polygon  # lon/lat
    inner: BaseGeometry  # polygon shrunk by a hair, see _place_specials
    cells: IntArray
    urban: bool
    weight: float
    district: str


def _place_specials(
    kinds: Sequence[str],
    streets: list[_StreetInfo],
    lat: _Lattice,
    community_of_cell: IntArray,
    community_stems: list[str],
    street_of_cell: IntArray,
    street_stems: list[str],
    street_names: list[str],
    lakes_m: list[Polygon],
    proj: _Projection,
    rng: np.random.Generator,
    names: _Names,
    fixed_names: dict[str, list[str]],
    shore_share: float,
    progress: ProgressFn | None,
) -> list[RegionSpec]:
    """Place, clip and name the special grids.

    Candidates are clipped to their street shrunk by 2e-6 degrees (about 0.2 m), so that
    rounding the result to 7 decimals cannot push it across the street boundary: the parent
    street then covers the special grid robustly, not just up to floating-point noise.
    """
    lakes_ll = [proj.geometry(lk, rounded=False) for lk in lakes_m]
    lake_union = shapely.union_all(lakes_ll) if lakes_ll else None
    if lake_union is not None:
        shapely.prepare(lake_union)
    hashed = _SpatialHash(0.01)
    found: list[tuple[int, Polygon, str, str]] = []
    urban_w = np.array([s.urban for s in streets], dtype=np.bool_)
    base_w = np.array([s.weight for s in streets], dtype=np.float64)
    all_cells = np.column_stack([lat.cx, lat.cy])
    total = len(kinds)

    for done, kind in enumerate(kinds):
        w = base_w * np.where(urban_w, _URBAN_BIAS[kind], 1.0)
        w = w / w.sum()
        scale = 1.0
        placed: tuple[int, Polygon, str, str] | None = None
        attempt = 0
        while placed is None:
            attempt += 1
            if attempt > 5000:
                raise RuntimeError(f"no room left for a special grid of kind {kind}")
            if attempt % 25 == 0:
                scale *= 0.85  # crowded or awkward street: try smaller footprints
            on_shore = kind == "scenic_area" and bool(lakes_m) and rng.random() < shore_share
            if on_shore:
                lake = lakes_m[int(rng.integers(len(lakes_m)))]
                edge = lake.exterior.interpolate(rng.random(), normalized=True)
                lc = lake.centroid
                dx, dy = edge.x - lc.x, edge.y - lc.y
                norm = math.hypot(dx, dy) or 1.0
                push = 0.25 * _KIND_SIZE[kind][1] * scale
                x, y = edge.x + dx / norm * push, edge.y + dy / norm * push
                cell = int(((all_cells[:, 0] - x) ** 2 + (all_cells[:, 1] - y) ** 2).argmin())
                si = int(street_of_cell[cell])
            else:
                si = int(rng.choice(len(streets), p=w))
                cells = streets[si].cells
                cell = int(cells[int(rng.integers(cells.shape[0]))])
                x = float(lat.cx[cell]) + rng.uniform(-60.0, 60.0)
                y = float(lat.cy[cell]) + rng.uniform(-60.0, 60.0)
            street = streets[si]
            shape_m = _shape(kind, x, y, scale, rng)
            cand = proj.geometry(shape_m, rounded=False)
            if street.inner.contains(cand):
                clipped = cand
            else:
                clipped = cand.intersection(street.inner)
                if clipped.geom_type != "Polygon" or clipped.area < 0.6 * cand.area:
                    continue
            poly = _round_geometry(clipped)
            if poly.geom_type != "Polygon" or poly.is_empty or not poly.is_valid:
                continue
            if not street.polygon.contains(poly.centroid):
                continue
            if lake_union is not None and lake_union.intersects(poly):
                wet = float(poly.intersection(lake_union).area) / float(poly.area)
                if wet > (0.5 if kind == "scenic_area" else 0.15):
                    continue
            if attempt < 200 and hashed.hits(poly):
                continue
            ctx = _NameContext(
                community=community_stems[int(community_of_cell[cell])],
                street=street_stems[si],
                street_full=street_names[si],
                district=street.district,
                city="济宁市",
                urban=street.urban,
            )
            placed = (si, poly, kind, _special_name(kind, ctx, names, fixed_names))
        hashed.add(placed[1])
        found.append(placed)
        if progress is not None and ((done + 1) % 500 == 0 or done + 1 == total):
            progress("special_grids", done + 1, total)

    # Serials follow the map inside each street rather than the order of placement.
    out: list[RegionSpec] = []
    for si, street in enumerate(streets):
        mine = [f for f in found if f[0] == si]
        if len(mine) > 999:
            raise RuntimeError(f"street {street.code} has more than 999 special grids")
        if not mine:
            continue
        centres = np.array([f[1].centroid.coords[0] for f in mine], dtype=np.float64)
        for serial, idx in enumerate(_reading_order(centres).tolist(), start=1):
            _, poly, kind, name = mine[idx]
            out.append(RegionSpec(f"{street.code}ZS{serial:03d}", name, "special_grid",
                                  street.code, poly, kind))  # fmt: skip
    out.sort(key=lambda r: r.code)
    return out


def _shrink(poly: Polygon) -> BaseGeometry:
    inner = poly.buffer(-2e-6, join_style="mitre")
    shapely.prepare(inner)
    return inner


# ---------------------------------------------------------------------------------------------
# Shared pipeline pieces
# ---------------------------------------------------------------------------------------------


def _vertex_lonlat(lat: _Lattice, proj: _Projection) -> tuple[FloatArray, FloatArray]:
    return proj.lonlat(lat.vx, lat.vy)


def _kind_list(counts: dict[str, int], rng: np.random.Generator) -> list[str]:
    kinds = [k for k in SPECIAL_KINDS for _ in range(counts.get(k, 0))]
    # Large footprints first: they need the most room, and small ones fill the gaps later.
    big = [k for k in kinds if k in ("industrial_park", "scenic_area")]
    rest = [k for k in kinds if k not in ("industrial_park", "scenic_area")]
    order = rng.permutation(len(rest))
    return big + [rest[int(i)] for i in order]


def _noop(stage: str, done: int, total: int) -> None:
    return None


def _sub_progress(progress: ProgressFn, stage: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        if done == total or done % max(1, total // 20) == 0:
            progress(stage, done, total)

    return report


# ---------------------------------------------------------------------------------------------
# District tier: 太白湖新区
# ---------------------------------------------------------------------------------------------

_DISTRICT_CODE = "370811"
_DISTRICT_NAME = "太白湖新区"
_DISTRICT_LON, _DISTRICT_LAT = 116.55, 35.38

# code, name, stem, urban, growth seed (metres from the centre), growth weight,
# communities, basic grids
_DISTRICT_STREETS: tuple[tuple[str, str, str, bool, tuple[float, float], float, int, int], ...] = (
    ("370811002", "许庄街道", "许庄", True, (-3600.0, 2300.0), 0.9, 12, 70),
    ("370811006", "南张街道", "南张", True, (2600.0, 3300.0), 0.9, 11, 65),
    ("370811109", "石桥镇", "石桥", False, (-3200.0, -3000.0), 1.15, 9, 45),
    ("370811111", "喻屯镇", "喻屯", False, (4000.0, -1600.0), 1.15, 8, 45),
)
_DISTRICT_ROADS: tuple[tuple[str, tuple[tuple[float, float], ...]], ...] = (
    ("太白湖路", ((-9000.0, 1100.0), (-3000.0, 1300.0), (3000.0, 900.0), (9000.0, 1200.0))),
    ("荷花路", ((-9000.0, 3600.0), (-2000.0, 3300.0), (2500.0, 3700.0), (9000.0, 3400.0))),
    ("崇文大道", ((0.0, 9000.0), (200.0, 3000.0), (-200.0, -2000.0), (100.0, -9000.0))),
    ("济安桥南路", ((-2600.0, 9000.0), (-2400.0, 2000.0), (-2700.0, -4000.0), (-2500.0, -9000.0))),
    ("吴泰闸路", ((2900.0, 9000.0), (2700.0, 1500.0), (3100.0, -3500.0), (2800.0, -9000.0))),
    ("光明路", ((-9000.0, -6000.0), (-3000.0, -1800.0), (3000.0, 2200.0), (9000.0, 6500.0))),
    ("府河路", ((-9000.0, -4200.0), (-2000.0, -5200.0), (4000.0, -4800.0), (9000.0, -5600.0))),
)
_DISTRICT_RIVER: tuple[tuple[float, float], ...] = (
    (-10000.0, 5200.0),
    (-5600.0, 2300.0),
    (-3900.0, -600.0),
    (-2300.0, -3900.0),
    (-200.0, -6500.0),
    (2000.0, -10000.0),
)


def build_district(seed: int = 42) -> Territory:
    """The 太白湖新区 demo district: 4 streets, about 40 communities, 225 + 157 grids."""
    proj = _Projection(_DISTRICT_LON, _DISTRICT_LAT)
    rng_shape = np.random.default_rng([seed, 1])
    rng_lattice = np.random.default_rng([seed, 2])
    rng_split = np.random.default_rng([seed, 3])
    rng_special = np.random.default_rng([seed, 4])
    rng_layers = np.random.default_rng([seed, 5])
    names = _Names(seed * 7919 + 11)

    area = float(rng_shape.uniform(124e6, 134e6))
    base = _ellipse(0.0, 0.0, 7000.0, 5600.0, math.radians(float(rng_shape.uniform(15, 30))))
    outline = _wobbly_outline(base, rng_shape, 0.09, area)
    lat = _build_lattice(outline, 120.0, rng_lattice)
    lon_v, lat_v = _vertex_lonlat(lat, proj)

    street_seeds = np.array([s[4] for s in _DISTRICT_STREETS], dtype=np.float64)
    street_seeds += rng_split.uniform(-400.0, 400.0, street_seeds.shape)
    zero = np.zeros(lat.size, dtype=np.int64)
    streets = _partition(
        lat,
        zero,
        [len(_DISTRICT_STREETS)],
        rng_split,
        fixed_seeds=street_seeds,
        weights=np.array([s[5] for s in _DISTRICT_STREETS]),
    )
    communities = _partition(lat, streets.labels, [s[6] for s in _DISTRICT_STREETS], rng_split)
    comm_cells = communities.cell_counts()
    grid_counts: list[int] = []
    for si, spec in enumerate(_DISTRICT_STREETS):
        members = np.flatnonzero(communities.parent == si)
        cells = [int(comm_cells[c]) for c in members]
        grid_counts.extend(_allocate(spec[7], cells, cells, minimum=2))
    grids = _partition(lat, communities.labels, grid_counts, rng_split)

    # Names and codes.
    street_codes = [s[0] for s in _DISTRICT_STREETS]
    street_names = [s[1] for s in _DISTRICT_STREETS]
    street_stems = [s[2] for s in _DISTRICT_STREETS]
    for nm in street_names:
        names.claim("street", [nm])
    comm_codes, comm_names, comm_stems = _name_communities(
        communities, streets, street_codes, street_stems,
        [s[3] for s in _DISTRICT_STREETS], names,
    )  # fmt: skip
    grid_codes, grid_names = _name_grids(grids, comm_codes, comm_names)

    district_poly = _trace(lat, zero, 1, lon_v, lat_v)[0]
    street_polys = _trace(lat, streets.labels, streets.count, lon_v, lat_v)
    comm_polys = _trace(lat, communities.labels, communities.count, lon_v, lat_v)
    grid_polys = _trace(lat, grids.labels, grids.count, lon_v, lat_v)

    # Base layers (metres first, so the lake can be fitted inside the outline).
    lake_m = _blob(
        float(rng_layers.uniform(-300, 600)),
        float(rng_layers.uniform(-2300, -1700)),
        1700.0,
        1150.0,
        math.radians(float(rng_layers.uniform(-20, 20))),
        rng_layers,
    )
    lake_m = _fit_inside(lake_m, outline.buffer(-600.0))
    layers = [BaseLayerSpec(kind="lake", name="太白湖", geometry=proj.geometry(lake_m))]
    river = _line_layer(
        "river", "京杭运河", _DISTRICT_RIVER, rng_layers, outline, None, proj, 300.0
    )
    if river is not None:
        layers.append(river)
    for road_name, control in _DISTRICT_ROADS:
        road = _line_layer("road", road_name, control, rng_layers, outline, lake_m, proj, 200.0)
        if road is not None:
            layers.append(road)

    street_infos = [
        _StreetInfo(
            code=street_codes[i],
            polygon=street_polys[i],
            inner=_shrink(street_polys[i]),
            cells=np.flatnonzero(streets.labels == i),
            urban=_DISTRICT_STREETS[i][3],
            weight=float(_DISTRICT_STREETS[i][7]),
            district=_DISTRICT_NAME,
        )
        for i in range(streets.count)
    ]
    fixed = {k: list(v) for k, v in _DISTRICT_FIXED_NAMES.items()}
    specials = _place_specials(
        _kind_list(_DISTRICT_KIND_COUNTS, rng_special),
        street_infos,
        lat,
        communities.labels,
        comm_stems,
        streets.labels,
        street_stems,
        street_names,
        [lake_m],
        proj,
        rng_special,
        names,
        fixed,
        1.0,
        None,
    )

    regions: list[RegionSpec] = [
        RegionSpec(_DISTRICT_CODE, _DISTRICT_NAME, "district", None, district_poly)
    ]
    regions += [
        RegionSpec(street_codes[i], street_names[i], "street", _DISTRICT_CODE, street_polys[i])
        for i in range(streets.count)
    ]
    regions += _level_specs(
        comm_codes, comm_names, "community", communities.parent, street_codes, comm_polys
    )
    regions += _level_specs(grid_codes, grid_names, "grid", grids.parent, comm_codes, grid_polys)
    regions += specials
    return Territory(regions=regions, layers=layers)


def _name_communities(
    communities: _Level,
    streets: _Level,
    street_codes: list[str],
    street_stems: list[str],
    street_urban: list[bool],
    names: _Names,
) -> tuple[list[str], list[str], list[str]]:
    """Codes, names and name stems of communities; towns get one seat 社区 and 村 otherwise."""
    codes: list[str] = []
    full: list[str] = []
    stems: list[str] = []
    serial = [0] * streets.count
    seat: dict[int, int] = {}
    for si in range(streets.count):
        members = np.flatnonzero(communities.parent == si)
        if not street_urban[si] and members.size:
            d = ((communities.seeds[members] - streets.seeds[si]) ** 2).sum(axis=1)
            seat[si] = int(members[int(d.argmin())])
    for ci in range(communities.count):
        si = int(communities.parent[ci])
        serial[si] += 1
        codes.append(f"{street_codes[si]}{serial[si]:03d}")
        if street_urban[si]:
            stem = names.urban_stem("community", "社区")
            full.append(stem + "社区")
        elif seat.get(si) == ci:
            got = names.claim(
                "community", [f"{street_stems[si]}社区", f"{street_stems[si]}中心社区"]
            )
            if got is None:
                stem = names.urban_stem("community", "社区")
                got = stem + "社区"
            full.append(got)
            stem = got.removesuffix("社区")
        else:
            stem = names.village_stem("community", "村")
            full.append(stem + "村")
        stems.append(stem)
    return codes, full, stems


def _name_grids(
    grids: _Level, comm_codes: list[str], comm_names: list[str]
) -> tuple[list[str], list[str]]:
    codes: list[str] = []
    full: list[str] = []
    serial = [0] * len(comm_codes)
    for gi in range(grids.count):
        ci = int(grids.parent[gi])
        serial[ci] += 1
        if serial[ci] > 999:
            raise RuntimeError(f"community {comm_codes[ci]} has more than 999 grids")
        codes.append(f"{comm_codes[ci]}{serial[ci]:03d}")
        full.append(f"{comm_names[ci]}第{serial[ci]}网格")
    return codes, full


def _level_specs(
    codes: list[str],
    names: list[str],
    level: str,
    parent: IntArray,
    parent_codes: list[str],
    polygons: list[Polygon],
) -> list[RegionSpec]:
    specs = [
        RegionSpec(codes[i], names[i], level, parent_codes[int(parent[i])], polygons[i])
        for i in range(len(codes))
    ]
    specs.sort(key=lambda r: r.code)
    return specs


# ---------------------------------------------------------------------------------------------
# City tier: 济宁市
# ---------------------------------------------------------------------------------------------

_CITY_CODE = "3708"
_CITY_NAME = "济宁市"
_CITY_LON, _CITY_LAT = 116.66, 35.36
_CITY_AREA_M2 = 11_187e6
_CITY_GRIDS = 20_000
_CITY_SPECIALS = 10_000
_CITY_CELLS_PER_GRID = 24.0

# code, name, (lon, lat) of the seat, area km², grid density, share of 街道 among streets
_CITY_DISTRICTS: tuple[tuple[str, str, tuple[float, float], float, float, float], ...] = (
    ("370811", "任城区", (116.58, 35.42), 881.0, 2.2, 0.7),
    ("370812", "兖州区", (116.80, 35.56), 651.0, 1.4, 0.4),
    ("370826", "微山县", (117.13, 34.81), 1780.0, 0.8, 0.2),
    ("370827", "鱼台县", (116.65, 35.01), 654.0, 1.0, 0.25),
    ("370828", "金乡县", (116.31, 35.07), 886.0, 1.0, 0.3),
    ("370829", "嘉祥县", (116.34, 35.41), 970.0, 1.0, 0.25),
    ("370830", "汶上县", (116.49, 35.73), 877.0, 1.0, 0.25),
    ("370831", "泗水县", (117.25, 35.66), 1118.0, 0.9, 0.25),
    ("370832", "梁山县", (116.10, 35.80), 964.0, 1.0, 0.25),
    ("370881", "曲阜市", (116.99, 35.58), 815.0, 1.3, 0.35),
    ("370883", "邹城市", (116.97, 35.40), 1613.0, 1.2, 0.3),
)
_URBAN_STREET_DENSITY = 1.6


def build_city(
    seed: int = 42, progress: Callable[[str, int, int], None] | None = None
) -> Territory:
    """济宁市 at full scale: 11 districts, ~150 streets, 20,000 basic and 10,000 special grids."""
    report: ProgressFn = progress or _noop
    proj = _Projection(_CITY_LON, _CITY_LAT)
    rng_shape = np.random.default_rng([seed, 11])
    rng_lattice = np.random.default_rng([seed, 12])
    rng_split = np.random.default_rng([seed, 13])
    rng_special = np.random.default_rng([seed, 14])
    rng_layers = np.random.default_rng([seed, 15])
    names = _Names(seed * 104729 + 3)

    report("outline", 0, 1)
    seat_m = np.array([proj.metres(*d[2]) for d in _CITY_DISTRICTS], dtype=np.float64)
    hull = shapely.MultiPoint(seat_m).convex_hull.buffer(18_000.0, quad_segs=16)
    outline = _wobbly_outline(hull, rng_shape, 0.1, _CITY_AREA_M2)
    cell_area = _CITY_AREA_M2 / (_CITY_GRIDS * _CITY_CELLS_PER_GRID)
    cell_width = math.sqrt(cell_area / (math.sqrt(3.0) / 2.0))
    report("outline", 1, 1)

    report("lattice", 0, 1)
    lat = _build_lattice(outline, cell_width, rng_lattice)
    lon_v, lat_v = _vertex_lonlat(lat, proj)
    report("lattice", 1, 1)

    zero = np.zeros(lat.size, dtype=np.int64)
    nd = len(_CITY_DISTRICTS)
    districts = _partition(
        lat,
        zero,
        [nd],
        rng_split,
        fixed_seeds=seat_m,
        weights=np.sqrt(np.array([d[3] for d in _CITY_DISTRICTS])),
    )
    report("districts", 1, 1)

    street_counts = [int(rng_split.integers(12, 16)) for _ in range(nd)]
    streets = _partition(
        lat, districts.labels, street_counts, rng_split,
        progress=_sub_progress(report, "streets"),
    )  # fmt: skip
    street_cells = streets.cell_counts()
    # 街道 are the streets nearest the district seat.
    street_urban = [False] * streets.count
    for di in range(nd):
        members = np.flatnonzero(streets.parent == di)
        d = ((streets.seeds[members] - seat_m[di]) ** 2).sum(axis=1)
        n_urban = max(1, round(_CITY_DISTRICTS[di][5] * members.size))
        for m in members[np.argsort(d, kind="stable")[:n_urban]]:
            street_urban[int(m)] = True
    street_density = [
        _CITY_DISTRICTS[int(streets.parent[s])][4]
        * (_URBAN_STREET_DENSITY if street_urban[s] else 1.0)
        for s in range(streets.count)
    ]
    district_cells = districts.cell_counts()
    district_weight = [
        float(
            np.sum(
                street_cells[streets.parent == di] * np.array(street_density)[streets.parent == di]
            )
        )
        for di in range(nd)
    ]
    district_grids = _allocate(_CITY_GRIDS, district_weight, [int(c) for c in district_cells])
    street_grids: list[int] = []
    for di in range(nd):
        members = np.flatnonzero(streets.parent == di)
        street_grids.extend(
            _allocate(
                district_grids[di],
                [float(street_cells[m]) * street_density[int(m)] for m in members],
                [int(street_cells[m]) for m in members],
            )
        )
    comm_counts = [
        max(1, min(g, round(g / 7.0), int(street_cells[s]) // 3))
        for s, g in enumerate(street_grids)
    ]
    communities = _partition(
        lat, streets.labels, comm_counts, rng_split,
        progress=_sub_progress(report, "communities"),
    )  # fmt: skip
    comm_cells = communities.cell_counts()
    grid_counts: list[int] = []
    for si in range(streets.count):
        members = np.flatnonzero(communities.parent == si)
        cells = [int(comm_cells[c]) for c in members]
        grid_counts.extend(_allocate(street_grids[si], cells, cells))
    grids = _partition(
        lat, communities.labels, grid_counts, rng_split,
        progress=_sub_progress(report, "grids"),
    )  # fmt: skip

    # Names and codes.
    district_codes = [d[0] for d in _CITY_DISTRICTS]
    district_names = [d[1] for d in _CITY_DISTRICTS]
    street_codes: list[str] = []
    street_names: list[str] = []
    street_stems: list[str] = []
    serial_urban = [0] * nd
    serial_town = [0] * nd
    for s in range(streets.count):
        di = int(streets.parent[s])
        if street_urban[s]:
            serial_urban[di] += 1
            code = f"{district_codes[di]}{serial_urban[di]:03d}"
            stem = names.street_stem("street", "街道")
            full = stem + "街道"
        else:
            serial_town[di] += 1
            code = f"{district_codes[di]}{100 + serial_town[di]:03d}"
            stem = names.village_stem("street", "镇", short=True)
            full = stem + "镇"
        street_codes.append(code)
        street_names.append(full)
        street_stems.append(stem)
    comm_codes, comm_names, comm_stems = _name_communities(
        communities, streets, street_codes, street_stems, street_urban, names
    )
    grid_codes, grid_names = _name_grids(grids, comm_codes, comm_names)

    levels = (("city", zero, 1), ("district", districts.labels, nd),
              ("street", streets.labels, streets.count),
              ("community", communities.labels, communities.count),
              ("grid", grids.labels, grids.count))  # fmt: skip
    polys: dict[str, list[Polygon]] = {}
    for i, (level, labels, count) in enumerate(levels):
        report("polygons", i, len(levels))
        polys[level] = _trace(lat, labels, count, lon_v, lat_v)
    report("polygons", len(levels), len(levels))

    # Base layers.
    inner_outline = outline.buffer(-1500.0)
    lake_specs = (
        ("微山湖", 117.02, 34.93, 36_000.0, 7_000.0, -50.0),
        ("太白湖", 116.55, 35.35, 1_800.0, 1_200.0, 10.0),
    )
    lakes_m: list[Polygon] = []
    layers: list[BaseLayerSpec] = []
    for lake_name, lon, la, a, b, ang in lake_specs:
        cx, cy = proj.metres(lon, la)
        lake = _fit_inside(_blob(cx, cy, a, b, math.radians(ang), rng_layers), inner_outline)
        lakes_m.append(lake)
        layers.append(BaseLayerSpec("lake", lake_name, proj.geometry(lake)))
    lake_union = shapely.union_all(lakes_m) if lakes_m else None

    def line_m(lon_lat: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        return [proj.metres(lo, la) for lo, la in lon_lat]

    city_lines: tuple[tuple[str, str, tuple[tuple[float, float], ...]], ...] = (
        ("river", "京杭运河", ((115.95, 36.05), (116.30, 35.70), (116.55, 35.42),
                               (116.75, 35.10), (117.10, 34.80), (117.45, 34.45))),
        ("river", "泗河", ((117.45, 35.70), (117.15, 35.62), (116.90, 35.50), (116.70, 35.28))),
        ("road", "京台高速", ((116.90, 36.10), (116.95, 35.60), (117.00, 35.20), (117.10, 34.60))),
        ("road", "日兰高速", ((115.80, 35.30), (116.40, 35.35), (117.00, 35.40), (117.60, 35.45))),
        ("road", "济徐高速", ((116.60, 35.90), (116.58, 35.45), (116.62, 35.00), (116.70, 34.50))),
        ("road", "G327国道", ((115.90, 35.55), (116.50, 35.50), (117.10, 35.60), (117.60, 35.62))),
        ("road", "G105国道", ((116.75, 36.00), (116.82, 35.55), (116.85, 35.05), (116.90, 34.60))),
    )  # fmt: skip
    for kind, name, ctrl in city_lines:
        layer = _line_layer(
            kind, name, line_m(ctrl), rng_layers, outline,
            lake_union if kind == "road" else None, proj, 1500.0,
        )  # fmt: skip
        if layer is not None:
            layers.append(layer)

    report("special_grids", 0, _CITY_SPECIALS)
    street_polys = polys["street"]
    street_infos = [
        _StreetInfo(
            code=street_codes[s],
            polygon=street_polys[s],
            inner=_shrink(street_polys[s]),
            cells=np.flatnonzero(streets.labels == s),
            urban=street_urban[s],
            weight=float(street_grids[s]),
            district=district_names[int(streets.parent[s])],
        )
        for s in range(streets.count)
    ]
    shares = list(_CITY_KIND_SHARE.values())
    kind_counts = dict(
        zip(
            _CITY_KIND_SHARE,
            _allocate(_CITY_SPECIALS, shares, [_CITY_SPECIALS] * len(shares)),
            strict=True,
        )
    )
    specials = _place_specials(
        _kind_list(kind_counts, rng_special),
        street_infos,
        lat,
        communities.labels,
        comm_stems,
        streets.labels,
        street_stems,
        street_names,
        lakes_m,
        proj,
        rng_special,
        names,
        {},
        0.5,
        report,
    )

    regions: list[RegionSpec] = [RegionSpec(_CITY_CODE, _CITY_NAME, "city", None, polys["city"][0])]
    regions += [
        RegionSpec(
            district_codes[i], district_names[i], "district", _CITY_CODE, polys["district"][i]
        )
        for i in range(nd)
    ]
    regions += _level_specs(
        street_codes, street_names, "street", streets.parent, district_codes, street_polys
    )
    regions += _level_specs(
        comm_codes, comm_names, "community", communities.parent, street_codes, polys["community"]
    )
    regions += _level_specs(grid_codes, grid_names, "grid", grids.parent, comm_codes, polys["grid"])
    regions += specials
    return Territory(regions=regions, layers=layers)
