import { html, render, nothing } from "../../vendor/lit-html.js";
import { get, pagedUrl } from "../api.js";
import { nextPage } from "../show-more.js";
import { app } from "../app-state.js";
import { navigate } from "../router.js";
import * as store from "../store.js";
import * as sync from "../sync.js";
import { errorSummary, focusErrors, selectField, textField } from "../forms.js";
import { announce, formatDate, today } from "../util.js";

const MANAGERS = new Set(["registered_manager"]);

const PAGE = 50;

export async function changesView(main) {
  let changes = [];
  let next = null;
  let error = null;
  let loading = false;
  try {
    const page = await get(pagedUrl("/api/v1/changes", PAGE));
    changes = page.items;
    next = page.next_cursor;
  } catch (err) {
    error = err.offline ? "The change log needs a signal. Changes you log on this phone are kept and sent later." : err.message;
  }
  const services = Object.fromEntries((app.user.services || []).map((s) => [s.id, s.name]));

  // The next page under the ones shown; the first new change takes the focus, and the count is read out.
  const more = async () => {
    loading = true;
    draw();
    const before = changes.length;
    const page = await nextPage("/api/v1/changes", PAGE, next, ["change", "changes"]);
    if (page) {
      changes = changes.concat(page.items);
      next = page.next_cursor;
    }
    loading = false;
    draw();
    main.querySelectorAll(".change-list .card-link")[before]?.focus();
  };

  const draw = () => render(html`
    <h1>Co-produced changes</h1>
    ${MANAGERS.has(app.user.role) ? html`<p><a class="button primary" href="/changes/new">Log a change</a></p>` : nothing}
    ${error ? html`<p class="notice warning">${error}</p>` : nothing}
    ${changes.length ? html`<ul class="cards change-list" aria-label="Changes">${changes.map((c) => html`<li class="card">
        <a class="card-link" href="/changes/${c.id}">
          <span class="card-title">${c.description || `A change in ${c.service_name || "the service"}`}</span>
          <span class="card-meta">Started ${formatDate(c.starts_on)}${services[c.service_id] || c.service_name ? ` · ${services[c.service_id] || c.service_name}` : ""}</span>
          <span class="card-meta">${c.whole_service ? "Whole service" : `${c.people_count} ${c.people_count === 1 ? "person" : "people"}`}${c.co_produced_with ? ` · with ${c.co_produced_with}` : ""}</span>
        </a></li>`)}</ul>
      ${next ? html`<p><button type="button" class="secondary" ?disabled=${loading} @click=${more}>${loading ? "Loading…" : "Show more changes"}</button></p>` : nothing}`
      : error ? nothing : html`<p>No changes logged yet.</p>`}`, main);
  draw();
}

export async function changeFormView(main) {
  if (!MANAGERS.has(app.user.role)) {
    render(html`<h1>Log a change</h1><p>Registered managers log co-produced changes.</p>`, main);
    return;
  }
  const services = app.user.services || [];
  const people = await store.all("people");
  let themes = [];
  try { themes = await get("/api/v1/themes"); } catch { /* offline: themes can be linked later */ }
  const state = { service_id: services[0]?.id || "", description: "", starts_on: today(), co_produced_with: "", person_ids: new Set(), theme_ids: new Set() };
  let errors = {};

  const save = async (event) => {
    event.preventDefault();
    errors = {};
    if (!state.description.trim()) errors.description = ["Describe the change."];
    if (!state.starts_on) errors.starts_on = ["Give the date it started."];
    if (!state.co_produced_with.trim()) errors.co_produced_with = ["Say who it was decided with."];
    if (!state.service_id) errors.service_id = ["Choose the service."];
    if (Object.keys(errors).length) { draw(); focusErrors(main); return; }
    const id = store.uuid();
    const args = {
      id, service_id: state.service_id, description: state.description.trim(), starts_on: state.starts_on,
      co_produced_with: state.co_produced_with.trim(),
      person_ids: [...state.person_ids].filter((pid) => people.find((p) => p.id === pid)?.service_id === state.service_id),
      theme_ids: [...state.theme_ids], outcome_ids: [],
    };
    await store.enqueue("change.create", args);
    app.dirtyForm = false;
    announce("Change saved. It is sent to the server now, or when there is a signal.");
    await sync.syncNow();
    navigate("/changes");
  };

  const toggle = (set, id) => (e) => { if (e.target.checked) set.add(id); else set.delete(id); };
  const draw = () => {
    const inService = people.filter((p) => p.service_id === state.service_id).sort((a, b) => a.name.localeCompare(b.name));
    render(html`
      <p class="breadcrumb"><a href="/changes">← Changes</a></p>
      <h1>Log a change</h1>
      <p class="lead">A decision made with the people it affects, put into practice.</p>
      ${errorSummary(errors)}
      <form @submit=${save} @input=${() => { app.dirtyForm = true; }} novalidate>
        ${selectField(state, errors, "service_id", "Service", services.map((s) => [s.id, s.name]), { onChange: () => { state.person_ids.clear(); draw(); } })}
        ${textField(state, errors, "description", "What changed", { multiline: true, required: true, hint: "For example “Quieter breakfast time (staggered, radio off)”" })}
        ${textField(state, errors, "starts_on", "Started on", { type: "date", required: true })}
        ${textField(state, errors, "co_produced_with", "Decided with", { required: true, hint: "For example “Residents' meeting and keyworkers”" })}
        <fieldset class="field"><legend>Who it applies to</legend>
          <p class="hint">Leave all unticked for the whole service.</p>
          ${inService.map((p) => html`<label class="choice"><input type="checkbox" .checked=${state.person_ids.has(p.id)} @change=${toggle(state.person_ids, p.id)}> ${p.name}</label>`)}
        </fieldset>
        ${themes.length ? html`<fieldset class="field"><legend>Feedback themes it answers</legend>
          ${themes.map((t) => html`<label class="choice"><input type="checkbox" .checked=${state.theme_ids.has(t.id)} @change=${toggle(state.theme_ids, t.id)}> ${t.name}</label>`)}
        </fieldset>` : nothing}
        <button type="submit" class="primary">Save change</button>
      </form>`, main);
  };
  draw();
}
