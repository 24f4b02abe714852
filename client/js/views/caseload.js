import { html, render, nothing } from "../../vendor/lit-html.js";
import { get } from "../api.js";
import { app } from "../app-state.js";
import * as store from "../store.js";
import { dueLabel, formatDate, nextReviewDue } from "../util.js";

// Service names for the filter: from the server when there is a signal, else the copy kept on
// the phone the last time there was one (senior leaders read every service, not only their own).
async function serviceNames() {
  const names = Object.fromEntries((app.user.services || []).map((s) => [s.id, s.name]));
  try {
    const services = await get("/api/v1/services");
    await store.setMeta("services", services.map((s) => ({ id: s.id, name: s.name })));
    services.forEach((s) => { names[s.id] = s.name; });
  } catch {
    ((await store.getMeta("services")) || []).forEach((s) => { names[s.id] = s.name; });
  }
  return names;
}

const NO_KEYWORKER = "none";

// Everything here works from what the phone holds, so search and filters work with no signal.
export function filterRows(rows, { q = "", service = "", keyworker = "", noOutcome = false }) {
  const words = q.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter(({ person, active }) => {
    const name = `${person.name} ${person.preferred_name || ""}`.toLowerCase();
    if (words.some((w) => !name.includes(w))) return false;
    if (service && person.service_id !== service) return false;
    const kws = person.keyworkers || [];
    if (keyworker === NO_KEYWORKER ? kws.length > 0 : keyworker && !kws.some((k) => k.id === keyworker)) return false;
    if (noOutcome && active > 0) return false;
    return true;
  });
}

export async function caseloadView(main, _params, query = new URLSearchParams()) {
  if (app.user.role === "person") {
    const { navigate } = await import("../router.js");
    return navigate("/me", { replace: true });
  }
  if (app.user.role === "commissioner") {
    const { navigate } = await import("../router.js");
    return navigate("/services", { replace: true });
  }
  if (app.user.role === "admin") {
    const { adminView } = await import("./admin.js");
    return adminView(main);
  }
  const [people, outcomes, reviews] = await Promise.all([store.all("people"), store.all("outcomes"), store.all("reviews")]);
  const today = new Date().toISOString().slice(0, 10);
  const rows = people.map((p) => {
    const active = outcomes.filter((o) => o.person_id === p.id && o.status === "active");
    const dues = active.map((o) => nextReviewDue(o, reviews)).filter(Boolean).sort();
    return { person: p, active: active.length, due: dues[0] || null };
  })
    // No active outcome first (nothing is being worked on with them), then soonest due.
    .sort((a, b) => (b.active === 0) - (a.active === 0) || (a.due || "9999").localeCompare(b.due || "9999") || a.person.name.localeCompare(b.person.name));
  const title = app.user.role === "support_worker" ? "My caseload" : "People";
  const names = rows.length ? await serviceNames() : {};
  const serviceIds = [...new Set(people.map((p) => p.service_id))].sort((a, b) => (names[a] || "").localeCompare(names[b] || ""));
  const keyworkers = new Map();
  people.forEach((p) => (p.keyworkers || []).forEach((k) => keyworkers.set(k.id, k.name)));
  const kwList = [...keyworkers].sort((a, b) => a[1].localeCompare(b[1]));
  const withoutOutcome = rows.filter((r) => r.active === 0).length;
  const state = {
    q: query.get("q") || "",
    service: query.get("service") || "",
    keyworker: query.get("keyworker") || "",
    noOutcome: query.get("no_outcome") === "1",
  };

  const remember = () => {
    const params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    if (state.service) params.set("service", state.service);
    if (state.keyworker) params.set("keyworker", state.keyworker);
    if (state.noOutcome) params.set("no_outcome", "1");
    const search = params.toString();
    history.replaceState({}, "", `/${search ? `?${search}` : ""}`);
  };
  const set = (key) => (e) => { state[key] = e.target.type === "checkbox" ? e.target.checked : e.target.value; remember(); draw(); };

  const card = ({ person, active, due }) => html`
    <li class="card ${active === 0 ? "attention" : due && due < today ? "overdue" : ""}">
      <a href="/people/${person.id}" class="card-link">
        <span class="card-title">${person.name}</span>
        ${active === 0
          ? html`<span class="flag"><span aria-hidden="true">⚠</span> No active outcome</span>`
          : html`<span class="card-meta">${active} active outcome${active === 1 ? "" : "s"}</span>
            <span class="due">${dueLabel(due)}${due ? html` <span class="muted">(${formatDate(due)})</span>` : ""}</span>`}
        ${serviceIds.length > 1 || kwList.length ? html`<span class="card-meta">${[names[person.service_id], (person.keyworkers || []).length ? `keyworker ${person.keyworkers.map((k) => k.name).join(", ")}` : "no keyworker"].filter(Boolean).join(" · ")}</span>` : nothing}
      </a>
    </li>`;

  const draw = () => {
    const shown = filterRows(rows, state);
    const filtered = state.q || state.service || state.keyworker || state.noOutcome;
    render(html`
      <h1>${title}</h1>
      ${rows.length ? html`
        ${withoutOutcome ? html`<div class="notice warning"><p><strong>${withoutOutcome} ${withoutOutcome === 1 ? "person has" : "people have"} no active outcome.</strong>
          Nothing is being worked towards with them yet; they are listed first.</p></div>` : nothing}
        <form class="filters" role="search" aria-label="Find people" @submit=${(e) => e.preventDefault()}>
          <div class="field"><label for="people-search">Search by name</label>
            <input id="people-search" type="search" autocomplete="off" .value=${state.q} @input=${set("q")}></div>
          ${serviceIds.length > 1 ? html`<div class="field"><label for="people-service">Service</label>
            <select id="people-service" .value=${state.service} @change=${set("service")}>
              <option value="" ?selected=${!state.service}>All services</option>
              ${serviceIds.map((id) => html`<option value=${id} ?selected=${state.service === id}>${names[id] || "Service"}</option>`)}
            </select></div>` : nothing}
          ${kwList.length && app.user.role !== "support_worker" ? html`<div class="field"><label for="people-keyworker">Keyworker</label>
            <select id="people-keyworker" .value=${state.keyworker} @change=${set("keyworker")}>
              <option value="" ?selected=${!state.keyworker}>Anyone</option>
              ${kwList.map(([id, name]) => html`<option value=${id} ?selected=${state.keyworker === id}>${name}</option>`)}
              <option value=${NO_KEYWORKER} ?selected=${state.keyworker === NO_KEYWORKER}>No keyworker</option>
            </select></div>` : nothing}
          ${withoutOutcome ? html`<label class="choice"><input type="checkbox" .checked=${state.noOutcome} @change=${set("noOutcome")}> Only people with no active outcome</label>` : nothing}
        </form>
        <p role="status" class="muted">${filtered ? `${shown.length} of ${rows.length} ${rows.length === 1 ? "person" : "people"} shown` : `${rows.length} ${rows.length === 1 ? "person" : "people"}`}</p>
        ${shown.length ? html`<ul class="cards" aria-label=${title}>${shown.map(card)}</ul>` : html`<p>No one matches. Clear the search or choose another filter.</p>`}`
      : html`<p>No one is on your caseload on this phone yet. When you have a signal, it will load.</p>`}`, main);
  };
  draw();
}
