import { html, render, nothing } from "../../vendor/lit-html.js";
import { changeVoiceSection } from "./person-voice.js";
import { get } from "../api.js";
import { plotInto } from "../chart.js";
import { formatDate } from "../util.js";
import { mountChangeLearning } from "./learning.js";

const fmt = (v, digits = 1) => (v == null ? "–" : Number(v).toFixed(digits));

// The three weekly measures, each drawn in its own chart with its own title.
const CHARTS = [
  { key: "incidents", title: "Incidents per week", label: "Incidents", y: (u, min, max) => [0, Math.max(1, max + 1)] },
  { key: "engagement", title: "Engagement per week (1–5)", label: "Engagement", y: [0.5, 5.5] },
  { key: "mood", title: "Mood per week (1–5)", label: "Mood", y: [0.5, 5.5] },
];
const START_COLOUR = "#8a3b00";
const OTHER_COLOUR = "#4b4b9b";

// The methods, one paragraph each, each ending in exactly one full stop.
function methods(m) {
  return [m.incidents?.method, m.engagement?.method].filter(Boolean).map((t) => t.trim().replace(/\.*$/, "."));
}

export async function changeEffectView(main, { changeId }, query) {
  const weeks = Number(query.get("weeks") || 6);
  let effect;
  try {
    effect = await get(`/api/v1/changes/${changeId}/effect?weeks=${weeks}`);
  } catch (err) {
    render(html`<p class="breadcrumb"><a href="/changes">← Changes</a></p><h1>Change</h1>
      <p class="notice warning">${err.offline ? "The before/after figures need a signal." : err.message}</p>`, main);
    return;
  }
  const c = effect.change;
  const m = effect.measures || {};
  const inc = m.incidents || {};
  const prompted = (effect.themes || []).length ? effect.themes : (c.themes || []).map((t) => ({ theme: t }));
  const others = effect.overlapping_changes || [];
  const hasWeeks = (effect.series || []).length > 0;
  // The legend lists only the lines drawn: another change's line is drawn when it falls inside the weeks charted.
  const [lo, hi] = hasWeeks ? chartRange(effect) : [0, 0];
  const othersShown = others.filter((o) => { const x = Date.parse(`${o.starts_on}T00:00:00Z`) / 1000; return x >= lo && x <= hi; });
  render(html`
    <p class="breadcrumb"><a href="/changes">← Changes</a></p>
    <h1>${c.description || `A change in ${c.service_name || "the service"}`}</h1>
    <p class="lead">${c.service_name ? html`${c.service_name} · ` : nothing}started ${formatDate(c.starts_on)}${c.co_produced_with ? html`, decided with ${c.co_produced_with}` : nothing}.
      ${c.whole_service ? "Applies to the whole service." : c.anonymised ? `Applies to ${c.people_count} ${c.people_count === 1 ? "person" : "people"}.` : html`Applies to ${(c.people || []).map((p) => p.name).join(", ") || `${c.people_count} people`}.`}</p>
    <div class="notice ${effect.enough_data ? "" : "warning"} summary" role="status"><p><strong>${effect.headline || effect.summary}</strong></p></div>
    ${prompted.length ? html`<section class="prompted" aria-labelledby="prompted-heading">
      <h2 id="prompted-heading">Prompted by: ${prompted.map((t) => t.theme.name).join(", ")}</h2>
      ${prompted.filter((t) => t.before).map((t) => html`<p>Feedback conversations tagged “${t.theme.name}”:
        <strong>${share(t.before)}</strong> in the ${periodWeeks(t.before)} before the change,
        <strong>${share(t.after)}</strong> in the ${periodWeeks(t.after)} after.</p>`)}
    </section>` : nothing}
    <div id="change-learning"></div>
    ${others.length ? html`<div class="notice warning"><p><strong>Other changes started in this window</strong>, so they may explain some of the difference:</p>
      <ul>${others.map((o) => html`<li><a href="/changes/${o.id}">${o.description || "A change"}</a> (${formatDate(o.starts_on)})</li>`)}</ul></div>` : nothing}
    <form class="inline-form" method="get" action="/changes/${c.id}">
      <label for="weeks">Weeks before and after</label>
      <select id="weeks" name="weeks" @change=${(e) => { history.replaceState({}, "", `/changes/${c.id}?weeks=${e.target.value}`); changeEffectView(main, { changeId }, new URLSearchParams(`weeks=${e.target.value}`)); }}>
        ${[4, 6, 8, 12, 26].map((w) => html`<option value=${w} ?selected=${w === weeks}>${w}</option>`)}
      </select>
    </form>
    ${hasWeeks ? html`${CHARTS.map((ch) => html`<h2 id="chart-${ch.key}-heading">${ch.title}</h2>
      <div class="chart" id="chart-${ch.key}"></div>`)}
    <ul class="plain chart-legend" aria-label="Lines on the charts">
      <li><span class="legend-swatch start" aria-hidden="true"></span> Start of this change</li>
      ${othersShown.length ? html`<li><span class="legend-swatch other" aria-hidden="true"></span> Another change started</li>` : nothing}
    </ul>` : html`<p class="muted">No weekly checks (incidents, engagement, mood) were recorded for these people in these weeks, so there are no weekly charts.</p>`}
    <div class="table-scroll" tabindex="0" role="region" aria-label="Before and after"><table class="data figures">
      <caption>Before and after, ${effect.weeks} weeks each side</caption>
      <thead><tr><th scope="col">Measure</th><th scope="col">Before</th><th scope="col">After</th><th scope="col">Change (95% interval)</th></tr></thead>
      <tbody>
        <tr><th scope="row">Incidents a week</th><td>${fmt(inc.before?.mean)} <span class="muted">(${inc.before?.n ?? 0} wk, ${inc.before?.total ?? 0} total)</span></td>
          <td>${fmt(inc.after?.mean)} <span class="muted">(${inc.after?.n ?? 0} wk, ${inc.after?.total ?? 0} total)</span></td>
          <td>${inc.rate_ratio != null ? html`rate ratio ${fmt(inc.rate_ratio, 2)} (${fmt(inc.ci95?.[0], 2)} to ${inc.ci95?.[1] == null ? "no upper limit" : fmt(inc.ci95[1], 2)})` : "not enough data"}</td></tr>
        ${["engagement", "mood"].map((k) => { const s = m[k] || {}; return html`<tr><th scope="row">${k === "mood" ? "Mood (1–5)" : "Engagement (1–5)"}</th>
          <td>${fmt(s.before?.mean)} <span class="muted">(${s.before?.n ?? 0} wk)</span></td><td>${fmt(s.after?.mean)} <span class="muted">(${s.after?.n ?? 0} wk)</span></td>
          <td>${s.difference != null ? html`${s.difference > 0 ? "+" : ""}${fmt(s.difference)} (${fmt(s.ci95?.[0])} to ${fmt(s.ci95?.[1])})` : "not enough data"}</td></tr>`; })}
      </tbody>
    </table></div>
    ${changeVoiceSection(effect.voice)}
    <details class="methods">
      <summary>How this was worked out</summary>
      <p>${effect.summary}</p>
      ${methods(m).map((t) => html`<p>${t}</p>`)}
    </details>`, main);
  if (hasWeeks) for (const ch of CHARTS) drawChart(main.querySelector(`#chart-${ch.key}`), effect, ch);
  mountChangeLearning(main.querySelector("#change-learning"), c.id, c.service_id); // what led to it
}

function periodWeeks(side) {
  const n = (side?.quarters || []).length * 13;
  return n ? `${n} weeks` : "weeks";
}

function share(side) {
  if (!side) return "–";
  const tagged = side.tagged ?? side.count;
  const total = side.reviewed ?? side.conversations;
  const pct = side.share != null ? `${Math.round(side.share * 100)}%` : "–";
  return tagged != null && total != null ? `${pct} (${tagged} of ${total} reviewed)` : pct;
}

// The charts' time axis: every week charted and the start of the change, with a little room.
function chartRange(effect) {
  const xs = (effect.series || []).map((r) => Date.parse(`${r.week_of}T12:00:00Z`) / 1000);
  const start = Date.parse(`${effect.change.starts_on}T00:00:00Z`) / 1000;
  return [Math.min(...xs, start) - 3 * 86400, Math.max(...xs, start) + 3 * 86400];
}

function drawChart(target, effect, chart) {
  const rows = (effect.series || []).slice().sort((a, b) => a.week_of.localeCompare(b.week_of));
  if (!target) return null;
  if (!rows.length) {
    target.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "No weekly checks in these weeks." }));
    return null;
  }
  const xs = rows.map((r) => Date.parse(`${r.week_of}T12:00:00Z`) / 1000);
  const start = Date.parse(`${effect.change.starts_on}T00:00:00Z`) / 1000;
  const others = (effect.overlapping_changes || []).map((o) => Date.parse(`${o.starts_on}T00:00:00Z`) / 1000);
  const line = (u, x, colour, dashed) => {
    const px = u.valToPos(x, "x", true);
    if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) return;
    u.ctx.save(); u.ctx.strokeStyle = colour; u.ctx.lineWidth = 2 * devicePixelRatio;
    u.ctx.setLineDash(dashed ? [6 * devicePixelRatio, 4 * devicePixelRatio] : []);
    u.ctx.beginPath(); u.ctx.moveTo(px, u.bbox.top); u.ctx.lineTo(px, u.bbox.top + u.bbox.height); u.ctx.stroke(); u.ctx.restore();
  };
  const plot = plotInto(target, {
    width: Math.max(280, Math.min(target.clientWidth || 320, 720)), height: 200, legend: { show: false },
    scales: { x: { time: true, range: chartRange(effect) }, y: { range: chart.y } },
    axes: [{ grid: { stroke: "#ddd" } }, { grid: { stroke: "#ddd" }, size: 34 }],
    series: [{}, { label: chart.label, stroke: "#0b5d57", width: 3, spanGaps: true, points: { size: 8, fill: "#0b5d57" } }],
    hooks: { draw: [(u) => { line(u, start, START_COLOUR, false); others.forEach((x) => line(u, x, OTHER_COLOUR, true)); }] },
  }, [xs, rows.map((r) => r[chart.key])]);
  const canvas = target.querySelector("canvas");
  canvas?.setAttribute("role", "img");
  canvas?.setAttribute("aria-label", `${chart.title}, before and after the change; the table gives the figures.`);
  return plot;
}
