import { html, render } from "../../vendor/lit-html.js";
import { get } from "../api.js";

const ROLE_NAMES = {
  support_worker: "Support worker", registered_manager: "Registered manager", senior_leader: "Senior leader",
  commissioner: "Commissioner", admin: "Admin", person: "Person supported",
};

export async function adminView(main) {
  let users = [];
  let services = [];
  try {
    [users, services] = await Promise.all([get("/api/v1/users"), get("/api/v1/services")]);
  } catch (err) {
    render(html`<h1>Organisation</h1><p class="notice warning">${err.offline ? "This screen needs a signal." : err.message}</p>`, main);
    return;
  }
  render(html`
    <h1>Organisation</h1>
    <h2>Services</h2>
    <ul class="plain">${services.map((s) => html`<li>${s.name} <span class="muted">(${s.kind.replace("_", " ")})</span></li>`)}</ul>
    <h2>Accounts</h2>
    <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
      <caption>${users.length} accounts</caption>
      <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Services</th></tr></thead>
      <tbody>${users.map((u) => html`<tr><td>${u.name}<br><span class="muted">${u.email}</span></td><td>${ROLE_NAMES[u.role] || u.role}</td>
        <td>${u.services.map((s) => s.name).join(", ") || "–"}</td></tr>`)}</tbody>
    </table></div>
    <p class="muted">Add accounts with <code>flask --app server users create</code>.</p>`, main);
}
