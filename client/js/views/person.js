import { html, render, nothing } from "../../vendor/lit-html.js";
import { get } from "../api.js";
import { app } from "../main.js";
import * as store from "../store.js";
import { trendChart } from "../chart.js";
import { SCALES } from "../pictures.js";
import { SCORE_WORDS, announce, dueLabel, formatDate, nextReviewDue } from "../util.js";
import * as sync from "../sync.js";

const evidenceTexts = (r) => (r.evidence || []).map((e) => (typeof e === "string" ? e : e.text));

export async function personView(main, { id }) {
  const person = await store.getRecord("people", id);
  if (!person) {
    render(html`<h1>Person not found</h1><p>They are not on this phone. <a href="/">Back to the caseload</a></p>`, main);
    return;
  }
  get(`/api/v1/people/${id}`).catch(() => {}); // records the staff view in the audit log when online
  const outcomes = (await store.byIndex("outcomes", "person_id", id))
    .sort((a, b) => (a.status === "active" ? 0 : 1) - (b.status === "active" ? 0 : 1) || b.starts_on.localeCompare(a.starts_on));
  const reviews = await store.byIndex("reviews", "person_id", id);
  const actions = await store.byIndex("actions", "person_id", id);
  const checks = person.weekly_checks
    ? (await store.byIndex("checks", "person_id", id)).sort((a, b) => b.week_of.localeCompare(a.week_of)).slice(0, 8)
    : [];
  const outbox = await store.outbox();
  const pendingIds = new Set(outbox.map((e) => e.id));
  const picked = {};

  // An action's status changes on the phone first, as a versioned edit (merged on the server).
  const setActionStatus = async (action, status) => {
    // The local copy takes the version this edit will make, so a second edit does not conflict with the first.
    const updated = { ...action, status, version: action.version + 1 };
    const n = await store.enqueue("action.update", { id: action.id, version: action.version, status }, [["actions", updated]]);
    actions.splice(actions.indexOf(action), 1, { ...updated, _pending: n });
    pendingIds.add(n);
    announce(status === "done" ? "Action marked done." : "Action reopened.");
    sync.refreshCounts();
    sync.syncNow();
    draw();
    drawCharts();
  };
  const server = {};

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/">← Caseload</a></p>
    <h1>${person.name}</h1>
    <div class="actions-row">
      <a class="button primary" href="/people/${id}/outcomes/new">Define a new outcome</a>
      ${person.weekly_checks ? html`<a class="button secondary" href="/people/${id}/checks/new">Weekly check</a>` : nothing}
      <a class="button secondary" href="/people/${id}/feedback/new">Feedback conversation</a>
      <a class="button secondary" href="/people/${id}/events/new">Log an event</a>
    </div>
    ${checks.length ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
      <caption>Recent weekly checks</caption>
      <thead><tr><th scope="col">Week of</th><th scope="col">Incidents</th><th scope="col">Engagement</th><th scope="col">Mood</th><th scope="col">Note</th></tr></thead>
      <tbody>${checks.map((c) => html`<tr><td>${formatDate(c.week_of)}${c._pending && pendingIds.has(c._pending) ? html`<br><span class="tag">waiting</span>` : nothing}</td>
        <td>${c.incidents}</td><td>${c.engagement}</td><td>${c.mood} <span class="muted">${SCALES.mood.words[c.mood]}</span></td><td>${c.note || ""}</td></tr>`)}</tbody>
    </table></div>` : nothing}
    ${outcomes.length ? "" : html`<p>No outcomes yet. Define the first one with ${person.preferred_name || person.name}, in their own words.</p>`}
    ${outcomes.map((o) => outcomeSection(o))}`, main);

  const outcomeSection = (o) => {
    const mine = reviews.filter((r) => r.outcome_id === o.id).sort((a, b) => a.happened_at.localeCompare(b.happened_at));
    const mineActions = actions.filter((a) => a.outcome_id === o.id);
    const traj = server[o.id];
    const markers = traj ? traj.markers : mineActions.map((a) => ({ date: a.due_on || a.created_at?.slice(0, 10), kind: "action", label: a.description })).filter((m) => m.date);
    const pick = picked[o.id];
    return html`
      <section class="outcome" aria-labelledby="o-${o.id}">
        <h2 id="o-${o.id}">${o.domain}</h2>
        <blockquote class="persons-words">“${o.persons_words}”</blockquote>
        <dl class="facts">
          <div><dt>We will see</dt><dd>${o.indicator}</dd></div>
          ${o.target ? html`<div><dt>Target</dt><dd>${o.target}</dd></div>` : nothing}
          <div><dt>Status</dt><dd>${o.status}${o.priority ? " · priority" : ""}${o._pending && pendingIds.has(o._pending) ? " · waiting to sync" : ""}</dd></div>
          <div><dt>Next review</dt><dd>${dueLabel(nextReviewDue(o, reviews))}</dd></div>
        </dl>
        <div class="actions-row">
          ${o.status === "active" || o.status === "paused" ? html`<a class="button primary" href="/outcomes/${o.id}/review">Record review</a>` : nothing}
          <a class="button secondary" href="/outcomes/${o.id}/actions/new">Add action</a>
          <a class="button secondary" href="/outcomes/${o.id}/edit">Edit outcome</a>
        </div>
        ${mineActions.length ? html`<h3>Actions</h3><ul class="plain actions-list">${mineActions.map((a) => html`
          <li><span class="tag">${a.status}</span> ${a.description} — <em>${a.owner_label || ownerLabel(a)}</em>${a.due_on ? html`, by ${formatDate(a.due_on)}` : ""}
            ${a.status === "open" ? html`<button type="button" class="secondary small" @click=${() => setActionStatus(a, "done")}>Mark done<span class="visually-hidden">: ${a.description}</span></button>`
              : html`<button type="button" class="secondary small" @click=${() => setActionStatus(a, "open")}>Reopen<span class="visually-hidden">: ${a.description}</span></button>`}</li>`)}</ul>` : nothing}
        <h3>Progress</h3>
        ${mine.length ? html`
          <div class="chart" id="chart-${o.id}"></div>
          <p class="chart-key"><span class="key-line solid" aria-hidden="true"></span> C: co-produced change <span class="key-line dashed" aria-hidden="true"></span> A: action</p>
          <div class="picked" aria-live="polite">${pick ? html`<strong>${formatDate(pick.happened_at)}: ${pick.score} (${SCORE_WORDS[pick.score]})</strong>
            <ul>${evidenceTexts(pick).map((t) => html`<li>${t}</li>`)}</ul>` : html`<span class="muted">Tap a point to see its evidence.</span>`}</div>
          <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
            <caption>Reviews of “${o.domain}”</caption>
            <thead><tr><th scope="col">Date</th><th scope="col">Score</th><th scope="col">Rated by</th><th scope="col">Evidence</th></tr></thead>
            <tbody>${mine.map((r) => html`<tr>
              <td>${formatDate(r.happened_at)}${r._pending && pendingIds.has(r._pending) ? html`<br><span class="tag">waiting</span>` : ""}</td>
              <td>${r.score} <span class="muted">${SCORE_WORDS[r.score]}</span>${r.achieved ? html`<br><span class="tag">achieved</span>` : ""}</td>
              <td>${r.rated_by}</td>
              <td><ul class="plain">${evidenceTexts(r).map((t) => html`<li>${t}</li>`)}</ul>
                ${r.what_changed ? html`<p><strong>What changed:</strong> ${r.what_changed}</p><p><strong>Support change:</strong> ${r.support_adjustment}</p>` : ""}</td>
            </tr>`)}</tbody>
          </table></div>
          ${traj && traj.markers.length ? html`<h3>Marked on the line</h3><ul class="plain">${traj.markers.map((m) => html`<li>${formatDate(m.date)} — ${m.kind === "change" ? "Change" : "Action"}: ${m.label}</li>`)}</ul>` : nothing}
          ${traj ? quarterTable(o, traj.quarters) : html`<p class="muted">Quarter results show when you are online.</p>`}
        ` : html`<p>No reviews yet.</p>`}
      </section>`;
  };

  const quarterTable = (o, quarters) => html`
    <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
      <caption>Quarter results for “${o.domain}”</caption>
      <thead><tr><th scope="col">Quarter</th><th scope="col">First</th><th scope="col">Last</th><th scope="col">Direction</th><th scope="col">Achieved</th></tr></thead>
      <tbody>${quarters.map((q) => html`<tr><td>${q.quarter}</td><td>${q.first}</td><td>${q.last}</td><td>${q.direction}</td><td>${q.achieved ? "Yes" : "No"}</td></tr>`)}</tbody>
    </table></div>`;

  const drawCharts = () => {
    for (const o of outcomes) {
      const el = main.querySelector(`#chart-${CSS.escape(o.id)}`);
      if (!el) continue;
      const mine = reviews.filter((r) => r.outcome_id === o.id).sort((a, b) => a.happened_at.localeCompare(b.happened_at));
      const traj = server[o.id];
      const markers = traj ? traj.markers : actions.filter((a) => a.outcome_id === o.id && a.due_on).map((a) => ({ date: a.due_on, kind: "action", label: a.description }));
      trendChart(el, mine, markers, {
        label: `Scores for ${o.domain} over time, ${mine.length} reviews; the table below gives every score and its evidence.`,
        onPick: (p) => { picked[o.id] = p; draw(); },
      });
    }
  };

  draw();
  drawCharts();
  // Online: fetch the server's markers (co-produced changes) and quarter results.
  const fetched = await Promise.all(outcomes.map((o) => get(`/api/v1/outcomes/${o.id}/trajectory`).then((t) => [o.id, t]).catch(() => null)));
  let any = false;
  for (const entry of fetched) if (entry) { server[entry[0]] = entry[1]; any = true; }
  if (any && document.body.contains(main) && location.pathname === `/people/${id}`) {
    draw();
    drawCharts();
  }
}

function ownerLabel(a) {
  if (a.owner_kind === "person") return "The person";
  if (a.owner_kind === "other") return a.owner_name || "Someone else";
  return "Staff";
}
