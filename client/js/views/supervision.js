// Supervision linked to outcome progress: choose a worker and month, read the agenda built from their
// caseload, record what changed and the next step per person; past records; a worker's own.
import { html, render, nothing } from "../../vendor/lit-html.js";
import { get, post } from "../api.js";
import { app } from "../app-state.js";
import { navigate } from "../router.js";
import { errorSummary, focusErrors } from "../forms.js";
import { SCORE_WORDS, announce, formatDate, today } from "../util.js";
import { longDate, monthLabel, moreButton, offlineNote, recentMonths, statusTag, thisMonth } from "./gov-common.js";

function recordCard(s, showWorker = true) {
  const title = `${showWorker ? `${s.user_name}: ` : ""}${s.month_label}`;
  return html`<li class="card supervision">
    ${showWorker ? html`<h3 class="card-heading">${title}</h3>` : html`<h2 class="card-heading">${title}</h2>`}
    <p class="card-meta">Held ${longDate(s.held_on)} with ${s.supervisor_name}</p>
    <dl class="answers">${s.entries.map((e) => html`
      <dt>${e.person_name}</dt>
      <dd><p><strong>What changed:</strong> ${e.what_changed}</p><p><strong>Next step:</strong> ${e.next_step}</p></dd>`)}</dl>
    ${s.hidden_entries ? html`<p class="muted">${s.hidden_entries} more about people you can no longer see.</p>` : nothing}
  </li>`;
}

export async function supervisionsView(main, _params, query) {
  const worker = query.get("user") || "";
  const listUrl = `/api/v1/supervisions?limit=20${worker ? `&user_id=${worker}` : ""}`;
  let staff = [];
  let data;
  try {
    [staff, data] = await Promise.all([get("/api/v1/supervisions/staff"), get(listUrl)]);
  } catch (err) {
    render(html`<h1>Supervision</h1>${offlineNote(err)}`, main);
    return;
  }
  const items = [...data.items];
  let next = data.next_cursor;
  const more = async () => {
    const page = await get(`${listUrl}&cursor=${encodeURIComponent(next)}`);
    items.push(...page.items);
    next = page.next_cursor;
    draw();
  };
  const start = (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    navigate(`/supervisions/new?user=${form.get("user")}&month=${form.get("month")}`);
  };
  const chosen = worker || staff[0]?.id;
  const draw = () => render(html`
    <p class="breadcrumb"><a href="/governance">← Governance</a></p>
    <h1>Supervision</h1>
    <p class="lead">“What changed for this person this month?” The agenda is filled in from each person's reviews, overdue reviews, escalations and actions.</p>
    ${staff.length ? html`<form @submit=${start} aria-label="Prepare a supervision">
      <div class="two-col">
        <div class="field"><label for="sv-user">Staff member</label>
          <select id="sv-user" name="user">${staff.map((s) => html`<option value=${s.id} ?selected=${s.id === chosen}>${s.name} (${s.caseload} on caseload)</option>`)}</select></div>
        <div class="field"><label for="sv-month">Month</label>
          <select id="sv-month" name="month">${recentMonths(6).map((m) => html`<option value=${m} ?selected=${m === thisMonth()}>${monthLabel(m)}</option>`)}</select></div>
      </div>
      <button type="submit" class="primary">Prepare the agenda</button>
    </form>` : html`<p>There is no one for you to supervise.</p>`}
    <h2>Supervisions recorded</h2>
    ${staff.length > 1 ? html`<nav class="tabs" aria-label="Whose supervisions">
      <a href="/supervisions" aria-current=${worker ? "false" : "page"}>Everyone</a>
      ${staff.map((s) => html`<a href="/supervisions?user=${s.id}" aria-current=${worker === s.id ? "page" : "false"}>${s.name}</a>`)}
    </nav>` : nothing}
    ${items.length ? html`<ul class="cards">${items.map((s) => recordCard(s))}</ul>` : html`<p>None yet.</p>`}
    ${moreButton(next, more)}`, main);
  draw();
}

export async function mySupervisionsView(main) {
  let data;
  try { data = await get("/api/v1/supervisions?limit=50"); } catch (err) {
    render(html`<h1>My supervisions</h1>${offlineNote(err)}`, main);
    return;
  }
  render(html`
    <h1>My supervisions</h1>
    <p class="lead">What you and your supervisor agreed about each person, month by month.</p>
    ${data.items.length ? html`<ul class="cards">${data.items.map((s) => recordCard(s, false))}</ul>` : html`<p>No supervisions recorded yet.</p>`}`, main);
}

const MOVEMENT = { improved: "improved", same: "the same", worse: "worse", first: "first review" };

export async function supervisionFormView(main, _params, query) {
  const userId = query.get("user");
  const month = query.get("month") || thisMonth();
  let agenda;
  try { agenda = await get(`/api/v1/supervisions/prepare?user_id=${userId}&month=${month}`); } catch (err) {
    render(html`<p class="breadcrumb"><a href="/supervisions">← Supervision</a></p><h1>Supervision</h1>${offlineNote(err)}`, main);
    return;
  }
  const state = { held_on: today(), entries: Object.fromEntries(agenda.people.map((p) => [p.person.id, { what_changed: "", next_step: "" }])), busy: false };
  let errors = {};
  let problem = null;

  const save = async (event) => {
    event.preventDefault();
    errors = {};
    const entries = [];
    for (const p of agenda.people) {
      const e = state.entries[p.person.id];
      const w = e.what_changed.trim();
      const n = e.next_step.trim();
      if (w && !n) errors[`next-${p.person.id}`] = [`Add a next step for ${p.person.name}.`];
      if (n && !w) errors[`what-${p.person.id}`] = [`Say what changed for ${p.person.name} this month.`];
      if (w && n) entries.push({ person_id: p.person.id, what_changed: w, next_step: n });
    }
    if (!state.held_on) errors.held_on = ["Give the date the supervision was held."];
    if (!entries.length && !Object.keys(errors).length && agenda.people.length) {
      errors[`what-${agenda.people[0].person.id}`] = ["Record what changed and a next step for at least one person."];
    }
    if (Object.keys(errors).length) { draw(); focusErrors(main); return; }
    state.busy = true;
    draw();
    try {
      await post("/api/v1/supervisions", { user_id: agenda.user.id, month: agenda.month, held_on: state.held_on, entries });
      app.dirtyForm = false;
      announce(`Supervision for ${agenda.month_label} saved.`);
      navigate(`/supervisions?user=${agenda.user.id}`);
    } catch (err) {
      problem = err.message;
      for (const [name, messages] of Object.entries(err.fields || {})) if (name === "held_on" && Array.isArray(messages)) errors.held_on = messages;
      state.busy = false;
      draw();
    }
  };

  const field = (name, label, personId) => {
    const key = `${name === "what_changed" ? "what" : "next"}-${personId}`;
    const err = errors[key];
    return html`<div class="field ${err ? "has-error" : ""}">
      <label for="f-${key}">${label}</label>
      ${err ? html`<p class="field-error" id="e-${key}">${err.join(" ")}</p>` : nothing}
      <textarea id="f-${key}" rows="3" .value=${state.entries[personId][name]} aria-invalid=${err ? "true" : "false"}
        aria-describedby=${err ? `e-${key}` : nothing} @input=${(ev) => { state.entries[personId][name] = ev.target.value; app.dirtyForm = true; }}></textarea></div>`;
  };

  const person = (p) => html`<section class="agenda-person" aria-labelledby="ap-${p.person.id}">
    <h2 id="ap-${p.person.id}">${p.person.name}</h2>
    ${p.previous_next_step ? html`<p><strong>Next step agreed in ${p.previous_next_step.month_label}:</strong> ${p.previous_next_step.next_step}</p>` : nothing}
    <h3>Reviews this month</h3>
    ${p.reviews.length ? html`<ul>${p.reviews.map((r) => html`<li>${r.domain}: ${r.previous_score != null ? `${r.previous_score} → ` : ""}${r.score}
      (${SCORE_WORDS[r.score]}), ${MOVEMENT[r.movement]} <span class="muted">${formatDate(r.happened_at)}</span></li>`)}</ul>` : html`<p>No reviews this month.</p>`}
    ${p.overdue.length ? html`<h3>Reviews overdue</h3><ul>${p.overdue.map((o) => html`<li>${o.domain}: due ${formatDate(o.due_on)} (${o.days_late} days late)</li>`)}</ul>` : nothing}
    ${p.escalations.length ? html`<h3>Open escalations</h3><ul>${p.escalations.map((e) => html`<li>${statusTag(e.status)} ${e.rule_label}, ${e.domain}
      ${["registered_manager", "senior_leader"].includes(app.user.role) ? html`<a href="/escalations/${e.id}">Open<span class="visually-hidden"> the ${e.rule_label.toLowerCase()} escalation about ${e.domain}</span></a>` : nothing}</li>`)}</ul>` : nothing}
    ${p.actions_due.length ? html`<h3>Actions due</h3><ul>${p.actions_due.map((a) => html`<li>${a.description} (${a.owner}), ${a.domain}: due ${formatDate(a.due_on)}</li>`)}</ul>` : nothing}
    ${agenda.existing ? nothing : html`
      ${field("what_changed", `What changed for ${p.person.preferred_name || p.person.name} this month?`, p.person.id)}
      ${field("next_step", "Next step", p.person.id)}`}
  </section>`;

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/supervisions">← Supervision</a></p>
    <h1>Supervision: ${agenda.user.name}, ${agenda.month_label}</h1>
    ${agenda.existing ? html`<p class="notice">A supervision for ${agenda.month_label} is already recorded. It is shown below the agenda.</p>` : nothing}
    ${problem ? html`<p class="notice error" role="alert">${problem}</p>` : nothing}
    ${errorSummary(errors)}
    ${agenda.people.length ? nothing : html`<p>${agenda.user.name} has no one on their caseload that you can see.</p>`}
    ${agenda.existing ? html`${agenda.people.map(person)}<h2>Recorded</h2><ul class="cards">${recordCard(agenda.existing, true)}</ul>` : html`
      <form @submit=${save} novalidate>
        <div class="field ${errors.held_on ? "has-error" : ""}"><label for="f-held_on">Held on</label>
          ${errors.held_on ? html`<p class="field-error" id="e-held_on">${errors.held_on.join(" ")}</p>` : nothing}
          <input id="f-held_on" type="date" .value=${state.held_on} @input=${(ev) => { state.held_on = ev.target.value; }}
            aria-invalid=${errors.held_on ? "true" : "false"} aria-describedby=${errors.held_on ? "e-held_on" : nothing}></div>
        ${agenda.people.map(person)}
        ${agenda.people.length ? html`<p class="hint">Fill in the people you discussed; leave the others blank.</p>
          <button type="submit" class="primary" ?disabled=${state.busy}>Save supervision</button>` : nothing}
      </form>`}`, main);
  draw();
}
