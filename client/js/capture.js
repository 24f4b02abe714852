// After a capture screen has written its record and outbox entry locally: tell the user, try to
// sync now (and later, through Background Sync), and go back.
import { app } from "./app-state.js";
import { navigate } from "./router.js";
import * as sync from "./sync.js";
import { announce } from "./util.js";

export function savedOnPhone(message, path) {
  app.dirtyForm = false;
  announce(message);
  sync.refreshCounts();
  sync.syncNow();
  sync.requestBackgroundSync();
  navigate(path);
}
