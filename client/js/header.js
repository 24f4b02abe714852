// The header: the sync state, the main navigation for the user's role, and the update banner.
import { html, render } from "../vendor/lit-html.js";
import { app } from "./app-state.js";
import { signOut } from "./session.js";
import { updateBanner } from "./sw-client.js";
import * as sync from "./sync.js";
import { formatTime } from "./util.js";

// The header says where the records are: on this phone (waiting, or offline) or on the server.
function statusText(s) {
  if (s.signedOut && app.user) return "Signed out: sign in again to send your changes";
  if (s.attention) return `${s.attention} need${s.attention === 1 ? "s" : ""} attention`;
  if (s.waiting) {
    const when = s.offline ? "will send when there is signal" : s.lastError ? "will try again soon" : "sending now";
    return html`<span class="sync-line"><span>Saved on this phone — ${when}</span>
      <span class="sync-count">${s.waiting} change${s.waiting === 1 ? "" : "s"} waiting to send</span></span>`;
  }
  return `All sent${s.lastSent ? ` · last sent ${formatTime(s.lastSent)}` : ""}`;
}

// Read-only roles have nothing to send: no sync state for them, unless the phone does hold
// something of theirs (a person's own rating made offline).
const READ_ONLY_ROLES = new Set(["commissioner", "person"]);
function showsSync(s) {
  if (!app.user) return false;
  return !READ_ONLY_ROLES.has(app.user.role) || s.waiting > 0 || s.attention > 0 || s.signedOut;
}

export function renderHeader() {
  const header = document.getElementById("app-header");
  const s = sync.state;
  const home = app.user?.role === "person" ? "/me" : "/";
  render(html`
    <div class="bar">
      <a class="brand" href=${home}><img src="/static/icons/icon.svg" alt="" width="28" height="28"> Tandem</a>
      ${showsSync(s) ? html`
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
  registered_manager: [["/", "People"], ["/manage/people", "Manage people"], ["/feedback", "Feedback"], ["/changes", "Changes"], ["/overdue", "Overdue"], ["/services", "Services"], ["/inbox", "Inbox"]],
  senior_leader: [["/", "People"], ["/feedback", "Feedback"], ["/changes", "Changes"], ["/overdue", "Overdue"], ["/services", "Services"], ["/inbox", "Inbox"]],
  commissioner: [["/services", "Services"], ["/changes", "Changes"]],
  admin: [["/", "Organisation"], ["/staff", "Staff"], ["/manage/people", "People"]],
  person: [["/me", "My goals"]],
};
// Governance screens: escalations and the governance hub (dashboard, supervision, audits, learning log).
for (const role of ["registered_manager", "senior_leader"]) NAV[role].splice(-1, 0, ["/escalations", "Escalations"], ["/governance", "Governance"]);
NAV.support_worker.splice(-1, 0, ["/supervisions/mine", "My supervisions"]);

function mainNav() {
  const links = NAV[app.user.role] || [];
  const here = location.pathname;
  const unread = app.unread;
  const current = (href) => (href === "/" ? here === "/" || here.startsWith("/people") : here.startsWith(href));
  return html`<nav class="main-nav" aria-label="Main"><ul>
    ${links.map(([href, label]) => html`<li><a href=${href} aria-current=${current(href) ? "page" : "false"}>${label}${href === "/inbox" && unread ? html` <span class="badge">${unread}<span class="visually-hidden"> unread</span></span>` : ""}</a></li>`)}
    <li class="sign-out"><a href="/account" aria-current=${current("/account") ? "page" : "false"}>My account</a></li>
    <li><button type="button" class="link-button" @click=${signOut}>Sign out</button></li>
  </ul></nav>`;
}
