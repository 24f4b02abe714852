// Push the outbox, pull what changed. Only the push reply's per-mutation results remove outbox
// entries: fetch resolves on 4xx/5xx, so an HTTP failure keeps everything for the next try.
import { ApiError, OfflineError, post, get, refreshSession } from "./api.js";
import * as store from "./store.js";

const BATCH = 100;
const ENTITY_STORES = {
  person: "people", outcome: "outcomes", action: "actions", review: "reviews", evidence: "evidence",
  check: "checks", weekly_check: "checks", feedback: "feedback", event: "events", service_event: "events",
};

const listeners = new Set();
export const state = { waiting: 0, attention: 0, syncing: false, offline: !navigator.onLine, signedOut: false, lastError: null };

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export async function refreshCounts() {
  Object.assign(state, await store.counts());
  listeners.forEach((fn) => fn(state));
}

function setState(patch) {
  Object.assign(state, patch);
  listeners.forEach((fn) => fn(state));
}

// One tab pushes at a time. A trigger that arrives while a sync is running (the phone came back
// online mid-attempt, say) is not dropped: one more sync runs when the current one ends.
let again = false;
let running = false;

function withLock(fn) {
  const run = async () => {
    running = true;
    try {
      return await fn();
    } finally {
      running = false;
      if (again) {
        again = false;
        setTimeout(() => syncNow(), 0);
      }
    }
  };
  if (running) {
    again = true;
    return Promise.resolve(null);
  }
  if (navigator.locks) {
    return navigator.locks.request("tandem-sync", { ifAvailable: true }, (lock) => {
      if (lock) return run();
      again = true; // another tab holds it: try again shortly
      setTimeout(() => { if (again) { again = false; syncNow(); } }, 2000);
      return null;
    });
  }
  return run();
}

export function syncNow() {
  return withLock(async () => {
    setState({ syncing: true });
    try {
      const session = await refreshSession(); // a fresh CSRF token before flushing
      if (!session.user) {
        setState({ signedOut: true });
        return;
      }
      await push();
      await pull();
      setState({ offline: false, signedOut: false, lastError: null });
    } catch (err) {
      if (err instanceof OfflineError) setState({ offline: true });
      else if (err instanceof ApiError && err.status === 401) setState({ signedOut: true });
      else setState({ lastError: err.message });
    } finally {
      setState({ syncing: false });
      await refreshCounts();
    }
  });
}

async function push() {
  const deviceId = await store.deviceId();
  for (;;) {
    const pending = (await store.outbox()).filter((e) => e.status === "pending").sort((a, b) => a.id - b.id);
    if (!pending.length) return;
    const batch = pending.slice(0, BATCH);
    const reply = await post("/api/v1/sync/push", {
      device_id: deviceId,
      mutations: batch.map(({ id, name, args, at }) => ({ id, name, args, at })),
    });
    const handled = await applyResults(reply, batch);
    if (!handled) return; // nothing moved (a gap the server reported); try again later
  }
}

async function applyResults(reply, batch) {
  const database = await store.db();
  const tx = database.transaction(["outbox", "meta", ...store.RECORD_STORES], "readwrite");
  let handled = 0;
  for (const result of reply.results || []) {
    const entry = await tx.objectStore("outbox").get(result.id);
    if (!entry) continue;
    if (result.status === "applied" || result.status === "duplicate") {
      const original = result.status === "duplicate" ? result.original || result : result;
      if (original.status === "rejected" || original.status === "conflict") {
        await tx.objectStore("outbox").put({ ...entry, status: original.status, error: original.error || original, result: original });
      } else {
        await tx.objectStore("outbox").delete(entry.id);
      }
      handled += 1;
    } else if (result.status === "rejected" || result.status === "conflict") {
      await tx.objectStore("outbox").put({ ...entry, status: result.status, error: result.error || { message: result.message, fields: result.fields }, result });
      handled += 1;
    }
  }
  // The server may already be past what this phone thinks is next (a reply lost after commit).
  if (typeof reply.last_mutation_id === "number") {
    const next = (await tx.objectStore("meta").get("next_mutation_id")) || 1;
    if (reply.last_mutation_id >= next) await tx.objectStore("meta").put(reply.last_mutation_id + 1, "next_mutation_id");
  }
  await tx.done;
  return handled > 0;
}

async function pull() {
  let cursor = (await store.getMeta("cursor")) || 0;
  for (let page = 0; page < 100; page += 1) {
    const reply = await get(`/api/v1/sync/pull?cursor=${encodeURIComponent(cursor)}`);
    if (reply.reset) {
      // The server's history does not match this copy (a restored database): start again from zero.
      await clearRecords();
      cursor = 0;
      continue;
    }
    await applyChanges(reply.changes || []);
    cursor = reply.cursor;
    await store.setMeta("cursor", cursor);
    if (!reply.more) break;
  }
}

async function clearRecords() {
  const database = await store.db();
  const tx = database.transaction(["outbox", ...store.RECORD_STORES], "readwrite");
  const pendingIds = new Set((await tx.objectStore("outbox").getAll()).map((e) => e.id));
  for (const name of store.RECORD_STORES) {
    const os = tx.objectStore(name);
    for (const record of await os.getAll()) {
      if (!(record._pending && pendingIds.has(record._pending))) await os.delete(record.id);
    }
  }
  await tx.done;
}

async function applyChanges(changes) {
  if (!changes.length) return;
  const database = await store.db();
  const tx = database.transaction(["outbox", ...store.RECORD_STORES], "readwrite");
  const pendingIds = new Set((await tx.objectStore("outbox").getAll()).map((e) => e.id));
  for (const change of changes) {
    const storeName = ENTITY_STORES[change.entity];
    if (!storeName) continue;
    const os = tx.objectStore(storeName);
    if (change.op === "delete") {
      await os.delete(change.id);
      if (change.entity === "person") {
        // Left this user's scope: delete everything held about the person.
        for (const name of store.RECORD_STORES) {
          if (name === "people") continue;
          const keys = await tx.objectStore(name).index("person_id").getAllKeys(change.id);
          for (const key of keys) await tx.objectStore(name).delete(key);
        }
      }
      continue;
    }
    const local = await os.get(change.id);
    if (local && local._pending && pendingIds.has(local._pending)) continue; // an unsent local edit stands
    await os.put({ ...change.data, id: change.id });
  }
  await tx.done;
}

// Fix a rejected change by sending a corrected copy as a NEW mutation, or discard it explicitly.
export async function discard(entryId) {
  const database = await store.db();
  const tx = database.transaction(["outbox", ...store.RECORD_STORES], "readwrite");
  const entry = await tx.objectStore("outbox").get(entryId);
  if (entry) {
    await tx.objectStore("outbox").delete(entryId);
    // Remove the local copy that only existed because of this change.
    if (entry.name.endsWith(".create") && entry.args.id) {
      for (const name of store.RECORD_STORES) {
        const rec = await tx.objectStore(name).get(entry.args.id);
        if (rec && rec._pending === entryId) await tx.objectStore(name).delete(entry.args.id);
      }
    }
  }
  await tx.done;
  await refreshCounts();
}

let timer = null;
export function startTriggers() {
  window.addEventListener("online", () => { setState({ offline: false }); syncNow(); });
  window.addEventListener("offline", () => setState({ offline: true }));
  if (timer) clearInterval(timer);
  timer = setInterval(() => syncNow(), 30000);
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data && event.data.type === "SYNC_NOW") syncNow();
  });
}

// Ask for a Background Sync where the browser has it (not iOS); the worker wakes an open tab.
export async function requestBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker?.ready;
    await reg?.sync?.register("tandem-outbox");
  } catch { /* not supported: the online event and the timer cover it */ }
}
