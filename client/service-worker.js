// Tandem service worker (a module worker): precaches the app shell by content hash; network-first
// for pages with a short timeout and a cache fallback; same-origin GETs only; never caches POSTs or
// API replies. Background Sync flushes the outbox through the page's own sync module.
import * as sync from "/static/js/sync.js";

// The server writes the precache manifest in here as it serves this file: {url, revision} for every
// file, the revision being a hash of its content. A changed file changes this worker, so the browser
// installs a new version, which fetches exactly the files whose revision changed.
const PRECACHE = self.__PRECACHE_MANIFEST;
const VERSION = self.__PRECACHE_VERSION;
const SHELL_CACHE = "tandem-shell";
const RUNTIME_CACHE = "tandem-runtime";
const RUNTIME_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
const RUNTIME_MAX_ENTRIES = 50;
const NETWORK_TIMEOUT_MS = 4000;

// One cache entry per file and revision: "/static/js/main.js?v=<revision>". A waiting version's
// entries sit beside the active one's until it takes over and deletes what it no longer lists.
const KEYS = new Map(PRECACHE.map(({ url, revision }) => [url, `${url}?v=${revision}`]));

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    const have = new Set((await cache.keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search));
    // Only what changed is fetched; ?v=<revision> may be kept by the HTTP cache for a year.
    await Promise.all([...KEYS.values()].filter((key) => !have.has(key)).map(async (key) => {
      const response = await fetch(key, { credentials: "same-origin" });
      if (response.status !== 200) throw new Error(`precache ${key}: ${response.status}`);
      await cache.put(key, response);
    }));
  })());
  // The new worker waits: the page asks it to take over when the user chooses to update.
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    // Caches of the versions named by hand (tandem-shell-<VERSION>) are no longer used.
    await Promise.all(names.filter((n) => n.startsWith("tandem-shell-")).map((n) => caches.delete(n)));
    const cache = await caches.open(SHELL_CACHE);
    const wanted = new Set(KEYS.values());
    for (const request of await cache.keys()) {
      const url = new URL(request.url);
      if (!wanted.has(url.pathname + url.search)) await cache.delete(request);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
  if (event.data && event.data.type === "CLEAR_RUNTIME") event.waitUntil(caches.delete(RUNTIME_CACHE));
  if (event.data && event.data.type === "VERSION") event.source?.postMessage({ type: "VERSION", version: VERSION });
});

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms));
}

function precached(url) {
  const key = KEYS.get(url);
  return key ? caches.open(SHELL_CACHE).then((cache) => cache.match(key)) : Promise.resolve(undefined);
}

async function networkFirst(request, fallbackUrl) {
  try {
    return await Promise.race([fetch(request), timeout(NETWORK_TIMEOUT_MS)]);
  } catch (err) {
    const cached = fallbackUrl ? await precached(fallbackUrl) : await caches.match(request);
    if (cached) return cached;
    throw err;
  }
}

// Static files the manifest does not list: kept a week, at most RUNTIME_MAX_ENTRIES of them.
async function runtime(request) {
  const cache = await caches.open(RUNTIME_CACHE);
  const hit = await cache.match(request, { ignoreSearch: true });
  const stored = Number(hit?.headers.get("x-tandem-stored") || 0);
  if (hit && Date.now() - stored < RUNTIME_MAX_AGE_MS) return hit;
  try {
    const response = await Promise.race([fetch(request), timeout(NETWORK_TIMEOUT_MS)]);
    if (response.status === 200) {
      const headers = new Headers(response.headers);
      headers.set("x-tandem-stored", String(Date.now()));
      const body = await response.clone().blob();
      await cache.put(request, new Response(body, { status: 200, statusText: response.statusText, headers }));
      const keys = await cache.keys();
      for (const old of keys.slice(0, Math.max(0, keys.length - RUNTIME_MAX_ENTRIES))) await cache.delete(old);
    }
    return response;
  } catch (err) {
    if (hit) return hit; // stale, but better than nothing with no signal
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate") {
    // Every app URL is the same shell; reports are server pages (network, then cache).
    if (url.pathname.startsWith("/reports/") || url.pathname.startsWith("/api/")) {
      event.respondWith(networkFirst(request, null));
      return;
    }
    event.respondWith(networkFirst(new Request("/", { credentials: "same-origin" }), "/"));
    return;
  }
  if (url.pathname.startsWith("/api/")) {
    // Personal data is never written to the Cache Storage: the phone's copy lives in IndexedDB,
    // where sign-out wipes it. API GETs simply go to the network.
    return;
  }
  if (KEYS.has(url.pathname)) {
    event.respondWith(precached(url.pathname).then((hit) => hit || fetch(request)));
    return;
  }
  if (url.pathname.startsWith("/static/")) event.respondWith(runtime(request));
});

// Background Sync (where the browser has it): the signal is back, the app may be closed. The worker
// flushes the outbox itself, with the same code as the page, then tells any open tab to refresh.
// A flush that could not finish throws, so the browser tries again later.
self.addEventListener("sync", (event) => {
  if (event.tag !== "tandem-outbox") return;
  event.waitUntil((async () => {
    const done = await sync.flushFromWorker();
    const clients = await self.clients.matchAll({ type: "window" });
    clients.forEach((client) => client.postMessage({ type: "SYNC_NOW" }));
    if (!done) throw new Error("The outbox is not empty yet.");
  })());
});

// Web Push: the payload carries no names or notes ("2 reviews due today").
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { title: event.data?.text() }; }
  const title = data.title || "Tandem";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    tag: data.tag || "tandem",
    data: { url: data.url || "/inbox" },
  }));
});

// The push service rotated the subscription: subscribe again with the same key and tell the server.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil((async () => {
    const old = event.oldSubscription;
    const key = old?.options?.applicationServerKey;
    if (!key) return;
    const fresh = event.newSubscription || await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    const session = await fetch("/api/v1/session", { credentials: "same-origin" }).then((r) => r.json());
    if (!session.user) return;
    await fetch("/api/v1/push/subscriptions", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": session.csrf_token },
      body: JSON.stringify(fresh.toJSON()),
    });
  })());
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || "/", self.location.origin).href;
  event.waitUntil((async () => {
    const clients = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of clients) {
      if ("focus" in client) {
        await client.navigate(target).catch(() => {});
        return client.focus();
      }
    }
    return self.clients.openWindow(target);
  })());
});
