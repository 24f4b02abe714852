// Push the outbox, pull what changed. The page and the service worker (Background Sync, with the
// app closed) both flush through this module; it touches no window or document at import.
// Only the push reply's per-mutation results remove outbox entries: fetch resolves on 4xx/5xx,
// so an HTTP failure keeps everything for the next try.
import { Aborted, ApiError, OfflineError, post, get, del, refreshSession, setCsrf } from "./api.js";
import * as store from "./store.js";

const BATCH = 100;
const ENTITY_STORES = {
  person: "people", outcome: "outcomes", action: "actions", review: "reviews", evidence: "evidence",
  check: "checks", weekly_check: "checks", feedback: "feedback", event: "events", service_event: "events",
};

const listeners = new Set();
// lastSent: when this phone last finished a sync with the server (ISO time), kept in its meta store.
export const state = { waiting: 0, attention: 0, syncing: false, offline: !navigator.onLine, signedOut: false, deactivated: false, lastError: null, lastSent: null };

export async function loadLastSent() {
  state.lastSent = (await store.getMeta("last_sent")) || null;
}

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

// Sign-out stops syncing at once: `stop()` aborts the requests in flight, and every step checks
// that it still belongs to the current generation before it writes to the phone, so a reply that
// arrives after sign-out is dropped instead of refilling the wiped store.
let generation = 0;
let active = false;
let controller = new AbortController();

class Stopped extends Error {}

function check(gen) {
  if (gen !== generation) throw new Stopped();
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

// Run `fn` while no sync runs, here or in another tab or the service worker (the sign-out wipe).
export function exclusive(fn) {
  return navigator.locks ? navigator.locks.request("tandem-sync", () => fn()) : fn();
}

export function syncNow() {
  return withLock(async () => {
    // A sign-out made offline goes first; until the server has it nothing is pushed or pulled.
    if (!(await flushSignOut())) return;
    if (!active) return;
    const gen = generation;
    const { signal } = controller;
    setState({ syncing: true });
    try {
      const session = await refreshSession({ signal }); // a fresh CSRF token before flushing
      check(gen);
      if (!session.user) {
        if (session.signed_out_reason === "account_deactivated") await wipeDeactivated();
        setState({ signedOut: true });
        return;
      }
      const sent = await push(gen, signal);
      const pulled = await pull(gen, signal);
      check(gen);
      const sentAt = new Date().toISOString();
      await store.setMeta("last_sent", sentAt);
      setState({ offline: false, signedOut: false, lastError: null, lastSent: sentAt });
      return sent || pulled > 0; // whether this sync changed what the phone holds
    } catch (err) {
      if (err instanceof Stopped || err instanceof Aborted || gen !== generation) return false;
      if (err instanceof OfflineError) setState({ offline: true });
      else if (err instanceof ApiError && err.status === 401) {
        if (err.code === "account_deactivated") await wipeDeactivated();
        setState({ signedOut: true });
      }
      else setState({ lastError: err.message });
      return false;
    } finally {
      if (gen === generation) setState({ syncing: false });
      await refreshCounts();
    }
  });
}

// The account was deactivated by an admin: everything this phone holds for it goes, unsent
// changes too (ACCESS.md); main.js then shows the sign-in page, which says why.
export async function wipeDeactivated() {
  await store.wipe();
  setState({ deactivated: true, waiting: 0, attention: 0 });
}

// Sends the outbox; true if the server answered any of it.
async function push(gen, signal) {
  check(gen);
  const deviceId = await store.deviceId();
  let renumbered = 0;
  let sent = false;
  for (;;) {
    check(gen);
    const pending = (await store.outbox()).filter((e) => e.status === "pending").sort((a, b) => a.id - b.id);
    if (!pending.length) return sent;
    const batch = pending.slice(0, BATCH);
    const reply = await post("/api/v1/sync/push", {
      device_id: deviceId,
      mutations: batch.map(({ id, name, args, at }) => ({ id, name, args, at })),
    }, { signal });
    check(gen);
    sent = true;
    const { handled, reused } = await applyResults(reply, batch, gen);
    // The server's numbering and the phone's disagree (its database was restored from a backup, or
    // the phone's numbering restarted): renumber from where the server is and send again. Twice is
    // enough; more would mean something else is wrong, and the next sync tries again.
    if (reply.gap || reused) {
      if (renumbered >= 2) return sent;
      renumbered += 1;
      await renumberFrom(reply, gen);
      continue;
    }
    if (!handled) return sent;
  }
}

async function renumberFrom(reply, gen) {
  const database = await store.db();
  check(gen);
  if (reply.gap) {
    await store.renumber(reply.resume_from ?? reply.gap.expected);
    // The server forgot part of its history, so this phone's pull cursor belongs to another
    // history: start the local copy again from zero (changes not yet sent are kept).
    await clearRecords(gen);
    return;
  }
  // Mutation ids the server had already used for something else: send them again under new numbers.
  const entries = await database.getAll("outbox");
  const last = reply.last_mutation_id;
  const first = entries.filter((e) => e.status === "pending" && e.id <= last).map((e) => e.id);
  check(gen);
  await store.renumber(last + 1, first);
}

async function applyResults(reply, batch, gen) {
  const database = await store.db();
  check(gen); // no await between this check and the transaction: a sign-out cannot slip in
  const tx = database.transaction(["outbox", "meta", ...store.RECORD_STORES], "readwrite");
  let handled = 0;
  let reused = 0;
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
    } else if (result.status === "rejected" && result.error?.code === "mutation_id_reused") {
      reused += 1; // not this change's fault: it stays waiting and is renumbered
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
  return { handled: handled > 0, reused: reused > 0 };
}

// Pulls to the end; returns how many changes it applied (a reset counts as one).
async function pull(gen, signal) {
  let cursor = (await store.getMeta("cursor")) || 0;
  let applied = 0;
  for (let page = 0; page < 100; page += 1) {
    check(gen);
    const reply = await get(`/api/v1/sync/pull?cursor=${encodeURIComponent(cursor)}`, { signal });
    if (reply.reset) {
      // The server's history does not match this copy (a restored database): start again from zero.
      await clearRecords(gen);
      cursor = 0;
      applied += 1;
      continue;
    }
    await applyChanges(reply.changes || [], reply.cursor, gen);
    applied += (reply.changes || []).length;
    cursor = reply.cursor;
    if (!reply.more) break;
  }
  return applied;
}

async function clearRecords(gen) {
  const database = await store.db();
  check(gen);
  const tx = database.transaction(["meta", "outbox", ...store.RECORD_STORES], "readwrite");
  await tx.objectStore("meta").put(0, "cursor");
  const pendingIds = new Set((await tx.objectStore("outbox").getAll()).map((e) => e.id));
  for (const name of store.RECORD_STORES) {
    const os = tx.objectStore(name);
    for (const record of await os.getAll()) {
      if (!(record._pending && pendingIds.has(record._pending))) await os.delete(record.id);
    }
  }
  await tx.done;
}

// The page and the new cursor are written in one transaction.
async function applyChanges(changes, cursor, gen) {
  const database = await store.db();
  check(gen);
  const tx = database.transaction(["meta", "outbox", ...store.RECORD_STORES], "readwrite");
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
  await tx.objectStore("meta").put(cursor, "cursor");
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
let triggers = false;

// The online event, the service worker's Background Sync wake-up and app start call syncNow; a
// timer does too while someone is signed in (start/stop).
export function startTriggers() {
  if (triggers) return;
  triggers = true;
  window.addEventListener("online", () => { setState({ offline: false }); syncNow(); });
  window.addEventListener("offline", () => setState({ offline: true }));
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data && event.data.type === "SYNC_NOW") syncNow();
  });
}

// Someone signed in: sync on the timer from now on.
export function start() {
  if (active) return;
  active = true;
  if (timer) clearInterval(timer);
  timer = setInterval(() => syncNow(), 30000);
}

// Sign-out: stop the timer, abort every request in flight, forget a queued sync. Synchronous, so
// that whatever the caller does next (wiping the phone) happens after every sync step has stopped.
export function stop() {
  active = false;
  generation += 1;
  controller.abort();
  controller = new AbortController();
  again = false;
  if (timer) clearInterval(timer);
  timer = null;
  setState({ syncing: false, signedOut: false, lastError: null, waiting: 0, attention: 0, lastSent: null });
}

// Send a sign-out made while offline. Resolves true when no sign-out is waiting (any more), false
// while it still is: then nothing else may be sent or pulled. Retried on the online event, on app
// start, before the next sign-in, and every 30 seconds while it waits.
let signingOut = null;
let signOutRetry = null;
export let signOutError = null;

export function flushSignOut() {
  if (!signingOut) {
    signingOut = (async () => {
      if (!(await store.signOutPending())) return true;
      try {
        await refreshSession(); // the CSRF token of the session being ended
        const reply = await del("/api/v1/session");
        setCsrf(reply.csrf_token); // the signed-out session's token: the next sign-in sends it
        await store.signOutSent();
        signOutError = null;
        return true;
      } catch (err) {
        signOutError = err;
        if (!signOutRetry) signOutRetry = setTimeout(() => { signOutRetry = null; flushSignOut(); }, 30000);
        return false;
      }
    })().finally(() => { signingOut = null; });
  }
  return signingOut;
}

// The service worker's Background Sync: the same flush as the page's, with no page open. Resolves
// true when nothing is left to send (or nobody is signed in here); false tells the browser to try
// again later.
export async function flushFromWorker() {
  if (!(await store.getMeta("user")) && !(await store.signOutPending())) return true;
  active = Boolean(await store.getMeta("user"));
  try {
    await withLock(async () => {
      if (!(await flushSignOut())) return;
      if (!active) return;
      const gen = generation;
      const { signal } = controller;
      const session = await refreshSession({ signal });
      if (!session.user) return; // the page asks the user to sign in again
      await push(gen, signal);
      await pull(gen, signal);
    });
  } catch (err) {
    if (!(err instanceof OfflineError) && !(err instanceof ApiError)) throw err;
    return false;
  } finally {
    active = false;
  }
  return !(await store.signOutPending()) && (await store.counts()).waiting === 0;
}

// Ask for a Background Sync where the browser has it (not iOS); the worker flushes the outbox.
export async function requestBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker?.ready;
    await reg?.sync?.register("tandem-outbox");
  } catch { /* not supported: the online event and the timer cover it */ }
}
