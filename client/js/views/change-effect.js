import { html, render, nothing } from "../../vendor/lit-html.js";
import uPlot from "../../vendor/uPlot.esm.js";
import { get } from "../api.js";
import { formatDate } from "../util.js";

const fmt = (v, digits = 1) => (v == null ? "–" : Number(v).toFixed(digits));

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
  render(html`
    <p class="breadcrumb"><a href="/changes">← Changes</a></p>
    <h1>${c.description || "Co-produced change"}</h1>
    <p>Started ${formatDate(c.starts_on)}${c.co_produced_with ? html`, decided with ${c.co_produced_with}` : nothing}.
      ${c.whole_service ? "Applies to the whole service." : html`Applies to ${(c.people || []).map((p) => p.name).join(", ") || `${c.people_count} people`}.`}</p>
    <form class="inline-form" method="get" action="/changes/${c.id}">
      <label for="weeks">Weeks before and after</label>
      <select id="weeks" name="weeks" @change=${(e) => { history.replaceState({}, "", `/changes/${c.id}?weeks=${e.target.value}`); changeEffectView(main, { changeId }, new URLSearchParams(`weeks=${e.target.value}`)); }}>
        ${[4, 6, 8, 12, 26].map((w) => html`<option value=${w} ?selected=${w === weeks}>${w}</option>`)}
      </select>
    </form>
    <div class="notice ${effect.enough_data ? "" : "warning"} summary" role="status"><p><strong>${effect.summary}</strong></p></div>
    ${effect.overlapping_changes.length ? html`<div class="notice warning"><p><strong>Other changes started in this window</strong>, so they may explain some of the difference:</p>
      <ul>${effect.overlapping_changes.map((o) => html`<li><a href="/changes/${o.id}">${o.description || "A change"}</a> (${formatDate(o.starts_on)})</li>`)}</ul></div>` : nothing}
    <h2>Incidents per week</h2>
    <div class="chart" id="effect-chart"></div>
    <p class="chart-key">The vertical line is the start of the change.</p>
    <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
      <caption>Before and after, ${effect.weeks} weeks each side</caption>
      <thead><tr><th scope="col">Measure</th><th scope="col">Before</th><th scope="col">After</th><th scope="col">Change (95% interval)</th></tr></thead>
      <tbody>
        <tr><th scope="row">Incidents a week</th><td>${fmt(inc.before?.mean)} <span class="muted">(${inc.before?.n ?? 0} wk, ${inc.before?.total ?? 0} total)</span></td>
          <td>${fmt(inc.after?.mean)} <span class="muted">(${inc.after?.n ?? 0} wk, ${inc.after?.total ?? 0} total)</span></td>
          <td>${inc.rate_ratio != null ? html`rate ratio ${fmt(inc.rate_ratio, 2)} (${fmt(inc.ci95?.[0], 2)} to ${fmt(inc.ci95?.[1], 2)})` : "not enough data"}</td></tr>
        ${["engagement", "mood"].map((k) => { const s = m[k] || {}; return html`<tr><th scope="row">${k === "mood" ? "Mood (1–5)" : "Engagement (1–5)"}</th>
          <td>${fmt(s.before?.mean)} <span class="muted">(${s.before?.n ?? 0} wk)</span></td><td>${fmt(s.after?.mean)} <span class="muted">(${s.after?.n ?? 0} wk)</span></td>
          <td>${s.difference != null ? html`${s.difference > 0 ? "+" : ""}${fmt(s.difference)} (${fmt(s.ci95?.[0])} to ${fmt(s.ci95?.[1])})` : "not enough data"}</td></tr>`; })}
      </tbody>
    </table></div>
    <p class="muted">Methods: ${inc.method || ""}${m.engagement?.method ? `; ${m.engagement.method}` : ""}.</p>
    ${(effect.themes || []).length ? html`<h2>Feedback themes it answers</h2>
      <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data"><caption>Share of reviewed feedback conversations tagged with each theme</caption>
        <thead><tr><th scope="col">Theme</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
        <tbody>${effect.themes.map((t) => html`<tr><th scope="row">${t.theme.name}</th>
          <td>${share(t.before)}</td><td>${share(t.after)}</td></tr>`)}</tbody></table></div>` : nothing}`, main);
  drawChart(main.querySelector("#effect-chart"), effect);
}

function share(side) {
  if (!side) return "–";
  const tagged = side.tagged ?? side.count;
  const total = side.reviewed ?? side.conversations;
  const pct = side.share != null ? `${Math.round(side.share * 100)}%` : "–";
  return tagged != null && total != null ? `${pct} (${tagged} of ${total})` : pct;
}

function drawChart(target, effect) {
  const rows = (effect.series || []).slice().sort((a, b) => a.week_of.localeCompare(b.week_of));
  if (!target || !rows.length) return;
  const xs = rows.map((r) => Date.parse(`${r.week_of}T12:00:00Z`) / 1000);
  const start = Date.parse(`${effect.change.starts_on}T00:00:00Z`) / 1000;
  const plot = new uPlot({
    width: Math.max(280, Math.min(target.clientWidth || 320, 720)), height: 220, legend: { show: false },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max + 1)] } },
    axes: [{ grid: { stroke: "#ddd" } }, { grid: { stroke: "#ddd" }, size: 34 }],
    series: [{}, { label: "Incidents", stroke: "#0b5d57", width: 3, points: { size: 8, fill: "#0b5d57" } }],
    hooks: { draw: [(u) => {
      const x = u.valToPos(start, "x", true);
      u.ctx.save(); u.ctx.strokeStyle = "#8a3b00"; u.ctx.lineWidth = 2 * devicePixelRatio;
      u.ctx.beginPath(); u.ctx.moveTo(x, u.bbox.top); u.ctx.lineTo(x, u.bbox.top + u.bbox.height); u.ctx.stroke(); u.ctx.restore();
    }] },
  }, [xs, rows.map((r) => r.incidents)], target);
  const canvas = target.querySelector("canvas");
  canvas?.setAttribute("role", "img");
  canvas?.setAttribute("aria-label", "Incidents per week before and after the change; the table gives the figures.");
  return plot;
}
