// Escalations: the list leadership works from, one escalation with acknowledge and answer, and the
// person's record's view of theirs.
import { html, render, nothing } from "../../vendor/lit-html.js";
import { get, getAll, post } from "../api.js";
import { app } from "../app-state.js";
import { navigate } from "../router.js";
import { errorSummary, focusErrors, textField } from "../forms.js";
import { announce, formatDate } from "../util.js";
import { governedServices, longDate, moreButton, offlineNote, statusTag, tableRegion } from "./gov-common.js";

const FILTERS = [["open", "Open"], ["acknowledged", "Acknowledged"], ["answered", "Answered"], ["", "All"]];

export async function escalationsView(main, _params, query) {
  const status = query.has("status") ? query.get("status") : "open";
  const service = query.get("service") || "";
  let services = [];
  let data;
  try {
    [services, data] = await Promise.all([governedServices(), get(escalationsUrl(status, service))]);
  } catch (err) {
    render(html`<h1>Escalations</h1>${offlineNote(err)}`, main);
    return;
  }
  const items = [...data.items];
  let next = data.next_cursor;
  const more = async () => {
    const page = await get(`${escalationsUrl(status, service)}&cursor=${encodeURIComponent(next)}`);
    items.push(...page.items);
    next = page.next_cursor;
    draw();
  };
  const link = (s, svc = service) => `/escalations?status=${s}${svc ? `&service=${svc}` : ""}`;
  const pick = (e) => { e.preventDefault(); navigate(link(status, new FormData(e.target).get("service"))); };
  const draw = () => render(html`
    <p class="breadcrumb"><a href="/governance">← Governance</a></p>
    <h1>Escalations</h1>
    <p class="lead">Raised when an outcome deteriorates or stagnates, or its review is more than 14 days overdue. Acknowledge each, then answer what leadership will do.</p>
    <nav class="tabs" aria-label="Filter by status">
      ${FILTERS.map(([s, label]) => html`<a href=${link(s)} aria-current=${status === s ? "page" : "false"}>${label}${s ? ` (${data.counts[s]})` : ""}</a>`)}
    </nav>
    ${services.length > 1 ? html`<form class="inline-form" @submit=${pick}>
      <label for="esc-service">Service</label>
      <select id="esc-service" name="service">
        <option value="" ?selected=${!service}>All services</option>
        ${services.map((s) => html`<option value=${s.id} ?selected=${s.id === service}>${s.name}</option>`)}
      </select>
      <button type="submit" class="secondary">Show</button>
    </form>` : nothing}
    ${items.length ? html`<ul class="cards">${items.map((e) => html`<li class="card ${e.status === "open" ? "attention" : ""}">
      <a class="card-link" href="/escalations/${e.id}">
        <span class="card-title">${e.rule_label}: ${e.person_name}</span>
        <span>${e.outcome_domain} · ${e.service_name}</span>
        <span class="card-meta">Raised ${formatDate(e.raised_at)} · ${e.status}</span>
      </a>
      <p class="escalation-summary">${e.summary}</p>
      ${e.answer ? html`<p><strong>Answer:</strong> ${e.answer}</p>` : nothing}
    </li>`)}</ul>` : html`<p>No ${status ? `${status} ` : ""}escalations.</p>`}
    ${moreButton(next, more)}`, main);
  draw();
}

function escalationsUrl(status, service) {
  return `/api/v1/escalations?limit=50${status ? `&status=${status}` : ""}${service ? `&service=${service}` : ""}`;
}

export async function escalationView(main, { escalationId }) {
  let e;
  let changes = [];
  try {
    e = await get(`/api/v1/escalations/${escalationId}`);
    changes = await getAll(`/api/v1/changes?service=${e.service_id}`).catch(() => []);
  } catch (err) {
    render(html`<p class="breadcrumb"><a href="/escalations">← Escalations</a></p><h1>Escalation</h1>${offlineNote(err)}`, main);
    return;
  }
  const state = { answer: "", change_id: "", with_learning: false, learned: "", decision: "", shared: false, busy: false };
  let errors = {};
  let problem = null;

  const acknowledge = async () => {
    state.busy = true;
    draw();
    try {
      e = await post(`/api/v1/escalations/${e.id}/acknowledge`, {});
      announce("Acknowledged. Now answer what leadership will do.");
    } catch (err) {
      problem = err.message;
      if (err.status === 409) e = await get(`/api/v1/escalations/${e.id}`);
    }
    state.busy = false;
    draw();
    main.querySelector("#f-answer")?.focus();
  };

  const answer = async (event) => {
    event.preventDefault();
    errors = {};
    if (!state.answer.trim()) errors.answer = ["Say what leadership will do."];
    if (state.with_learning && !state.learned.trim()) errors.learned = ["Say what was learned."];
    if (state.with_learning && !state.decision.trim()) errors.decision = ["Say what was decided."];
    if (Object.keys(errors).length) { draw(); focusErrors(main); return; }
    const body = { answer: state.answer.trim(), change_id: state.change_id || null };
    if (state.with_learning) body.learning = { learned: state.learned.trim(), decision: state.decision.trim(), shared_with_commissioners: state.shared };
    state.busy = true;
    draw();
    try {
      e = await post(`/api/v1/escalations/${e.id}/answer`, body);
      announce("Answer saved. It shows on the person's record.");
    } catch (err) {
      const fields = err.fields || {};
      for (const [name, messages] of Object.entries(fields.learning && typeof fields.learning === "object" ? fields.learning : {})) errors[name] = messages;
      for (const name of ["answer", "change_id", "learned", "decision"]) if (Array.isArray(fields[name])) errors[name] = fields[name];
      for (const [name, messages] of Object.entries(fields)) if (name.startsWith("learning.")) errors[name.slice(9)] = messages;
      problem = Object.keys(errors).length ? null : err.message;
    }
    state.busy = false;
    draw();
    if (Object.keys(errors).length) focusErrors(main);
  };

  const canAct = app.user.role === "registered_manager" || app.user.role === "senior_leader";
  const draw = () => render(html`
    <p class="breadcrumb"><a href="/escalations">← Escalations</a></p>
    <h1>${e.rule_label}: ${e.person_name}</h1>
    <p>${statusTag(e.status)} <a href="/people/${e.person_id}">${e.person_name}</a> · ${e.outcome_domain} · ${e.service_name}</p>
    <p class="lead">${e.summary}</p>
    <dl class="facts">
      <div><dt>Raised</dt><dd>${longDate(e.raised_at)}</dd></div>
      ${e.due_on ? html`<div><dt>Review was due</dt><dd>${longDate(e.due_on)}</dd></div>` : nothing}
      ${e.acknowledged_at ? html`<div><dt>Acknowledged</dt><dd>${longDate(e.acknowledged_at)} by ${e.acknowledged_by_name}</dd></div>` : nothing}
      ${e.answered_at ? html`<div><dt>Answered</dt><dd>${longDate(e.answered_at)} by ${e.answered_by_name}</dd></div>` : nothing}
    </dl>
    ${e.scores.length ? tableRegion(html`<table class="data"><caption>The reviews the rule looked at</caption>
      <thead><tr><th scope="col">Review</th><th scope="col">Score</th></tr></thead>
      <tbody>${e.scores.map((s) => html`<tr><td>${formatDate(s.happened_at)}</td><td>${s.score}</td></tr>`)}</tbody></table>`) : nothing}
    ${problem ? html`<p class="notice error" role="alert">${problem}</p>` : nothing}
    ${e.status === "answered" ? html`<section aria-labelledby="answer-h"><h2 id="answer-h">What leadership will do</h2>
      <p class="answer">${e.answer}</p>
      ${e.change ? html`<p>Answered by the change <a href="/changes/${e.change.id}">${e.change.description}</a> (from ${formatDate(e.change.starts_on)}).</p>` : nothing}
      <p><a href="/learning/new?service=${e.service_id}&source_kind=escalation&source_id=${e.id}">Record learning from this escalation</a></p></section>` : nothing}
    ${canAct && e.status === "open" ? html`<p><button type="button" class="primary" ?disabled=${state.busy} @click=${acknowledge}>Acknowledge</button></p>
      <p class="hint">Acknowledging tells the others that leadership has seen it; then answer what will be done.</p>` : nothing}
    ${canAct && e.status === "acknowledged" ? html`<h2>Answer</h2>
      ${errorSummary(errors)}
      <form @submit=${answer} @input=${() => { app.dirtyForm = true; }} novalidate>
        ${textField(state, errors, "answer", "What will leadership do?", { multiline: true, required: true, hint: "This shows on the person's record and on the dashboard." })}
        <div class="field"><label for="f-change_id">The co-produced change that answers it <span class="muted">(optional)</span></label>
          <select id="f-change_id" @change=${(ev) => { state.change_id = ev.target.value; }}>
            <option value="">None</option>
            ${changes.map((c) => html`<option value=${c.id} ?selected=${state.change_id === c.id}>${c.description} (${formatDate(c.starts_on)})</option>`)}
          </select></div>
        <label class="choice"><input type="checkbox" .checked=${state.with_learning} @change=${(ev) => { state.with_learning = ev.target.checked; draw(); }}> Also record a learning entry</label>
        ${state.with_learning ? html`
          ${textField(state, errors, "learned", "What was learned", { multiline: true, required: true })}
          ${textField(state, errors, "decision", "What was decided", { multiline: true, required: true })}
          <label class="choice"><input type="checkbox" .checked=${state.shared} @change=${(ev) => { state.shared = ev.target.checked; }}> Commissioners may read the wording (it names nobody)</label>` : nothing}
        <button type="submit" class="primary" ?disabled=${state.busy}>Save answer</button>
      </form>` : nothing}`, main);
  draw();
}

// The person's record: their escalations and leadership's answers (online only).
export async function mountPersonEscalations(target, personId) {
  if (!target || !["support_worker", "registered_manager", "senior_leader"].includes(app.user?.role)) return;
  let rows;
  try { rows = await get(`/api/v1/people/${personId}/escalations`); } catch { return; }
  if (!rows.length || !document.body.contains(target)) return;
  const unanswered = rows.filter((e) => e.status !== "answered");
  const answered = rows.filter((e) => e.status === "answered");
  const item = (e) => html`<li class="escalation ${e.status}">
      <p>${statusTag(e.status)} <strong>${e.rule_label}</strong>, ${e.outcome_domain}, raised ${formatDate(e.raised_at)}${
        app.user.role !== "support_worker" ? html` · <a href="/escalations/${e.id}">Open<span class="visually-hidden"> the ${e.rule_label.toLowerCase()} escalation of ${formatDate(e.raised_at)}</span></a>` : nothing}</p>
      <p class="muted">${e.summary}</p>
      ${e.answer ? html`<p class="answer"><strong>Leadership's answer</strong> (${e.answered_by_name}, ${formatDate(e.answered_at)}): ${e.answer}</p>` : nothing}
    </li>`;
  // Open escalations show; answered ones are history, folded away until opened.
  render(html`<section class="person-escalations" aria-labelledby="pe-h">
    <h2 id="pe-h">Escalations${unanswered.length ? ` (${unanswered.length} open)` : ""}</h2>
    ${unanswered.length ? html`<ul class="plain">${unanswered.map(item)}</ul>` : nothing}
    ${answered.length ? html`<details class="history"><summary>Answered escalations (${answered.length})</summary>
      <ul class="plain">${answered.map(item)}</ul></details>` : nothing}</section>`, target);
}
