import { html, render, nothing } from "../../vendor/lit-html.js";
import { plotInto } from "../chart.js";
import { get, pagedUrl, post } from "../api.js";
import { nextPage } from "../show-more.js";
import { app } from "../app-state.js";
import { navigate } from "../router.js";
import { announce, formatDate, quarterLabel } from "../util.js";
import { SCALES } from "../pictures.js";

function offlineNote(err) {
  return html`<p class="notice warning">${err.offline ? "This screen needs a signal." : err.message}</p>`;
}

// The manager's queue of feedback conversations to read and tag, newest first, 50 at a time.
const PAGE = 50;

export async function feedbackQueueView(main, _params, query) {
  const status = query.get("status") || "unreviewed";
  const url = `/api/v1/feedback?status=${status}`;
  let rows = [];
  let next = null;
  let error = null;
  let loading = false;
  try {
    const page = await get(pagedUrl(url, PAGE));
    rows = page.items;
    next = page.next_cursor;
  } catch (err) { error = err; }
  const services = app.user.services || [];

  const more = async () => {
    loading = true;
    draw();
    const before = rows.length;
    const page = await nextPage(url, PAGE, next, ["conversation", "conversations"]);
    if (page) {
      rows = rows.concat(page.items);
      next = page.next_cursor;
    }
    loading = false;
    draw();
    main.querySelectorAll(".feedback-list .card-link")[before]?.focus();
  };

  const draw = () => render(html`
    <h1>Feedback conversations</h1>
    <nav class="tabs" aria-label="Filter">
      <a href="/feedback?status=unreviewed" aria-current=${status === "unreviewed" ? "page" : "false"}>To review</a>
      <a href="/feedback?status=reviewed" aria-current=${status === "reviewed" ? "page" : "false"}>Reviewed</a>
      <a href="/feedback?status=all" aria-current=${status === "all" ? "page" : "false"}>All</a>
    </nav>
    ${services.length ? html`<p>Theme trends: ${services.map((s, i) => html`${i ? ", " : ""}<a href="/services/${s.id}/themes">${s.name}</a>`)}</p>` : nothing}
    ${error ? offlineNote(error) : nothing}
    ${rows.length ? html`<ul class="cards feedback-list" aria-label="Conversations">${rows.map((f) => html`<li class="card">
      <a class="card-link" href="/feedback/${f.id}">
        <span class="card-title">${f.person_name || "Conversation"}</span>
        <span class="card-meta">${formatDate(f.happened_at)} · ${f.status === "reviewed" ? "reviewed" : "to review"}</span>
        ${f.feels_difficult ? html`<span>Difficult: “${f.feels_difficult}”</span>` : nothing}
        ${f.themes?.length ? html`<span class="card-meta">Themes: ${f.themes.map((t) => t.name).join(", ")}</span>` : nothing}
      </a></li>`)}</ul>
      ${next ? html`<p><button type="button" class="secondary" ?disabled=${loading} @click=${more}>${loading ? "Loading…" : "Show more conversations"}</button></p>` : nothing}`
      : error ? nothing : html`<p>Nothing here.</p>`}`, main);
  draw();
}

export async function feedbackReviewView(main, { feedbackId }) {
  let f, themes, suggestions;
  try {
    [f, themes] = await Promise.all([get(`/api/v1/feedback/${feedbackId}`), get("/api/v1/themes")]);
    suggestions = app.user.role === "registered_manager" ? (await get(`/api/v1/feedback/${feedbackId}/suggested-themes`)).suggestions : [];
  } catch (err) {
    render(html`<p class="breadcrumb"><a href="/feedback">← Feedback</a></p><h1>Feedback conversation</h1>${offlineNote(err)}`, main);
    return;
  }
  const chosen = new Set((f.themes || []).map((t) => t.id));
  if (f.status !== "reviewed") suggestions.forEach((s) => chosen.add(s.theme.id));
  const state = { new_theme: "", error: null };
  const canTag = app.user.role === "registered_manager";

  const save = async (event) => {
    event.preventDefault();
    const newThemes = state.new_theme.split(",").map((t) => t.trim()).filter(Boolean);
    try {
      await post(`/api/v1/feedback/${f.id}/review`, { theme_ids: [...chosen], new_themes: newThemes });
      announce("Reviewed and tagged.");
      navigate("/feedback");
    } catch (err) {
      state.error = err.message;
      draw();
    }
  };
  const suggestionFor = (id) => suggestions.find((s) => s.theme.id === id);

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/feedback">← Feedback</a></p>
    <h1>Feedback from ${f.person_name || "a person"}</h1>
    <p class="muted">${formatDate(f.happened_at)} · with ${f.participants}</p>
    <dl class="answers">
      <dt>What works well?</dt><dd>${f.works_well || "–"}</dd>
      <dt>What feels difficult?</dt><dd>${f.feels_difficult || "–"}</dd>
      <dt>What would you change?</dt><dd>${f.would_change || "–"}</dd>
      <dt>${SCALES.satisfaction.question}</dt>
      <dd>${f.satisfaction ? html`<span class="inline-picture">${SCALES.satisfaction.picture(f.satisfaction)}</span> ${f.satisfaction} — ${SCALES.satisfaction.words[f.satisfaction]}
        <span class="muted">(${f.satisfaction_rated_by === "person" ? "their own choice" : "chosen together"})</span>` : "Not asked or skipped"}</dd>
    </dl>
    ${canTag ? html`
      ${state.error ? html`<p class="notice error" role="alert">${state.error}</p>` : nothing}
      <form @submit=${save}>
        <fieldset class="field"><legend>Themes</legend>
          ${suggestions.length ? html`<p class="hint">Suggested from earlier tagged answers (ticked for you).</p>` : nothing}
          ${themes.map((t) => { const s = suggestionFor(t.id); return html`<label class="choice">
            <input type="checkbox" .checked=${chosen.has(t.id)} @change=${(e) => { if (e.target.checked) chosen.add(t.id); else chosen.delete(t.id); }}>
            ${t.name}${s ? html` <span class="tag">suggested</span> <span class="muted">${s.explanation}</span>` : nothing}</label>`; })}
        </fieldset>
        <div class="field"><label for="new-theme">New theme <span class="muted">(optional; separate several with commas)</span></label>
          <input id="new-theme" type="text" .value=${state.new_theme} @input=${(e) => { state.new_theme = e.target.value; }}></div>
        <button type="submit" class="primary">${f.status === "reviewed" ? "Save themes" : "Mark reviewed"}</button>
      </form>` : html`<p>Themes: ${(f.themes || []).map((t) => t.name).join(", ") || "none yet"}</p>`}`, main);
  draw();
}

export async function themeTrendView(main, { serviceId }) {
  let data;
  try { data = await get(`/api/v1/services/${serviceId}/themes?quarters=6`); } catch (err) {
    render(html`<h1>Theme trend</h1>${offlineNote(err)}`, main);
    return;
  }
  const themes = data.themes.filter((t) => t.total > 0);
  render(html`
    <p class="breadcrumb"><a href="/feedback">← Feedback</a></p>
    <h1>Feedback themes: ${data.service.name}</h1>
    <div class="chart" id="theme-chart"></div>
    <ul class="plain chart-legend">${themes.map((t, i) => html`<li><span class="legend-swatch s${i % 6}" aria-hidden="true"></span> ${t.name}</li>`)}</ul>
    <div class="table-scroll" tabindex="0" role="region" aria-label="Themes per quarter"><table class="data stacked">
      <caption>Conversations tagged with each theme, per quarter (newest first; shares are of reviewed conversations)</caption>
      <thead><tr><th scope="col">Quarter</th><th scope="col">Themes tagged</th></tr></thead>
      <tbody>
        ${data.quarters.map((q, i) => ({ q, i })).reverse().map(({ q, i }) => html`<tr>
          <th scope="row">${quarterLabel(q.quarter)}<br><span class="muted">${q.conversations} conversation${q.conversations === 1 ? "" : "s"}, ${q.reviewed} reviewed</span></th>
          <td>${themes.some((t) => t.counts[i]) ? html`<ul class="plain">${themes.filter((t) => t.counts[i]).map((t) => html`<li>${t.name}: ${t.counts[i]}${t.shares[i] != null ? html` <span class="muted">(${Math.round(t.shares[i] * 100)}%)</span>` : nothing}</li>`)}</ul>` : "None"}</td>
        </tr>`)}
      </tbody>
    </table></div>`, main);
  const target = main.querySelector("#theme-chart");
  if (!themes.length || !target) return;
  const xs = data.quarters.map((q) => Date.parse(`${q.starts_on}T12:00:00Z`) / 1000);
  const dashes = [[], [8, 4], [2, 4], [12, 4, 2, 4], [4, 4], [1, 2]];
  const colours = ["#0b5d57", "#8a3b00", "#4b4b9b", "#1a1a1a", "#7a0f5a", "#3d6b00"];
  plotInto(target, {
    width: Math.max(280, Math.min(target.clientWidth || 320, 720)), height: 220, legend: { show: false },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max + 1)] } },
    axes: [{ grid: { stroke: "#ddd" } }, { grid: { stroke: "#ddd" }, size: 34 }],
    series: [{}, ...themes.map((t, i) => ({ label: t.name, stroke: colours[i % 6], width: 3, dash: dashes[i % 6], points: { size: 8 } }))],
  }, [xs, ...themes.map((t) => t.counts)]);
  const canvas = target.querySelector("canvas");
  canvas?.setAttribute("role", "img");
  canvas?.setAttribute("aria-label", "Theme counts per quarter; the table gives the figures.");
}
