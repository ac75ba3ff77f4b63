// Worker management maps (网格员管理). Two modes, chosen by the page's config:
// - "roster": every worker in scope at their latest GPS fix (or their grid's centre, faded),
//   green when on duty, refreshed every 30 s from /api/v1/workers/positions;
// - "track": the animated replay of one worker's day from /api/v1/workers/{id}/track, with a
//   time slider and a play button, stops marked.
// The base map is the district's own layers (water, roads, boundaries, grids) from the GIS
// API, as on /map: no external tiles, no glyph or sprite URL.
import * as maplibregl from "/static/vendor/maplibre-gl-6.17.0/maplibre-gl.mjs";

const config = JSON.parse(document.getElementById("workers-config").textContent);
const origin = window.location.origin;
const statusLine = document.getElementById("workers-map-status");
window.workersState = { ready: false, errors: [], track: null, frame: 0 };

function setStatus(text) {
  if (statusLine) statusLine.textContent = text;
}

async function api(path) {
  const response = await fetch(origin + path, {
    credentials: "same-origin", headers: { Accept: "application/json" },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body?.error?.message || `请求失败（${response.status}）`);
  return body;
}

function empty() {
  return { type: "FeatureCollection", features: [] };
}

function baseStyle() {
  const sources = {};
  for (const name of ["base", "streets", "communities", "grids", "special_grids", "workers",
    "track", "trail", "stops", "cursor"]) {
    sources[name] = { type: "geojson", data: empty() };
  }
  return {
    version: 8,
    sources,
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#f4f3ef" } },
      { id: "base-lake", type: "fill", source: "base", filter: ["==", ["get", "kind"], "lake"],
        paint: { "fill-color": "#c6dafc" } },
      { id: "base-river", type: "line", source: "base", filter: ["==", ["get", "kind"], "river"],
        paint: { "line-color": "#8ab4f8", "line-width": 3 } },
      { id: "base-road", type: "line", source: "base", filter: ["==", ["get", "kind"], "road"],
        paint: { "line-color": "#ffffff", "line-width": ["interpolate", ["linear"], ["zoom"], 11, 2, 16, 10] } },
      { id: "grids-line", type: "line", source: "grids", paint: { "line-color": "#7baaf7", "line-width": 0.8 } },
      { id: "grids-own", type: "fill", source: "grids",
        filter: ["in", ["get", "code"], ["literal", config.gridCodes || []]],
        paint: { "fill-color": "#4285f4", "fill-opacity": 0.12 } },
      { id: "special-line", type: "line", source: "special_grids",
        paint: { "line-color": "#f29900", "line-width": 1, "line-dasharray": [2, 1] } },
      { id: "communities-line", type: "line", source: "communities", paint: { "line-color": "#5f6368", "line-width": 1.2 } },
      { id: "streets-line", type: "line", source: "streets", paint: { "line-color": "#3c4043", "line-width": 2.5 } },
      { id: "track-line", type: "line", source: "track",
        paint: { "line-color": "#9aa0a6", "line-width": 2, "line-dasharray": [2, 1] } },
      { id: "trail-line", type: "line", source: "trail", paint: { "line-color": "#1a73e8", "line-width": 4 } },
      { id: "stops-circle", type: "circle", source: "stops",
        paint: { "circle-color": "#f29900", "circle-radius": 8, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } },
      { id: "stops-label", type: "symbol", source: "stops",
        layout: { "text-field": ["get", "label"], "text-size": 11, "text-offset": [0, 1.4] },
        paint: { "text-color": "#b06000", "text-halo-color": "#fff", "text-halo-width": 1 } },
      { id: "workers-circle", type: "circle", source: "workers",
        paint: {
          "circle-color": ["case", ["get", "on_duty"], "#188038", "#80868b"],
          "circle-radius": 6, "circle-stroke-color": "#fff", "circle-stroke-width": 2,
          "circle-opacity": ["case", ["==", ["get", "source"], "grid"], 0.45, 1],
        } },
      { id: "workers-label", type: "symbol", source: "workers", minzoom: 14,
        layout: { "text-field": ["get", "name"], "text-size": 11, "text-offset": [0, 1.2] },
        paint: { "text-color": "#202124", "text-halo-color": "#fff", "text-halo-width": 1 } },
      { id: "cursor-circle", type: "circle", source: "cursor",
        paint: { "circle-color": "#d93025", "circle-radius": 7, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } },
    ],
  };
}

const map = new maplibregl.Map({
  container: "workers-map",
  style: baseStyle(),
  bounds: config.bounds || undefined,
  fitBoundsOptions: { padding: 20 },
  attributionControl: false,
  localIdeographFontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif",
  transformRequest: (url) => ({ url, credentials: "same-origin" }),
});
map.addControl(new maplibregl.NavigationControl(), "top-right");
map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
window.workersMap = map;
map.on("error", (event) => window.workersState.errors.push(String(event?.error?.message || event)));

async function loadBase() {
  const layers = ["base", "streets", "communities", "grids", "special_grids"];
  await Promise.all(layers.map(async (name) => {
    try {
      map.getSource(name).setData(await api(`/api/v1/gis/layers/${name}`));
    } catch (error) {
      window.workersState.errors.push(`${name}: ${error.message}`);
    }
  }));
}

function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (ch) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[ch]);
}

function localTime(iso) {
  return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "—";
}

// ---------------------------------------------------------------- roster: live positions

async function refreshPositions() {
  try {
    const data = await api("/api/v1/workers/positions");
    map.getSource("workers").setData(data);
    const onDuty = data.features.filter((f) => f.properties.on_duty).length;
    const gps = data.features.filter((f) => f.properties.source === "gps").length;
    setStatus(`共 ${data.features.length} 名网格员，在岗 ${onDuty} 名，有 GPS 定位 ${gps} 名 · 更新于 ${new Date().toLocaleTimeString("zh-CN", { hour12: false })}`);
    window.workersState.positions = data.features.length;
  } catch (error) {
    setStatus(`位置加载失败：${error.message}`);
  }
}

function rosterMode() {
  map.on("click", "workers-circle", (event) => {
    const p = event.features[0].properties;
    new maplibregl.Popup()
      .setLngLat(event.lngLat)
      .setHTML(`<h4><a href="/workers/${p.id}">${escapeHtml(p.name)}</a></h4>
        <p>${p.on_duty ? "在岗" : "离岗"} · ${p.source === "gps" ? "GPS 定位" : "网格位置（非GPS）"}</p>
        <p>最近活动：${escapeHtml(localTime(p.last_seen))}</p>`)
      .addTo(map);
  });
  refreshPositions();
  setInterval(refreshPositions, 30000);
}

// ---------------------------------------------------------------- track: animated replay

function line(coords) {
  return coords.length > 1
    ? { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: coords } }] }
    : empty();
}

async function trackMode() {
  const slider = document.getElementById("replay-slider");
  const play = document.getElementById("replay-play");
  const timeLabel = document.getElementById("replay-time");
  const speed = document.getElementById("replay-speed");
  const stats = document.getElementById("replay-stats");
  let data;
  try {
    data = await api(`/api/v1/workers/${config.userId}/track?date=${config.date}`);
  } catch (error) {
    setStatus(`轨迹加载失败：${error.message}`);
    return;
  }
  window.workersState.track = data;
  const points = data.features;
  const coords = points.map((f) => f.geometry.coordinates);
  const times = points.map((f) => Date.parse(f.properties.t));
  map.getSource("track").setData(line(coords));
  map.getSource("stops").setData({
    type: "FeatureCollection",
    features: data.stops.map((s) => ({
      type: "Feature",
      properties: { label: `停留 ${Math.round(s.seconds / 60)} 分钟` },
      geometry: { type: "Point", coordinates: [s.lon, s.lat] },
    })),
  });
  const s = data.stats;
  stats.textContent = `${data.date}：${data.patrols.length} 次巡查，里程 ${(s.distance_m / 1000).toFixed(2)} km，` +
    `巡查 ${Math.floor(s.patrol_seconds / 60)} 分钟，停留点 ${data.stops.length} 个，` +
    `覆盖率 ${s.coverage == null ? "—" : Math.round(s.coverage * 100) + "%"}` +
    (data.source === "path" ? "（原始轨迹点已过保留期，按简化轨迹回放）" : "");
  if (!points.length) {
    setStatus("当天没有轨迹。");
    slider.disabled = true;
    play.disabled = true;
    return;
  }
  const bounds = coords.reduce((b, c) => b.extend(c), new maplibregl.LngLatBounds(coords[0], coords[0]));
  map.fitBounds(bounds, { padding: 40, maxZoom: 17, duration: 0 });
  setStatus(`${points.length} 个轨迹点`);
  slider.max = String(points.length - 1);

  function show(index) {
    const i = Math.max(0, Math.min(points.length - 1, index));
    window.workersState.frame = i;
    slider.value = String(i);
    map.getSource("trail").setData(line(coords.slice(0, i + 1)));
    map.getSource("cursor").setData({
      type: "FeatureCollection",
      features: [{ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: coords[i] } }],
    });
    timeLabel.textContent = new Date(times[i]).toLocaleTimeString("zh-CN", { hour12: false });
  }

  // A virtual clock runs at the chosen speed; the cursor shows the last fix before it.
  let timer = null;
  let clock = 0;
  let virtual = times[0];
  function stop() {
    if (timer) cancelAnimationFrame(timer);
    timer = null;
    play.textContent = "▶ 播放";
  }
  function step(now) {
    virtual += (clock ? now - clock : 0) * Number(speed.value);
    clock = now;
    let i = Number(slider.value);
    while (i < points.length - 1 && times[i + 1] <= virtual) i += 1;
    show(i);
    if (i >= points.length - 1) { stop(); return; }
    timer = requestAnimationFrame(step);
  }
  play.addEventListener("click", () => {
    if (timer) { stop(); return; }
    if (Number(slider.value) >= points.length - 1) show(0);
    virtual = times[Number(slider.value)];
    clock = 0;
    play.textContent = "⏸ 暂停";
    timer = requestAnimationFrame(step);
  });
  slider.addEventListener("input", () => { stop(); show(Number(slider.value)); });
  show(0);
}

map.on("load", async () => {
  await loadBase();
  if (config.mode === "track") await trackMode();
  else rosterMode();
  window.workersState.ready = true;
});
