// 网格员助手: the grid worker's phone app. Reads come from the API and are remembered on the
// device (so the app opens and shows the last known lists offline); every write goes through
// the outbox (js/worker-outbox.js) and reaches the server exactly once. Text from the server is
// always set as textContent, never as HTML.
import * as outbox from "/static/js/worker-outbox.js";

const { HttpError } = outbox;
const SYNC_EVERY_MS = 15_000;
// A minute of fixes per request: the center's map is at most a minute behind, and the server
// stores one batch of many fixes far cheaper than many batches of one.
const PATROL_FLUSH_MS = 60_000;
const MAX_ACCURACY_M = 100; // fixes worse than this are sent but not counted in the distance

const state = {
  user: null,
  csrf: "",
  online: navigator.onLine,
  categories: [],
  picked: null,
  casesView: "todo",
  patrol: null, // {cid, started_at, distance_m, points, last}
  buffer: [],
  watch: null,
  target: null, // the visit's household/member
  lastReportCid: null,
};
// For tests and for a look from the console: the page forbids eval (CSP), so it says how it is.
window.workerState = { ready: false, synced: 0, failed: 0, lastError: "", mapError: null };

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-") || key.startsWith("aria-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

function when(value) {
  return value ? new Date(value).toLocaleString("zh-CN", { hour12: false }) : "";
}

function metres(value) {
  if (value === null || value === undefined) return "—";
  return value >= 1000 ? `${(value / 1000).toFixed(2)} 公里` : `${Math.round(value)} 米`;
}

function minutes(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const m = Math.round(seconds / 60);
  return m >= 60 ? `${Math.floor(m / 60)} 小时 ${m % 60} 分` : `${m} 分`;
}

function message(id, text, kind = "error") {
  const node = $(id);
  node.textContent = text;
  node.classList.toggle("ok", kind === "ok");
  node.classList.toggle("error", kind === "error" && !!text);
}

// ------------------------------------------------------------------ talking to the server

async function api(method, path, body, headers = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (method !== "GET") init.headers["X-CSRF-Token"] = state.csrf;
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init); // a network failure throws: the caller retries
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new HttpError(response.status, data?.error?.code || "",
      data?.error?.message || `请求失败（${response.status}）`, data);
  }
  return { status: response.status, data };
}

/** A write as the outbox sends it: a stale CSRF token (a new sign-in) is renewed once. */
async function send(method, path, body, headers = {}) {
  try {
    return await api(method, path, body, headers);
  } catch (error) {
    if (error instanceof HttpError && error.code === "csrf_failed") {
      await loadSession();
      return api(method, path, body, headers);
    }
    throw error;
  }
}

async function upload(blob, name) {
  const form = new FormData();
  form.append("file", blob, name);
  return (await send("POST", "/api/v1/media", form)).data;
}

/** A read that falls back to the last answer kept on the device when there is no network. */
async function cachedGet(path) {
  const key = `get:${state.user?.id}:${path}`;
  try {
    const { data } = await api("GET", path);
    outbox.kvSet(key, data).catch(() => {});
    return { data, stale: false };
  } catch (error) {
    if (error instanceof HttpError && error.status !== 401 && error.status < 500) throw error;
    const data = await outbox.kvGet(key);
    if (data === undefined) throw error;
    return { data, stale: true };
  }
}

function setOnline(online) {
  state.online = online;
  const net = $("net");
  net.textContent = online ? "在线" : "离线";
  net.classList.toggle("offline", !online);
  document.body.classList.toggle("is-offline", !online);
}

// ------------------------------------------------------------------ the outbox's handlers

function settled(detail) {
  return detail.timeline.some((step) => step.action === "self_settle");
}

async function patrolId(cid) {
  const id = await outbox.kvGet(`patrol:${cid}`);
  if (!id) throw new HttpError(422, "patrol_not_started", "这次巡查没能在服务器上开始，轨迹无法上传");
  return id;
}

const handlers = {
  async report(item, c) {
    const media = await c.uploadAll("before");
    const { data } = await send("POST", "/api/v1/events", { ...item.payload.report, media_ids: media },
      { "Idempotency-Key": item.cid });
    return { label: `上报 ${data.code}`, event: data };
  },

  // Report and settle at once. The report is sent again on every attempt (the same
  // Idempotency-Key returns the case as it is now), so a lost answer to either request is
  // found out by looking at the case rather than by guessing.
  async self_settle(item, c) {
    const before = await c.uploadAll("before");
    const report = { ...item.payload.report, media_ids: before };
    let { data: detail } = await send("POST", "/api/v1/events", report, { "Idempotency-Key": item.cid });
    if (settled(detail)) return { label: `自办结 ${detail.code}`, event: detail };
    if (!detail.actions.some((a) => a.action === "self_settle")) {
      throw new HttpError(409, "cannot_self_settle",
        `已上报（${detail.code}），但案件已是“${detail.status_label}”，不能再自办结`);
    }
    const after = await c.uploadAll("after");
    try {
      ({ data: detail } = await send("POST", `/api/v1/events/${detail.id}/actions/self_settle`,
        { version: detail.version, comment: item.payload.comment, media_ids: after }));
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 409) throw error;
      const { data: now } = await send("GET", `/api/v1/events/${detail.id}`);
      if (!settled(now)) throw error;
      detail = now;
    }
    return { label: `自办结 ${detail.code}`, event: detail };
  },

  async action(item, c) {
    const media = await c.uploadAll("media");
    const { event_id: id, action, version, fields, seen_steps: seen } = item.payload;
    try {
      const { data } = await send("POST", `/api/v1/events/${id}/actions/${action}`,
        { ...fields, version, media_ids: media });
      return { label: `${item.payload.label} ${data.code}` };
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 409) throw error;
      // Stale version: done by this very item before its answer was lost, or by someone else.
      const { data: now } = await send("GET", `/api/v1/events/${id}`);
      const mine = now.timeline.slice(seen).some(
        (s) => s.action === action && s.actor_username === state.user.username);
      if (!mine) throw error;
      return { label: `${item.payload.label} ${now.code}` };
    }
  },

  async visit(item, c) {
    const media = await c.uploadAll("photos");
    await send("POST", "/api/v1/visits", { ...item.payload, client_id: item.cid, media_ids: media });
    return { label: "走访记录" };
  },

  async task_accept(item) {
    await send("POST", `/api/v1/tasks/${item.payload.task_id}/accept`, { client_id: item.cid });
    return { label: "接受任务" };
  },

  async task_complete(item, c) {
    const media = await c.uploadAll("photos");
    const { task_id: id, result, values } = item.payload;
    await send("POST", `/api/v1/tasks/${id}/complete`,
      { client_id: item.cid, result, values: values || {}, media_ids: media });
    return { label: "完成任务" };
  },

  async campaign_response(item) {
    const { campaign_id: id, household_id: household, values, filled_at: filled } = item.payload;
    await send("POST", `/api/v1/campaigns/${id}/responses`,
      { client_id: item.cid, household_id: household, values, filled_at: filled });
    return { label: "排查登记" };
  },

  async patrol_start(item) {
    const { data } = await send("POST", "/api/v1/patrols", { client_id: item.cid, started_at: item.payload.started_at });
    await outbox.kvSet(`patrol:${item.cid}`, data.id);
    return { label: "开始巡查" };
  },

  async patrol_points(item) {
    const id = await patrolId(item.payload.patrol_cid);
    const { data } = await send("POST", `/api/v1/patrols/${id}/points`, { points: item.payload.points, crs: "wgs84" });
    return { label: `轨迹 ${data.stored ?? item.payload.points.length} 点` };
  },

  async patrol_stop(item) {
    const id = await patrolId(item.payload.patrol_cid);
    try {
      await send("POST", `/api/v1/patrols/${id}/stop`, { ended_at: item.payload.ended_at });
    } catch (error) {
      if (!(error instanceof HttpError) || error.status >= 500 || error.status === 401) throw error;
      const { data } = await send("GET", `/api/v1/patrols/${id}`);
      if (data.status !== "closed") throw error; // stopped already (a lost answer): done
    }
    await outbox.kvDelete(`patrol:${item.payload.patrol_cid}`);
    return { label: "结束巡查" };
  },

  async duty(item) {
    await send("POST", "/api/v1/workers/me/duty", { on_duty: item.payload.on_duty });
    return { label: item.payload.on_duty ? "上岗" : "离岗" };
  },
};

const KIND_LABELS = {
  report: "事件上报", self_settle: "上报并自办结", action: "案件办理", visit: "走访记录",
  task_accept: "接受任务", task_complete: "完成任务", campaign_response: "排查登记",
  patrol_start: "开始巡查", patrol_points: "巡查轨迹", patrol_stop: "结束巡查", duty: "在岗状态",
};

async function syncNow() {
  if (!state.user) return null;
  const summary = await outbox.sync(state.user.id, { send, upload, handlers });
  if (summary.stopped) {
    const error = summary.stopped;
    // A network error leaves the item queued: the periodic retry or "online" sends it later.
    if (error instanceof HttpError && error.status === 401) $("relogin").hidden = false;
    window.workerState.lastError = error.message || String(error);
  } else {
    $("relogin").hidden = true;
  }
  return summary;
}

function trySync() {
  if (navigator.onLine) syncNow().catch((error) => { window.workerState.lastError = String(error); });
}

async function renderOutbox() {
  const mine = (await outbox.items()).filter((i) => i.user === state.user?.id);
  const queued = mine.filter((i) => i.state === "queued").length;
  $("queue-count").textContent = String(mine.length);
  $("outbox-open").classList.toggle("has-items", mine.length > 0);
  $("outbox-open").classList.toggle("has-failed", mine.length > queued);
  $("outbox-empty").hidden = mine.length > 0;
  $("outbox-list").replaceChildren(...mine.map((item) => {
    const row = el("li", { class: `w-card ${item.state}`, "data-kind": item.kind, "data-state": item.state },
      el("div", { class: "w-card-head" },
        el("b", { text: KIND_LABELS[item.kind] || item.kind }),
        el("span", { class: `w-status ${item.state}`, text: item.state === "failed" ? "失败" : "待同步" })),
      el("p", { class: "w-muted", text: `${when(item.created)}${item.payload?.report?.title ? ` · ${item.payload.report.title}` : ""}` }),
      item.error ? el("p", { class: "w-message error", text: item.error }) : null,
    );
    if (item.state === "failed") {
      const again = el("button", { type: "button", text: "重试" });
      again.addEventListener("click", async () => { await outbox.retry(item); trySync(); });
      const drop = el("button", { type: "button", text: "删除" });
      drop.addEventListener("click", async () => { if (confirm("删除这条记录？删除后不会再上传。")) await outbox.remove(item); });
      row.append(el("div", { class: "w-row" }, again, drop));
    }
    return row;
  }));
}

let toastTimer = null;
function toast(text) {
  let node = $("toast");
  if (!node) {
    node = el("div", { id: "toast", class: "w-toast", role: "status" });
    document.body.append(node);
  }
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, 4000);
}

outbox.onChange((detail) => {
  renderOutbox().catch(() => {});
  if (detail.sent) {
    window.workerState.synced += 1;
    if (detail.result?.label) toast(`已同步：${detail.result.label}`);
    if (detail.sent.cid === state.lastReportCid && detail.result?.event) {
      message("report-message", `已上报，编号 ${detail.result.event.code}`, "ok");
    }
  }
  if (detail.failed) {
    window.workerState.failed += 1;
    toast(`提交失败：${detail.error.message}`);
    if (detail.failed.cid === state.lastReportCid) message("report-message", detail.error.message);
  }
});

// ------------------------------------------------------------------ session and start

async function loadSession() {
  try {
    const { data } = await api("GET", "/m/worker/session");
    state.csrf = data.csrf_token;
    if (data.user && data.allowed) await outbox.kvSet("session", data);
    return data;
  } catch (error) {
    if (error instanceof HttpError) throw error;
    setOnline(false);
    const cached = await outbox.kvGet("session");
    return cached ? { ...cached, offline: true } : null;
  }
}

function show(view) {
  for (const name of ["loading", "login", "refused", "app"]) $(`view-${name}`).hidden = name !== view;
  $("tabbar").hidden = view !== "app";
}

const TABS = ["home", "report", "cases", "tasks", "patrol", "visit", "outbox"];

function showTab(name) {
  for (const button of document.querySelectorAll("#tabbar button")) {
    button.classList.toggle("active", button.dataset.tab === name);
  }
  for (const tab of TABS) $(`tab-${tab}`).hidden = tab !== name;
  if (name === "home") loadHome();
  if (name === "cases") loadCases();
  if (name === "tasks") loadTasks();
  if (name === "outbox") renderOutbox();
  if (name === "report") maps.report?.resize();
  window.scrollTo(0, 0);
}

for (const button of document.querySelectorAll("#tabbar button")) {
  button.addEventListener("click", () => showTab(button.dataset.tab));
}
$("outbox-open").addEventListener("click", () => showTab("outbox"));
$("sync-now").addEventListener("click", () => syncNow());
$("relogin-link").addEventListener("click", (event) => {
  event.preventDefault();
  loadSession().then((data) => {
    $("login-csrf").value = data?.csrf_token || "";
    show("login");
  });
});

// ------------------------------------------------------------------ maps (the district's own layers)

let maplibregl = null;
const maps = { home: null, report: null };
let layerData = null;

async function mapLibrary() {
  if (!maplibregl) maplibregl = await import("/static/vendor/maplibre-gl-6.17.0/maplibre-gl.mjs");
  return maplibregl;
}

async function loadLayers() {
  if (layerData) return layerData;
  const [base, grids, special] = await Promise.all(
    ["base", "grids", "special_grids"].map((layer) =>
      cachedGet(`/api/v1/gis/layers/${layer}`).then((r) => r.data).catch(() => ({ type: "FeatureCollection", features: [] }))));
  layerData = { base, grids, special };
  return layerData;
}

function bounds(collection) {
  let box = null;
  const visit = (coords) => {
    if (typeof coords[0] === "number") {
      box = box ? [Math.min(box[0], coords[0]), Math.min(box[1], coords[1]), Math.max(box[2], coords[0]), Math.max(box[3], coords[1])]
        : [coords[0], coords[1], coords[0], coords[1]];
    } else for (const c of coords) visit(c);
  };
  for (const feature of collection.features) if (feature.geometry) visit(feature.geometry.coordinates);
  return box;
}

async function makeMap(container) {
  try {
    const lib = await mapLibrary();
    const layers = await loadLayers();
    const mine = { type: "FeatureCollection", features: layers.grids.features.concat(layers.special.features) };
    const box = bounds(mine) || bounds(layers.base);
    const map = new lib.Map({
      container,
      style: {
        version: 8,
        sources: {
          base: { type: "geojson", data: layers.base },
          grids: { type: "geojson", data: layers.grids },
          special: { type: "geojson", data: layers.special },
          me: { type: "geojson", data: { type: "FeatureCollection", features: [] } },
        },
        layers: [
          { id: "bg", type: "background", paint: { "background-color": "#f4f3ef" } },
          { id: "base-lake", type: "fill", source: "base", filter: ["==", ["get", "kind"], "lake"], paint: { "fill-color": "#c6dafc" } },
          { id: "base-river", type: "line", source: "base", filter: ["==", ["get", "kind"], "river"], paint: { "line-color": "#8ab4f8", "line-width": 3 } },
          { id: "base-road", type: "line", source: "base", filter: ["==", ["get", "kind"], "road"], paint: { "line-color": "#ffffff", "line-width": 4 } },
          { id: "grids-fill", type: "fill", source: "grids", paint: { "fill-color": "#0b8043", "fill-opacity": 0.08 } },
          { id: "grids-line", type: "line", source: "grids", paint: { "line-color": "#0b8043", "line-width": 2 } },
          { id: "special-line", type: "line", source: "special", paint: { "line-color": "#f29900", "line-width": 1.5, "line-dasharray": [2, 1] } },
          { id: "me", type: "circle", source: "me", paint: { "circle-radius": 7, "circle-color": "#1a73e8", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } },
        ],
      },
      bounds: box ? [[box[0], box[1]], [box[2], box[3]]] : undefined,
      center: box ? undefined : [116.59, 35.41],
      zoom: box ? undefined : 11,
      fitBoundsOptions: { padding: 16 },
      attributionControl: false,
      localIdeographFontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif",
    });
    map.addControl(new lib.NavigationControl({ showCompass: false }), "top-right");
    return map;
  } catch (error) {
    window.workerState.mapError = String(error);
    $(container).textContent = "地图无法显示（离线或设备不支持），仍可使用定位。";
    return null;
  }
}

function showMe(map, lon, lat) {
  if (!map) return;
  const draw = () => map.getSource("me")?.setData({
    type: "FeatureCollection",
    features: [{ type: "Feature", geometry: { type: "Point", coordinates: [lon, lat] }, properties: {} }],
  });
  if (map.isStyleLoaded()) draw(); else map.once("load", draw);
}

// ------------------------------------------------------------------ 我的网格

async function loadHome() {
  const user = state.user;
  if (!maps.home) maps.home = await makeMap("home-map");
  const grids = layerData?.grids.features.map((f) => f.properties.name).filter(Boolean) || [];
  $("grid-names").textContent = grids.length ? grids.join("、") : "我的网格";
  const today = new Date();
  const date = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
  cachedGet(`/api/v1/workers/${user.id}/daily-report?date=${date}`).then(({ data }) => {
    $("fig-distance").textContent = metres(data.distance_m);
    $("fig-duration").textContent = minutes(data.patrol_seconds);
    $("fig-coverage").textContent = data.coverage === null || data.coverage === undefined ? "—" : `${Math.round(data.coverage * 100)}%`;
    $("fig-reported").textContent = data.events_reported ?? "—";
    $("fig-settled").textContent = data.settled_on_spot ?? "—";
    $("fig-visits").textContent = data.visits ?? "—";
    $("fig-tasks").textContent = data.tasks_done ?? "—";
  }).catch(() => {});
  households().catch(() => {});
  cachedGet("/api/v1/visits/due?page_size=50").then(({ data }) => {
    const rows = data.items;
    $("due-empty").hidden = rows.length > 0;
    $("due-list").replaceChildren(...rows.map((row) => {
      const item = el("li", { class: "w-card", "data-member": row.member_id },
        el("div", { class: "w-card-head" },
          el("b", { text: row.name }),
          el("span", { class: "w-status", text: row.group_type })),
        el("p", { class: "w-muted", text: [
          row.last_visit_at ? `上次走访 ${when(row.last_visit_at)}` : "从未走访",
          row.overdue_days > 0 ? `逾期 ${row.overdue_days} 天` : "",
          `每 ${row.visit_every_days} 天一访`,
        ].filter(Boolean).join(" · ") }));
      const go = el("button", { type: "button", class: "primary", text: "去走访" });
      go.addEventListener("click", () => {
        chooseTarget({
          member_id: row.member_id, household_id: row.household_id,
          label: `${row.name}（${row.group_type}）`,
        }, "special_group");
        showTab("visit");
      });
      item.append(go);
      return item;
    }));
  }).catch(() => { $("due-empty").hidden = false; $("due-empty").textContent = "待走访名单暂不可用。"; });
}

async function households() {
  const codes = state.user.grid_codes || [];
  let total = 0;
  let known = false;
  for (const code of codes) {
    const { data } = await cachedGet(`/api/v1/registry/aggregation?region_code=${encodeURIComponent(code)}`);
    const row = (data.categories || []).find((c) => c.code === "household" || c.code === "households");
    if (row) { total += row.count ?? row.total ?? 0; known = true; }
  }
  $("fig-households").textContent = known ? String(total) : "—";
}

// ------------------------------------------------------------------ 上报 / 自办结

async function loadCategories() {
  try {
    const { data } = await cachedGet("/api/v1/event-categories");
    state.categories = data;
    const select = $("r-category");
    const parents = new Map(data.filter((c) => !c.parent_code).map((c) => [c.code, el("optgroup", { label: c.name })]));
    for (const c of data) if (c.parent_code && parents.has(c.parent_code)) parents.get(c.parent_code).append(el("option", { value: c.code, text: c.name }));
    for (const group of parents.values()) if (group.children.length) select.append(group);
  } catch { /* no categories: the server classifies by text */ }
}

let suggestTimer = null;
function suggest() {
  clearTimeout(suggestTimer);
  suggestTimer = setTimeout(async () => {
    const title = $("r-title").value.trim();
    const description = $("r-description").value.trim();
    const box = $("suggestions");
    if (title.length + description.length < 2) { box.replaceChildren(); return; }
    if (!state.online) {
      box.replaceChildren(el("span", { class: "w-muted", text: "离线：可手动选择，或提交后按文字自动分类" }));
      return;
    }
    try {
      const query = new URLSearchParams({ title: title.slice(0, 200), description: description.slice(0, 1000) });
      const { data } = await api("GET", `/api/v1/events/classify-suggestions?${query}`);
      box.replaceChildren(...data.map((s) => {
        const chip = el("button", { type: "button", class: "w-chip", "data-code": s.code, text: `${s.name} ${Math.round(s.confidence * 100)}%` });
        chip.addEventListener("click", () => {
          $("r-category").value = s.code;
          for (const other of box.querySelectorAll(".w-chip")) other.classList.toggle("active", other === chip);
        });
        return chip;
      }));
    } catch { box.replaceChildren(); }
  }, 500);
}
$("r-title").addEventListener("input", suggest);
$("r-description").addEventListener("input", suggest);

function setPoint(lon, lat, how) {
  state.picked = { lon, lat };
  $("r-coords").textContent = `${how}：${lon.toFixed(5)}, ${lat.toFixed(5)}`;
  showMe(maps.report, lon, lat);
}

function locate() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error("本设备不支持定位")); return; }
    navigator.geolocation.getCurrentPosition(resolve, reject, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  });
}

$("r-gps").addEventListener("click", async () => {
  $("r-coords").textContent = "正在定位…";
  try {
    const position = await locate();
    setPoint(position.coords.longitude, position.coords.latitude, "当前位置");
  } catch {
    $("r-coords").textContent = "无法获取当前位置，请在地图上点选";
  }
});

function previews(input, box) {
  input.addEventListener("change", () => {
    box.replaceChildren(...[...input.files].slice(0, 9).map((file) => el("img", { src: URL.createObjectURL(file), alt: file.name })));
  });
}
previews($("r-photos"), $("r-previews"));
previews($("r-after"), $("r-after-previews"));
$("r-settle").addEventListener("change", () => { $("settle-box").hidden = !$("r-settle").checked; });

$("report-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const title = $("r-title").value.trim();
  const settle = $("r-settle").checked;
  const before = [...$("r-photos").files];
  const after = [...$("r-after").files];
  const comment = $("r-settle-comment").value.trim();
  if (title.length < 2) return message("report-message", "请填写标题（至少 2 个字）");
  if (!state.picked) return message("report-message", "请使用当前位置，或在地图上点选位置");
  if (before.length + after.length > 9) return message("report-message", "照片最多 9 张");
  if (settle && !comment) return message("report-message", "自办结请填写处置情况");
  if (settle && !after.length) return message("report-message", "自办结请拍摄处置后照片");
  const report = {
    title,
    description: $("r-description").value.trim(),
    category_code: $("r-category").value || null,
    location: { lon: state.picked.lon, lat: state.picked.lat, crs: "wgs84" },
    address: $("r-address").value.trim() || null,
    source: "grid_worker",
  };
  $("r-submit").disabled = true;
  try {
    state.lastReportCid = await outbox.enqueue(state.user.id, settle ? "self_settle" : "report",
      { report, comment }, settle ? { before, after } : { before });
    message("report-message", state.online ? "已保存，正在提交…" : "离线：已保存在本机，联网后自动提交", "ok");
    $("report-form").reset();
    $("settle-box").hidden = true;
    $("r-previews").replaceChildren();
    $("r-after-previews").replaceChildren();
    $("suggestions").replaceChildren();
    trySync();
  } catch (error) {
    message("report-message", `无法保存：${error.message}`);
  } finally {
    $("r-submit").disabled = false;
  }
});

// ------------------------------------------------------------------ 我的案件

for (const button of document.querySelectorAll("[data-cases]")) {
  button.addEventListener("click", () => {
    state.casesView = button.dataset.cases;
    for (const other of document.querySelectorAll("[data-cases]")) other.classList.toggle("active", other === button);
    loadCases();
  });
}

async function loadCases() {
  $("case-detail").hidden = true;
  $("case-list").hidden = false;
  const queries = {
    todo: ["status=reported", "status=handling", "status=dispatched"],
    mine: ["source=grid_worker"],
    all: [""],
  }[state.casesView];
  try {
    const pages = await Promise.all(queries.map((q) => cachedGet(`/api/v1/events?page_size=30&${q}`)));
    const rows = pages.flatMap((p) => p.data.items).sort((a, b) => b.id - a.id);
    $("cases-empty").hidden = rows.length > 0;
    $("case-list").replaceChildren(...rows.map((row) => {
      const item = el("li", { class: `w-card sla-${row.sla}`, "data-event": row.id },
        el("div", { class: "w-card-head" }, el("b", { text: row.title }), el("span", { class: "w-status", text: row.status_label })),
        el("p", { class: "w-muted", text: `${row.code} · ${row.category_name} · ${when(row.created_at)}${row.overdue ? " · 已超时" : ""}` }));
      item.addEventListener("click", () => openCase(row.id));
      return item;
    }));
  } catch (error) {
    $("cases-empty").hidden = false;
    $("cases-empty").textContent = error.message;
  }
}

// Fields the phone can fill; actions needing others (department, merge target…) are desk work.
const PHONE_FIELDS = new Set(["comment", "media_ids", "hours"]);

async function openCase(id) {
  const box = $("case-detail");
  let detail;
  try {
    detail = (await cachedGet(`/api/v1/events/${id}`)).data;
  } catch (error) {
    toast(error.message);
    return;
  }
  $("case-list").hidden = true;
  const back = el("button", { type: "button", text: "‹ 返回列表" });
  back.addEventListener("click", () => { box.hidden = true; $("case-list").hidden = false; });
  const photos = el("div", { class: "w-previews" }, ...(detail.media || []).filter((m) => m.thumbnail_url)
    .map((m) => el("img", { src: m.thumbnail_url, alt: m.role_label || "照片" })));
  const steps = el("ol", { class: "w-timeline" }, ...detail.timeline.slice(-6).map((s) =>
    el("li", { text: `${when(s.at)} ${s.label}${s.comment ? `：${s.comment}` : ""}` })));
  const actions = el("div", { class: "w-actions" });
  for (const action of detail.actions) {
    const phone = action.required.every((f) => PHONE_FIELDS.has(f));
    const button = el("button", { type: "button", class: "big", text: action.label, disabled: !phone, title: phone ? "" : "请在电脑端办理" });
    button.addEventListener("click", () => actionForm(detail, action, actions));
    actions.append(button);
  }
  box.replaceChildren(back,
    el("h2", { text: detail.title }),
    el("p", { class: "w-muted", text: `${detail.code} · ${detail.category_name} · ${detail.status_label}` }),
    el("p", { text: detail.description || "" }),
    el("p", { class: "w-muted", text: `办结时限 ${when(detail.deadline_at)}${detail.address ? ` · ${detail.address}` : ""}` }),
    photos, el("h3", { text: "办理记录" }), steps,
    detail.actions.length ? el("h3", { text: "办理" }) : el("p", { class: "w-muted", text: "当前没有您可办理的动作。" }),
    actions);
  box.hidden = false;
}

function actionForm(detail, action, container) {
  const form = el("form", { class: "w-action-form", "data-action": action.action });
  const needs = new Set(action.required);
  const comment = el("textarea", { rows: 3, maxLength: 2000, required: needs.has("comment"), placeholder: needs.has("comment") ? "必填" : "可选" });
  form.append(el("label", { class: "w-field", text: "说明" }, comment));
  let hours = null;
  if (needs.has("hours")) {
    hours = el("input", { type: "number", min: 1, max: 720, required: true });
    form.append(el("label", { class: "w-field", text: "申请延期（工作小时）" }, hours));
  }
  const photos = el("input", { type: "file", accept: "image/*", capture: "environment", multiple: true });
  form.append(el("label", { class: "w-field", text: needs.has("media_ids") ? "照片（必填）" : "照片（可选）" }, photos));
  const note = el("p", { class: "w-message", role: "status" });
  form.append(el("button", { type: "submit", class: "primary big", text: `提交：${action.label}` }), note);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (needs.has("comment") && !comment.value.trim()) { note.textContent = "请填写说明"; note.className = "w-message error"; return; }
    if (needs.has("media_ids") && !photos.files.length) { note.textContent = "请拍摄照片"; note.className = "w-message error"; return; }
    const fields = { comment: comment.value.trim() };
    if (hours) fields.hours = Number(hours.value);
    await outbox.enqueue(state.user.id, "action", {
      event_id: detail.id, action: action.action, label: action.label, version: detail.version,
      seen_steps: detail.timeline.length, fields,
    }, { media: [...photos.files] });
    note.textContent = state.online ? "已保存，正在提交…" : "离线：已保存在本机，联网后自动提交";
    note.className = "w-message ok";
    form.querySelector("button[type=submit]").disabled = true;
    trySync();
  });
  container.replaceChildren(form);
}

// ------------------------------------------------------------------ 任务

const TASK_KINDS = {
  patrol_area: "区域巡查", inspect_component: "部件核查", visit_households: "入户走访",
  campaign_screening: "专项排查", other: "其他",
};
const TASK_STATUS = { sent: "待接收", accepted: "进行中", completed: "已完成", cancelled: "已撤销" };

function taskStatus(task) {
  const mine = task.my_assignment || (task.assignments || []).find((a) => a.user_id === state.user.id);
  return mine?.status || "sent";
}

async function loadTasks() {
  $("task-detail").hidden = true;
  $("task-list").hidden = false;
  try {
    const { data } = await cachedGet("/api/v1/tasks?mine=true&page_size=50");
    const rows = data.items;
    $("tasks-empty").hidden = rows.length > 0;
    $("task-list").replaceChildren(...rows.map((task) => {
      const status = taskStatus(task);
      const item = el("li", { class: `w-card task-${status}`, "data-task": task.id },
        el("div", { class: "w-card-head" }, el("b", { text: task.title }), el("span", { class: "w-status", text: TASK_STATUS[status] || status })),
        el("p", { class: "w-muted", text: `${task.kind_label || TASK_KINDS[task.kind] || task.kind} · 截止 ${when(task.deadline_at)}${task.overdue ? " · 已超期" : ""}` }));
      item.addEventListener("click", () => openTask(task));
      return item;
    }));
  } catch (error) {
    $("tasks-empty").hidden = false;
    $("tasks-empty").textContent = error.status === 404 ? "任务功能尚未开通。" : error.message;
  }
}

function openTask(task) {
  const box = $("task-detail");
  const status = taskStatus(task);
  const back = el("button", { type: "button", text: "‹ 返回任务" });
  back.addEventListener("click", () => { box.hidden = true; $("task-list").hidden = false; });
  const parts = [back, el("h2", { text: task.title }),
    el("p", { class: "w-muted", text: `${TASK_KINDS[task.kind] || task.kind} · 截止 ${when(task.deadline_at)} · ${TASK_STATUS[status] || status}` }),
    el("p", { text: task.description || "" })];
  if (status === "sent") {
    const accept = el("button", { type: "button", class: "primary big", text: "接受任务" });
    accept.addEventListener("click", async () => {
      await outbox.enqueue(state.user.id, "task_accept", { task_id: task.id });
      accept.disabled = true;
      accept.textContent = state.online ? "已接受" : "已接受（待同步）";
      trySync();
    });
    parts.push(accept);
  }
  if (task.kind === "campaign_screening" && task.campaign_id) {
    const open = el("button", { type: "button", class: "big", text: "打开排查名单" });
    open.addEventListener("click", () => openCampaign(task.campaign_id, box));
    parts.push(open);
  }
  if (status === "sent" || status === "accepted") {
    const result = el("textarea", { rows: 3, maxLength: 2000, placeholder: "完成情况（必填）" });
    const photos = el("input", { type: "file", accept: "image/*", capture: "environment", multiple: true });
    const note = el("p", { class: "w-message", role: "status" });
    const done = el("button", { type: "submit", class: "primary big", text: "完成任务" });
    const form = el("form", { class: "w-action-form" },
      el("label", { class: "w-field", text: "完成情况" }, result),
      el("label", { class: "w-field", text: "照片（可选）" }, photos), done, note);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!result.value.trim()) { note.textContent = "请填写完成情况"; note.className = "w-message error"; return; }
      await outbox.enqueue(state.user.id, "task_complete", { task_id: task.id, result: result.value.trim(), values: {} },
        { photos: [...photos.files] });
      done.disabled = true;
      note.textContent = state.online ? "已保存，正在提交…" : "离线：已保存在本机，联网后自动提交";
      note.className = "w-message ok";
      trySync();
    });
    parts.push(form);
  }
  box.replaceChildren(...parts);
  box.hidden = false;
  $("task-list").hidden = true;
}

// Campaign screening: the household list and the campaign's form, drawn by the campaigns
// feature's own module (loaded on demand; the app still works when it is not there).
async function openCampaign(campaignId, box) {
  const area = el("div", { class: "w-campaign" }, el("p", { class: "w-muted", text: "正在加载排查名单…" }));
  box.append(area);
  let campaign;
  let households;
  let form;
  try {
    campaign = (await cachedGet(`/api/v1/campaigns/${campaignId}`)).data;
    households = (await cachedGet(`/api/v1/campaigns/${campaignId}/households?status=pending&page_size=200`)).data;
    form = (await cachedGet(`/api/v1/campaign-forms/${campaign.form_id}`)).data.definition;
  } catch (error) {
    area.replaceChildren(el("p", { class: "w-message error", text: `排查名单暂不可用：${error.message}` }));
    return;
  }
  let module = null;
  try {
    module = await import("/static/js/campaign-form.js");
  } catch {
    module = null;
  }
  const rows = households.items;
  const list = el("ul", { class: "w-list" }, ...rows.map((h) => {
    const item = el("li", { class: "w-card", "data-household": h.household_id },
      el("b", { text: h.address || h.household_code }),
      el("p", { class: "w-muted", text: `${h.household_code} · ${h.members} 人 · ${h.status_label}` }));
    item.addEventListener("click", () => fillHousehold(campaign, form, module, h, area));
    return item;
  }));
  area.replaceChildren(el("h3", { text: `${campaign.title}：待排查 ${households.total} 户` }), list);
}

function fillHousehold(campaign, definition, module, household, area) {
  const householdId = household.household_id;
  const holder = el("div", { class: "w-form" });
  const note = el("p", { class: "w-message", role: "status" });
  const save = el("button", { type: "button", class: "primary big", text: "保存排查结果" });
  if (!module?.renderForm || !module?.readForm) {
    area.replaceChildren(el("p", { class: "w-message error", text: "排查表单组件暂不可用，请稍后再试。" }));
    return;
  }
  module.renderForm(holder, definition, {});
  save.addEventListener("click", async () => {
    const problems = module.checkForm ? module.checkForm(holder) : [];
    if (problems.length) {
      note.textContent = `请检查标红的 ${problems.length} 项`;
      note.className = "w-message error";
      return;
    }
    const values = module.readForm(holder);
    await outbox.enqueue(state.user.id, "campaign_response", {
      campaign_id: campaign.id, household_id: householdId, values, filled_at: new Date().toISOString(),
    });
    note.textContent = state.online ? "已保存，正在提交…" : "离线：已保存在本机，联网后自动提交";
    note.className = "w-message ok";
    save.disabled = true;
    trySync();
  });
  area.replaceChildren(el("h3", { text: `排查：${household.address || household.household_code}` }), holder, save, note);
}

// ------------------------------------------------------------------ 巡查

function haversine(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

function renderPatrol() {
  const p = state.patrol;
  $("patrol-toggle").textContent = p ? "结束巡查" : "开始巡查";
  $("patrol-toggle").classList.toggle("danger", !!p);
  $("patrol-state").textContent = p ? `巡查中（${when(p.started_at)} 开始）` : "未在巡查";
  $("patrol-distance").textContent = metres(p ? p.distance_m : 0);
  $("patrol-time").textContent = minutes(p ? (Date.now() - new Date(p.started_at)) / 1000 : 0);
  $("patrol-points").textContent = String(p ? p.points : 0);
}

function onFix(position) {
  const p = state.patrol;
  if (!p) return;
  const c = position.coords;
  const point = {
    t: new Date(position.timestamp).toISOString(), lon: c.longitude, lat: c.latitude,
    accuracy_m: c.accuracy ?? null, speed_mps: c.speed ?? null,
  };
  if (p.last && p.last.t === point.t) return;
  if (p.last && (c.accuracy ?? 0) <= MAX_ACCURACY_M) p.distance_m += haversine(p.last, point);
  if ((c.accuracy ?? 0) <= MAX_ACCURACY_M) p.last = point;
  p.points += 1;
  state.buffer.push(point);
  showMe(maps.home, point.lon, point.lat);
  renderPatrol();
}

async function flushTrack() {
  const p = state.patrol;
  if (!p || !state.buffer.length) return;
  const points = state.buffer.splice(0, 2000);
  await outbox.enqueue(state.user.id, "patrol_points", { patrol_cid: p.cid, points });
  await outbox.kvSet("patrol", p);
  trySync();
}

function watch() {
  if (!navigator.geolocation) {
    message("patrol-message", "本设备不支持定位，无法记录轨迹");
    return;
  }
  state.watch = navigator.geolocation.watchPosition(onFix,
    () => message("patrol-message", "暂时无法定位，恢复后继续记录"),
    { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
}

let flushTimer = null;
let clockTimer = null;

async function startPatrol() {
  const cid = outbox.newId();
  const started = new Date().toISOString();
  state.patrol = { cid, started_at: started, distance_m: 0, points: 0, last: null };
  window.workerState.lastPatrol = cid;
  await outbox.enqueue(state.user.id, "patrol_start", { started_at: started }, {}, cid);
  await outbox.kvSet("patrol", state.patrol);
  resumePatrol();
  message("patrol-message", "巡查已开始，每分钟上传一次轨迹", "ok");
  trySync();
}

function resumePatrol() {
  watch();
  flushTimer = setInterval(() => flushTrack().catch(() => {}), PATROL_FLUSH_MS);
  clockTimer = setInterval(renderPatrol, 30_000);
  renderPatrol();
}

async function stopPatrol() {
  const p = state.patrol;
  if (state.watch !== null) navigator.geolocation.clearWatch(state.watch);
  state.watch = null;
  clearInterval(flushTimer);
  clearInterval(clockTimer);
  await flushTrack();
  await outbox.enqueue(state.user.id, "patrol_stop", { patrol_cid: p.cid, ended_at: new Date().toISOString() });
  await outbox.kvDelete("patrol");
  message("patrol-message", `巡查结束：${metres(p.distance_m)}，${minutes((Date.now() - new Date(p.started_at)) / 1000)}`, "ok");
  state.patrol = null;
  renderPatrol();
  trySync();
}

$("patrol-toggle").addEventListener("click", () => {
  $("patrol-toggle").disabled = true;
  (state.patrol ? stopPatrol() : startPatrol())
    .catch((error) => message("patrol-message", error.message))
    .finally(() => { $("patrol-toggle").disabled = false; });
});

$("duty").addEventListener("change", async () => {
  await outbox.enqueue(state.user.id, "duty", { on_duty: $("duty").checked });
  await outbox.kvSet("duty", $("duty").checked);
  trySync();
});

// ------------------------------------------------------------------ 走访

function chooseTarget(target, kind) {
  state.target = target;
  $("v-target").textContent = `走访对象：${target.label}`;
  $("v-target").classList.add("chosen");
  if (kind) $("v-kind").value = kind;
}

$("v-search-go").addEventListener("click", async () => {
  const q = $("v-search").value.trim();
  if (!q) return;
  const list = $("v-results");
  try {
    const field = /[路街号栋楼单元区村巷]/.test(q) ? "address" : "name";
    const { data } = await api("GET", `/api/v1/persons?${field}=${encodeURIComponent(q)}&page_size=20`);
    list.replaceChildren(...data.items.filter((p) => p.household_id).map((p) => {
      const item = el("li", { class: "w-card" }, el("b", { text: p.name }), el("span", { class: "w-muted", text: ` ${p.address || ""}` }));
      item.addEventListener("click", () => {
        chooseTarget({ household_id: p.household_id, member_id: null, label: `${p.name}户 ${p.address || ""}` });
        list.replaceChildren();
      });
      return item;
    }));
    if (!list.children.length) list.replaceChildren(el("li", { class: "w-muted", text: "没有找到住户" }));
  } catch (error) {
    list.replaceChildren(el("li", { class: "w-message error", text: state.online ? error.message : "离线时无法查找住户，请从待走访名单选择" }));
  }
});

$("visit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const summary = $("v-summary").value.trim();
  if (!state.target) return message("visit-message", "请选择走访对象");
  if (!summary) return message("visit-message", "请填写走访情况");
  const payload = {
    kind: $("v-kind").value,
    summary,
    findings: $("v-findings").value.trim(),
    visited_at: new Date().toISOString(),
  };
  if (state.target.household_id) payload.household_id = state.target.household_id;
  if (state.target.member_id) payload.member_id = state.target.member_id;
  try {
    const position = await Promise.race([locate(), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 3000))]);
    payload.lon = position.coords.longitude;
    payload.lat = position.coords.latitude;
  } catch { /* the visit is recorded without a position */ }
  await outbox.enqueue(state.user.id, "visit", payload, { photos: [...$("v-photos").files] });
  message("visit-message", state.online ? "已保存，正在提交…" : "离线：已保存在本机，联网后自动提交", "ok");
  $("visit-form").reset();
  state.target = null;
  $("v-target").textContent = "未选择（从“我的网格”的待走访名单或查找选择）";
  $("v-target").classList.remove("chosen");
  trySync();
});

// ------------------------------------------------------------------ video calls

async function calls() {
  try {
    const module = await import("/static/js/call.js");
    module.initCalls({ root: document });
  } catch {
    for (const button of document.querySelectorAll("[data-call-center]")) {
      button.disabled = true;
      button.title = "视频通话暂不可用";
    }
  }
}

// ------------------------------------------------------------------ start

async function start() {
  window.addEventListener("online", () => { setOnline(true); trySync(); });
  window.addEventListener("offline", () => setOnline(false));
  setOnline(navigator.onLine);
  let session;
  try {
    session = await loadSession();
  } catch (error) {
    $("view-loading").textContent = error.message;
    return;
  }
  if (!session || !session.user) {
    $("login-csrf").value = session?.csrf_token || "";
    $("login-offline").hidden = !!session;
    show("login");
    document.body.dataset.ready = "login";
    return;
  }
  if (!session.allowed) {
    $("refused-message").textContent = session.message;
    show("refused");
    document.body.dataset.ready = "refused";
    return;
  }
  state.user = session.user;
  $("who").textContent = `${session.user.display_name}${session.offline ? "（离线）" : ""}`;
  show("app");
  await renderOutbox();
  loadCategories();
  maps.report = await makeMap("report-map");
  if (maps.report) maps.report.on("click", (event) => setPoint(event.lngLat.lng, event.lngLat.lat, "地图选点"));
  loadHome().catch(() => {});
  const saved = await outbox.kvGet("patrol");
  if (saved) {
    state.patrol = saved;
    resumePatrol();
  }
  $("duty").checked = !!(await outbox.kvGet("duty"));
  setInterval(trySync, SYNC_EVERY_MS);
  calls();
  window.workerState.ready = true;
  document.body.dataset.ready = "true"; // for tests: the app is usable
  trySync();
}

start().catch((error) => {
  window.workerState.lastError = String(error);
  $("view-loading").textContent = `启动失败：${error.message}`;
});

// Installable, and opens without a connection (the service worker keeps the app's files).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/m/worker/sw.js", { scope: "/m/worker/" }).catch(() => {});
}
