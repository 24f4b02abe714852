import { html, render, nothing } from "../../vendor/lit-html.js";
import { get, post, del } from "../api.js";
import { app, setUnread } from "../main.js";
import { announce, formatDate } from "../util.js";

// Every reminder lands here, pushed or not, so nobody without push notifications misses one.
export async function inboxView(main) {
  let data;
  try { data = await get("/api/v1/notifications"); } catch (err) {
    render(html`<h1>Inbox</h1><p class="notice warning">${err.offline ? "The inbox needs a signal." : err.message}</p>`, main);
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
    <p><a href="/settings">Reminder settings</a></p>
    ${data.unread ? html`<p><button type="button" class="secondary" @click=${markAll}>Mark all as read (${data.unread})</button></p>` : nothing}
    ${data.notifications.length ? html`<ul class="cards">${data.notifications.map((n) => html`
      <li class="card ${n.read_at ? "" : "unread"}">
        <a class="card-link" href=${n.url || "/"} @click=${() => open(n)}>
          <span class="card-title">${n.read_at ? "" : html`<span class="tag">New</span> `}${n.title}</span>
          ${n.person ? html`<span>${n.person.name}${n.outcome ? html` · ${n.outcome.domain}` : nothing}</span>` : nothing}
          <span class="card-meta">${n.body}${n.due_on ? ` · due ${formatDate(n.due_on)}` : ""}</span>
        </a></li>`)}</ul>` : html`<p>No reminders yet.</p>`}`, main);
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
  const subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlBase64ToUint8Array(key) });
  await post("/api/v1/push/subscriptions", subscription.toJSON());
  return subscription;
}

// Reminder settings: permission is asked only when the user taps, never on page load.
export async function settingsView(main) {
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  let subscription = null;
  if (supported) {
    const reg = await navigator.serviceWorker.ready;
    subscription = await reg.pushManager.getSubscription();
  }
  const state = { message: null, error: null };
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
    <h1>Reminder settings</h1>
    <p>${app.user.role === "registered_manager" ? "You get reminders for reviews due on your caseload and alerts when reviews in your services are overdue."
      : "You get reminders when reviews, feedback conversations or weekly checks are due for people on your caseload."}
      Notifications never show names or notes: open the app to see the detail.</p>
    ${state.message ? html`<p class="notice" role="status">${state.message}</p>` : nothing}
    ${state.error ? html`<p class="notice error" role="alert">${state.error}</p>` : nothing}
    ${!supported ? html`<p class="notice warning">This browser cannot receive push notifications here (on iPhone, add Tandem to the home screen first). Every reminder is in your <a href="/inbox">inbox</a>.</p>`
      : subscription ? html`<p>Reminders are <strong>on</strong> for this device.</p><button type="button" class="secondary" @click=${turnOff}>Turn reminders off</button>`
      : html`<p>Reminders are <strong>off</strong> for this device.</p><button type="button" class="primary" @click=${turnOn}>Turn on reminders</button>`}`, main);
  draw();
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
    ${data.overdue.length ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
      <caption>${data.overdue.length} review${data.overdue.length === 1 ? "" : "s"} overdue, most late first</caption>
      <thead><tr><th scope="col">Person and goal</th><th scope="col">How late</th><th scope="col">Keyworker</th><th scope="col">Seen</th></tr></thead>
      <tbody>${data.overdue.map((o) => html`<tr>
        <td><a href="/people/${o.person_id}">${o.person_name}</a><br>${o.domain}<br><span class="muted">${o.service_name}</span></td>
        <td>${o.days_late} day${o.days_late === 1 ? "" : "s"}<br><span class="muted">due ${formatDate(o.due_on)}</span></td>
        <td>${o.keyworkers.join(", ") || "None"}</td>
        <td>${o.acknowledged ? html`${o.acknowledged.by}, ${formatDate(o.acknowledged.at)}`
          : canAck ? html`<button type="button" class="secondary" @click=${() => ack(o)}>Acknowledge<span class="visually-hidden"> ${o.person_name}, ${o.domain}</span></button>` : "Not yet"}</td>
      </tr>`)}</tbody></table></div>` : html`<p>No reviews are overdue.</p>`}`, main);
}
