// Manage people (registered managers for their services, admins for the organisation): the list
// with search, add a person, edit them, move them, set their keyworkers, end or resume support.
// These screens talk to the server directly: they change who is on phones, so they need a signal.
import { html, render, nothing } from "../../vendor/lit-html.js";
import { ApiError, get, patch, post, put } from "../api.js";
import { app } from "../app-state.js";
import { navigate } from "../router.js";
import { errorSummary, fieldError, focusErrors, selectField, textField } from "../forms.js";
import { announce, formatDate, today } from "../util.js";

const PEOPLE_ADMINS = new Set(["registered_manager", "admin"]);
let flash = ""; // a message shown once by the next screen (after adding a person)

function allowed(main, title) {
  if (PEOPLE_ADMINS.has(app.user.role)) return true;
  render(html`<h1>${title}</h1><p>Registered managers (for their services) and admins manage people.</p>`, main);
  return false;
}

function problem(main, title, err) {
  render(html`<p class="breadcrumb"><a href="/manage/people">← Manage people</a></p><h1>${title}</h1>
    <p class="notice warning">${err.offline ? "This screen needs a signal." : err.message}</p>`, main);
}

// Field errors from the server, as the form helpers show them.
function fieldErrors(err) {
  const out = {};
  for (const [name, messages] of Object.entries(err.fields || {})) {
    out[name] = Array.isArray(messages) ? messages.map(String) : [String(messages)];
  }
  if (!Object.keys(out).length) out._form = [err.message];
  return out;
}

// Messages show on the page and are read out once through the app's live region (announce).
function flashNotice() {
  const message = flash;
  flash = "";
  if (message) announce(message);
  return message ? html`<div class="notice"><p>${message}</p></div>` : nothing;
}

function keyworkerNames(person) {
  return person.staff.length ? person.staff.map((s) => s.name).join(", ") : "No keyworker";
}

// ---- the list ----

export async function peopleAdminView(main, _params, query) {
  if (!allowed(main, "Manage people")) return;
  const state = { q: query.get("q") || "", service_id: query.get("service") || "", ended: query.get("ended") === "1" };
  let services = [];
  let page;
  const url = (cursor) => {
    const p = new URLSearchParams({ limit: "50" });
    if (state.q.trim()) p.set("q", state.q.trim());
    if (state.service_id) p.set("service_id", state.service_id);
    if (state.ended) p.set("include_ended", "true");
    if (cursor) p.set("cursor", cursor);
    return `/api/v1/people/manage?${p}`;
  };
  try {
    [services, page] = await Promise.all([get("/api/v1/services"), get(url())]);
  } catch (err) {
    problem(main, "Manage people", err);
    return;
  }
  let people = page.items;
  let next = page.next_cursor;
  const banner = flashNotice();

  const search = async (event) => {
    event.preventDefault();
    const p = new URLSearchParams();
    if (state.q.trim()) p.set("q", state.q.trim());
    if (state.service_id) p.set("service", state.service_id);
    if (state.ended) p.set("ended", "1");
    history.replaceState({}, "", `/manage/people${p.toString() ? `?${p}` : ""}`);
    try {
      page = await get(url());
    } catch (err) {
      announce(err.offline ? "This screen needs a signal." : err.message);
      return;
    }
    people = page.items;
    next = page.next_cursor;
    draw();
    announce(`${people.length}${next ? " or more" : ""} ${people.length === 1 && !next ? "person" : "people"} found.`);
  };
  const more = async () => {
    const before = people.length;
    try {
      page = await get(url(next));
    } catch (err) {
      announce(err.offline ? "This screen needs a signal." : err.message);
      return;
    }
    people = people.concat(page.items);
    next = page.next_cursor;
    draw();
    main.querySelectorAll(".people-list .card-link")[before]?.focus();
  };

  const draw = () => render(html`
    <h1>Manage people</h1>
    ${banner}
    <div class="actions-row">
      <a class="button primary" href="/manage/people/new">Add a person</a>
      <a class="button secondary" href="/manage/import">Import from a spreadsheet</a>
    </div>
    <form role="search" aria-label="People" class="search-form" @submit=${search}>
      <div class="field">
        <label for="f-q">Search by name</label>
        <input id="f-q" name="q" type="search" .value=${state.q} @input=${(e) => { state.q = e.target.value; }}>
      </div>
      ${services.length > 1 ? html`<div class="field">
        <label for="f-service">Service</label>
        <select id="f-service" name="service" @change=${(e) => { state.service_id = e.target.value; }}>
          <option value="" ?selected=${!state.service_id}>All your services</option>
          ${services.map((s) => html`<option value=${s.id} ?selected=${state.service_id === s.id}>${s.name}</option>`)}
        </select></div>` : nothing}
      <label class="choice"><input type="checkbox" name="ended" .checked=${state.ended} @change=${(e) => { state.ended = e.target.checked; }}>
        Include people whose support has ended</label>
      <div><button type="submit" class="secondary">Search</button></div>
    </form>
    ${people.length ? html`
      <ul class="cards people-list" aria-label="People">
        ${people.map((p) => html`<li class="card">
          <a class="card-link" href="/manage/people/${p.id}">
            <span class="card-title">${p.name}${p.preferred_name ? html` <span class="muted">(${p.preferred_name})</span>` : nothing}</span>
            <span class="card-meta">${p.service_name}</span>
            <span class="card-meta">Keyworkers: ${keyworkerNames(p)}</span>
            ${p.ended_on ? html`<span><span class="tag">Support ended ${formatDate(p.ended_on)}</span></span>` : nothing}
          </a></li>`)}
      </ul>
      ${next ? html`<p><button type="button" class="secondary" @click=${more}>Show more people</button></p>` : nothing}`
    : html`<p>${state.q.trim() ? `Nobody found for “${state.q.trim()}”.` : "Nobody yet. Add a person, or import them from a spreadsheet."}</p>`}`, main);
  draw();
}

// ---- add a person ----

function detailFields(state, errors, services) {
  return html`
    ${textField(state, errors, "name", "Full name", { required: true })}
    ${textField(state, errors, "preferred_name", "Preferred name", { hint: "What they like to be called" })}
    ${selectField(state, errors, "service_id", "Service", services.map((s) => [s.id, s.name]))}
    <div class="field ${errors.weekly_checks ? "has-error" : ""}">
      ${fieldError(errors, "weekly_checks")}
      <label class="choice" for="f-weekly_checks"><input id="f-weekly_checks" type="checkbox" name="weekly_checks" .checked=${state.weekly_checks}
        @change=${(e) => { state.weekly_checks = e.target.checked; }}> Record weekly checks (incidents, engagement, mood)</label>
    </div>
    ${textField(state, errors, "joined_on", "Support started on", { type: "date" })}`;
}

function detailBody(state) {
  return {
    name: state.name.trim(),
    preferred_name: state.preferred_name.trim() || null,
    service_id: state.service_id,
    weekly_checks: state.weekly_checks,
    joined_on: state.joined_on || null,
  };
}

export async function personNewView(main) {
  if (!allowed(main, "Add a person")) return;
  let services = [];
  try {
    services = await get("/api/v1/services");
  } catch (err) {
    problem(main, "Add a person", err);
    return;
  }
  const state = { name: "", preferred_name: "", service_id: services[0]?.id || "", weekly_checks: services[0]?.kind === "residential", joined_on: today() };
  let errors = {};
  let busy = false;

  const save = async (event) => {
    event.preventDefault();
    if (busy) return;
    errors = {};
    if (!state.name.trim()) errors.name = ["Enter their full name."];
    if (!state.service_id) errors.service_id = ["Choose the service."];
    if (Object.keys(errors).length) { draw(); focusErrors(main); return; }
    busy = true;
    draw();
    try {
      const person = await post("/api/v1/people", detailBody(state));
      app.dirtyForm = false;
      flash = `${person.name} was added to ${person.service_name}. Choose their keyworkers below.`;
      navigate(`/manage/people/${person.id}`);
      return;
    } catch (err) {
      if (!(err instanceof ApiError) && !err.offline) throw err;
      errors = err.offline ? { _form: ["No connection: nothing was saved. Try again when you have a signal."] } : fieldErrors(err);
    }
    busy = false;
    draw();
    focusErrors(main);
  };

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/manage/people">← Manage people</a></p>
    <h1>Add a person</h1>
    ${errorSummary(errors)}
    ${services.length ? html`
    <form @submit=${save} @input=${() => { app.dirtyForm = true; }} novalidate>
      ${detailFields(state, errors, services)}
      <div><button type="submit" class="primary" ?disabled=${busy}>Add person</button></div>
    </form>` : html`<p>You do not manage any service yet, so there is nowhere to add a person.</p>`}`, main);
  draw();
}

// ---- one person: details, keyworkers, end or resume support ----

export async function personAdminView(main, { personId }) {
  if (!allowed(main, "Person")) return;
  let data;
  let services = [];
  try {
    [data, services] = await Promise.all([get(`/api/v1/people/${personId}/staff`), get("/api/v1/services")]);
  } catch (err) {
    problem(main, "Person", err);
    return;
  }
  let person = data.person;
  let banner = flashNotice();
  let details = {};
  let detailErrors = {};
  let staffErrors = {};
  let endErrors = {};
  let chosen = new Set();
  let busy = false;
  const end = { ended_on: today() };

  const load = (fresh) => {
    data = fresh;
    person = fresh.person;
    details = {
      name: person.name, preferred_name: person.preferred_name || "", service_id: person.service_id,
      weekly_checks: person.weekly_checks, joined_on: person.joined_on || "",
    };
    chosen = new Set(fresh.staff.map((s) => s.id));
  };
  load(data);
  if (!services.some((s) => s.id === person.service_id)) services = [...services, { id: person.service_id, name: person.service_name }];

  const clearErrors = () => { detailErrors = {}; staffErrors = {}; endErrors = {}; };
  const say = (message) => { banner = html`<div class="notice"><p>${message}</p></div>`; announce(message); };
  const refresh = async () => load(await get(`/api/v1/people/${personId}/staff`));

  const failed = async (err) => {
    if (!(err instanceof ApiError) && !err.offline) throw err;
    if (err.offline) return { _form: ["No connection: nothing was saved. Try again when you have a signal."] };
    if (err.status === 409) {
      await refresh();
      return { _form: [`${err.message} The form now shows their latest details.`] };
    }
    return fieldErrors(err);
  };

  const saveDetails = async (event) => {
    event.preventDefault();
    if (busy) return;
    clearErrors();
    if (!details.name.trim()) detailErrors.name = ["Enter their full name."];
    if (Object.keys(detailErrors).length) { draw(); focusErrors(main); return; }
    busy = true;
    try {
      const moved = details.service_id !== person.service_id;
      await patch(`/api/v1/people/${personId}`, { version: person.version, ...detailBody(details) });
      await refresh();
      app.dirtyForm = false;
      say(moved ? `Saved. ${person.name} now belongs to ${person.service_name}; keyworkers who do not work there were taken off.` : "Details saved.");
    } catch (err) {
      detailErrors = await failed(err);
    }
    busy = false;
    draw();
    if (Object.keys(detailErrors).length) focusErrors(main);
  };

  const saveStaff = async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    clearErrors();
    try {
      load(await put(`/api/v1/people/${personId}/staff`, { user_ids: [...chosen] }));
      app.dirtyForm = false;
      say(data.staff.length ? `Keyworkers saved: ${data.staff.map((s) => s.name).join(", ")}.` : `Keyworkers saved: nobody has ${person.name} on their caseload.`);
    } catch (err) {
      staffErrors = await failed(err);
    }
    busy = false;
    draw();
    if (Object.keys(staffErrors).length) focusErrors(main);
  };

  const endSupport = async (event) => {
    event.preventDefault();
    if (busy) return;
    clearErrors();
    if (!end.ended_on) endErrors.ended_on = ["Give the date support ended."];
    else if (end.ended_on > today()) endErrors.ended_on = ["Support can only be ended on today's date or earlier."];
    if (Object.keys(endErrors).length) { draw(); focusErrors(main); return; }
    if (!window.confirm(`End support for ${person.name} on ${formatDate(end.ended_on)}? They leave every caseload, list and phone. Their history stays.`)) return;
    busy = true;
    try {
      await patch(`/api/v1/people/${personId}`, { version: person.version, ended_on: end.ended_on });
      await refresh();
      say(`Support for ${person.name} ended on ${formatDate(person.ended_on)}. Their history stays readable to managers and in reports.`);
    } catch (err) {
      endErrors = await failed(err);
    }
    busy = false;
    draw();
    if (Object.keys(endErrors).length) focusErrors(main);
  };

  const resume = async () => {
    if (busy) return;
    busy = true;
    clearErrors();
    try {
      await patch(`/api/v1/people/${personId}`, { version: person.version, ended_on: null });
      await refresh();
      say(`Support for ${person.name} resumed. Choose their keyworkers again.`);
    } catch (err) {
      endErrors = await failed(err);
    }
    busy = false;
    draw();
  };

  const toggle = (id) => (e) => { if (e.target.checked) chosen.add(id); else chosen.delete(id); app.dirtyForm = true; };

  const draw = () => {
    const ended = Boolean(person.ended_on);
    // Everyone who may be chosen, and anyone already on the caseload who no longer works there.
    const options = [...data.eligible, ...data.staff.filter((s) => !data.eligible.some((e) => e.id === s.id))];
    render(html`
      <p class="breadcrumb"><a href="/manage/people">← Manage people</a></p>
      <h1>${person.name}</h1>
      <p class="lead">${person.service_name}${person.joined_on ? html` · supported since ${formatDate(person.joined_on)}` : nothing}</p>
      ${banner}
      ${ended ? html`<div class="notice warning"><p><strong>Support ended on ${formatDate(person.ended_on)}.</strong>
        They are on nobody's caseload or phone. Their history stays readable to managers and in reports.</p></div>` : nothing}

      <h2 id="details">Details</h2>
      ${errorSummary(detailErrors)}
      <form @submit=${saveDetails} @input=${() => { app.dirtyForm = true; }} aria-labelledby="details" novalidate>
        ${detailFields(details, detailErrors, services)}
        <p class="hint">Moving them to another service takes them off the caseload of keyworkers who do not work there.</p>
        <div><button type="submit" class="primary" ?disabled=${busy}>Save details</button></div>
      </form>

      <h2 id="keyworkers">Keyworkers</h2>
      ${ended ? html`<p>Support has ended, so nobody has ${person.name} on their caseload.</p>` : html`
        ${errorSummary(staffErrors)}
        <form @submit=${saveStaff} aria-labelledby="keyworkers" novalidate>
          <fieldset class="field ${staffErrors.user_ids ? "has-error" : ""}" id="f-user_ids" tabindex="-1">
            <legend>Who has ${person.name} on their caseload</legend>
            <p class="hint">Support workers and managers who work in ${person.service_name}. Whoever you add gets ${person.name}'s records on their phone at their next sync; whoever you take off has them deleted from their phone.</p>
            ${fieldError(staffErrors, "user_ids")}
            ${options.length ? options.map((s) => html`<label class="choice"><input type="checkbox" name="user_ids" value=${s.id}
                .checked=${chosen.has(s.id)} @change=${toggle(s.id)}> ${s.name} <span class="muted">${s.email}${s.role === "registered_manager" ? " · manager" : ""}</span></label>`)
              : html`<p>Nobody works in ${person.service_name} yet. An admin adds staff to services.</p>`}
          </fieldset>
          <div><button type="submit" class="primary" ?disabled=${busy}>Save keyworkers</button></div>
        </form>`}

      <h2 id="support">${ended ? "Resume support" : "End support"}</h2>
      ${errorSummary(endErrors)}
      ${ended ? html`<p>If ${person.name} is supported again, resume their support, then choose their keyworkers.</p>
        <div><button type="button" class="secondary" ?disabled=${busy} @click=${resume}>Resume support</button></div>`
      : html`<form @submit=${endSupport} aria-labelledby="support" novalidate>
          ${textField(end, endErrors, "ended_on", "Support ended on", { type: "date", required: true,
            hint: "They leave every caseload, list and phone and get no more reminders. Their history stays readable to managers and in reports." })}
          <div><button type="submit" class="danger" ?disabled=${busy}>End support</button></div>
        </form>`}`, main);
  };
  draw();
}
