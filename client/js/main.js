// The app starts here: it wires the route table, the header and the service worker together and
// restores the signed-in user. Every screen renders from the local copy (IndexedDB) or the JSON
// API, so capture screens work with no signal. Nothing imports this module.
import { OfflineError, refreshSession } from "./api.js";
import { app, onChange } from "./app-state.js";
import { renderHeader } from "./header.js";
import { navigate, refreshIfIdle, route, setRoutes, startRouter } from "./router.js";
import { beforeSignOut, registerDevice } from "./session.js";
import * as store from "./store.js";
import { registerServiceWorker } from "./sw-client.js";
import * as sync from "./sync.js";
import { routes } from "./views/index.js";

setRoutes(routes);
startRouter();
onChange(renderHeader);
// This browser's reminders stop going to the user who is leaving (with no signal, the browser's
// subscription still ends here; the server forgets it with the session).
beforeSignOut(() => import("./views/inbox.js").then((m) => m.unsubscribePush()));

// A deactivated account: sync has wiped this phone's copy; back to sign-in, which says why.
function leaveIfDeactivated() {
  if (sync.state.deactivated && app.user) {
    app.user = null;
    navigate("/signin", { replace: true });
  }
}

async function boot() {
  sync.onChange(() => { renderHeader(); leaveIfDeactivated(); });
  registerServiceWorker(() => app.dirtyForm, renderHeader);
  let user = null;
  let bootSession = null;
  if (await store.signOutPending()) {
    // Signed out here with no signal: whatever the server's session says, nobody is signed in
    // on this phone. The sign-out is sent now, or when the signal returns.
    app.user = null;
    sync.startTriggers();
    await route();
    sync.flushSignOut();
    return;
  }
  try {
    const session = await refreshSession();
    bootSession = session;
    user = session.user;
    if (!user && session.signed_out_reason === "account_deactivated") await sync.wipeDeactivated();
    else if (!user) {
      const had = await store.getMeta("user");
      if (had) sync.state.signedOut = true;
    }
  } catch (err) {
    if (!(err instanceof OfflineError)) throw err;
    user = await store.getMeta("user"); // offline: carry on as the last signed-in user
    sync.state.offline = true;
  }
  if (user) {
    const previous = await store.getMeta("user_id");
    if (previous && previous !== user.id) await store.wipe();
    await store.setMeta("user_id", user.id);
    await store.setMeta("user", user);
    if (!sync.state.offline) await registerDevice(bootSession?.device_id);
  }
  app.user = user;
  await sync.loadLastSent();
  await sync.refreshCounts();
  sync.startTriggers();
  if (user) {
    sync.start();
    store.askToKeepStorage();
  }
  await route();
  if (user) {
    // Redraw the page in view once the first sync has brought records. Not when it ran and changed
    // nothing (a role that pulls no records, such as a commissioner, or nothing new): redrawing then
    // only swaps the page under the user's finger. When it did not run (another sync held the lock),
    // redraw as before.
    sync.syncNow().then((changed) => (changed === false ? undefined : refreshIfIdle()));
    import("./views/inbox.js").then((m) => m.refreshUnread());
  }
}

boot();
