"""The big screens' payload: one region and period, a list of panels of a few shapes, and
what the map in the middle shows. Every panel is generic, so the page draws them all with
one piece of script."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, computed_field

PanelKind = Literal["stats", "bar", "pie", "gauge", "line", "table", "ticker"]


class Cell(BaseModel):
    text: str
    link: str | None = None


class Item(BaseModel):
    """One named number: a big figure, a bar, a pie slice."""

    name: str
    value: float | None = Field(description="null when there is nothing to divide by")
    unit: str = ""
    link: str | None = Field(default=None, description="the list behind the number")
    note: str | None = None


class Series(BaseModel):
    name: str
    kind: Literal["bar", "line"] = "bar"
    axis: int = Field(default=0, description="0: counts, 1: percentages")
    data: list[float | None]


class Panel(BaseModel):
    id: str
    title: str
    kind: PanelKind
    items: list[Item] = Field(default_factory=list)
    keys: list[str] = Field(default_factory=list, description="x axis of line panels")
    series: list[Series] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    rows: list[list[Cell]] = Field(default_factory=list)
    link: str | None = Field(default=None, description="the full list behind the panel")
    note: str | None = None
    source: str = Field(description="which service feeds the panel")
    restricted: bool = Field(default=False, description="the reader may not see this data")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def has_data(self) -> bool:
        if self.restricted:
            return False
        if self.kind in ("table", "ticker"):
            return bool(self.rows)
        if self.kind == "line":
            return bool(self.keys) and any(v for s in self.series for v in s.data)
        return bool(self.items)


class MapPoint(BaseModel):
    lon: float
    lat: float
    label: str
    weight: float = 1.0
    kind: str = Field(description="event, hotspot, alert, worker")
    link: str | None = None


class MapData(BaseModel):
    heat_days: int | None = Field(
        default=None, description="events heat layer from the event tiles over the last N days"
    )
    region_values: dict[str, float] = Field(
        default_factory=dict, description="child region code → value, for the choropleth"
    )
    value_label: str = ""
    points: list[MapPoint] = Field(default_factory=list)
    layers: list[str] = Field(
        default_factory=list, description="data layers offered: buildings, components, workers…"
    )


class RegionRef(BaseModel):
    code: str
    name: str
    level: str


class RegionOut(BaseModel):
    code: str | None = Field(description="null when the reader's area has several roots")
    name: str
    level: str
    path: str
    bounds: list[float] = Field(description="[west, south, east, north]")
    breadcrumb: list[RegionRef]
    children: list[RegionRef]


class ScreenRef(BaseModel):
    code: str
    title: str


class ScreenOut(BaseModel):
    screen: str
    title: str
    region: RegionOut
    start: date
    end: date = Field(description="inclusive, local days")
    as_of: datetime | None = Field(description="when the case rollups were last brought up to date")
    generated_ms: float
    panels: list[Panel]
    map: MapData
