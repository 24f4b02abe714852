// The phone's copy: the signed-in user's caseload and the outbox of what they did offline.
// One openDB with an upgrade ladder; never await the network inside a transaction.
import { openDB } from "../vendor/idb.js";

const DB_NAME = "tandem";
export const RECORD_STORES = ["people", "outcomes", "actions", "reviews", "evidence", "checks", "feedback", "events"];

let dbPromise = null;

export function db() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, 1, {
      upgrade(database, oldVersion) {
        if (oldVersion < 1) {
          database.createObjectStore("meta");
          const outbox = database.createObjectStore("outbox", { keyPath: "id" });
          outbox.createIndex("status", "status");
          for (const name of RECORD_STORES) {
            const store = database.createObjectStore(name, { keyPath: "id" });
            if (name !== "people") store.createIndex("person_id", "person_id");
            if (name === "reviews" || name === "actions") store.createIndex("outcome_id", "outcome_id");
          }
        }
      },
      blocked() {},
      blocking() {
        // A newer version of the app wants to upgrade the database: let it.
        dbPromise?.then((d) => d.close());
        dbPromise = null;
      },
    });
  }
  return dbPromise;
}

export async function getMeta(key) {
  return (await db()).get("meta", key);
}

export async function setMeta(key, value) {
  return (await db()).put("meta", value, key);
}

export async function all(store) {
  return (await db()).getAll(store);
}

export async function byIndex(store, index, value) {
  return (await db()).getAllFromIndex(store, index, value);
}

export async function getRecord(store, id) {
  return (await db()).get(store, id);
}

export function uuid() {
  return crypto.randomUUID();
}

export async function deviceId() {
  let id = await getMeta("device_id");
  if (!id) {
    id = uuid();
    await setMeta("device_id", id);
  }
  return id;
}

// Record a change: the local record(s) and the outbox entry are written in ONE transaction.
// `writes` is a list of [storeName, record]. Returns the mutation id.
export async function enqueue(name, args, writes = []) {
  const database = await db();
  const stores = ["meta", "outbox", ...new Set(writes.map(([s]) => s))];
  const tx = database.transaction(stores, "readwrite");
  const meta = tx.objectStore("meta");
  const n = ((await meta.get("next_mutation_id")) || 1);
  await meta.put(n + 1, "next_mutation_id");
  await tx.objectStore("outbox").put({
    id: n, name, args, at: new Date().toISOString(), status: "pending", error: null,
  });
  for (const [store, record] of writes) {
    await tx.objectStore(store).put({ ...record, _pending: n });
  }
  await tx.done;
  return n;
}

export async function outbox() {
  return (await db()).getAll("outbox");
}

export async function counts() {
  const entries = await outbox();
  const waiting = entries.filter((e) => e.status === "pending").length;
  const attention = entries.filter((e) => e.status === "rejected" || e.status === "conflict").length;
  return { waiting, attention, total: entries.length };
}

// Renumber the outbox so the server can take it from `start`, its resume point. `first` lists
// entries to send first (ids the server had already used for other mutations); then every entry
// numbered `start` or more follows, in order. Entries that need attention are not sent again: they
// move to keys below every mutation id, so the numbers sent stay consecutive. The local records
// follow their entries. Records stay stored once whatever was in fact applied, because creates
// carry their client-made UUID (an identical create is reported duplicate). Returns how many
// entries will be sent.
export async function renumber(start, first = []) {
  const database = await db();
  const tx = database.transaction(["meta", "outbox", ...RECORD_STORES], "readwrite");
  const outboxStore = tx.objectStore("outbox");
  const entries = (await outboxStore.getAll()).sort((a, b) => a.id - b.id);
  const firstIds = new Set(first);
  const moving = [
    ...entries.filter((e) => firstIds.has(e.id)),
    ...entries.filter((e) => e.id >= start && !firstIds.has(e.id)),
  ];
  const resend = moving.filter((e) => e.status === "pending" || firstIds.has(e.id));
  const park = moving.filter((e) => !resend.includes(e));
  const lowest = Math.min(0, ...entries.map((e) => e.id));
  const moved = new Map();
  resend.forEach((e, i) => moved.set(e.id, start + i));
  park.forEach((e, i) => moved.set(e.id, lowest - 1 - i));
  for (const entry of moving) await outboxStore.delete(entry.id);
  for (const entry of moving) {
    const resent = resend.includes(entry);
    await outboxStore.put({ ...entry, id: moved.get(entry.id), ...(resent ? { status: "pending", error: null, result: null } : {}) });
  }
  // Local records point at their outbox entry; a pointer to an entry already sent would now name
  // a different mutation, so it goes.
  const kept = new Set(entries.map((e) => e.id));
  for (const name of RECORD_STORES) {
    const os = tx.objectStore(name);
    for (const record of await os.getAll()) {
      if (record._pending === undefined) continue;
      if (moved.has(record._pending)) await os.put({ ...record, _pending: moved.get(record._pending) });
      else if (!kept.has(record._pending)) {
        const { _pending, ...rest } = record;
        await os.put(rest);
      }
    }
  }
  await tx.objectStore("meta").put(start + resend.length, "next_mutation_id");
  await tx.done;
  return resend.length;
}

// A sign-out made with no signal: the phone is wiped at once, and this marker (kept by every
// wipe) says the server's session must still be ended before anything else is sent or pulled.
const SIGN_OUT = "sign_out_pending";

export async function signOutPending() {
  return Boolean(await getMeta(SIGN_OUT));
}

export async function signOutSent() {
  return (await db()).delete("meta", SIGN_OUT);
}

// Sign-out or a different user: delete every person's data held on this phone. With
// `signOutPending`, the sign-out marker is written in the same transaction.
export async function wipe({ signOutPending: pending = false } = {}) {
  const database = await db();
  const tx = database.transaction(["meta", "outbox", ...RECORD_STORES], "readwrite");
  const meta = tx.objectStore("meta");
  const marker = pending ? new Date().toISOString() : await meta.get(SIGN_OUT);
  await Promise.all([meta.clear(), tx.objectStore("outbox").clear(),
    ...RECORD_STORES.map((s) => tx.objectStore(s).clear())]);
  if (marker) await meta.put(marker, SIGN_OUT);
  await tx.done;
}

// An evicted outbox is lost work: ask the browser to keep this site's storage (no prompt in
// Chromium, which decides by engagement; Firefox may ask). Resolves to true, false, or null when
// the browser has no say in it.
export async function askToKeepStorage() {
  if (!navigator.storage?.persist) return null;
  try {
    return await navigator.storage.persist();
  } catch {
    return false;
  }
}

export async function storageKept() {
  if (!navigator.storage?.persisted) return null;
  try {
    return await navigator.storage.persisted();
  } catch {
    return false;
  }
}
