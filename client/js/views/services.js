import { html, render, nothing } from "../../vendor/lit-html.js";
import { serviceVoiceTable } from "./person-voice.js";
import { plotInto } from "../chart.js";
import { get } from "../api.js";
import { app } from "../app-state.js";
import { formatDate, monthLabel, quarterLabel } from "../util.js";
import { mountServiceDownloads } from "./evidence-links.js";
import { mountEscalationCounts } from "./dashboard.js";

export async function servicesView(main) {
  let services = [];
  try { services = await get("/api/v1/services"); } catch (err) {
    render(html`<h1>Services</h1><p class="notice warning">${err.offline ? "Service figures need a signal." : err.message}</p>`, main);
    return;
  }
  render(html`
    <h1>${app.user.role === "commissioner" ? "Services you commission" : "Services"}</h1>
    ${app.user.role === "commissioner" ? html`<p>Aggregate figures and anonymised progress. No names or notes are shown.</p>` : nothing}
    <ul class="cards">${services.map((s) => html`<li class="card"><a class="card-link" href="/services/${s.id}">
      <span class="card-title">${s.name}</span><span class="card-meta">${s.kind.replace("_", " ")}</span></a></li>`)}</ul>`, main);
}

const quarterWord = "previous quarter";

// A figure with the quarter before's beside it: "4 (previous quarter: 2)".
function withPrevious(now, before) {
  const show = (v) => (v == null ? "–" : v);
  return html`${show(now)} <span class="muted previous">(${quarterWord}: ${show(before)})</span>`;
}

let drawing = 0;

export async function serviceMeasuresView(main, { serviceId }, query) {
  const asked = query.get("quarter");
  const ticket = ++drawing; // a slower, earlier load (the app's redraw after a sync) never overwrites a later choice
  let m;
  try {
    m = await get(`/api/v1/services/${serviceId}/measures${asked ? `?quarter=${encodeURIComponent(asked)}` : ""}`);
    if (ticket !== drawing) return;
  } catch (err) {
    render(html`<h1>Service measures</h1><p class="notice warning">${err.offline ? "Service figures need a signal." : err.message}</p>`, main);
    return;
  }
  const o = m.outcomes;
  const p = m.previous || { outcomes: {}, restrictive_practices_by_month: {} };
  const po = p.outcomes || {};
  const choices = m.choices || [{ quarter: m.quarter, complete: m.complete }];
  const pick = (e) => {
    history.replaceState({}, "", `/services/${serviceId}?quarter=${e.target.value}`);
    serviceMeasuresView(main, { serviceId }, new URLSearchParams(`quarter=${e.target.value}`));
  };
  const prevMonths = Object.entries(p.restrictive_practices_by_month || {});
  render(html`
    <p class="breadcrumb"><a href="/services">← Services</a></p>
    <h1>${m.service.name}: ${quarterLabel(m.quarter)}</h1>
    <form class="inline-form" method="get">
      <label for="quarter">Quarter</label>
      <select id="quarter" name="quarter" @change=${pick}>
        ${choices.map((c) => html`<option value=${c.quarter} ?selected=${c.quarter === m.quarter}>${quarterLabel(c.quarter)}${c.complete ? "" : " (so far)"}</option>`)}
      </select>
    </form>
    ${m.complete === false ? html`<p class="notice warning">This quarter has not finished: the figures so far are partial.</p>` : nothing}
    <p class="muted">${formatDate(m.from)} to ${formatDate(m.to)} · ${m.people} people supported · ${m.people_reviewed} reviewed this quarter. Figures in brackets are for ${quarterLabel(p.quarter) || "the quarter before"}.</p>
    <div class="table-scroll" tabindex="0" role="region" aria-label="Outcomes this quarter"><table class="data figures">
      <caption>Outcomes this quarter</caption>
      <tbody>
        <tr><th scope="row">People achieving at least one goal</th><td>${m.people_achieving_goal} (${m.percent_achieving_goal ?? "–"}%)<br><span class="muted previous">${quarterWord}: ${p.people_achieving_goal ?? "–"} (${p.percent_achieving_goal ?? "–"}%)</span></td></tr>
        <tr><th scope="row">People with at least one outcome improving</th><td>${m.people_improving} (${m.percent_improving ?? "–"}%)<br><span class="muted previous">${quarterWord}: ${p.people_improving ?? "–"} (${p.percent_improving ?? "–"}%)</span></td></tr>
        <tr><th scope="row">Outcomes improved</th><td>${withPrevious(o.improved, po.improved)}</td></tr>
        <tr><th scope="row">Outcomes the same</th><td>${withPrevious(o.same, po.same)}</td></tr>
        <tr><th scope="row">Outcomes worse</th><td>${withPrevious(o.worse, po.worse)}</td></tr>
        <tr><th scope="row">Outcomes with one review only</th><td>${withPrevious(o.single_review, po.single_review)}</td></tr>
      </tbody>
    </table></div>
    <div class="table-scroll" tabindex="0" role="region" aria-label="Stability and participation"><table class="data figures">
      <caption>Stability and participation</caption>
      <tbody>
        ${Object.entries(m.restrictive_practices_by_month).map(([month, n], i) => html`<tr><th scope="row">Restrictive practices, ${monthLabel(month)}</th><td>${n}${prevMonths[i] ? html` <span class="muted previous">(${monthLabel(prevMonths[i][0])}: ${prevMonths[i][1]})</span>` : nothing}</td></tr>`)}
        <tr><th scope="row">Community participation per person-month</th><td>${withPrevious(m.community_participation_per_person_month, p.community_participation_per_person_month)}</td></tr>
        <tr><th scope="row">Employment engagement per person-month</th><td>${withPrevious(m.employment_per_person_month, p.employment_per_person_month)}</td></tr>
        <tr><th scope="row">Unplanned hospital admissions</th><td>${withPrevious(m.unplanned_hospital_admissions, p.unplanned_hospital_admissions)}</td></tr>
      </tbody>
    </table></div>
    ${serviceVoiceTable(m)}
    <div id="evidence-downloads"></div>
    <div id="escalation-counts"></div>
    ${m.trajectories?.length ? html`<h2>Anonymised progress</h2>
      <div class="chart" id="traj-chart"></div>
      <div class="table-scroll" tabindex="0" role="region" aria-label="Scores over time"><table class="data"><caption>Scores over time per person and outcome (anonymised)</caption>
        <thead><tr><th scope="col">Who</th><th scope="col">Scores, oldest first</th></tr></thead>
        <tbody>${m.trajectories.map((t) => html`<tr><th scope="row">${t.person}</th><td>${t.points.map((pt) => pt.score).join(" → ")}</td></tr>`)}</tbody></table></div>` : nothing}
    <h2>How these are counted</h2>
    <ul>${Object.values(m.definitions).map((d) => html`<li>${d}</li>`)}</ul>`, main);
  mountServiceDownloads(main.querySelector("#evidence-downloads"), { serviceId, quarter: m.quarter, role: app.user.role });
  mountEscalationCounts(main.querySelector("#escalation-counts"), serviceId, m.quarter); // counts only, no names
  const target = main.querySelector("#traj-chart");
  if (target && m.trajectories.length) {
    const allDates = [...new Set(m.trajectories.flatMap((t) => t.points.map((p) => p.date)))].sort();
    const xs = allDates.map((d) => Date.parse(`${d}T12:00:00Z`) / 1000);
    const series = m.trajectories.map((t) => allDates.map((d) => t.points.find((p) => p.date === d)?.score ?? null));
    plotInto(target, {
      width: Math.max(280, Math.min(target.clientWidth || 320, 720)), height: 220, legend: { show: false },
      scales: { x: { time: true }, y: { range: [0.5, 5.5] } },
      axes: [{ grid: { stroke: "#ddd" } }, { grid: { stroke: "#ddd" }, size: 30, splits: () => [1, 2, 3, 4, 5] }],
      series: [{}, ...m.trajectories.map(() => ({ stroke: "#0b5d57", width: 1.5, spanGaps: true, points: { size: 5 } }))],
    }, [xs, ...series]);
    target.querySelector("canvas")?.setAttribute("role", "img");
    target.querySelector("canvas")?.setAttribute("aria-label", "Anonymised score trajectories; the table gives the figures.");
  }
}
