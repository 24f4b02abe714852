// Signing in and out on this phone: the local copy belongs to one user at a time.
import { ApiError, OfflineError, post, put, del, refreshSession, setCsrf } from "./api.js";
import { app } from "./app-state.js";
import { navigate } from "./router.js";
import * as store from "./store.js";
import * as sync from "./sync.js";

// Steps other modules add to sign-out (main.js adds: stop this browser's reminders).
const signOutSteps = [];
export function beforeSignOut(fn) {
  signOutSteps.push(fn);
}

export async function signIn(email, password) {
  const signedInFrom = location.pathname;
  // A sign-out made offline ends its session on the server before a new one starts.
  if (!(await sync.flushSignOut())) throw sync.signOutError;
  // The CSRF token of this browser's session as it is now: a sign-out sent meanwhile (by this page
  // or by the service worker's Background Sync) has ended the session an older token belonged to.
  await refreshSession();
  const previous = await store.getMeta("user_id");
  const { total } = await store.counts();
  const body = await post("/api/v1/session", { email, password });
  if (previous && previous !== body.user.id && total > 0) {
    // Unsent changes belong to someone else: never mix them with this user's.
    setCsrf((await del("/api/v1/session")).csrf_token); // a fresh token for the right user's sign-in
    throw new ApiError(409, { error: { code: "other_user_changes", message: "This phone holds changes by another user that have not been sent. Sign in as that user to send them, or discard them from the sign-in screen." } });
  }
  if (previous !== body.user.id) await sync.exclusive(() => store.wipe());
  await store.setMeta("user_id", body.user.id);
  await store.setMeta("user", body.user);
  setCsrf(body.csrf_token);
  app.user = body.user;
  await registerDevice(null);
  sync.state.signedOut = false;
  sync.state.deactivated = false;
  sync.start();
  store.askToKeepStorage(); // an outbox the browser evicts is lost work
  await sync.syncNow();
  // The menu is there while the first sync runs: a user who has already gone somewhere stays there.
  if (location.pathname === signedInFrom) navigate(app.user.role === "person" ? "/me" : "/", { replace: true });
}

export async function signOut() {
  const { total } = await store.counts();
  if (total > 0) {
    const ok = window.confirm(`${total} change${total === 1 ? " has" : "s have"} not reached the server yet. Signing out deletes ${total === 1 ? "it" : "them"} from this phone. Sign out anyway?`);
    if (!ok) return;
  }
  // Stop every sync first (timer, requests in flight, a queued run), then wipe the phone and note
  // the sign-out in the same transaction; the server is told now, or as soon as there is a signal.
  // Until it is, nothing is pushed or pulled, so the still-open session cannot refill the phone.
  sync.stop();
  for (const step of signOutSteps) await Promise.resolve().then(step).catch(() => {});
  // The wipe waits for a flush the service worker may be running (Background Sync) to finish.
  await sync.exclusive(() => store.wipe({ signOutPending: true }));
  app.user = null;
  await sync.refreshCounts();
  navigate("/signin", { replace: true });
  await sync.flushSignOut();
}

// The server binds this phone's device id to the session, and names it in the audit log.
export async function registerDevice(bound) {
  const deviceId = await store.deviceId();
  if (bound === deviceId) return;
  try {
    await put("/api/v1/session/device", { device_id: deviceId });
  } catch (err) {
    if (!(err instanceof OfflineError) && !(err instanceof ApiError)) throw err;
  }
}
