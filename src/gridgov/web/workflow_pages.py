"""Pages for user-defined workflows (自定义流程): the list with the bindings table, and one
workflow drawn as a flow chart (an SVG laid out here, on the server) with its versions, its
transitions and escalation rules, and, for those who may change it, a JSON editor that
validates and saves a new version through the API."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.accounts.permissions import ROLE_LABELS, Perm, Role
from gridgov.events import services as events
from gridgov.events.catalog import DEFAULT_WORKFLOW, EVENT_WORKFLOW
from gridgov.http import OptionalActorDep, SessionDep, SettingsDep
from gridgov.web.rendering import login_redirect, render
from gridgov.workflow import services
from gridgov.workflow.definition import LEVEL_LABELS, SAME, DefinitionSpec, check
from gridgov.workflow.models import WorkflowDefinition

router = APIRouter(include_in_schema=False)

BOX_W, BOX_H = 150, 60
SIDE_W = 170  # the text beside a box: acts that keep the state, escalation rules
H_GAP, V_GAP = 60, 96
MARGIN = 24
SIDE_CHARS = 12  # characters per line of side text


@dataclass(frozen=True)
class Box:
    name: str
    label: str
    x: float
    y: float
    initial: bool
    final: bool
    stopped: bool
    limit: str
    side: list[str]


@dataclass(frozen=True)
class Arrow:
    d: str
    label: str
    lx: float
    ly: float
    back: bool

    @property
    def label_width(self) -> float:
        return sum(7 if ch.isascii() else 12.5 for ch in self.label) + 8


@dataclass(frozen=True)
class Flow:
    width: float
    height: float
    boxes: list[Box]
    arrows: list[Arrow]
    box_w: int = BOX_W
    box_h: int = BOX_H


@dataclass
class _Graph:
    spec: DefinitionSpec
    edges: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    acts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _graph(spec: DefinitionSpec) -> _Graph:
    """Moves between states (labels merged per pair), and the acts that keep a state (督办,
    批示, 改派 to the same state): those are listed beside the state, not drawn as loops."""
    graph = _Graph(spec)
    for t in spec.transitions:
        for source in t.sources:
            if source not in spec.states:
                continue
            if t.to == SAME or t.to == source or t.to not in spec.states:
                graph.acts[source].append(t.label)
            else:
                graph.edges.setdefault((source, t.to), []).append(t.label)
    return graph


def _layers(spec: DefinitionSpec, graph: _Graph) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Longest-path layering from the initial state over the graph without its back edges
    (edges to a state still on the depth-first path: 退回, 返工, 恢复 ...)."""
    out: dict[str, list[str]] = defaultdict(list)
    for source, target in graph.edges:
        out[source].append(target)
    order: list[str] = []  # depth-first finishing order
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the path, 2 done
    roots = [spec.initial] if spec.initial in spec.states else []
    roots += [name for name in spec.states if name != spec.initial]
    for root in roots:
        if root in state:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        state[root] = 1
        while stack:
            node, index = stack.pop()
            if index < len(out[node]):
                stack.append((node, index + 1))
                nxt = out[node][index]
                if state.get(nxt) == 1:
                    back.add((node, nxt))
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                order.append(node)
    layer = dict.fromkeys(spec.states, 0)
    for node in reversed(order):  # a topological order of the forward edges
        for nxt in out[node]:
            if (node, nxt) not in back:
                layer[nxt] = max(layer[nxt], layer[node] + 1)
    return layer, back


def _wrap(text: str, width: int = SIDE_CHARS) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def _hours(value: float) -> str:
    return f"{value:g}"


def _side_text(spec: DefinitionSpec, graph: _Graph, name: str) -> list[str]:
    lines: list[str] = []
    if graph.acts.get(name):
        lines += _wrap("可办：" + "、".join(dict.fromkeys(graph.acts[name])))
    for rule in spec.rules_for(name):
        hours = rule.after_hours or spec.states[name].time_limit_hours or 0
        what = []
        if rule.notify:
            what.append("通知" + "、".join(ROLE_LABELS.get(Role(r), r) for r in rule.notify))
        if rule.action:
            action = next((t.label for t in spec.transitions if t.action == rule.action), "")
            what.append(f"自动{action or rule.action}")
        lines += _wrap(f"超{_hours(hours)}工时：" + "，".join(what))
    return lines


def _columns(
    spec: DefinitionSpec, graph: _Graph, layer: dict[str, int], back: set[tuple[str, str]]
) -> dict[str, int]:
    """A column per state, layer by layer: states the flow goes on from keep to the middle
    under the states leading to them, so the main path runs straight down; the others (dead
    ends, states left only backwards: 作废, 挂起, 延期申请) go beside, on the right first."""
    column: dict[str, int] = {}
    going_on = {s for (s, t) in graph.edges if (s, t) not in back}
    for depth in sorted(set(layer.values())):
        names = [name for name in spec.states if layer[name] == depth]

        def wanted(name: str) -> float:
            before = [column[s] for (s, t) in graph.edges if t == name and s in column]
            return sum(before) / len(before) if before else 0.0

        taken: set[int] = set()
        spine = sorted((n for n in names if n in going_on), key=wanted)
        others = [n for n in names if n not in going_on]
        for name in [*spine, *others]:
            target = wanted(name) + (0 if name in going_on else 0.5)
            free = (c for c in range(-len(names) - 4, len(names) + 5) if c not in taken)
            column[name] = min(free, key=lambda c: (abs(c - target), abs(c), -c))
            taken.add(column[name])
    return column


class _Router:
    """Moves drawn with right angles: between neighbouring layers straight down through the gap
    between them; longer ones and moves back up along a lane left of a column."""

    def __init__(self, boxes: dict[str, Box], layer: dict[str, int], column: dict[str, int]):
        self.boxes, self.layer, self.column = boxes, layer, column
        self.lanes: dict[int, int] = defaultdict(int)
        self.ups: dict[str, int] = defaultdict(int)  # moves back up leaving each state

    def gap_y(self, depth: int) -> float:
        """The middle of the gap below ``depth``."""
        return MARGIN + 30 + depth * (BOX_H + V_GAP) + BOX_H + V_GAP / 2

    def lane_x(self, column_of: str) -> float:
        col = self.column[column_of]
        lane = self.lanes[col] % 5
        self.lanes[col] += 1
        return self.boxes[column_of].x - H_GAP / 2 - lane * 8 + 16

    def route(self, source: str, target: str, label: str, back: bool) -> Arrow:
        a, b = self.boxes[source], self.boxes[target]
        la, lb = self.layer[source], self.layer[target]
        ax, bx = a.x + BOX_W / 2, b.x + BOX_W / 2
        if not back and lb == la + 1:
            mid = self.gap_y(la)
            points = [(ax, a.y + BOX_H), (ax, mid), (bx, mid), (bx, b.y)]
            lx, ly = (bx, mid) if ax == bx else ((ax + bx) / 2, mid)
        elif not back:
            lane = self.lane_x(target)
            top, bottom = self.gap_y(la), self.gap_y(lb - 1)
            points = [
                (ax, a.y + BOX_H),
                (ax, top),
                (lane, top),
                (lane, bottom),
                (bx, bottom),
                (bx, b.y),
            ]
            lx, ly = lane, (top + bottom) / 2
        else:
            # Up: out of the source's top (right of where moves come in), along the lane
            # left of the target, into the target's left side.
            lane = self.lane_x(target) - H_GAP / 2
            # A second one leaving the same state runs a row higher, so labels stay apart.
            k = self.ups[source] % 2
            self.ups[source] += 1
            up = self.gap_y(la - 1) + 18 + 16 * k if la > 0 else a.y - 12 - 16 * k
            start = a.x + BOX_W * (0.8 - 0.1 * k)
            points = [
                (start, a.y),
                (start, up),
                (lane, up),
                (lane, b.y + BOX_H / 2),
                (b.x, b.y + BOX_H / 2),
            ]
            # The label on the way out, clear of the labels of moves down (mid-gap).
            lx, ly = (start + lane) / 2, up
        d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in _dedupe(points))
        return Arrow(d, label, round(lx, 1), round(ly, 1), back)


def _dedupe(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    kept: list[tuple[float, float]] = []
    for point in points:
        if not kept or kept[-1] != point:
            kept.append(point)
    return kept


def layout(spec: DefinitionSpec) -> Flow:
    """States as boxes in layers from the initial state downwards (the longest path to them
    without going back), moves as labelled arrows; moves back up (退回, 返工) dashed."""
    graph = _graph(spec)
    layer, back = _layers(spec, graph)
    column = _columns(spec, graph, layer, back)
    slot = BOX_W + SIDE_W + H_GAP
    left, right = min(column.values(), default=0), max(column.values(), default=0)
    origin = MARGIN + 2 * H_GAP - left * slot
    boxes: dict[str, Box] = {}
    for name, state in spec.states.items():
        boxes[name] = Box(
            name=name,
            label=state.label,
            x=origin + column[name] * slot,
            y=MARGIN + 30 + layer[name] * (BOX_H + V_GAP),
            initial=name == spec.initial,
            final=state.final,
            stopped=state.clock == "stopped",
            limit=f"时限 {_hours(state.time_limit_hours)} 工时" if state.time_limit_hours else "",
            side=_side_text(spec, graph, name),
        )
    router = _Router(boxes, layer, column)
    # Longer moves first, so the short ones take the lanes nearest the boxes.
    ordered = sorted(graph.edges.items(), key=lambda e: -abs(layer[e[0][1]] - layer[e[0][0]]))
    arrows = [
        router.route(s, t, " / ".join(labels), (s, t) in back or layer[t] <= layer[s])
        for (s, t), labels in ordered
    ]
    width = origin + right * slot + BOX_W + SIDE_W + MARGIN
    height = MARGIN * 2 + 30 + (max(layer.values(), default=0) + 1) * (BOX_H + V_GAP)
    return Flow(width, height, list(boxes.values()), arrows)


def _pretty(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


@router.get("/admin/workflows")
def workflows_page(request: Request, session: SessionDep, actor: OptionalActorDep) -> Response:
    if actor is None:
        return login_redirect(request)
    latest: dict[str, WorkflowDefinition] = {}
    counts: dict[str, int] = defaultdict(int)
    for definition in services.list_definitions(session, actor=actor):
        latest[definition.code] = definition  # listed by version, so the newest stays
        counts[definition.code] += 1
    bindings = services.list_bindings(session, events.SUBJECT, actor=actor)
    categories = {c.code: c.name for c in events.list_categories(session, actor=actor)}
    template = _pretty(
        latest[DEFAULT_WORKFLOW].definition if DEFAULT_WORKFLOW in latest else EVENT_WORKFLOW
    )
    return render(
        request,
        "workflows.html",
        actor=actor,
        workflows=[
            (d, counts[d.code], len(d.definition.get("states", {}))) for d in latest.values()
        ],
        bindings=bindings,
        # The textarea is the request's "bindings" field: a list, as the API takes it.
        bindings_json=_pretty(
            [
                {
                    "category_code": b.category_code,
                    "level": b.level,
                    "workflow_code": b.workflow_code,
                }
                for b in bindings
            ]
        ),
        categories=categories,
        names={code: d.name for code, d in latest.items()},
        level_label=services.level_label,
        can_write=actor.can(Perm.WORKFLOWS_WRITE),
        template_json=template,
    )


@router.get("/admin/workflows/{code}")
def workflow_page(
    request: Request,
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    actor: OptionalActorDep,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    if actor is None:
        return login_redirect(request)
    versions = services.definition_versions(session, code, actor=actor)
    shown = next((v for v in versions if v.version == version), versions[0])
    spec, problems = check(shown.definition)
    can_write = actor.can(Perm.WORKFLOWS_WRITE)
    return render(
        request,
        "workflow.html",
        actor=actor,
        workflow=shown,
        current=versions[0],
        versions=versions,
        running=services.running_counts(session, code, actor=actor) if can_write else {},
        spec=spec,
        problems=problems,
        flow=layout(spec) if spec is not None and not problems else None,
        WORKFLOW_LEVELS=LEVEL_LABELS,
        labels={t.action: t.label for t in spec.transitions} if spec is not None else {},
        warning_share=settings.sla_warning_share,
        can_write=can_write,
        definition_json=_pretty(shown.definition),
    )
