// The worker app's service worker: the app's own files come from the network first and from a
// cache when there is none, so the app opens without a connection after the first visit. API
// answers are never cached here (the app keeps its own copies of what it read, per account, in
// IndexedDB), and writes are never sent from here: the page's outbox sends them.
const CACHE = "worker-shell-v1";
const SHELL = [
  "/m/worker/",
  "/m/worker/manifest.webmanifest",
  "/static/worker.js",
  "/static/worker.css",
  "/static/worker-icon.svg",
  "/static/js/worker-outbox.js",
  "/static/vendor/maplibre-gl-6.17.0/maplibre-gl.mjs",
  "/static/vendor/maplibre-gl-6.17.0/maplibre-gl-worker.mjs",
  "/static/vendor/maplibre-gl-6.17.0/maplibre-gl.css",
];
// Built by other features; kept when they exist, and their absence does not stop the install.
const OPTIONAL = ["/static/js/call.js", "/static/calls.css", "/static/js/campaign-form.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL)
        .then(() => Promise.all(OPTIONAL.map((path) => cache.add(path).catch(() => null)))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("worker-shell-") && key !== CACHE)
        .map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!SHELL.includes(url.pathname) && !OPTIONAL.includes(url.pathname)) return; // the network only
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        // Only a real page: a sign-in redirect or a refusal is not the app.
        if (response.ok && !response.redirected && response.type === "basic") {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.match(url.pathname).then((hit) => hit || Response.error())),
  );
});
