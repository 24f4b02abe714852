// The learning log: what the analysis taught, what was decided, where it came from and the change it
// led to. Also the change page's "Decided at governance on … because …".
import { html, render, nothing } from "../../vendor/lit-html.js";
import { get, getAll, post } from "../api.js";
import { app } from "../app-state.js";
import { navigate } from "../router.js";
import { errorSummary, focusErrors, selectField, textField } from "../forms.js";
import { announce, formatDate, today } from "../util.js";
import { governedServices, longDate, monthLabel, moreButton, offlineNote, recentMonths, thisMonth } from "./gov-common.js";

const SOURCES = [["", "None"], ["theme", "A feedback theme"], ["change", "A change's measured effect"], ["escalation", "An escalation"],
  ["dashboard", "The monthly dashboard"], ["audit", "A care-plan audit"]];

function entryCard(e) {
  return html`<li class="card learning-entry">
    <h2 class="card-heading">${longDate(e.recorded_on)}${e.service_name ? html` <span class="muted">· ${e.service_name}</span>` : nothing}</h2>
    ${e.anonymised && !e.learned ? html`<p class="muted">Wording not shared with commissioners.</p>` : html`
      <p><strong>Learned:</strong> ${e.learned}</p>
      <p><strong>Decided:</strong> ${e.decision}</p>`}
    ${e.source ? html`<p class="card-meta">From: ${e.source.url ? html`<a href=${e.source.url}>${e.source.label}</a>` : e.source.label || e.source.kind}</p>` : nothing}
    ${e.change ? html`<p class="card-meta">Led to: ${e.change.description ? html`<a href="/changes/${e.change.id}">${e.change.description}</a>` : "a change"}
      (from ${formatDate(e.change.starts_on)})</p>` : nothing}
    ${e.created_by_name ? html`<p class="card-meta">Recorded by ${e.created_by_name}${e.shared_with_commissioners ? " · shared with commissioners" : ""}</p>` : nothing}
  </li>`;
}

export async function learningView(main, _params, query) {
  const service = query.get("service") || "";
  let services = [];
  let data;
  try {
    [services, data] = await Promise.all([governedServices(), get(`/api/v1/learning?limit=30${service ? `&service=${service}` : ""}`)]);
  } catch (err) {
    render(html`<h1>Learning log</h1>${offlineNote(err)}`, main);
    return;
  }
  const items = [...data.items];
  let next = data.next_cursor;
  const more = async () => {
    const page = await get(`/api/v1/learning?limit=30${service ? `&service=${service}` : ""}&cursor=${encodeURIComponent(next)}`);
    items.push(...page.items);
    next = page.next_cursor;
    draw();
  };
  const choose = (event) => { event.preventDefault(); const s = new FormData(event.target).get("service"); navigate(`/learning${s ? `?service=${s}` : ""}`); };
  const canWrite = ["registered_manager", "senior_leader"].includes(app.user.role);
  const draw = () => render(html`
    ${canWrite ? html`<p class="breadcrumb"><a href="/governance">← Governance</a></p>` : nothing}
    <h1>Learning log</h1>
    <p class="lead">How insight from feedback, outcomes and audits led to changes in the service.</p>
    ${canWrite ? html`<p><a class="button primary" href="/learning/new${service ? `?service=${service}` : ""}">Record learning</a></p>` : nothing}
    ${services.length > 1 ? html`<form class="inline-form" @submit=${choose}>
      <label for="learn-service">Service</label>
      <select id="learn-service" name="service"><option value="" ?selected=${!service}>All services</option>
        ${services.map((s) => html`<option value=${s.id} ?selected=${s.id === service}>${s.name}</option>`)}</select>
      <button type="submit" class="secondary">Show</button></form>` : nothing}
    ${items.length ? html`<ul class="cards">${items.map(entryCard)}</ul>` : html`<p>Nothing recorded yet.</p>`}
    ${moreButton(next, more)}`, main);
  draw();
}

async function sourceOptions(kind, serviceId) {
  if (kind === "theme") return (await get("/api/v1/themes")).map((t) => [t.id, t.name]);
  if (kind === "change") return (await getAll(`/api/v1/changes?service=${serviceId}`)).map((c) => [c.id, `${c.description} (${formatDate(c.starts_on)})`]);
  if (kind === "escalation") {
    return (await get(`/api/v1/escalations?service=${serviceId}&limit=100`)).items.map((e) => [e.id, `${e.rule_label}: ${e.person_name}, ${e.outcome_domain} (${formatDate(e.raised_at)})`]);
  }
  if (kind === "audit") {
    return (await get(`/api/v1/care-plan-audits?service=${serviceId}&limit=100`)).items.map((a) => [a.id, `${a.person_name} (${formatDate(a.audited_on)})`]);
  }
  if (kind === "dashboard") return recentMonths(12).map((m) => [m, monthLabel(m)]);
  return [];
}

export async function learningFormView(main, _params, query) {
  let services = [];
  try { services = await governedServices(); } catch (err) {
    render(html`<h1>Record learning</h1>${offlineNote(err)}`, main);
    return;
  }
  const state = {
    service_id: query.get("service") || services[0]?.id || "", recorded_on: today(), learned: "", decision: "",
    source_kind: query.get("source_kind") || "", source_id: query.get("source_id") || "", change_id: query.get("change") || "", shared: false, busy: false,
  };
  let errors = {};
  let problem = null;
  let options = [];
  let changes = [];
  const load = async () => {
    [options, changes] = await Promise.all([
      state.source_kind ? sourceOptions(state.source_kind, state.service_id).catch(() => []) : [],
      getAll(`/api/v1/changes?service=${state.service_id}`).catch(() => []),
    ]);
    if (state.source_kind && !options.some(([id]) => id === state.source_id)) state.source_id = state.source_kind === "dashboard" ? thisMonth() : options[0]?.[0] || "";
  };

  const save = async (event) => {
    event.preventDefault();
    errors = {};
    if (!state.learned.trim()) errors.learned = ["Say what was learned."];
    if (!state.decision.trim()) errors.decision = ["Say what was decided."];
    if (state.source_kind && !state.source_id) errors.source_id = ["Choose which one."];
    if (Object.keys(errors).length) { draw(); focusErrors(main); return; }
    state.busy = true;
    draw();
    try {
      await post("/api/v1/learning", {
        service_id: state.service_id, recorded_on: state.recorded_on, learned: state.learned.trim(), decision: state.decision.trim(),
        source: state.source_kind ? { kind: state.source_kind, id: state.source_id } : null,
        change_id: state.change_id || null, shared_with_commissioners: state.shared,
      });
      app.dirtyForm = false;
      announce("Learning recorded.");
      navigate(state.change_id ? `/changes/${state.change_id}` : `/learning?service=${state.service_id}`);
    } catch (err) {
      for (const [name, messages] of Object.entries(err.fields || {})) {
        const key = name === "source.id" ? "source_id" : name === "shared_with_commissioners" ? "learned" : name;
        if (Array.isArray(messages)) errors[key] = messages;
      }
      problem = Object.keys(errors).length ? null : err.message;
      state.busy = false;
      draw();
      if (Object.keys(errors).length) focusErrors(main);
    }
  };

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/learning">← Learning log</a></p>
    <h1>Record learning</h1>
    <p class="lead">What the analysis taught, and what the service decided because of it.</p>
    ${problem ? html`<p class="notice error" role="alert">${problem}</p>` : nothing}
    ${errorSummary(errors)}
    <form @submit=${save} @input=${() => { app.dirtyForm = true; }} novalidate>
      ${selectField(state, errors, "service_id", "Service", services.map((s) => [s.id, s.name]), { onChange: async () => { state.change_id = ""; await load(); draw(); } })}
      ${textField(state, errors, "recorded_on", "Decided at governance on", { type: "date", required: true })}
      ${textField(state, errors, "learned", "What was learned", { multiline: true, required: true, hint: "For example “Most people said mornings felt rushed; satisfaction scores had not shown it.”" })}
      ${textField(state, errors, "decision", "What was decided", { multiline: true, required: true })}
      ${selectField(state, errors, "source_kind", "Where it came from", SOURCES, { onChange: async () => { state.source_id = ""; await load(); draw(); } })}
      ${state.source_kind ? selectField(state, errors, "source_id", "Which one", options.length ? options : [["", "None to choose from"]]) : nothing}
      ${selectField(state, errors, "change_id", "The change it led to (optional)", [["", "None yet"], ...changes.map((c) => [c.id, `${c.description} (${formatDate(c.starts_on)})`])])}
      <label class="choice"><input type="checkbox" .checked=${state.shared} @change=${(ev) => { state.shared = ev.target.checked; }}>
        Commissioners may read the wording <span class="muted">(it must name nobody)</span></label>
      <button type="submit" class="primary" ?disabled=${state.busy}>Save</button>
    </form>`, main);
  await load();
  draw();
}

// On a change's page: the learning entries that led to it.
export async function mountChangeLearning(target, changeId, serviceId) {
  if (!target) return;
  let data;
  try { data = await get(`/api/v1/learning?change=${changeId}`); } catch { return; }
  if (!document.body.contains(target)) return;
  const canWrite = ["registered_manager", "senior_leader"].includes(app.user?.role);
  render(html`<section aria-labelledby="cl-h" class="change-learning">
    <h2 id="cl-h">Why this change was made</h2>
    ${data.items.length ? html`<ul class="plain">${data.items.map((e) => html`<li class="learning-entry">
      <p><strong>Decided at governance on ${longDate(e.recorded_on)}</strong>${e.learned ? html` because: “${e.learned}”` : "."}</p>
      ${e.decision ? html`<p>Decision: ${e.decision}</p>` : nothing}
      ${e.source?.label ? html`<p class="muted">From: ${e.source.url ? html`<a href=${e.source.url}>${e.source.label}</a>` : e.source.label}</p>` : nothing}
    </li>`)}</ul>` : html`<p>No learning entry records why it was decided.</p>`}
    ${canWrite ? html`<p><a href="/learning/new?service=${serviceId}&source_kind=change&source_id=${changeId}">Record what its effect taught us</a></p>` : nothing}
  </section>`, target);
}
