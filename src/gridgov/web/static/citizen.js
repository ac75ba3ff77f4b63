// 北湖之声 · 随手拍: the citizen app. It talks only to /api/v1/citizen and /api/v1/media with
// the page session; text from the server is always set as textContent, never as HTML.
import * as maplibregl from "/static/vendor/maplibre-gl-6.17.0/maplibre-gl.mjs";

const DEVICE_KEY = "gridgov.citizen.device";
const MAX_PHOTOS = 3;
let csrf = document.querySelector('meta[name="csrf-token"]').content;
let me = null;
let categories = [];
let picked = null; // {lon, lat}
let pickMarker = null;
let pickMap = null;
let nearbyMap = null;
let outline = null;
window.citizenState = { ready: false, mapError: null };

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (options.method && options.method !== "GET") headers["X-CSRF-Token"] = csrf;
  const device = localStorage.getItem(DEVICE_KEY);
  if (device) headers["X-Device-Token"] = device;
  const response = await fetch(path, { credentials: "same-origin", ...options, headers });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body?.error?.message || `请求失败（${response.status}）`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function json(data) {
  return { body: JSON.stringify(data), headers: { "Content-Type": "application/json" } };
}

function signedIn(session) {
  me = session;
  csrf = session.csrf_token;
  if (session.device_token) localStorage.setItem(DEVICE_KEY, session.device_token);
  const label = session.kind === "phone" ? `已验证 ${session.phone_masked}`
    : session.kind === "anonymous" ? "匿名（本机）" : session.display_name;
  $("who").textContent = label;
  $("phone-open").hidden = session.kind === "phone";
}

async function whoAmI() {
  const current = await api("/api/v1/citizen/me");
  if (current.kind !== "none") {
    signedIn(current);
    return;
  }
  csrf = current.csrf_token;
  const token = localStorage.getItem(DEVICE_KEY);
  if (token) {
    try {
      signedIn(await api("/api/v1/citizen/device/resume", { method: "POST", ...json({ token }) }));
    } catch {
      localStorage.removeItem(DEVICE_KEY);
    }
  }
}

async function ensureIdentity() {
  if (me) return;
  signedIn(await api("/api/v1/citizen/device", { method: "POST" }));
}

// ------------------------------------------------------------------ tabs

function showTab(name) {
  for (const button of document.querySelectorAll(".c-tabs button")) {
    button.classList.toggle("active", button.dataset.tab === name);
  }
  for (const panel of ["report", "mine", "nearby"]) $(`tab-${panel}`).hidden = panel !== name;
  if (name === "mine") loadMine();
  if (name === "nearby") loadNearby();
  if (name === "report" && pickMap) pickMap.resize();
}

for (const button of document.querySelectorAll(".c-tabs button")) {
  button.addEventListener("click", () => showTab(button.dataset.tab));
}

// ------------------------------------------------------------------ report form

function renderCategories() {
  const select = $("category");
  const groups = new Map();
  for (const c of categories) {
    if (!groups.has(c.group_name)) {
      const group = el("optgroup", { label: c.group_name });
      groups.set(c.group_name, group);
      select.append(group);
    }
    groups.get(c.group_name).append(el("option", { value: c.code, text: c.name }));
  }
}

function renderGuide() {
  const chosen = categories.find((c) => c.code === $("category").value);
  $("guide").hidden = !chosen;
  const box = $("attributes");
  box.replaceChildren();
  if (!chosen) return;
  $("guide-include").textContent = chosen.include;
  $("guide-not").textContent = chosen.not_here;
  $("guide-not-wrap").hidden = !chosen.not_here;
  $("guide-sensitive").hidden = !chosen.sensitive;
  for (const attribute of chosen.attributes) {
    const label = el("label", { class: "c-field", text: attribute.description + (attribute.required ? "（必填）" : "") });
    let input;
    if (attribute.values.length) {
      input = el("select", {}, el("option", { value: "", text: "请选择" }));
      for (const value of attribute.values) input.append(el("option", { value: value.key, text: value.name }));
    } else {
      input = el("input", { maxLength: 200, type: attribute.datatype === "number" ? "number" : "text" });
      if (attribute.datatype_description) input.placeholder = attribute.datatype_description;
    }
    input.dataset.attribute = attribute.code;
    label.append(input);
    box.append(label);
  }
}

function setPoint(lon, lat) {
  picked = { lon, lat };
  $("coords").textContent = `已选位置：${lon.toFixed(5)}, ${lat.toFixed(5)}`;
  if (pickMap) {
    if (!pickMarker) pickMarker = new maplibregl.Marker({ color: "#d93025" });
    pickMarker.setLngLat([lon, lat]).addTo(pickMap);
  }
}

$("use-gps").addEventListener("click", () => {
  if (!navigator.geolocation) {
    $("coords").textContent = "本设备不支持定位，请在地图上选点";
    return;
  }
  $("coords").textContent = "正在定位…";
  navigator.geolocation.getCurrentPosition(
    (position) => setPoint(position.coords.longitude, position.coords.latitude),
    () => { $("coords").textContent = "无法获取当前位置，请在地图上选点"; },
    { enableHighAccuracy: true, timeout: 10000 },
  );
});

$("photos").addEventListener("change", () => {
  const box = $("previews");
  box.replaceChildren();
  const files = [...$("photos").files].slice(0, MAX_PHOTOS);
  for (const file of files) box.append(el("img", { src: URL.createObjectURL(file), alt: file.name }));
});

$("category").addEventListener("change", renderGuide);

function message(id, text, ok = false) {
  const node = $(id);
  node.textContent = text;
  node.classList.toggle("ok", ok);
  node.classList.toggle("error", !ok && !!text);
}

$("report-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const category = $("category").value;
  const description = $("description").value.trim();
  if (!category) return message("report-message", "请选择问题类别");
  if (description.length < 5) return message("report-message", "问题描述至少 5 个字");
  if (!picked) return message("report-message", "请在地图上选择位置或使用当前位置");
  const files = [...$("photos").files];
  if (files.length > MAX_PHOTOS) return message("report-message", `照片最多 ${MAX_PHOTOS} 张`);
  const attributes = {};
  for (const input of document.querySelectorAll("[data-attribute]")) {
    if (input.value) attributes[input.dataset.attribute] = input.value;
  }
  $("submit").disabled = true;
  message("report-message", "正在提交…", true);
  try {
    await ensureIdentity();
    const mediaIds = [];
    for (const file of files) {
      const form = new FormData();
      form.append("file", file);
      const uploaded = await api("/api/v1/citizen/media", { method: "POST", body: form });
      mediaIds.push(uploaded.id);
    }
    const report = await api("/api/v1/citizen/reports", {
      method: "POST",
      ...json({
        category_code: category,
        description,
        location: { lon: picked.lon, lat: picked.lat, crs: "wgs84" },
        address: $("address").value.trim(),
        attributes,
        media_ids: mediaIds,
      }),
      headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
    });
    message("report-message", `已提交，编号 ${report.code}。可在“我的上报”查看进度。`, true);
    $("report-form").reset();
    $("previews").replaceChildren();
    renderGuide();
  } catch (error) {
    message("report-message", error.message);
  } finally {
    $("submit").disabled = false;
  }
});

// ------------------------------------------------------------------ my reports

function stars(report) {
  const form = el("form", { class: "c-rate" });
  const select = el("select", { name: "satisfaction" });
  for (const [value, label] of [[5, "非常满意"], [4, "满意"], [3, "基本满意"], [2, "不满意"], [1, "非常不满意"]]) {
    select.append(el("option", { value, text: `${"★".repeat(value)} ${label}` }));
  }
  const comment = el("input", { name: "comment", maxLength: 500, placeholder: "评价内容（可选）" });
  const send = el("button", { type: "submit", class: "primary", text: "提交评价" });
  const reopenText = el("input", { name: "reopen", maxLength: 500, placeholder: "未解决的原因" });
  const reopen = el("button", { type: "button", text: "不满意，要求重办" });
  const note = el("p", { class: "c-message" });
  form.append(el("label", { text: "满意度 " }, select), comment, send, reopenText, reopen, note);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/api/v1/citizen/reports/${report.id}/rate`, {
        method: "POST",
        ...json({ version: report.version, satisfaction: Number(select.value), comment: comment.value }),
      });
      loadMine();
    } catch (error) {
      note.textContent = error.message;
      note.className = "c-message error";
    }
  });
  reopen.addEventListener("click", async () => {
    if (reopenText.value.trim().length < 2) {
      note.textContent = "请写明未解决的原因";
      note.className = "c-message error";
      return;
    }
    try {
      await api(`/api/v1/citizen/reports/${report.id}/reopen`, {
        method: "POST",
        ...json({ version: report.version, comment: reopenText.value.trim() }),
      });
      loadMine();
    } catch (error) {
      note.textContent = error.message;
      note.className = "c-message error";
    }
  });
  return form;
}

function when(value) {
  return value ? new Date(value).toLocaleString("zh-CN", { hour12: false }) : "";
}

async function loadMine() {
  const list = $("mine-list");
  if (!me) {
    list.replaceChildren();
    $("mine-empty").hidden = false;
    return;
  }
  try {
    const page = await api("/api/v1/citizen/reports?page_size=50");
    $("mine-empty").hidden = page.items.length > 0;
    list.replaceChildren(...page.items.map((report) => {
      const item = el("li", { class: "c-card", "data-code": report.code });
      item.append(
        el("div", { class: "c-card-head" },
          el("b", { text: report.title }),
          el("span", { class: `c-status s-${report.status}`, text: report.status_label })),
        el("p", { class: "c-muted", text: `${report.code} · ${report.category_name} · ${when(report.created_at)}` }),
      );
      if (report.photos.length) {
        const strip = el("div", { class: "c-previews" });
        for (const photo of report.photos) strip.append(el("img", { src: photo.thumbnail_url, alt: "现场照片" }));
        item.append(strip);
      }
      if (report.feedback) item.append(el("p", { class: "c-feedback", text: `办理结果：${report.feedback}` }));
      if (report.satisfaction) item.append(el("p", { class: "c-muted", text: `您的评价：${"★".repeat(report.satisfaction)}` }));
      if (report.can_rate) item.append(stars(report));
      return item;
    }));
  } catch (error) {
    $("mine-empty").hidden = false;
    $("mine-empty").textContent = error.message;
  }
}

// ------------------------------------------------------------------ nearby

async function loadNearby() {
  if (!outline) return;
  // Around the chosen point (about 2 km each way) once there is one, else the whole district.
  const [minLon, minLat, maxLon, maxLat] = picked
    ? [picked.lon - 0.025, picked.lat - 0.02, picked.lon + 0.025, picked.lat + 0.02]
    : outline.bbox;
  const query = new URLSearchParams({ min_lon: minLon, min_lat: minLat, max_lon: maxLon, max_lat: maxLat });
  const data = await api(`/api/v1/citizen/public/reports?${query}`);
  $("nearby-list").replaceChildren(...data.items.slice(0, 100).map((item) => el("li", { class: "c-card" },
    el("div", { class: "c-card-head" },
      el("b", { text: item.title }),
      el("span", { class: `c-status s-${item.status}`, text: item.status_label })),
    el("p", { class: "c-muted", text: `${item.category_name} · ${item.reported_on}${item.blurred ? " · 位置已模糊" : ""}` }),
    item.thumbnail_url ? el("img", { src: item.thumbnail_url, alt: "现场照片", class: "c-thumb" }) : null,
  )));
  if (!nearbyMap) nearbyMap = makeMap("nearby-map");
  if (!nearbyMap) return;
  const features = data.items.map((item) => ({
    type: "Feature",
    geometry: { type: "Point", coordinates: [item.lon, item.lat] },
    properties: { status: item.status },
  }));
  const draw = () => {
    const source = nearbyMap.getSource("reports");
    const collection = { type: "FeatureCollection", features };
    if (source) source.setData(collection);
    else {
      nearbyMap.addSource("reports", { type: "geojson", data: collection });
      nearbyMap.addLayer({
        id: "reports", type: "circle", source: "reports",
        paint: {
          "circle-radius": 5,
          "circle-color": ["match", ["get", "status"], "closed", "#188038", "#f29900"],
          "circle-stroke-color": "#fff", "circle-stroke-width": 1,
        },
      });
    }
  };
  if (nearbyMap.isStyleLoaded()) draw(); else nearbyMap.once("load", draw);
}

// ------------------------------------------------------------------ maps

function makeMap(container) {
  try {
    const map = new maplibregl.Map({
      container,
      style: {
        version: 8,
        sources: { district: { type: "geojson", data: { type: "Feature", geometry: outline.geometry, properties: {} } } },
        layers: [
          { id: "bg", type: "background", paint: { "background-color": "#f4f6f8" } },
          { id: "district-fill", type: "fill", source: "district", paint: { "fill-color": "#e8f0fe" } },
          { id: "district-line", type: "line", source: "district", paint: { "line-color": "#1a73e8", "line-width": 2 } },
        ],
      },
      bounds: [[outline.bbox[0], outline.bbox[1]], [outline.bbox[2], outline.bbox[3]]],
      fitBoundsOptions: { padding: 10 },
      attributionControl: false,
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    return map;
  } catch (error) {
    window.citizenState.mapError = String(error);
    document.getElementById(container).textContent = "地图无法显示，请使用“使用当前位置”。";
    return null;
  }
}

// ------------------------------------------------------------------ phone verification

$("phone-open").addEventListener("click", () => $("phone-dialog").showModal());
$("phone-close").addEventListener("click", () => $("phone-dialog").close());
$("send-code").addEventListener("click", async () => {
  try {
    const sent = await api("/api/v1/citizen/phone/code", { method: "POST", ...json({ phone: $("phone").value.trim() }) });
    $("demo-note").hidden = !sent.demo;
    message("phone-message", `验证码已发送，${Math.round(sent.expires_in / 60)} 分钟内有效`, true);
  } catch (error) {
    message("phone-message", error.message);
  }
});
$("verify").addEventListener("click", async () => {
  try {
    signedIn(await api("/api/v1/citizen/phone/verify", {
      method: "POST", ...json({ phone: $("phone").value.trim(), code: $("code").value.trim() }),
    }));
    $("phone-dialog").close();
  } catch (error) {
    message("phone-message", error.message);
  }
});

// ------------------------------------------------------------------ start

async function start() {
  const [loaded, shape] = await Promise.all([
    api("/api/v1/citizen/categories"),
    api("/api/v1/citizen/outline"),
    whoAmI(),
  ]);
  categories = loaded;
  outline = shape;
  renderCategories();
  pickMap = makeMap("pick-map");
  if (pickMap) pickMap.on("click", (event) => setPoint(event.lngLat.lng, event.lngLat.lat));
  window.citizenState.ready = true;
  document.body.dataset.ready = "true"; // for tests: the page is usable
}

start().catch((error) => message("report-message", error.message));

// Installable, and opens without a connection (the service worker caches the page's files).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/m/citizen/sw.js", { scope: "/m/citizen/" }).catch(() => {});
}
