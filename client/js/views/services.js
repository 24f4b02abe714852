import { html, render, nothing } from "../../vendor/lit-html.js";
import uPlot from "../../vendor/uPlot.esm.js";
import { get } from "../api.js";
import { app } from "../main.js";
import { formatDate } from "../util.js";

function currentQuarter() {
  const d = new Date();
  return `${d.getFullYear()}Q${Math.floor(d.getMonth() / 3) + 1}`;
}

function quarters(n) {
  const out = [];
  const d = new Date();
  let y = d.getFullYear();
  let q = Math.floor(d.getMonth() / 3) + 1;
  for (let i = 0; i < n; i += 1) {
    out.push(`${y}Q${q}`);
    q -= 1;
    if (q === 0) { q = 4; y -= 1; }
  }
  return out;
}

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

export async function serviceMeasuresView(main, { serviceId }, query) {
  const quarter = query.get("quarter") || currentQuarter();
  let m;
  try { m = await get(`/api/v1/services/${serviceId}/measures?quarter=${quarter}`); } catch (err) {
    render(html`<h1>Service measures</h1><p class="notice warning">${err.offline ? "Service figures need a signal." : err.message}</p>`, main);
    return;
  }
  const o = m.outcomes;
  render(html`
    <p class="breadcrumb"><a href="/services">← Services</a></p>
    <h1>${m.service.name}: ${m.quarter}</h1>
    <form class="inline-form" method="get">
      <label for="quarter">Quarter</label>
      <select id="quarter" name="quarter" @change=${(e) => { history.replaceState({}, "", `/services/${serviceId}?quarter=${e.target.value}`); serviceMeasuresView(main, { serviceId }, new URLSearchParams(`quarter=${e.target.value}`)); }}>
        ${quarters(6).map((q) => html`<option value=${q} ?selected=${q === m.quarter}>${q}</option>`)}
      </select>
    </form>
    <p class="muted">${formatDate(m.from)} to ${formatDate(m.to)} · ${m.people} people supported · ${m.people_reviewed} reviewed this quarter</p>
    <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
      <caption>Outcomes this quarter</caption>
      <tbody>
        <tr><th scope="row">People achieving at least one goal</th><td>${m.people_achieving_goal} (${m.percent_achieving_goal ?? "–"}%)</td></tr>
        <tr><th scope="row">People with at least one outcome improving</th><td>${m.people_improving} (${m.percent_improving ?? "–"}%)</td></tr>
        <tr><th scope="row">Outcomes improved</th><td>${o.improved}</td></tr>
        <tr><th scope="row">Outcomes the same</th><td>${o.same}</td></tr>
        <tr><th scope="row">Outcomes worse</th><td>${o.worse}</td></tr>
        <tr><th scope="row">Outcomes with one review only</th><td>${o.single_review}</td></tr>
      </tbody>
    </table></div>
    <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
      <caption>Stability and participation</caption>
      <tbody>
        ${Object.entries(m.restrictive_practices_by_month).map(([month, n]) => html`<tr><th scope="row">Restrictive practices, ${month}</th><td>${n}</td></tr>`)}
        <tr><th scope="row">Community participation per person-month</th><td>${m.community_participation_per_person_month ?? "–"}</td></tr>
        <tr><th scope="row">Employment engagement per person-month</th><td>${m.employment_per_person_month ?? "–"}</td></tr>
        <tr><th scope="row">Unplanned hospital admissions</th><td>${m.unplanned_hospital_admissions}</td></tr>
      </tbody>
    </table></div>
    <p><a href="/reports/services/${serviceId}?quarter=${m.quarter}" target="_blank" rel="noopener">Print-ready report</a></p>
    ${m.trajectories?.length ? html`<h2>Anonymised progress</h2>
      <div class="chart" id="traj-chart"></div>
      <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data"><caption>Scores over time per person and outcome (anonymised)</caption>
        <thead><tr><th scope="col">Who</th><th scope="col">Scores, oldest first</th></tr></thead>
        <tbody>${m.trajectories.map((t) => html`<tr><th scope="row">${t.person}</th><td>${t.points.map((p) => p.score).join(" → ")}</td></tr>`)}</tbody></table></div>` : nothing}
    <h2>How these are counted</h2>
    <ul>${Object.values(m.definitions).map((d) => html`<li>${d}</li>`)}</ul>`, main);
  const target = main.querySelector("#traj-chart");
  if (target && m.trajectories.length) {
    const allDates = [...new Set(m.trajectories.flatMap((t) => t.points.map((p) => p.date)))].sort();
    const xs = allDates.map((d) => Date.parse(`${d}T12:00:00Z`) / 1000);
    const series = m.trajectories.map((t) => allDates.map((d) => t.points.find((p) => p.date === d)?.score ?? null));
    new uPlot({
      width: Math.max(280, Math.min(target.clientWidth || 320, 720)), height: 220, legend: { show: false },
      scales: { x: { time: true }, y: { range: [0.5, 5.5] } },
      axes: [{ grid: { stroke: "#ddd" } }, { grid: { stroke: "#ddd" }, size: 30, splits: () => [1, 2, 3, 4, 5] }],
      series: [{}, ...m.trajectories.map(() => ({ stroke: "#0b5d57", width: 1.5, spanGaps: true, points: { size: 5 } }))],
    }, [xs, ...series], target);
    target.querySelector("canvas")?.setAttribute("role", "img");
    target.querySelector("canvas")?.setAttribute("aria-label", "Anonymised score trajectories; the table gives the figures.");
  }
}
