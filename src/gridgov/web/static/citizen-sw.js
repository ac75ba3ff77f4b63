// The citizen app's service worker: the page and its files come from the network first and
// from a cache when there is none, so the app still opens on a weak connection. API answers
// are never cached (they are personal or change), and nothing is sent later on its own.
const CACHE = "citizen-shell-v1";
const SHELL = [
  "/m/citizen/",
  "/static/citizen.js",
  "/static/citizen.css",
  "/static/citizen-icon.svg",
  "/static/vendor/maplibre-gl-6.17.0/maplibre-gl.mjs",
  "/static/vendor/maplibre-gl-6.17.0/maplibre-gl-worker.mjs",
  "/static/vendor/maplibre-gl-6.17.0/maplibre-gl.css",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!SHELL.includes(url.pathname)) return; // API calls and photos: the network only
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request)),
  );
});
