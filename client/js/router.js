// Routing: every screen has a URL. The route table is handed in by main.js (`setRoutes`), so this
// module never imports a view and views may import it.
import { html, render } from "../vendor/lit-html.js";
import { app, changed } from "./app-state.js";
import { matchRoute } from "./rules.js";

let routes = [];

export function setRoutes(table) {
  routes = table;
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState({}, "", path);
  else history.pushState({}, "", path);
  route();
}

// Links inside the app route without a page load.
export function startRouter() {
  document.addEventListener("click", (event) => {
    const a = event.target.closest("a[href]");
    if (!a || a.target || a.hasAttribute("download") || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/reports/")) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener("popstate", () => route());
}

const match = (path) => matchRoute(routes, path);

// Pages that work signed out: sign-in, and the set-password page a one-time link opens.
const SIGNED_OUT_PAGES = [/^\/signin\/?$/, /^\/invite\/[^/]+\/?$/];

// Each page renders into its own element inside <main>. A page that is still loading when the
// user taps elsewhere (its data comes from IndexedDB or the network) then finishes into an element
// that is no longer shown, instead of drawing over the page the user went to.
let routeSeq = 0;
let screen = null; // { path, el, done }: the element the current page renders into, and its drawing

function screenFor(main, path) {
  if (!screen || screen.path !== path || !main.contains(screen.el)) {
    const el = document.createElement("div");
    el.className = "screen";
    main.replaceChildren(el);
    screen = { path, el };
  }
  return screen.el;
}

export async function route() {
  const seq = ++routeSeq;
  const main = document.getElementById("main");
  if (!app.user && !SIGNED_OUT_PAGES.some((re) => re.test(location.pathname))) {
    navigate("/signin", { replace: true });
    return;
  }
  document.getElementById("boot")?.remove();
  const found = match(location.pathname) || match("/not-found");
  app.params = found.params;
  app.dirtyForm = false;
  const el = screenFor(main, location.pathname + location.search);
  const drawing = (async () => found.view(el, found.params, new URLSearchParams(location.search)))();
  screen.done = drawing.catch(() => {});
  try {
    await drawing;
  } catch (err) {
    if (seq === routeSeq) render(html`<h1>Something went wrong</h1><p>${err.message}</p><p><a href="/">Back to the start</a></p>`, el);
    console.error(err);
  }
  if (seq !== routeSeq) return; // the user has moved on; that page owns the title, focus and header
  const heading = el.querySelector("h1");
  if (heading) {
    document.title = `${heading.textContent.trim()} · Tandem`;
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
  changed();
}

// After a sync brings fresh records, redraw the page in view from them, unless it holds a form the
// user may be filling in. Redrawing a form binds it to fresh, empty state while its boxes keep what
// was typed, so the words typed before the redraw would be lost on save. Search and filter forms
// (role="search", .inline-form) do not count: redrawing them loses nothing.
export async function refreshIfIdle() {
  let current;
  do { // the page in view once it has finished drawing, whichever page the user is on by then
    current = screen;
    await current?.done;
  } while (current !== screen);
  if (!current || app.dirtyForm) return;
  if (current.el.querySelector("form:not([role=search]):not(.inline-form)")) return;
  await route();
}
