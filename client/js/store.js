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

// Sign-out or a different user: delete every person's data held on this phone.
export async function wipe() {
  const database = await db();
  const tx = database.transaction(["meta", "outbox", ...RECORD_STORES], "readwrite");
  await Promise.all([tx.objectStore("meta").clear(), tx.objectStore("outbox").clear(),
    ...RECORD_STORES.map((s) => tx.objectStore(s).clear())]);
  await tx.done;
}
