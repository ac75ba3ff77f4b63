// The worker app's outbox: every write waits here, in IndexedDB, until the server has it.
//
// An item is {seq, cid, user, kind, payload, photos, media, progress, state, error, created}.
// `cid` is made on the device when the worker acts and is sent as the Idempotency-Key (events)
// or `client_id` (patrols, visits, tasks, campaigns), so a retry after a lost answer is applied
// once. Photos are Blobs in the "blobs" store; at sync they are uploaded first and their media
// ids kept on the item (so a retry does not upload them again). Items go in order, one at a
// time; an item leaves the outbox only after a 2xx, or a definitive 4xx, which marks it failed
// with the server's message for the worker to see. A network error, a 5xx, 408/429 or a lost
// sign-in stops the round and leaves the item where it is.
const DB_NAME = "gridgov-worker";
const DB_VERSION = 1;
const LOCK = "gridgov-worker-outbox";
// 4xx answers that say "not now" rather than "never".
const TRANSIENT = new Set([401, 408, 425, 429]);

let dbPromise = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const open = indexedDB.open(DB_NAME, DB_VERSION);
      open.onupgradeneeded = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        if (!db.objectStoreNames.contains("blobs")) db.createObjectStore("blobs", { keyPath: "key" });
        if (!db.objectStoreNames.contains("kv")) db.createObjectStore("kv", { keyPath: "key" });
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  }
  return dbPromise;
}

async function tx(stores, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(stores, mode);
    let result;
    Promise.resolve(work(transaction)).then((value) => { result = value; }, reject);
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error || new Error("aborted"));
  });
}

// ------------------------------------------------------------------ key/value (cached reads)

export async function kvGet(key) {
  const row = await tx(["kv"], "readonly", (t) => request(t.objectStore("kv").get(key)));
  return row ? row.value : undefined;
}

export async function kvSet(key, value) {
  await tx(["kv"], "readwrite", (t) => request(t.objectStore("kv").put({ key, value })));
}

export async function kvDelete(key) {
  await tx(["kv"], "readwrite", (t) => request(t.objectStore("kv").delete(key)));
}

// ------------------------------------------------------------------ queue

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Put a write in the outbox. `photos` is {role: [Blob]}; the Blobs are stored with it. */
export async function enqueue(user, kind, payload, photos = {}, cid = newId()) {
  const refs = {};
  const blobs = [];
  for (const [role, files] of Object.entries(photos)) {
    refs[role] = [];
    for (const [index, file] of (files || []).entries()) {
      const key = `${cid}:${role}:${index}`;
      refs[role].push(key);
      blobs.push({ key, blob: file, name: file.name || `${role}-${index}.jpg`, type: file.type });
    }
  }
  const item = {
    cid, user, kind, payload, photos: refs, media: {}, progress: {},
    state: "queued", error: "", attempts: 0, created: new Date().toISOString(),
  };
  await tx(["outbox", "blobs"], "readwrite", (t) => {
    for (const blob of blobs) t.objectStore("blobs").put(blob);
    return request(t.objectStore("outbox").add(item));
  });
  notify();
  return cid;
}

export async function items() {
  return tx(["outbox"], "readonly", (t) => request(t.objectStore("outbox").getAll()));
}

async function save(item) {
  await tx(["outbox"], "readwrite", (t) => request(t.objectStore("outbox").put(item)));
}

/** Remove an item and its photos (after success, or when the worker discards a failed one). */
export async function remove(item) {
  await tx(["outbox", "blobs"], "readwrite", (t) => {
    for (const keys of Object.values(item.photos || {})) {
      for (const key of keys) t.objectStore("blobs").delete(key);
    }
    return request(t.objectStore("outbox").delete(item.seq));
  });
  notify();
}

export async function retry(item) {
  item.state = "queued";
  item.error = "";
  await save(item);
  notify();
}

async function blob(key) {
  return tx(["blobs"], "readonly", (t) => request(t.objectStore("blobs").get(key)));
}

// ------------------------------------------------------------------ listeners

const listeners = new Set();

export function onChange(listener) {
  listeners.add(listener);
}

function notify(detail = {}) {
  for (const listener of listeners) {
    try { listener(detail); } catch { /* a listener's error is its own */ }
  }
}

// ------------------------------------------------------------------ sync

export class HttpError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** Whether an error means "try again later" (the item stays queued and the round stops). */
export function transient(error) {
  if (!(error instanceof HttpError)) return true; // the network itself
  if (error.status >= 500 || TRANSIENT.has(error.status)) return true;
  return error.code === "csrf_failed";
}

let running = null;

/**
 * Send the queued items of `user` in order. `ctx` = {send(method, path, body, headers) → json
 * (throws HttpError), upload(blob, name) → media, handlers: {kind: async (item, ctx, step)}}.
 * Returns {sent, failed, stopped}. Only one round runs at a time (in this page, and across the
 * app's pages through the Web Locks API where there is one).
 */
export function sync(user, ctx) {
  if (running) return running;
  const round = async () => {
    const summary = { sent: 0, failed: 0, stopped: null };
    const tried = new Set();
    // Oldest first, and items queued while the round runs join it (no waiting for the timer).
    const next = async () => (await items())
      .find((i) => i.user === user && i.state === "queued" && !tried.has(i.seq));
    for (let item = await next(); item; item = await next()) {
      tried.add(item.seq);
      try {
        const step = async (name, work) => {
          // A step done once (an upload, the report before its 自办结) is not done again.
          if (name in item.progress) return item.progress[name];
          const value = await work();
          item.progress[name] = value;
          await save(item);
          return value;
        };
        item.attempts += 1;
        await save(item);
        const uploadAll = async (role) => {
          const ids = [];
          for (const [index, key] of (item.photos[role] || []).entries()) {
            const id = await step(`media:${role}:${index}`, async () => {
              const stored = await blob(key);
              if (!stored) return null; // discarded on the device: nothing to send
              return (await ctx.upload(stored.blob, stored.name)).id;
            });
            if (id) ids.push(id);
          }
          return ids;
        };
        const handler = ctx.handlers[item.kind];
        if (!handler) throw new HttpError(400, "unknown_kind", `未知的离线操作：${item.kind}`);
        const result = await handler(item, { ...ctx, uploadAll, step });
        await remove(item);
        summary.sent += 1;
        notify({ sent: item, result });
      } catch (error) {
        if (transient(error)) {
          summary.stopped = error;
          item.error = error.message || String(error);
          await save(item);
          notify({ stopped: item, error });
          break;
        }
        item.state = "failed";
        item.error = error.message || String(error);
        await save(item);
        summary.failed += 1;
        notify({ failed: item, error });
      }
    }
    return summary;
  };
  const locked = navigator.locks
    ? () => navigator.locks.request(LOCK, round)
    : round;
  running = locked().finally(() => { running = null; });
  return running;
}
