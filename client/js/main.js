// The app: sign-in, routing, the header's sync state. Every screen renders from the local copy
// (IndexedDB) or the JSON API, so capture screens work with no signal.
import { html, render } from "../vendor/lit-html.js";
import { ApiError, OfflineError, refreshSession, post, del, setCsrf } from "./api.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { registerServiceWorker, updateBanner } from "./sw-client.js";
import { routes } from "./views/index.js";

export const app = { user: null, params: {}, dirtyForm: false };

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState({}, "", path);
  else history.pushState({}, "", path);
  route();
}

// Links inside the app route without a page load.
document.addEventListener("click", (event) => {
  const a = event.target.closest("a[href]");
  if (!a || a.target || a.hasAttribute("download") || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/reports/")) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", () => route());

function match(path) {
  for (const [pattern, view] of routes) {
    const names = [];
    const re = new RegExp("^" + pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return "([^/]+)"; }) + "/?$");
    const m = path.match(re);
    if (m) return { view, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return null;
}

export async function route() {
  const main = document.getElementById("main");
  if (!app.user && location.pathname !== "/signin") {
    navigate("/signin", { replace: true });
    return;
  }
  document.getElementById("boot")?.remove();
  const found = match(location.pathname) || match("/not-found");
  app.params = found.params;
  app.dirtyForm = false;
  try {
    await found.view(main, found.params, new URLSearchParams(location.search));
  } catch (err) {
    render(html`<h1>Something went wrong</h1><p>${err.message}</p><p><a href="/">Back to the start</a></p>`, main);
    console.error(err);
  }
  const heading = main.querySelector("h1");
  if (heading) {
    document.title = `${heading.textContent.trim()} · Tandem`;
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
  renderHeader();
}

function statusText(s) {
  if (s.signedOut && app.user) return "Signed out: sign in again to send your changes";
  if (s.attention) return `${s.attention} need${s.attention === 1 ? "s" : ""} attention`;
  if (s.waiting) return `${s.waiting} change${s.waiting === 1 ? "" : "s"} waiting to sync`;
  return "All changes saved";
}

export function renderHeader() {
  const header = document.getElementById("app-header");
  const s = sync.state;
  const home = app.user?.role === "person" ? "/me" : "/";
  render(html`
    <div class="bar">
      <a class="brand" href=${home}><img src="/static/icons/icon.svg" alt="" width="28" height="28"> Tandem</a>
      ${app.user ? html`
        <a class="sync-state ${s.attention || (s.signedOut && app.user) ? "attention" : s.waiting ? "waiting" : "saved"}" href=${s.signedOut && app.user ? "/signin" : "/sync"} id="sync-state">
          <span aria-hidden="true">${s.attention ? "⚠" : s.waiting ? "↻" : "✓"}</span>
          <span>${statusText(s)}</span>${s.offline ? html`<span class="offline-tag">Offline</span>` : ""}
        </a>` : ""}
    </div>
    ${app.user ? mainNav() : ""}
    ${updateBanner()}`, header);
}

const NAV = {
  support_worker: [["/", "Caseload"], ["/inbox", "Inbox"]],
  registered_manager: [["/", "People"], ["/feedback", "Feedback"], ["/changes", "Changes"], ["/overdue", "Overdue"], ["/services", "Services"], ["/inbox", "Inbox"]],
  senior_leader: [["/", "People"], ["/changes", "Changes"], ["/overdue", "Overdue"], ["/services", "Services"], ["/inbox", "Inbox"]],
  commissioner: [["/services", "Services"]],
  admin: [["/", "Organisation"]],
  person: [["/me", "My goals"]],
};

function mainNav() {
  const links = NAV[app.user.role] || [];
  const here = location.pathname;
  const current = (href) => (href === "/" ? here === "/" || here.startsWith("/people") : here.startsWith(href));
  return html`<nav class="main-nav" aria-label="Main"><ul>
    ${links.map(([href, label]) => html`<li><a href=${href} aria-current=${current(href) ? "page" : "false"}>${label}${href === "/inbox" && unread ? html` <span class="badge">${unread}<span class="visually-hidden"> unread</span></span>` : ""}</a></li>`)}
    <li class="sign-out"><button type="button" class="link-button" @click=${signOut}>Sign out</button></li>
  </ul></nav>`;
}

let unread = 0;
export function setUnread(n) {
  unread = n;
  renderHeader();
}

export async function signIn(email, password) {
  const previous = await store.getMeta("user_id");
  const { total } = await store.counts();
  const body = await post("/api/v1/session", { email, password });
  if (previous && previous !== body.user.id && total > 0) {
    // Unsent changes belong to someone else: never mix them with this user's.
    await del("/api/v1/session");
    throw new ApiError(409, { error: { code: "other_user_changes", message: "This phone holds changes by another user that have not been sent. Sign in as that user to send them, or discard them from the sign-in screen." } });
  }
  if (previous !== body.user.id) await store.wipe();
  await store.setMeta("user_id", body.user.id);
  await store.setMeta("user", body.user);
  setCsrf(body.csrf_token);
  app.user = body.user;
  sync.state.signedOut = false;
  await sync.syncNow();
  navigate(app.user.role === "person" ? "/me" : "/", { replace: true });
}

export async function signOut() {
  const { total } = await store.counts();
  if (total > 0) {
    const ok = window.confirm(`${total} change${total === 1 ? " has" : "s have"} not reached the server yet. Signing out deletes ${total === 1 ? "it" : "them"} from this phone. Sign out anyway?`);
    if (!ok) return;
  }
  try {
    await del("/api/v1/session");
  } catch (err) {
    if (!(err instanceof OfflineError) && !(err instanceof ApiError)) throw err;
  }
  await store.wipe();
  app.user = null;
  await sync.refreshCounts();
  navigate("/signin", { replace: true });
}

async function boot() {
  sync.onChange(() => renderHeader());
  registerServiceWorker(() => app.dirtyForm);
  let user = null;
  try {
    const session = await refreshSession();
    user = session.user;
    if (!user) {
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
  }
  app.user = user;
  await sync.refreshCounts();
  sync.startTriggers();
  await route();
  if (user) {
    sync.syncNow().then(() => { if (!app.dirtyForm) route(); });
    import("./views/inbox.js").then((m) => m.refreshUnread());
  }
}

boot();
