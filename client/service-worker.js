// Tandem service worker: precaches the versioned app shell; network-first for pages and API GETs
// with a short timeout and a cache fallback; same-origin GETs only; never caches POSTs.
const VERSION = "2026.11.26-1";
const SHELL_CACHE = `tandem-shell-${VERSION}`;
const RUNTIME_CACHE = "tandem-runtime";
const SHELL = [
  "/",
  "/manifest.webmanifest",
  "/static/css/app.css",
  "/static/vendor/uPlot.min.css",
  "/static/vendor/idb.js",
  "/static/vendor/lit-html.js",
  "/static/vendor/uPlot.esm.js",
  "/static/js/main.js",
  "/static/js/api.js",
  "/static/js/store.js",
  "/static/js/sync.js",
  "/static/js/util.js",
  "/static/js/forms.js",
  "/static/js/chart.js",
  "/static/js/capture.js",
  "/static/js/sw-client.js",
  "/static/js/views/index.js",
  "/static/js/views/signin.js",
  "/static/js/views/caseload.js",
  "/static/js/views/person.js",
  "/static/js/views/outcome-form.js",
  "/static/js/views/review-form.js",
  "/static/js/views/action-form.js",
  "/static/js/views/sync-queue.js",
  "/static/js/views/my-goals.js",
  "/static/js/views/not-found.js",
  "/static/js/views/handover.js",
  "/static/js/pictures.js",
  "/static/js/views/check-form.js",
  "/static/js/views/feedback-form.js",
  "/static/js/views/event-form.js",
  "/static/js/views/changes.js",
  "/static/js/views/change-effect.js",
  "/static/js/views/feedback.js",
  "/static/js/views/inbox.js",
  "/static/js/views/services.js",
  "/static/js/views/admin.js",
  "/static/icons/icon.svg",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  "/static/icons/maskable-192.png",
  "/static/icons/maskable-512.png",
];
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" })))));
  // The new worker waits: the page asks it to take over when the user chooses to update.
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("tandem-shell-") && n !== SHELL_CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
  if (event.data && event.data.type === "CLEAR_RUNTIME") event.waitUntil(caches.delete(RUNTIME_CACHE));
});

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms));
}

async function networkFirst(request, cacheName) {
  try {
    const response = await Promise.race([fetch(request), timeout(NETWORK_TIMEOUT_MS)]);
    if (response.status === 200 && cacheName) {
      const copy = response.clone();
      caches.open(cacheName).then((cache) => cache.put(request, copy));
    }
    return response;
  } catch (err) {
    const cached = await caches.match(request);
    if (cached) return cached;
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
    event.respondWith(
      networkFirst(new Request("/", { credentials: "same-origin" }), SHELL_CACHE).catch(() => caches.match("/"))
    );
    return;
  }
  if (url.pathname.startsWith("/api/")) {
    // Personal data is never written to the Cache Storage: the phone's copy lives in IndexedDB,
    // where sign-out wipes it. API GETs simply go to the network.
    return;
  }
  if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(caches.match(request, { ignoreSearch: true }).then((hit) => hit || networkFirst(request, RUNTIME_CACHE)));
  }
});

// Background Sync (where the browser has it): wake an open tab to flush its outbox.
self.addEventListener("sync", (event) => {
  if (event.tag !== "tandem-outbox") return;
  event.waitUntil((async () => {
    const clients = await self.clients.matchAll({ type: "window" });
    clients.forEach((client) => client.postMessage({ type: "SYNC_NOW" }));
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
