// Care-plan re-audit: who is due in a service, the audit form (three questions per active outcome,
// with a note), and an audit's result with its follow-ups.
import { html, render, nothing } from "../../vendor/lit-html.js";
import { get, post } from "../api.js";
import { app } from "../app-state.js";
import { navigate } from "../router.js";
import { errorSummary, focusErrors } from "../forms.js";
import { announce, formatDate, today } from "../util.js";
import { governedServices, longDate, offlineNote, tableRegion } from "./gov-common.js";

const QUESTIONS = [
  ["still_relevant", "Is it still relevant?"],
  ["person_led", "Is it person-led (in their words, their priority)?"],
  ["person_can_describe", "Can the person describe it?"],
];
const STATUS = { never: "Never audited", overdue: "Overdue", due: "Due today", not_due: "Not due" };

export async function auditsView(main, _params, query) {
  let services = [];
  try { services = await governedServices(); } catch (err) {
    render(html`<h1>Care-plan audits</h1>${offlineNote(err)}`, main);
    return;
  }
  const serviceId = query.get("service") || services[0]?.id;
  let due;
  let recent;
  try {
    [due, recent] = await Promise.all([
      get(`/api/v1/care-plan-audits?service=${serviceId}&due=true`),
      get(`/api/v1/care-plan-audits?service=${serviceId}&limit=20`),
    ]);
  } catch (err) {
    render(html`<h1>Care-plan audits</h1>${offlineNote(err)}`, main);
    return;
  }
  const choose = (event) => { event.preventDefault(); navigate(`/audits?service=${new FormData(event.target).get("service")}`); };
  render(html`
    <p class="breadcrumb"><a href="/governance">← Governance</a></p>
    <h1>Care-plan audits</h1>
    <p class="lead">Every ${due.interval_months} months, for each active goal: is it still relevant, is it person-led, and can the person describe it?</p>
    ${services.length > 1 ? html`<form class="inline-form" @submit=${choose}>
      <label for="audit-service">Service</label>
      <select id="audit-service" name="service">${services.map((s) => html`<option value=${s.id} ?selected=${s.id === serviceId}>${s.name}</option>`)}</select>
      <button type="submit" class="secondary">Show</button></form>` : nothing}
    <h2>Due or overdue in ${due.service.name}</h2>
    ${due.items.length ? tableRegion(html`<table class="data">
      <caption>${due.items.length} ${due.items.length === 1 ? "person" : "people"} due an audit</caption>
      <thead><tr><th scope="col">Person</th><th scope="col">Last audit</th><th scope="col">Due</th><th scope="col">Audit</th></tr></thead>
      <tbody>${due.items.map((i) => html`<tr>
        <td>${i.person_name}</td>
        <td>${i.last_audited_on ? formatDate(i.last_audited_on) : "Never"}</td>
        <td>${i.due_on ? html`${formatDate(i.due_on)}${i.days_overdue ? html`<br><span class="muted">${i.days_overdue} days overdue</span>` : nothing}` : STATUS[i.status]}</td>
        <td><a href="/audits/new/${i.person_id}">Audit now<span class="visually-hidden">: ${i.person_name}</span></a></td></tr>`)}</tbody>
    </table>`) : html`<p>No one is due.</p>`}
    <h2>Recent audits</h2>
    ${recent.items.length ? html`<ul class="cards">${recent.items.map((a) => html`<li class="card">
      <a class="card-link" href="/audits/${a.id}"><span class="card-title">${a.person_name}</span>
        <span class="card-meta">Audited ${formatDate(a.audited_on)} by ${a.audited_by_name} · next due ${formatDate(a.next_due_on)}</span>
        ${a.follow_up.length ? html`<span>${a.follow_up.length} goal${a.follow_up.length === 1 ? "" : "s"} to redefine with the person</span>` : nothing}</a></li>`)}</ul>`
      : html`<p>None yet.</p>`}`, main);
}

export async function auditFormView(main, { personId }) {
  let person;
  let outcomes;
  try {
    [person, outcomes] = await Promise.all([get(`/api/v1/people/${personId}`), get(`/api/v1/people/${personId}/outcomes`)]);
  } catch (err) {
    render(html`<p class="breadcrumb"><a href="/audits">← Care-plan audits</a></p><h1>Care-plan audit</h1>${offlineNote(err)}`, main);
    return;
  }
  const active = outcomes.filter((o) => o.status === "active");
  const state = { audited_on: today(), answers: Object.fromEntries(active.map((o) => [o.id, { still_relevant: null, person_led: null, person_can_describe: null, note: "" }])), busy: false };
  let errors = {};
  let problem = null;

  const save = async (event) => {
    event.preventDefault();
    errors = {};
    for (const o of active) {
      const a = state.answers[o.id];
      for (const [name, question] of QUESTIONS) if (a[name] === null) errors[`${name}-${o.id}`] = [`“${o.domain}”: answer “${question}”`];
      if ([a.still_relevant, a.person_led, a.person_can_describe].includes(false) && !a.note.trim()) {
        errors[`note-${o.id}`] = [`“${o.domain}”: where an answer is no, say what will change.`];
      }
    }
    if (!state.audited_on) errors.audited_on = ["Give the date of the audit."];
    if (Object.keys(errors).length) { draw(); focusErrors(main); return; }
    state.busy = true;
    draw();
    try {
      const saved = await post("/api/v1/care-plan-audits", {
        person_id: person.id, audited_on: state.audited_on,
        outcomes: active.map((o) => ({ outcome_id: o.id, ...state.answers[o.id], note: state.answers[o.id].note.trim() })),
      });
      app.dirtyForm = false;
      announce("Audit saved.");
      navigate(`/audits/${saved.id}`);
    } catch (err) {
      problem = err.message;
      state.busy = false;
      draw();
    }
  };

  const yesNo = (o, name, question) => {
    const key = `${name}-${o.id}`;
    const value = state.answers[o.id][name];
    return html`<fieldset class="field yes-no ${errors[key] ? "has-error" : ""}" id="f-${key}" tabindex="-1">
      <legend>${question}</legend>
      ${errors[key] ? html`<p class="field-error">${errors[key].join(" ")}</p>` : nothing}
      <div class="inline-options">
        <label class="choice"><input type="radio" name=${key} .checked=${value === true} @change=${() => { state.answers[o.id][name] = true; app.dirtyForm = true; }}> Yes</label>
        <label class="choice"><input type="radio" name=${key} .checked=${value === false} @change=${() => { state.answers[o.id][name] = false; app.dirtyForm = true; draw(); }}> No</label>
      </div></fieldset>`;
  };

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/audits?service=${person.service_id}">← Care-plan audits</a></p>
    <h1>Care-plan audit: ${person.name}</h1>
    ${problem ? html`<p class="notice error" role="alert">${problem}</p>` : nothing}
    ${errorSummary(errors)}
    <form @submit=${save} novalidate>
      <div class="field ${errors.audited_on ? "has-error" : ""}"><label for="f-audited_on">Audited on</label>
        <input id="f-audited_on" type="date" .value=${state.audited_on} @input=${(ev) => { state.audited_on = ev.target.value; }}></div>
      ${active.length ? active.map((o) => html`<section class="audit-outcome" aria-labelledby="ao-${o.id}">
        <h2 id="ao-${o.id}">${o.domain}</h2>
        <blockquote class="persons-words">“${o.persons_words}”</blockquote>
        ${QUESTIONS.map(([name, question]) => yesNo(o, name, question))}
        <div class="field ${errors[`note-${o.id}`] ? "has-error" : ""}"><label for="f-note-${o.id}">Note <span class="muted">(needed where an answer is no)</span></label>
          ${errors[`note-${o.id}`] ? html`<p class="field-error" id="e-note-${o.id}">${errors[`note-${o.id}`].join(" ")}</p>` : nothing}
          <textarea id="f-note-${o.id}" rows="2" .value=${state.answers[o.id].note} aria-invalid=${errors[`note-${o.id}`] ? "true" : "false"}
            aria-describedby=${errors[`note-${o.id}`] ? `e-note-${o.id}` : nothing}
            @input=${(ev) => { state.answers[o.id].note = ev.target.value; app.dirtyForm = true; }}></textarea></div>
        ${state.answers[o.id].person_led === false ? html`<p class="notice warning">Not person-led: after saving, <a href="/outcomes/${o.id}/edit">edit “${o.domain}” with ${person.preferred_name || person.name}</a>, in their own words.</p>` : nothing}
      </section>`) : html`<p>${person.name} has no active outcomes. Saving records an audit that found none; define goals with them next.</p>`}
      <button type="submit" class="primary" ?disabled=${state.busy}>Save audit</button>
    </form>`, main);
  draw();
}

export async function auditView(main, { auditId }) {
  let a;
  try { a = await get(`/api/v1/care-plan-audits/${auditId}`); } catch (err) {
    render(html`<p class="breadcrumb"><a href="/audits">← Care-plan audits</a></p><h1>Care-plan audit</h1>${offlineNote(err)}`, main);
    return;
  }
  const yes = (v) => (v ? "Yes" : "No");
  render(html`
    <p class="breadcrumb"><a href="/audits?service=${a.service_id}">← Care-plan audits</a></p>
    <h1>Care-plan audit: ${a.person_name}</h1>
    <p>Audited ${longDate(a.audited_on)} by ${a.audited_by_name}. Next due ${longDate(a.next_due_on)}.</p>
    ${a.follow_up.length ? html`<div class="notice warning"><h2>To do with ${a.person_name}</h2><ul>${a.follow_up.map((f) => html`
      <li>${f.why} <a href=${f.edit_url}>Edit “${f.domain}”</a></li>`)}</ul></div>` : nothing}
    ${a.outcomes.length ? tableRegion(html`<table class="data figures">
      <caption>Answers per outcome</caption>
      <thead><tr><th scope="col">Outcome</th><th scope="col">Still relevant</th><th scope="col">Person-led</th><th scope="col">Can describe it</th><th scope="col">Note</th></tr></thead>
      <tbody>${a.outcomes.map((o) => html`<tr><th scope="row">${o.domain}</th><td>${yes(o.still_relevant)}</td><td>${yes(o.person_led)}</td>
        <td>${yes(o.person_can_describe)}</td><td>${o.note}</td></tr>`)}</tbody></table>`) : html`<p>No active outcomes at the time.</p>`}
    <p><a href="/learning/new?service=${a.service_id}&source_kind=audit&source_id=${a.id}">Record learning from this audit</a></p>`, main);
}
