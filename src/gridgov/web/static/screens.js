// 指挥大屏: one script for the five screens. It loads the screen's panels from
// /api/v1/screens/{screen}, draws them with the vendored ECharts (SVG renderer), draws the
// district's own layers with MapLibre in the middle, and listens to the live stream
// (/api/v1/screens/stream, Server-Sent Events) for new cases and alerts. Every number links
// to the list behind it; the map and the breadcrumb drill down by region.
import * as echarts from "/static/vendor/echarts-5.6.0/echarts.esm.min.mjs";
import * as maplibregl from "/static/vendor/maplibre-gl-6.17.0/maplibre-gl.mjs";

const config = JSON.parse(document.getElementById("bs-config").textContent);
const origin = window.location.origin;
const state = { ready: false, errors: [], panels: {}, live: 0, liveEvents: [], mapReady: false, payload: null };
window.screenState = state;

const TEXT = "#c8dcff";
const PALETTE = ["#2f8cff", "#46e3ff", "#38e08c", "#ffd24d", "#ff7a45", "#b37feb", "#ff4d8d", "#5cdbd3", "#95de64", "#ffc069"];
// Where each screen puts its panels; a panel not named here goes to the emptier column.
const LAYOUT = {
  aggregation: { left: ["resources", "population", "special_groups"], right: ["today", "freshness", "children"], bottom: [] },
  events: { left: ["totals", "status", "sources", "categories"], right: ["completion", "ticker", "overdue", "frequent"], bottom: ["trend"] },
  mediation: { left: ["m_totals", "m_types", "m_status"], right: ["m_success", "m_outcome", "m_risk", "m_overdue"], bottom: [] },
  warning: { left: ["alert_counts", "alerts", "anomalies"], right: ["hotspots", "sla_risk"], bottom: ["forecast"] },
  performance: { left: ["rank_street", "rank_community", "rank_department"], right: ["workers_today", "rank_worker"], bottom: ["indicator_trend", "workers_daily"] },
};
const CHILD_LAYER = { street: "streets", community: "communities", grid: "grids" };
const OWN_LAYER = { district: "district", street: "streets", community: "communities", grid: "grids" };

function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (ch) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[ch]);
}

function safeLink(link) {
  return typeof link === "string" && link.startsWith("/") && !link.startsWith("//") ? link : null;
}

async function api(path) {
  const response = await fetch(origin + path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body?.error?.message || `请求失败（${response.status}）`);
  return body;
}

function query(extra = {}) {
  const params = new URLSearchParams();
  if (config.regionCode) params.set("region_code", config.regionCode);
  params.set("start", config.start);
  params.set("end", config.end);
  for (const [key, value] of Object.entries(extra)) {
    if (value === null || value === undefined || value === "") params.delete(key);
    else params.set(key, value);
  }
  return params;
}

function screenUrl(extra) {
  const params = query(extra);
  if (config.preset && !("start" in extra)) {
    params.delete("start");
    params.delete("end");
    params.set("preset", config.preset);
  }
  return `/screens/${config.screen}?${params}`;
}

function formatValue(value, unit) {
  if (value === null || value === undefined) return "—";
  const text = unit === "%" || !Number.isInteger(value)
    ? Number(value).toLocaleString("zh-CN", { maximumFractionDigits: 1 })
    : Number(value).toLocaleString("zh-CN");
  return text;
}

// ------------------------------------------------------------------ header

function tick() {
  const now = new Date();
  document.getElementById("bs-clock").textContent = now.toLocaleString("zh-CN", { hour12: false });
}

function drawHeader(payload) {
  const region = payload.region;
  document.getElementById("bs-region-name").textContent =
    `${region.name} · ${payload.start} 至 ${payload.end}`;
  const crumbs = document.getElementById("bs-crumbs");
  const parts = region.breadcrumb.map((r, index) => {
    const last = index === region.breadcrumb.length - 1;
    return last
      ? `<span class="here">${escapeHtml(r.name)}</span>`
      : `<a href="${escapeHtml(screenUrl({ region_code: r.code }))}" data-region="${escapeHtml(r.code)}">${escapeHtml(r.name)}</a><span class="sep">›</span>`;
  });
  crumbs.innerHTML = parts.join("") || `<span class="here">${escapeHtml(region.name)}</span>`;
  const select = document.getElementById("bs-children");
  select.innerHTML = `<option value="">下钻到…</option>` + region.children
    .map((c) => `<option value="${escapeHtml(c.code)}">${escapeHtml(c.name)}</option>`).join("");
  select.disabled = region.children.length === 0;
  select.onchange = () => {
    if (select.value) window.location.href = screenUrl({ region_code: select.value });
  };
  document.getElementById("bs-asof").textContent = payload.as_of
    ? `统计截至 ${new Date(payload.as_of).toLocaleString("zh-CN", { hour12: false })}` : "统计尚未汇总";
}

// ------------------------------------------------------------------ panels

const charts = [];

function chart(element, option, panel) {
  const instance = echarts.init(element, null, { renderer: "svg" });
  instance.setOption({
    animation: false,
    color: PALETTE,
    textStyle: { fontFamily: "inherit", color: TEXT },
    ...option,
  });
  instance.on("click", (params) => {
    const item = panel.items?.[params.dataIndex];
    const link = safeLink(item?.link);
    if (link) window.location.href = link;
  });
  charts.push(instance);
  return instance;
}

function panelShell(panel) {
  const section = document.createElement("section");
  section.className = `panel panel-${panel.kind}`;
  section.id = `panel-${panel.id}`;
  section.dataset.kind = panel.kind;
  section.dataset.hasData = panel.has_data ? "1" : "0";
  const more = safeLink(panel.link);
  section.innerHTML = `<h2><span>${escapeHtml(panel.title)}</span>${more ? `<a href="${escapeHtml(more)}">查看清单 ›</a>` : ""}</h2>`;
  return section;
}

function drawStats(section, panel) {
  const box = document.createElement("div");
  box.className = "stats";
  box.innerHTML = panel.items.map((item) => {
    const link = safeLink(item.link);
    const value = `${formatValue(item.value, item.unit)}<small>${escapeHtml(item.unit)}</small>`;
    return `<div class="stat"><div class="label">${escapeHtml(item.name)}</div>` +
      (link ? `<a class="value" href="${escapeHtml(link)}">${value}</a>` : `<span class="value">${value}</span>`) +
      (item.note ? `<div class="sub">${escapeHtml(item.note)}</div>` : "") + "</div>";
  }).join("");
  section.appendChild(box);
}

function drawBar(element, panel) {
  const items = panel.items.slice(0, 10);
  chart(element, {
    tooltip: { trigger: "item", formatter: (p) => `${escapeHtml(p.name)}：${formatValue(p.value)}${escapeHtml(items[p.dataIndex]?.unit || "")}${items[p.dataIndex]?.note ? `（${escapeHtml(items[p.dataIndex].note)}）` : ""}` },
    grid: { left: 8, right: 48, top: 4, bottom: 4, containLabel: true },
    xAxis: { type: "value", axisLabel: { color: TEXT, fontSize: 10 }, splitLine: { lineStyle: { color: "#1d4c8f" } } },
    yAxis: { type: "category", inverse: true, data: items.map((i) => i.name),
      axisLabel: { color: TEXT, fontSize: 11, width: 110, overflow: "truncate" } },
    series: [{ type: "bar", data: items.map((i) => i.value), barMaxWidth: 14, cursor: "pointer",
      itemStyle: { color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [{ offset: 0, color: "#1d4c8f" }, { offset: 1, color: "#46e3ff" }]) },
      label: { show: true, position: "right", color: TEXT, fontSize: 10 } }],
  }, panel);
}

function drawPie(element, panel) {
  chart(element, {
    tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
    legend: { orient: "vertical", right: 0, top: "middle", textStyle: { color: TEXT, fontSize: 11 } },
    series: [{ type: "pie", radius: ["42%", "72%"], center: ["36%", "52%"], cursor: "pointer",
      label: { show: false }, data: panel.items.map((i) => ({ name: i.name, value: i.value })) }],
  }, panel);
}

function drawGauge(element, panel, section) {
  const item = panel.items[0];
  chart(element, {
    series: [{ type: "gauge", min: 0, max: 100, radius: "95%", center: ["50%", "58%"],
      progress: { show: true, width: 12 }, axisLine: { lineStyle: { width: 12, color: [[1, "#13305f"]] } },
      axisTick: { show: false }, splitLine: { length: 8, lineStyle: { color: "#4d6a95" } },
      axisLabel: { color: TEXT, fontSize: 9, distance: 16 }, pointer: { width: 4 },
      detail: { valueAnimation: false, formatter: "{value}%", color: "#46e3ff", fontSize: 22, offsetCenter: [0, "40%"] },
      title: { show: false }, data: [{ value: item.value, name: item.name }] }],
  }, panel);
  const link = safeLink(item.link);
  const caption = document.createElement("p");
  caption.className = "note";
  caption.innerHTML = `${escapeHtml(item.name)} ` +
    (link ? `<a href="${escapeHtml(link)}">${formatValue(item.value, "%")}%</a>` : `${formatValue(item.value, "%")}%`) +
    (item.note ? `（${escapeHtml(item.note)}）` : "");
  section.appendChild(caption);
}

function drawLine(element, panel) {
  const percent = panel.series.some((s) => s.axis === 1);
  const counts = panel.series.some((s) => s.axis === 0);
  chart(element, {
    tooltip: { trigger: "axis" },
    legend: { top: 0, textStyle: { color: TEXT, fontSize: 11 } },
    grid: { left: 8, right: 8, top: 26, bottom: 4, containLabel: true },
    xAxis: { type: "category", data: panel.keys, axisLabel: { color: TEXT, fontSize: 10 } },
    yAxis: [
      { type: "value", show: counts || !percent, axisLabel: { color: TEXT, fontSize: 10 }, splitLine: { lineStyle: { color: "#1d4c8f" } } },
      { type: "value", show: percent, min: 0, max: 100, axisLabel: { color: TEXT, fontSize: 10, formatter: "{value}%" }, splitLine: { show: false } },
    ],
    series: panel.series.map((s) => ({
      name: s.name, type: s.kind, yAxisIndex: s.axis, data: s.data, connectNulls: false,
      barMaxWidth: 12, symbolSize: 4, smooth: s.kind === "line",
    })),
  }, panel);
}

function tableHtml(panel) {
  const head = `<tr>${panel.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr>`;
  const body = panel.rows.map((row, index) => rowHtml(row, panel.kind === "ticker" ? index : null)).join("");
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function rowHtml(row, index, extraClass = "") {
  const cells = row.map((cell) => {
    const link = safeLink(cell.link);
    const text = escapeHtml(cell.text);
    return `<td title="${text}">${link ? `<a href="${escapeHtml(link)}">${text}</a>` : text}</td>`;
  }).join("");
  return `<tr class="${extraClass}">${cells}</tr>`;
}

function drawPanel(panel) {
  const section = panelShell(panel);
  state.panels[panel.id] = panel;
  const place = () => section;
  if (panel.restricted) {
    section.insertAdjacentHTML("beforeend", `<p class="restricted">${escapeHtml(panel.note || "无权查看")}</p>`);
    section.dataset.ready = "1";
    return place();
  }
  if (!panel.has_data) {
    section.insertAdjacentHTML("beforeend", `<p class="empty">${escapeHtml(panel.note || "所选区域与时段暂无数据")}</p>`);
    section.dataset.ready = "1";
    return place();
  }
  return section;
}

function finishPanel(section, panel) {
  if (section.dataset.ready === "1") return;
  if (panel.kind === "stats") {
    drawStats(section, panel);
  } else if (panel.kind === "table" || panel.kind === "ticker") {
    const box = document.createElement("div");
    box.className = "rows";
    box.innerHTML = tableHtml(panel);
    section.appendChild(box);
  } else {
    const element = document.createElement("div");
    element.className = "chart";
    section.appendChild(element);
    if (panel.kind === "bar") drawBar(element, panel);
    else if (panel.kind === "pie") drawPie(element, panel);
    else if (panel.kind === "gauge") drawGauge(element, panel, section);
    else if (panel.kind === "line") drawLine(element, panel);
  }
  if (panel.note && panel.kind !== "gauge") {
    section.insertAdjacentHTML("beforeend", `<p class="note">${escapeHtml(panel.note)}</p>`);
  }
  section.dataset.ready = "1";
}

function drawPanels(payload) {
  for (const instance of charts.splice(0)) instance.dispose();
  const columns = {
    left: document.getElementById("bs-left"),
    right: document.getElementById("bs-right"),
    bottom: document.getElementById("bs-bottom"),
  };
  for (const column of Object.values(columns)) column.innerHTML = "";
  const layout = LAYOUT[config.screen] || { left: [], right: [], bottom: [] };
  const placed = [];
  for (const panel of payload.panels) {
    const section = drawPanel(panel);
    let where = Object.keys(layout).find((key) => layout[key].includes(panel.id));
    if (!where) {
      if (panel.kind === "line") where = "bottom";
      else where = columns.left.children.length <= columns.right.children.length ? "left" : "right";
    }
    columns[where].appendChild(section);
    placed.push([section, panel]);
  }
  // Charts are drawn once their boxes have a size.
  for (const [section, panel] of placed) finishPanel(section, panel);
}

window.addEventListener("resize", () => charts.forEach((c) => c.resize()));

// ------------------------------------------------------------------ map

let map = null;

function emptyCollection() {
  return { type: "FeatureCollection", features: [] };
}

function mapStyle() {
  const sources = {};
  const layers = [{ id: "background", type: "background", paint: { "background-color": "#071431" } }];
  if (config.tileUrl) {
    sources.basemap = { type: "raster", tiles: [config.tileUrl], tileSize: 256 };
    layers.push({ id: "basemap", type: "raster", source: "basemap", paint: { "raster-brightness-max": 0.35, "raster-saturation": -0.6 } });
  }
  for (const name of ["base", "own", "children", "labels", "points", "live", "workers", "cameras"]) {
    sources[name] = { type: "geojson", data: emptyCollection() };
  }
  layers.push(
    { id: "base-lake", type: "fill", source: "base", filter: ["==", ["get", "kind"], "lake"], paint: { "fill-color": "#0f2c5c" } },
    { id: "base-river", type: "line", source: "base", filter: ["==", ["get", "kind"], "river"], paint: { "line-color": "#1c4f8f", "line-width": 2 } },
    { id: "base-road", type: "line", source: "base", filter: ["==", ["get", "kind"], "road"], paint: { "line-color": "#1a3566", "line-width": 1.2 } },
    { id: "children-fill", type: "fill", source: "children",
      paint: { "fill-color": ["interpolate", ["linear"], ["get", "share"], 0, "#0d2a5a", 0.5, "#1f6fd1", 1, "#46e3ff"], "fill-opacity": 0.55 } },
    { id: "children-line", type: "line", source: "children", paint: { "line-color": "#4da3ff", "line-width": 1 } },
    { id: "own-line", type: "line", source: "own", paint: { "line-color": "#46e3ff", "line-width": 2.5 } },
  );
  return { version: 8, sources, layers };
}

function labelPoints(features) {
  return {
    type: "FeatureCollection",
    features: features.map((f) => ({
      type: "Feature",
      properties: { name: f.properties.name },
      geometry: { type: "Point", coordinates: [f.properties.label_lon, f.properties.label_lat] },
    })),
  };
}

async function drawMap(payload) {
  const region = payload.region;
  const [west, south, east, north] = region.bounds;
  map = new maplibregl.Map({
    container: "bs-map",
    style: mapStyle(),
    bounds: [[west, south], [east, north]],
    fitBoundsOptions: { padding: 24 },
    attributionControl: false,
    localIdeographFontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif",
    transformRequest: (url) => ({ url, credentials: "same-origin" }),
  });
  window.screenMap = map;
  map.on("error", (event) => state.errors.push(String(event?.error?.message || event)));
  await new Promise((resolve) => map.on("load", resolve));
  const childLevel = region.children[0]?.level;
  const wanted = new Set(["base", OWN_LAYER[region.level] || "district"]);
  if (CHILD_LAYER[childLevel]) wanted.add(CHILD_LAYER[childLevel]);
  const loaded = {};
  await Promise.all([...wanted].map(async (name) => { loaded[name] = await api(`/api/v1/gis/layers/${name}`); }));
  map.getSource("base").setData(loaded.base);
  const ownLayer = loaded[OWN_LAYER[region.level] || "district"];
  const ownFeatures = region.code
    ? ownLayer.features.filter((f) => f.properties.code === region.code)
    : ownLayer.features;
  map.getSource("own").setData({ type: "FeatureCollection", features: ownFeatures });
  const childCodes = new Set(region.children.map((c) => c.code));
  const values = payload.map.region_values || {};
  const top = Math.max(0, ...Object.values(values));
  const children = (loaded[CHILD_LAYER[childLevel]]?.features || [])
    .filter((f) => childCodes.has(f.properties.code))
    .map((f) => {
      const value = values[f.properties.code];
      return { ...f, properties: { ...f.properties, value: value ?? null, share: top && value ? value / top : 0 } };
    });
  map.getSource("children").setData({ type: "FeatureCollection", features: children });
  map.addLayer({ id: "children-label", type: "symbol", source: "labels",
    layout: { "text-field": ["get", "name"], "text-size": 12 },
    paint: { "text-color": "#e8f4ff", "text-halo-color": "#071431", "text-halo-width": 1.5 } });
  map.getSource("labels").setData(labelPoints(children));
  if (payload.map.heat_days) {
    map.addSource("events", { type: "vector", minzoom: 8, maxzoom: 16,
      tiles: [`${origin}/tiles/events/{z}/{x}/{y}.mvt?days=${payload.map.heat_days}`] });
    map.addLayer({ id: "events-heat", type: "heatmap", source: "events", "source-layer": "events",
      paint: {
        "heatmap-weight": ["interpolate", ["linear"], ["coalesce", ["get", "count"], 1], 1, 0.3, 50, 1],
        "heatmap-radius": ["interpolate", ["linear"], ["zoom"], 8, 8, 15, 26],
        "heatmap-opacity": 0.6,
        "heatmap-color": ["interpolate", ["linear"], ["heatmap-density"], 0, "rgba(0,0,0,0)", 0.3, "rgba(31,111,209,0.35)", 0.6, "#46e3ff", 0.85, "#ffd24d", 1, "#ff4d4f"],
      } }, "own-line");
  }
  map.getSource("points").setData({
    type: "FeatureCollection",
    features: (payload.map.points || []).map((p) => ({
      type: "Feature", properties: { label: p.label, kind: p.kind, link: p.link, weight: p.weight },
      geometry: { type: "Point", coordinates: [p.lon, p.lat] },
    })),
  });
  const maxWeight = Math.max(1, ...(payload.map.points || []).map((p) => p.weight));
  map.addLayer({ id: "points", type: "circle", source: "points",
    paint: { "circle-color": "#ff4d4f", "circle-opacity": 0.75, "circle-stroke-color": "#ffd0d0", "circle-stroke-width": 1,
      "circle-radius": ["interpolate", ["linear"], ["get", "weight"], 0, 5, maxWeight, 16] } });
  map.addLayer({ id: "live", type: "circle", source: "live",
    paint: { "circle-color": "#ffd24d", "circle-radius": 8, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
  if (payload.map.layers?.length) dataLayers(payload.map.layers);
  legend(payload);
  map.on("click", "children-fill", (event) => {
    const code = event.features?.[0]?.properties?.code;
    if (code) window.location.href = screenUrl({ region_code: code });
  });
  map.on("mouseenter", "children-fill", () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "children-fill", () => { map.getCanvas().style.cursor = ""; });
  map.on("click", "points", (event) => {
    const p = event.features?.[0]?.properties;
    if (!p) return;
    new maplibregl.Popup().setLngLat(event.lngLat)
      .setHTML(`<strong>${escapeHtml(p.label)}</strong>` + (safeLink(p.link) ? `<br><a href="${escapeHtml(p.link)}">下钻</a>` : ""))
      .addTo(map);
  });
  state.mapReady = true;
  document.getElementById("bs-map").dataset.ready = "1";
}

function legend(payload) {
  const box = document.getElementById("bs-legend");
  const parts = [];
  if (payload.map.value_label && Object.keys(payload.map.region_values || {}).length) {
    parts.push(`<div>${escapeHtml(payload.map.value_label)}：低<i style="background:linear-gradient(90deg,#0d2a5a,#1f6fd1,#46e3ff)"></i>高（点击区域下钻）</div>`);
  }
  if (payload.map.heat_days) parts.push(`<div>事件热力：近 ${payload.map.heat_days} 天</div>`);
  if (payload.map.points?.length) parts.push(`<div><i style="background:#ff4d4f;width:.6rem;border-radius:50%"></i>热点</div>`);
  parts.push(`<div><i style="background:#ffd24d;width:.6rem;border-radius:50%"></i>实时新事件</div>`);
  box.innerHTML = parts.join("");
}

const DATA_LAYERS = {
  grids: "基础网格",
  buildings: "楼栋",
  components: "城市部件",
  workers: "网格员",
  cameras: "视频监控",
};

async function dataLayers(names) {
  const box = document.getElementById("bs-layers");
  box.innerHTML = "<strong>数据图层</strong>" + names.map((name) =>
    `<label><input type="checkbox" data-layer="${escapeHtml(name)}"${name === "grids" ? " checked" : ""}> ${escapeHtml(DATA_LAYERS[name] || name)}</label>`).join("");
  const added = new Set();
  async function add(name) {
    if (added.has(name)) return;
    added.add(name);
    if (name === "buildings" || name === "components") {
      map.addSource(name, { type: "vector", tiles: [`${origin}/tiles/${name}/{z}/{x}/{y}.mvt`], minzoom: name === "buildings" ? 12 : 10, maxzoom: 16 });
      if (name === "buildings") {
        map.addLayer({ id: "layer-buildings", type: "fill", source: name, "source-layer": name,
          paint: { "fill-color": "#2a4f8a", "fill-outline-color": "#4da3ff" } }, "own-line");
      } else {
        map.addLayer({ id: "layer-components", type: "circle", source: name, "source-layer": name,
          paint: { "circle-color": "#38e08c", "circle-opacity": 0.7,
            "circle-radius": ["interpolate", ["linear"], ["coalesce", ["get", "count"], 1], 1, 2.5, 200, 12] } });
      }
      return;
    }
    const data = await api(`/api/v1/gis/layers/${name}`);
    if (name === "grids") {
      map.addSource("grid-lines", { type: "geojson", data });
      map.addLayer({ id: "layer-grids", type: "line", source: "grid-lines", paint: { "line-color": "#2d5fa8", "line-width": 0.6 } }, "own-line");
      return;
    }
    map.getSource(name).setData(data);
    map.addLayer({ id: `layer-${name}`, type: "circle", source: name,
      paint: { "circle-color": name === "workers" ? "#46e3ff" : "#b37feb", "circle-radius": 3.5,
        "circle-stroke-color": "#071431", "circle-stroke-width": 1 } });
  }
  box.addEventListener("change", async (event) => {
    const name = event.target?.dataset?.layer;
    if (!name) return;
    try {
      await add(name);
      map.setLayoutProperty(`layer-${name}`, "visibility", event.target.checked ? "visible" : "none");
    } catch (error) {
      state.errors.push(String(error));
    }
  });
  await add("grids");
}

// ------------------------------------------------------------------ live updates

function toast(text) {
  const box = document.getElementById("bs-toast");
  box.textContent = text;
  box.classList.add("on");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.remove("on"), 5000);
}

function inView(message) {
  const path = state.payload?.region?.path;
  return !path || (typeof message.region_path === "string" && message.region_path.startsWith(path));
}

function onEvent(message) {
  if (!inView(message)) return;
  state.live += 1;
  state.liveEvents.push(message);
  const light = document.getElementById("bs-live");
  light.classList.add("flash");
  setTimeout(() => light.classList.remove("flash"), 1500);
  const ticker = document.querySelector("#panel-ticker tbody");
  if (ticker) {
    const time = new Date(message.created_at).toLocaleTimeString("zh-CN", { hour12: false, hour: "2-digit", minute: "2-digit" });
    const row = [
      { text: time },
      { text: message.title, link: `/events/${Number(message.id)}` },
      { text: config.sourceLabels?.[message.source] || message.source },
    ];
    ticker.insertAdjacentHTML("afterbegin", rowHtml(row, 0, "fresh live").replace("<tr ", `<tr data-event-id="${Number(message.id)}" `));
    while (ticker.children.length > 14) ticker.lastElementChild.remove();
  }
  toast(`新事件：${message.title}`);
  if (map && state.mapReady && typeof message.lon === "number") {
    const source = map.getSource("live");
    const features = state.liveEvents.filter((m) => typeof m.lon === "number").slice(-50).map((m) => ({
      type: "Feature", properties: { title: m.title }, geometry: { type: "Point", coordinates: [m.lon, m.lat] },
    }));
    source.setData({ type: "FeatureCollection", features });
  }
  scheduleRefresh();
}

function onAlert(message) {
  if (!inView(message)) return;
  state.live += 1;
  toast(`新预警：${message.title || message.kind || ""}`);
  scheduleRefresh();
}

let refreshTimer = null;
function scheduleRefresh() {
  // The figures come from the rollups and the lists from the cases: reload them a little later,
  // once for a burst of messages.
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    try {
      const payload = await api(`/api/v1/screens/${config.screen}?${query()}`);
      state.payload = payload;
      drawPanels(payload);
    } catch (error) {
      state.errors.push(String(error));
    }
  }, 20_000);
}

function listen() {
  const source = new EventSource("/api/v1/screens/stream");
  const light = document.getElementById("bs-live");
  source.addEventListener("open", () => { light.classList.add("on"); state.streamOpen = true; });
  source.addEventListener("error", () => { light.classList.remove("on"); state.streamOpen = false; });
  source.addEventListener("event", (event) => onEvent(JSON.parse(event.data)));
  source.addEventListener("alert", (event) => onAlert(JSON.parse(event.data)));
  window.screenStream = source;
}

// ------------------------------------------------------------------ start

async function start() {
  tick();
  setInterval(tick, 1000);
  listen();
  try {
    const payload = await api(`/api/v1/screens/${config.screen}?${query()}`);
    state.payload = payload;
    drawHeader(payload);
    drawPanels(payload);
    state.ready = true;
    document.body.dataset.ready = "1";
    await drawMap(payload);
  } catch (error) {
    state.errors.push(String(error));
    toast(`加载失败：${error.message || error}`);
  }
}

start();
