import { html, render, nothing } from "../../vendor/lit-html.js";
import { ApiError, get, post, del } from "../api.js";
import { app, setUnread } from "../app-state.js";
import * as store from "../store.js";
import { announce, dueNow, dueWords, formatDate } from "../util.js";

// What is due and overdue now, worked out on the phone from the caseload it holds (offline too):
// reviews due within a week or overdue, most overdue first, and open actions past their date.
async function dueItems() {
  if (!["support_worker", "registered_manager", "senior_leader"].includes(app.user?.role)) return null;
  const [people, outcomes, reviews, actions] = await Promise.all([store.all("people"), store.all("outcomes"), store.all("reviews"), store.all("actions")]);
  const names = new Map(people.map((p) => [p.id, p.name]));
  const { reviewsDue, actionsOverdue } = dueNow(outcomes.filter((o) => names.has(o.person_id)), reviews, actions.filter((a) => names.has(a.person_id)));
  return { reviewsDue, actionsOverdue, names };
}

function dueSection(due) {
  if (!due) return nothing;
  const { reviewsDue, actionsOverdue, names } = due;
  return html`<section aria-labelledby="due-now-heading">
    <h2 id="due-now-heading">Due now</h2>
    ${reviewsDue.length || actionsOverdue.length ? html`<ul class="cards">
      ${reviewsDue.map(({ outcome, due: on }) => html`<li class="card ${dueWords(on).endsWith("overdue") ? "overdue" : ""}">
        <a class="card-link" href="/outcomes/${outcome.id}/review">
          <span class="card-title">Record review: ${outcome.domain}</span>
          <span>${names.get(outcome.person_id)}</span>
          <span class="card-meta">${dueWords(on).endsWith("overdue") ? html`<span class="tag overdue">Overdue</span> ` : nothing}Review ${dueWords(on)} (${formatDate(on)})</span>
        </a></li>`)}
      ${actionsOverdue.map((a) => html`<li class="card overdue">
        <a class="card-link" href="/people/${a.person_id}">
          <span class="card-title">${a.description}</span>
          <span>${names.get(a.person_id)}</span>
          <span class="card-meta"><span class="tag overdue">Overdue</span> Action due ${formatDate(a.due_on)}</span>
        </a></li>`)}
    </ul>` : html`<p>Nothing is due this week.</p>`}
  </section>`;
}

// Every reminder lands here, pushed or not, so nobody without push notifications misses one.
export async function inboxView(main) {
  const due = await dueItems();
  let data;
  try { data = await get("/api/v1/notifications"); } catch (err) {
    render(html`<h1>Inbox</h1>${dueSection(due)}<h2>Reminders</h2><p class="notice warning">${err.offline ? "Reminders need a signal." : err.message}</p>`, main);
    return;
  }
  setUnread(data.unread);
  const markAll = async () => {
    await post("/api/v1/notifications/read-all", {});
    announce("All marked as read.");
    inboxView(main);
  };
  const open = async (n) => {
    if (!n.read_at) await post(`/api/v1/notifications/${n.id}/read`, {}).catch(() => {});
  };
  render(html`
    <h1>Inbox</h1>
    ${dueSection(due)}
    <section class="reminders" aria-labelledby="reminders-heading">
    <h2 id="reminders-heading">Reminders</h2>
    <p><a href="/settings">Settings</a></p>
    ${data.unread ? html`<p><button type="button" class="secondary" @click=${markAll}>Mark all as read (${data.unread})</button></p>` : nothing}
    ${data.notifications.length ? html`<ul class="cards">${data.notifications.map((n) => html`
      <li class="card ${n.read_at ? "" : "unread"}">
        <a class="card-link" href=${n.url || "/"} @click=${() => open(n)}>
          <span class="card-title">${n.read_at ? "" : html`<span class="tag">New</span> `}${n.title}</span>
          ${n.person ? html`<span>${n.person.name}${n.outcome ? html` · ${n.outcome.domain}` : nothing}</span>` : nothing}
          <span class="card-meta">${n.body}${n.due_on ? ` · due ${formatDate(n.due_on)}` : ""}</span>
        </a></li>`)}</ul>` : html`<p>No reminders have been sent yet.</p>`}
    </section>`, main);
}

export async function refreshUnread() {
  try {
    const data = await get("/api/v1/notifications?limit=1");
    setUnread(data.unread);
  } catch { /* offline */ }
}

function urlBase64ToUint8Array(base64) {
  const padding = "=".repeat((4 - (base64.length % 4)) % 4);
  const raw = atob((base64 + padding).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from([...raw].map((c) => c.charCodeAt(0)));
}

export async function subscribePush() {
  const reg = await navigator.serviceWorker.ready;
  const { public_key: key } = await get("/api/v1/push/key");
  const options = { userVisibleOnly: true, applicationServerKey: urlBase64ToUint8Array(key) };
  let subscription = await reg.pushManager.subscribe(options);
  try {
    await post("/api/v1/push/subscriptions", subscription.toJSON());
  } catch (err) {
    // This browser still holds another user's subscription (they did not sign out here): the server
    // will not hand it over, so drop it and make a new one, with a new endpoint, for this user.
    if (!(err instanceof ApiError) || err.code !== "endpoint_taken") throw err;
    await subscription.unsubscribe();
    subscription = await reg.pushManager.subscribe(options);
    await post("/api/v1/push/subscriptions", subscription.toJSON());
  }
  return subscription;
}

// Sign-out: this browser's reminders stop going to the user who is leaving.
export async function unsubscribePush() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) return;
  const reg = await navigator.serviceWorker.getRegistration();
  const subscription = await reg?.pushManager.getSubscription();
  if (!subscription) return;
  await del("/api/v1/push/subscriptions", { endpoint: subscription.endpoint }).catch(() => {});
  await subscription.unsubscribe().catch(() => {});
}

// Settings: reminders (permission is asked only when the user taps, never on page load) and
// whether the browser keeps this phone's storage.
export async function settingsView(main) {
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  let subscription = null;
  if (supported) {
    const reg = await navigator.serviceWorker.ready;
    subscription = await reg.pushManager.getSubscription();
    // "On" only when the server holds this browser's subscription for this user.
    const mine = subscription ? await get("/api/v1/push/subscriptions").catch(() => null) : null;
    if (subscription && mine && !mine.some((s) => s.endpoint === subscription.endpoint)) subscription = null;
  }
  const state = { message: null, error: null, kept: await store.storageKept(), storageMessage: null };
  const keep = async () => {
    state.kept = await store.askToKeepStorage();
    state.storageMessage = state.kept ? "The browser will keep Tandem's storage." : "The browser did not agree to keep it this time.";
    draw();
  };
  const turnOn = async () => {
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        state.error = "Notifications are blocked for this site. You can allow them in the browser's site settings; reminders still appear in your inbox.";
      } else {
        subscription = await subscribePush();
        state.message = "Reminders are on for this device.";
      }
    } catch (err) {
      state.error = err.offline ? "Turning reminders on needs a signal." : `Could not turn reminders on: ${err.message}`;
    }
    draw();
  };
  const turnOff = async () => {
    try {
      await del("/api/v1/push/subscriptions", { endpoint: subscription.endpoint });
      await subscription.unsubscribe();
      subscription = null;
      state.message = "Reminders are off for this device.";
    } catch (err) {
      state.error = err.message;
    }
    draw();
  };
  const draw = () => render(html`
    <h1>Settings</h1>
    <h2>Reminders</h2>
    <p>${app.user.role === "registered_manager" ? "You get reminders for reviews due on your caseload and alerts when reviews in your services are overdue."
      : "You get reminders when reviews, feedback conversations or weekly checks are due for people on your caseload."}
      Notifications never show names or notes: open the app to see the detail.</p>
    ${state.message ? html`<p class="notice" role="status">${state.message}</p>` : nothing}
    ${state.error ? html`<p class="notice error" role="alert">${state.error}</p>` : nothing}
    ${!supported ? html`<p class="notice warning">This browser cannot receive push notifications here (on iPhone, add Tandem to the home screen first). Every reminder is in your <a href="/inbox">inbox</a>.</p>`
      : subscription ? html`<p>Reminders are <strong>on</strong> for this device.</p><button type="button" class="secondary" @click=${turnOff}>Turn reminders off</button>`
      : html`<p>Reminders are <strong>off</strong> for this device.</p><button type="button" class="primary" @click=${turnOn}>Turn on reminders</button>`}
    ${storageSection(state, keep)}`, main);
  draw();
}

// Unsent changes live only in this browser's storage until they sync: say whether the browser has
// agreed to keep it, and what to do when it has not.
function storageSection(state, keep) {
  return html`
    <h2>Storage on this phone</h2>
    <p id="storage-state">${state.kept === null
      ? "Storage on this phone: this browser does not say whether it keeps Tandem's data."
      : state.kept ? html`Storage on this phone: <strong>kept (persistent)</strong>. The browser will not clear Tandem's data to free space.`
      : html`Storage on this phone: <strong>may be cleared by the browser when space runs low</strong>.`}</p>
    ${state.kept ? nothing : html`<p>Changes waiting to sync exist only on this phone, so sync whenever you have a signal. Adding Tandem
      to the home screen helps the browser keep its data.</p>
      ${state.kept === false ? html`<button type="button" class="secondary" @click=${keep}>Ask the browser to keep it</button>` : nothing}`}
    ${state.storageMessage ? html`<p class="notice" role="status">${state.storageMessage}</p>` : nothing}`;
}

export async function overdueView(main) {
  let data;
  try { data = await get("/api/v1/reviews/overdue"); } catch (err) {
    render(html`<h1>Overdue reviews</h1><p class="notice warning">${err.offline ? "This list needs a signal." : err.message}</p>`, main);
    return;
  }
  const ack = async (item) => {
    try {
      await post(`/api/v1/reviews/overdue/${item.outcome_id}/acknowledge`, {});
      announce(`Acknowledged: ${item.person_name}.`);
      overdueView(main);
    } catch (err) {
      announce(err.message);
    }
  };
  const canAck = app.user.role === "registered_manager" || app.user.role === "senior_leader";
  render(html`
    <h1>Overdue reviews</h1>
    ${data.overdue.length ? html`<p>${data.overdue.length} review${data.overdue.length === 1 ? "" : "s"} overdue, most late first.</p>
      <ul class="cards overdue-list" aria-label="Overdue reviews">${data.overdue.map((o) => html`<li class="card">
        <p class="card-title"><a href="/people/${o.person_id}">${o.person_name}</a>: ${o.domain}</p>
        <p class="card-meta">${o.service_name} · keyworker: ${o.keyworkers.join(", ") || "none"}</p>
        <p><strong>${o.days_late} day${o.days_late === 1 ? "" : "s"} late</strong> <span class="muted">(due ${formatDate(o.due_on)})</span></p>
        <p>${o.acknowledged ? html`Seen by ${o.acknowledged.by}, ${formatDate(o.acknowledged.at)}`
          : canAck ? html`<button type="button" class="secondary" @click=${() => ack(o)}>Acknowledge<span class="visually-hidden"> ${o.person_name}, ${o.domain}</span></button>` : "Not seen yet"}</p>
      </li>`)}</ul>` : html`<p>No reviews are overdue.</p>`}`, main);
}
