// The monthly service dashboard for the governance meeting, and the governance hub that leads to
// every governance screen. The dashboard prints cleanly (see @media print in app.css).
import { html, render, nothing } from "../../vendor/lit-html.js";
import { get } from "../api.js";
import { app } from "../app-state.js";
import { navigate } from "../router.js";
import { formatDate, quarterLabel } from "../util.js";
import { RULE_LABELS, governedServices, longDate, monthLabel, offlineNote, recentMonths, tableRegion, thisMonth } from "./gov-common.js";

export async function governanceView(main) {
  let services = [];
  let counts = null;
  try {
    [services, counts] = await Promise.all([governedServices(), get("/api/v1/escalations?limit=1").then((d) => d.counts)]);
  } catch (err) {
    render(html`<h1>Governance</h1>${offlineNote(err)}`, main);
    return;
  }
  render(html`
    <h1>Governance</h1>
    <p class="lead">The monthly review of outcomes: what changed, what needs leadership, and what the service learned and decided.</p>
    <ul class="cards">
      <li class="card"><a class="card-link" href="/escalations"><span class="card-title">Escalations</span>
        <span class="card-meta">${counts.open} open · ${counts.acknowledged} acknowledged, waiting for an answer</span></a></li>
      ${services.map((s) => html`<li class="card"><a class="card-link" href="/governance/dashboard?service=${s.id}&month=${thisMonth()}">
        <span class="card-title">Monthly dashboard: ${s.name}</span><span class="card-meta">${monthLabel(thisMonth())}, beside last month</span></a></li>`)}
      <li class="card"><a class="card-link" href="/supervisions"><span class="card-title">Supervision</span>
        <span class="card-meta">What changed for each person this month?</span></a></li>
      <li class="card"><a class="card-link" href="/audits"><span class="card-title">Care-plan audits</span>
        <span class="card-meta">Still relevant, person-led, can the person describe it?</span></a></li>
      <li class="card"><a class="card-link" href="/learning"><span class="card-title">Learning log</span>
        <span class="card-meta">What we learned, what we decided, and the change it led to</span></a></li>
    </ul>`, main);
}

function cell(side) {
  return html`${side.value} <span class="muted">(n = ${side.n})</span>`;
}

export async function dashboardView(main, _params, query) {
  let services = [];
  try { services = await governedServices(); } catch (err) {
    render(html`<h1>Monthly dashboard</h1>${offlineNote(err)}`, main);
    return;
  }
  const serviceId = query.get("service") || services[0]?.id;
  const month = query.get("month") || thisMonth();
  if (!serviceId) {
    render(html`<h1>Monthly dashboard</h1><p>You govern no services yet.</p>`, main);
    return;
  }
  let d;
  try { d = await get(`/api/v1/services/${serviceId}/dashboard?month=${month}`); } catch (err) {
    render(html`<p class="breadcrumb no-print"><a href="/governance">← Governance</a></p><h1>Monthly dashboard</h1>${offlineNote(err)}`, main);
    return;
  }
  const choose = (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    navigate(`/governance/dashboard?service=${form.get("service")}&month=${form.get("month")}`);
  };
  const rising = d.themes.themes.filter((t) => t.rising);
  const byRule = d.open_escalations_by_rule;
  render(html`
    <p class="breadcrumb no-print"><a href="/governance">← Governance</a></p>
    <h1>${d.service.name}: ${d.month_label}</h1>
    <form class="inline-form no-print" @submit=${choose} aria-label="Choose the service and month">
      <label for="dash-service">Service</label>
      <select id="dash-service" name="service">${services.map((s) => html`<option value=${s.id} ?selected=${s.id === d.service.id}>${s.name}</option>`)}</select>
      <label for="dash-month">Month</label>
      <select id="dash-month" name="month">${recentMonths(12).map((m) => html`<option value=${m} ?selected=${m === d.month}>${monthLabel(m)}</option>`)}</select>
      <button type="submit" class="secondary">Show</button>
      <button type="button" class="secondary" @click=${() => window.print()}>Print</button>
    </form>
    <p class="muted">Counted to ${longDate(d.as_of)}, beside ${d.previous_month_label}. Each figure shows its n: what it is counted out of.</p>
    ${tableRegion(html`<table class="data figures">
      <caption>${d.month_label} beside ${d.previous_month_label}</caption>
      <thead><tr><th scope="col">Figure</th><th scope="col">${d.month_label}</th><th scope="col">${d.previous_month_label}</th></tr></thead>
      <tbody>${d.figures.map((f) => html`<tr>
        <th scope="row">${f.label}<br><span class="muted">n: ${f.n_of}</span></th><td>${cell(f.current)}</td><td>${cell(f.previous)}</td></tr>`)}
        <tr><th scope="row">Outcomes reviewed for the first time</th><td>${d.first_reviews.current}</td><td>${d.first_reviews.previous}</td></tr>
      </tbody></table>`)}
    ${tableRegion(html`<table class="data">
      <caption>Open escalations at the end of the month, by rule</caption>
      <thead><tr><th scope="col">Rule</th><th scope="col">${d.month_label}</th><th scope="col">${d.previous_month_label}</th></tr></thead>
      <tbody>${Object.keys(RULE_LABELS).map((r) => html`<tr><th scope="row">${RULE_LABELS[r]}</th><td>${byRule.current[r]}</td><td>${byRule.previous[r]}</td></tr>`)}</tbody>
    </table>`)}
    <h2>Open escalations</h2>
    ${d.open_escalations.length ? html`<ul class="plain escalation-list">${d.open_escalations.map((e) => html`<li>
      <a href="/escalations/${e.id}">${e.rule_label}: ${e.person_name}</a>, ${e.outcome_domain} <span class="muted">(raised ${formatDate(e.raised_at)}, ${e.status})</span></li>`)}</ul>`
      : html`<p>None open at the end of ${d.month_label}.</p>`}
    <h2>Feedback themes rising</h2>
    <p class="muted">Conversations tagged in the three months to ${longDate(d.themes.current.to)} (${d.themes.current.reviewed} reviewed), against the three months before (${d.themes.previous.reviewed} reviewed).</p>
    ${rising.length ? tableRegion(html`<table class="data"><caption>Themes tagged more often than before</caption>
      <thead><tr><th scope="col">Theme</th><th scope="col">Last three months</th><th scope="col">Three months before</th></tr></thead>
      <tbody>${rising.map((t) => html`<tr><th scope="row">${t.name}</th>
        <td>${t.current.tagged} of ${t.current.reviewed}</td><td>${t.previous.tagged} of ${t.previous.reviewed}</td></tr>`)}</tbody></table>`)
      : html`<p>No theme is rising.</p>`}
    <h2>Changes started and their effect so far</h2>
    ${d.changes.length ? html`<ul class="plain change-list">${d.changes.map((c) => html`<li>
      <p><a href="/changes/${c.id}">${c.description}</a> <span class="muted">started ${formatDate(c.starts_on)}; ${c.weeks} week${c.weeks === 1 ? "" : "s"} each side so far</span></p>
      <p>${c.summary}</p></li>`)}</ul>` : html`<p>No changes started in the six months to ${d.month_label}.</p>`}
    <h2>Learning entries this month</h2>
    ${d.learning.length ? html`<ul class="plain">${d.learning.map((e) => html`<li class="learning-entry">
      <p><strong>${longDate(e.recorded_on)}</strong>: ${e.learned}</p><p>Decided: ${e.decision}${e.change ? html` → <a href="/changes/${e.change.id}">${e.change.description}</a>` : nothing}</p></li>`)}</ul>`
      : html`<p>None recorded in ${d.month_label}.</p>`}
    ${["registered_manager", "senior_leader"].includes(app.user.role) ? html`<p class="no-print">
      <a class="button secondary" href="/learning/new?service=${d.service.id}&source_kind=dashboard&source_id=${d.month}">Record learning from this dashboard</a></p>` : nothing}
    <details><summary>How these are counted</summary>
      <ul>${Object.values(d.definitions).map((text) => html`<li>${text}</li>`)}</ul></details>`, main);
}

// On the service measures screen (commissioners too): escalations in the quarter, counts only.
export async function mountEscalationCounts(target, serviceId, quarter) {
  if (!target) return;
  let d;
  try { d = await get(`/api/v1/services/${serviceId}/escalation-counts?quarter=${quarter}`); } catch { return; }
  if (!document.body.contains(target)) return;
  render(tableRegion(html`<table class="data">
    <caption>Escalations to senior leadership in ${quarterLabel(d.quarter)}</caption>
    <thead><tr><th scope="col">Rule</th><th scope="col">Raised</th><th scope="col">Answered</th><th scope="col">Still open at the end</th></tr></thead>
    <tbody>${d.rules.map((r) => html`<tr><th scope="row">${RULE_LABELS[r.rule]}</th><td>${r.raised}</td><td>${r.answered}</td><td>${r.open_at_end}</td></tr>`)}</tbody>
  </table>`), target);
}
