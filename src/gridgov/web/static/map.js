// GIS一张图: the district on one map. Everything comes from our own server: small layers as
// GeoJSON (/api/v1/gis/layers/…), large ones as vector tiles (/tiles/…), popups and the area
// summary from /api/v1/gis. No glyph or sprite URL: MapLibre draws text locally and the icons
// are drawn here on a canvas, so the page makes no external request.
import * as maplibregl from "/static/vendor/maplibre-gl-6.17.0/maplibre-gl.mjs";

const config = JSON.parse(document.getElementById("gis-config").textContent);

// Video calls (call.js): a worker's popup offers 视频通话 to accounts that may call.
let callsReady = false;
fetch("/api/v1/calls/config", { credentials: "same-origin" }).then(async (response) => {
  if (!response.ok) return;
  const { initCalls } = await import("/static/js/call.js");
  initCalls();
  callsReady = true;
}).catch(() => {});
const csrf = document.querySelector('input[name="csrf_token"]')?.value ?? "";
const origin = window.location.origin;

const STATUS_COLOURS = [
  "match", ["get", "status"],
  "reported", "#d93025",
  ["accepted", "dispatched", "handling", "feedback", "extension_requested"], "#f29900",
  "suspended", "#9334e6",
  ["closed", "rated"], "#188038",
  "voided", "#80868b",
  "#f29900",
];
const COMPONENT_CLASSES = {
  "01": ["公", "#1a73e8", "公用设施"],
  "02": ["交", "#e8710a", "道路交通"],
  "03": ["容", "#a142f4", "市容环境"],
  "04": ["绿", "#188038", "园林绿化"],
  "05": ["房", "#b06000", "房屋土地"],
  "06": ["他", "#5f6368", "其他设施"],
};
// Which map layers each switch in the side bar shows or hides.
const LAYER_GROUPS = {
  base: ["base-lake", "base-river", "base-road"],
  boundaries: ["district-line", "streets-line", "communities-line", "streets-label", "communities-label"],
  grids: ["grids-fill", "grids-line", "grids-label"],
  special: ["special-fill", "special-line", "special-label"],
  buildings: ["buildings-flat", "buildings-3d"],
  components: ["components-cluster", "components-count", "components-icon"],
  cameras: ["cameras-icon"],
  workers: ["workers-circle", "workers-label"],
  events: ["events-circle"],
  heatmap: ["events-heat"],
};

function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (ch) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[ch]);
}

async function api(path, options = {}) {
  const response = await fetch(origin + path, {
    credentials: "same-origin",
    ...options,
    headers: { Accept: "application/json", ...(options.headers || {}) },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = body?.error?.message || `请求失败（${response.status}）`;
    throw new Error(message);
  }
  return body;
}

function emptyCollection() {
  return { type: "FeatureCollection", features: [] };
}

function labelPoints(collection) {
  return {
    type: "FeatureCollection",
    features: collection.features.map((f) => ({
      type: "Feature",
      properties: f.properties,
      geometry: { type: "Point", coordinates: [f.properties.label_lon, f.properties.label_lat] },
    })),
  };
}

function eventTileUrl() {
  const days = document.getElementById("gis-days")?.value || config.defaultDays;
  const category = document.getElementById("gis-category")?.value || "";
  const query = new URLSearchParams({ days });
  if (category) query.set("category", category);
  return `${origin}/tiles/events/{z}/{x}/{y}.mvt?${query}`;
}

function buildStyle() {
  const sources = {};
  const layers = [{ id: "background", type: "background", paint: { "background-color": "#f4f3ef" } }];
  if (config.tileUrl) {
    sources.basemap = { type: "raster", tiles: [config.tileUrl], tileSize: 256 };
    layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  for (const name of ["base", "district", "streets", "communities", "grids", "special_grids",
    "streets_labels", "communities_labels", "grids_labels", "special_labels", "workers", "cameras", "area"]) {
    sources[name] = { type: "geojson", data: emptyCollection() };
  }
  if (config.canRegistry) {
    sources.components = {
      type: "vector", tiles: [`${origin}/tiles/components/{z}/{x}/{y}.mvt`], minzoom: 10, maxzoom: 16,
    };
    sources.buildings = {
      type: "vector", tiles: [`${origin}/tiles/buildings/{z}/{x}/{y}.mvt`], minzoom: 12, maxzoom: 16,
    };
  }
  if (config.canEvents) {
    sources.events = { type: "vector", tiles: [eventTileUrl()], minzoom: 8, maxzoom: 16 };
  }
  layers.push(
    { id: "base-lake", type: "fill", source: "base", filter: ["==", ["get", "kind"], "lake"],
      paint: { "fill-color": "#c6dafc" } },
    { id: "base-river", type: "line", source: "base", filter: ["==", ["get", "kind"], "river"],
      paint: { "line-color": "#8ab4f8", "line-width": 3 } },
    { id: "base-road", type: "line", source: "base", filter: ["==", ["get", "kind"], "road"],
      paint: { "line-color": "#ffffff", "line-width": ["interpolate", ["linear"], ["zoom"], 11, 2, 16, 10] } },
    { id: "grids-fill", type: "fill", source: "grids", minzoom: 13,
      paint: { "fill-color": "#4285f4", "fill-opacity": 0.04 } },
    { id: "grids-line", type: "line", source: "grids", minzoom: 12,
      paint: { "line-color": "#7baaf7", "line-width": 0.8 } },
    { id: "special-fill", type: "fill", source: "special_grids",
      paint: { "fill-color": "#fbbc04", "fill-opacity": 0.25 } },
    { id: "special-line", type: "line", source: "special_grids",
      paint: { "line-color": "#f29900", "line-width": 1, "line-dasharray": [2, 1] } },
    { id: "communities-line", type: "line", source: "communities",
      paint: { "line-color": "#5f6368", "line-width": 1.2 } },
    { id: "streets-line", type: "line", source: "streets",
      paint: { "line-color": "#3c4043", "line-width": 2.5 } },
    { id: "district-line", type: "line", source: "district",
      paint: { "line-color": "#c5221f", "line-width": 3 } },
  );
  if (config.canRegistry) {
    layers.push(
      { id: "buildings-flat", type: "fill", source: "buildings", "source-layer": "buildings",
        paint: { "fill-color": "#bdc1c6", "fill-outline-color": "#80868b" } },
      { id: "buildings-3d", type: "fill-extrusion", source: "buildings", "source-layer": "buildings",
        layout: { visibility: "none" },
        paint: { "fill-extrusion-color": "#aab4c3", "fill-extrusion-height": ["get", "height"],
          "fill-extrusion-opacity": 0.85 } },
    );
  }
  if (config.canEvents) {
    layers.push(
      { id: "events-heat", type: "heatmap", source: "events", "source-layer": "events", maxzoom: 17,
        layout: { visibility: "none" },
        paint: {
          "heatmap-weight": ["interpolate", ["linear"], ["get", "count"], 1, 0.3, 50, 1],
          "heatmap-radius": ["interpolate", ["linear"], ["zoom"], 8, 6, 15, 24],
          "heatmap-opacity": 0.75,
        } },
      { id: "events-circle", type: "circle", source: "events", "source-layer": "events", minzoom: 12,
        filter: ["has", "status"],
        paint: { "circle-color": STATUS_COLOURS, "circle-radius": 5,
          "circle-stroke-color": "#fff", "circle-stroke-width": 1 } },
    );
  }
  if (config.canRegistry) {
    layers.push(
      { id: "components-cluster", type: "circle", source: "components", "source-layer": "components",
        filter: [">", ["get", "count"], 1],
        paint: { "circle-color": "#5f6368", "circle-opacity": 0.8,
          "circle-radius": ["interpolate", ["linear"], ["get", "count"], 2, 10, 200, 22] } },
      { id: "components-count", type: "symbol", source: "components", "source-layer": "components",
        filter: [">", ["get", "count"], 1],
        layout: { "text-field": ["to-string", ["get", "count"]], "text-size": 11, "text-allow-overlap": true },
        paint: { "text-color": "#fff" } },
      { id: "components-icon", type: "symbol", source: "components", "source-layer": "components",
        filter: ["==", ["get", "count"], 1],
        layout: { "icon-image": ["concat", "cls-", ["get", "cls"]], "icon-allow-overlap": true, "icon-size": 0.5 } },
      { id: "cameras-icon", type: "symbol", source: "cameras",
        layout: { "icon-image": "camera", "icon-allow-overlap": true, "icon-size": 0.5 } },
    );
  }
  layers.push(
    { id: "workers-circle", type: "circle", source: "workers", minzoom: 11,
      paint: { "circle-color": "#1a73e8", "circle-radius": 6, "circle-stroke-color": "#fff",
        "circle-stroke-width": 2,
        "circle-opacity": ["case", ["==", ["get", "source"], "grid"], 0.55, 1] } },
    { id: "workers-label", type: "symbol", source: "workers", minzoom: 15,
      layout: { "text-field": ["get", "name"], "text-size": 11, "text-offset": [0, 1.2] },
      paint: { "text-color": "#1a73e8", "text-halo-color": "#fff", "text-halo-width": 1 } },
    { id: "streets-label", type: "symbol", source: "streets_labels", maxzoom: 13,
      layout: { "text-field": ["get", "name"], "text-size": 15 },
      paint: { "text-color": "#202124", "text-halo-color": "#fff", "text-halo-width": 2 } },
    { id: "communities-label", type: "symbol", source: "communities_labels", minzoom: 12.5, maxzoom: 15,
      layout: { "text-field": ["get", "name"], "text-size": 12 },
      paint: { "text-color": "#3c4043", "text-halo-color": "#fff", "text-halo-width": 1.5 } },
    { id: "grids-label", type: "symbol", source: "grids_labels", minzoom: 15,
      layout: { "text-field": ["get", "code"], "text-size": 10 },
      paint: { "text-color": "#4285f4", "text-halo-color": "#fff", "text-halo-width": 1 } },
    { id: "special-label", type: "symbol", source: "special_labels", minzoom: 14,
      layout: { "text-field": ["concat", ["get", "name"], "（", ["coalesce", ["get", "kind_label"], ""], "）"],
        "text-size": 11 },
      paint: { "text-color": "#b06000", "text-halo-color": "#fff", "text-halo-width": 1 } },
    { id: "area-fill", type: "fill", source: "area", paint: { "fill-color": "#d93025", "fill-opacity": 0.12 } },
    { id: "area-line", type: "line", source: "area", paint: { "line-color": "#d93025", "line-width": 2 } },
  );
  return { version: 8, sources, layers };
}

// Icons drawn on a canvas: a coloured disc with one character of the class.
function iconImage(character, colour) {
  const size = 40;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = colour;
  ctx.beginPath();
  ctx.arc(size / 2, size / 2, size / 2 - 2, 0, Math.PI * 2);
  ctx.fill();
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 3;
  ctx.stroke();
  ctx.fillStyle = "#fff";
  ctx.font = "bold 22px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(character, size / 2, size / 2 + 1);
  const data = ctx.getImageData(0, 0, size, size);
  return { width: size, height: size, data: new Uint8Array(data.data.buffer) };
}

function addIcons(map) {
  for (const [code, [character, colour]] of Object.entries(COMPONENT_CLASSES)) {
    map.addImage(`cls-${code}`, iconImage(character, colour), { pixelRatio: 1 });
  }
  map.addImage("camera", iconImage("监", "#202124"), { pixelRatio: 1 });
}

function legendClasses() {
  const item = document.getElementById("gis-legend-classes");
  if (!item) return;
  item.innerHTML = Object.values(COMPONENT_CLASSES)
    .map(([character, colour, label]) =>
      `<div><span class="sw round" style="background:${colour}"></span>部件：${escapeHtml(label)}（${character}）</div>`)
    .join("");
}

const map = new maplibregl.Map({
  container: "gis-map",
  style: buildStyle(),
  bounds: config.bounds || undefined,
  fitBoundsOptions: { padding: 20 },
  maxPitch: 70,
  attributionControl: false,
  localIdeographFontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif",
  transformRequest: (url) => ({ url, credentials: "same-origin" }),
});
map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }), "top-right");
map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
map.doubleClickZoom.disable();
window.gisMap = map;
window.gisState = { ready: false, errors: [], lastSummary: null };
map.on("error", (event) => {
  window.gisState.errors.push(String(event?.error?.message || event));
});

async function loadLayers() {
  const wanted = [
    ["base", "base"], ["district", "district"], ["streets", "streets"],
    ["communities", "communities"], ["grids", "grids"], ["special_grids", "special_grids"],
    ["workers", "workers"],
  ];
  if (config.canRegistry) wanted.push(["cameras", "cameras"]);
  const loaded = await Promise.all(wanted.map(([layer]) => api(`/api/v1/gis/layers/${layer}`)));
  loaded.forEach((data, index) => map.getSource(wanted[index][1]).setData(data));
  const byName = Object.fromEntries(wanted.map(([layer], index) => [layer, loaded[index]]));
  map.getSource("streets_labels").setData(labelPoints(byName.streets));
  map.getSource("communities_labels").setData(labelPoints(byName.communities));
  map.getSource("grids_labels").setData(labelPoints(byName.grids));
  map.getSource("special_labels").setData(labelPoints(byName.special_grids));
  window.gisState.counts = Object.fromEntries(
    Object.entries(byName).map(([name, data]) => [name, data.features.length]));
}

// ------------------------------------------------------------------ popups

function dl(rows) {
  return `<dl>${rows.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

function formatTime(value) {
  if (!value) return "";
  return new Date(value).toLocaleString("zh-CN", { hour12: false });
}

const POPUPS = {
  events: (p) => `<h4>${escapeHtml(p.title)}</h4>` + dl([
    ["编号", escapeHtml(p.code)], ["类别", escapeHtml(p.category)], ["状态", escapeHtml(p.status_label)],
    ["地址", escapeHtml(p.address)], ["上报", escapeHtml(formatTime(p.created_at))],
    ["摘要", escapeHtml(p.summary)],
  ]) + `<p><a href="${escapeHtml(p.url)}">查看案件</a>
    <button type="button" class="gis-around" data-event="${p.id}">周边研判</button></p>`,
  workers: (p) => `<h4>网格员 ${escapeHtml(p.name)}</h4>` + dl([
    ["网格", escapeHtml(p.grids.join("、"))], ["职务", escapeHtml(p.duty)],
    ["在岗", escapeHtml(p.on_duty_label)], ["位置", escapeHtml(p.position_label)],
    ["最后出现", p.last_seen_at ? escapeHtml(formatTime(p.last_seen_at)) : "未知"],
  ]) + (callsReady
    ? `<p><button type="button" data-call-user="${p.user_id}" data-call-name="${escapeHtml(p.name)}">视频通话</button></p>`
    : ""),
  cameras: (p) => `<h4>${escapeHtml(p.name)}</h4>` + dl([
    ["编号", escapeHtml(p.code)], ["状态", escapeHtml(p.status_label)],
    ["视频流", `<a href="${escapeHtml(p.stream_url)}" target="_blank" rel="noopener">打开视频流</a>`],
  ]),
  components: (p) => `<h4>${escapeHtml(p.class_name)}</h4>` + dl([
    ["编号", escapeHtml(p.code)], ["大类", escapeHtml(p.major_name)], ["状态", escapeHtml(p.status_label)],
    ["权属/养护", escapeHtml(p.department || "未登记")], ["地址", escapeHtml(p.address)],
    ["照片", p.photo_url && p.photo_url.startsWith("/") ? `<img src="${escapeHtml(p.photo_url)}" alt="部件照片">` : "无"],
  ]),
  buildings: (p) => `<h4>${escapeHtml(p.name)}</h4>` + dl([
    ["地址", escapeHtml(p.address)], ["类型", escapeHtml(`${p.kind} · ${p.use}`)],
    ["层数", p.floors], ["房屋", p.houses], ["户数", p.households], ["人数", p.residents],
    ["住户", p.resident_names === null ? "无权查看姓名" : escapeHtml(p.resident_names.join("、") || "无")],
  ]),
};

// Click priority: the smallest, most specific thing under the pointer wins.
const CLICKABLE = [
  ["events-circle", "events"], ["workers-circle", "workers"], ["cameras-icon", "cameras"],
  ["components-icon", "components"], ["buildings-3d", "buildings"], ["buildings-flat", "buildings"],
];

let currentPopup = null;

async function openPopup(kind, id, lngLat) {
  currentPopup?.remove();
  const path = kind === "workers" ? `/api/v1/gis/features/workers/${id}` : `/api/v1/gis/features/${kind}/${id}`;
  const popup = new maplibregl.Popup({ className: "gis-popup", maxWidth: "320px" })
    .setLngLat(lngLat).setHTML("<p>加载中…</p>").addTo(map);
  currentPopup = popup;
  try {
    const data = await api(path);
    popup.setHTML(`<div class="gis-popup-body" data-kind="${kind}">${POPUPS[kind](data)}</div>`);
  } catch (error) {
    popup.setHTML(`<p>${escapeHtml(error.message)}</p>`);
  }
  return popup;
}

function onMapClick(event) {
  if (drawing.mode) return;
  const layers = CLICKABLE.map(([layer]) => layer).filter((layer) => map.getLayer(layer));
  const features = map.queryRenderedFeatures(event.point, { layers });
  for (const [layer, kind] of CLICKABLE) {
    const feature = features.find((f) => f.layer.id === layer);
    if (feature) {
      const id = feature.id ?? feature.properties.id;
      openPopup(kind, id, event.lngLat);
      return;
    }
  }
  const cluster = map.queryRenderedFeatures(event.point, { layers: ["components-cluster"].filter((l) => map.getLayer(l)) });
  if (cluster.length) map.easeTo({ center: event.lngLat, zoom: Math.max(map.getZoom() + 2, 14) });
}

document.addEventListener("click", (event) => {
  const button = event.target.closest(".gis-around");
  if (button) summarise({ event_id: Number(button.dataset.event), radius_m: Number(document.getElementById("gis-radius").value || 1000) });
});

// ------------------------------------------------------------------ area selection

const drawing = { mode: null, start: null, points: [] };

function setArea(geometry) {
  map.getSource("area").setData(geometry
    ? { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry }] }
    : emptyCollection());
}

function boxPolygon(a, b) {
  const [w, e] = [Math.min(a.lng, b.lng), Math.max(a.lng, b.lng)];
  const [s, n] = [Math.min(a.lat, b.lat), Math.max(a.lat, b.lat)];
  return { type: "Polygon", coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
}

function drawStatus(text) {
  document.getElementById("gis-draw-status").textContent = text;
}

function startDrawing(mode) {
  currentPopup?.remove();
  drawing.mode = mode;
  drawing.start = null;
  drawing.points = [];
  map.dragPan.disable();
  map.getCanvas().style.cursor = "crosshair";
  drawStatus(mode === "box" ? "按住鼠标拖出矩形" : "单击添加顶点，双击结束");
}

function stopDrawing() {
  drawing.mode = null;
  drawing.start = null;
  map.dragPan.enable();
  map.getCanvas().style.cursor = "";
}

map.on("mousedown", (event) => {
  if (drawing.mode !== "box") return;
  drawing.start = event.lngLat;
});
map.on("mousemove", (event) => {
  if (drawing.mode === "box" && drawing.start) setArea(boxPolygon(drawing.start, event.lngLat));
  if (drawing.mode === "polygon" && drawing.points.length) {
    const ring = [...drawing.points, [event.lngLat.lng, event.lngLat.lat], drawing.points[0]];
    if (ring.length >= 4) setArea({ type: "Polygon", coordinates: [ring] });
  }
});
map.on("mouseup", (event) => {
  if (drawing.mode !== "box" || !drawing.start) return;
  const geometry = boxPolygon(drawing.start, event.lngLat);
  stopDrawing();
  drawStatus("");
  summarise({ geometry });
});
map.on("click", (event) => {
  if (drawing.mode === "polygon") {
    drawing.points.push([event.lngLat.lng, event.lngLat.lat]);
    return;
  }
  onMapClick(event);
});
map.on("dblclick", () => {
  if (drawing.mode !== "polygon") return;
  // The double click's two clicks both added the same vertex; keep one.
  const points = drawing.points.filter((p, i, all) => i === 0 || p[0] !== all[i - 1][0] || p[1] !== all[i - 1][1]);
  stopDrawing();
  drawStatus("");
  if (points.length < 3) {
    drawStatus("多边形至少需要三个顶点");
    return;
  }
  summarise({ geometry: { type: "Polygon", coordinates: [[...points, points[0]]] } });
});

function table(headers, rows) {
  if (!rows.length) return "<p>无</p>";
  return `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

function metres(value) {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} 千米` : `${Math.round(value)} 米`;
}

function renderSummary(summary) {
  const panel = document.getElementById("gis-panel");
  const r = summary.resources;
  const i = summary.impact;
  const title = summary.event_id ? `事件周边 ${metres(summary.radius_m)}` : "所选区域";
  panel.innerHTML = `
    <h2>区域研判：${escapeHtml(title)}</h2>
    <p><button type="button" id="gis-panel-close">关闭</button></p>
    <section id="gis-resources">
      <h3>处置资源</h3>
      <h4>网格员（${r.workers.length}）</h4>
      ${table(["姓名", "网格", "距离", "在岗", "位置来源"], r.workers.map((w) =>
        [w.name, w.grid_name, metres(w.distance_m), w.on_duty_label, w.position_label]))}
      <h4>城市部件（${r.component_count}）</h4>
      <p>${r.components_by_class.map((c) => `${escapeHtml(c.label)} ${c.count}`).join("，") || "无"}</p>
      ${table(["编号", "类别", "状态", "距离"], r.components.slice(0, 20).map((c) =>
        [c.code, c.class_name, c.status, metres(c.distance_m)]))}
      <h4>视频监控（${r.camera_count}）</h4>
      ${table(["名称", "状态", "距离"], r.cameras.slice(0, 20).map((c) => [c.name, c.status, metres(c.distance_m)]))}
      <h4>相关单位（${r.departments.length}）</h4>
      ${table(["单位", "类型", "说明"], r.departments.map((d) => [d.name, d.kind, d.reason]))}
    </section>
    <section id="gis-impact">
      <h3>影响范围</h3>
      <p>楼栋 ${i.building_count} 栋，${i.household_count} 户，${i.resident_count} 人</p>
      <h4>社区（${i.communities.length}）</h4>
      ${table(["社区", "人口"], i.communities.map((c) => [c.name, c.population]))}
      <h4>学校（${i.schools.length}）、医院（${i.hospitals.length}）及其他专属网格（${i.special_grids.length}）</h4>
      ${table(["名称", "类型"], i.special_grids.map((g) => [g.name, g.kind_label || g.kind || ""]))}
      <h4>近${i.past_events_days}天事件（${i.past_event_count}）</h4>
      ${table(["类别", "件数"], i.past_events_by_category.map((c) => [c.label, c.count]))}
      <h4>楼栋（前${Math.min(i.buildings.length, 20)}）</h4>
      ${table(["楼栋", "层数", "户", "人"], i.buildings.slice(0, 20).map((b) => [b.name, b.floors, b.households, b.residents]))}
    </section>`;
  panel.hidden = false;
  document.getElementById("gis-panel-close").addEventListener("click", () => {
    panel.hidden = true;
    setArea(null);
    map.resize();
  });
  map.resize();
}

async function summarise(body) {
  const panel = document.getElementById("gis-panel");
  panel.hidden = false;
  panel.innerHTML = "<p>研判中…</p>";
  map.resize();
  if (body.geometry) setArea(body.geometry);
  try {
    const summary = await api("/api/v1/gis/area-summary", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    setArea(summary.area);
    window.gisState.lastSummary = summary;
    renderSummary(summary);
  } catch (error) {
    panel.innerHTML = `<p class="error">${escapeHtml(error.message)}</p>`;
  }
}
window.gisSummarise = summarise;

// ------------------------------------------------------------------ side bar

function wireSideBar() {
  for (const input of document.querySelectorAll("#gis-layers input[data-layer]")) {
    const apply = () => {
      for (const layer of LAYER_GROUPS[input.dataset.layer] || []) {
        if (!map.getLayer(layer)) continue;
        if (layer === "buildings-3d" || layer === "buildings-flat") {
          const show3d = layer === "buildings-3d" ? view3d : !view3d;
          map.setLayoutProperty(layer, "visibility", input.checked && show3d ? "visible" : "none");
        } else {
          map.setLayoutProperty(layer, "visibility", input.checked ? "visible" : "none");
        }
      }
    };
    input.addEventListener("change", apply);
    apply();
  }
  for (const id of ["gis-days", "gis-category"]) {
    document.getElementById(id)?.addEventListener("change", () => {
      map.getSource("events")?.setTiles([eventTileUrl()]);
    });
  }
  document.getElementById("gis-3d").addEventListener("click", toggle3d);
  document.getElementById("gis-draw-box").addEventListener("click", () => startDrawing("box"));
  document.getElementById("gis-draw-polygon").addEventListener("click", () => startDrawing("polygon"));
  document.getElementById("gis-clear").addEventListener("click", () => {
    stopDrawing();
    drawStatus("");
    setArea(null);
    document.getElementById("gis-panel").hidden = true;
    map.resize();
  });
  document.getElementById("gis-search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = new FormData(event.target).get("q");
    const list = document.getElementById("gis-search-results");
    list.innerHTML = "<li>搜索中…</li>";
    try {
      const hits = await api(`/api/v1/gis/search?${new URLSearchParams({ q })}`);
      list.innerHTML = hits.length ? "" : "<li>没有找到</li>";
      for (const hit of hits) {
        const item = document.createElement("li");
        item.textContent = hit.label;
        item.addEventListener("click", () => {
          if (hit.bbox) map.fitBounds([[hit.bbox[0], hit.bbox[1]], [hit.bbox[2], hit.bbox[3]]], { padding: 40 });
          else map.flyTo({ center: [hit.lon, hit.lat], zoom: hit.zoom });
        });
        list.appendChild(item);
      }
      if (hits.length === 1) list.firstChild.click();
    } catch (error) {
      list.innerHTML = `<li>${escapeHtml(error.message)}</li>`;
    }
  });
}

let view3d = false;
function toggle3d() {
  view3d = !view3d;
  const buildingsOn = document.querySelector('#gis-layers input[data-layer="buildings"]')?.checked ?? false;
  if (map.getLayer("buildings-3d")) {
    map.setLayoutProperty("buildings-3d", "visibility", view3d && buildingsOn ? "visible" : "none");
    map.setLayoutProperty("buildings-flat", "visibility", !view3d && buildingsOn ? "visible" : "none");
  }
  map.easeTo(view3d ? { pitch: 60, bearing: -20, zoom: Math.max(map.getZoom(), 15) } : { pitch: 0, bearing: 0 });
  document.getElementById("gis-3d").textContent = view3d ? "切换到 2D" : "切换到 3D";
}

map.on("load", async () => {
  addIcons(map);
  legendClasses();
  wireSideBar();
  try {
    await loadLayers();
  } catch (error) {
    window.gisState.errors.push(error.message);
    console.error(error);
  }
  map.once("idle", () => { window.gisState.ready = true; });
  map.triggerRepaint();
});
for (const [layer] of CLICKABLE) {
  map.on("mouseenter", layer, () => { if (!drawing.mode) map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", layer, () => { if (!drawing.mode) map.getCanvas().style.cursor = ""; });
}
