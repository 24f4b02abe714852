// The app's state: who is signed in, the open screen's parameters, whether a form has unsaved
// input, and the inbox's unread count. Imports nothing, so every module may depend on it.
export const app = { user: null, params: {}, dirtyForm: false, unread: 0 };

const listeners = new Set();

// Called whenever something the header shows has changed (a new screen, the unread count).
export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function changed() {
  listeners.forEach((fn) => fn(app));
}

export function setUnread(n) {
  app.unread = n;
  changed();
}
