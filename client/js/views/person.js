import { html, render, nothing } from "../../vendor/lit-html.js";
import { get } from "../api.js";
import { app } from "../app-state.js";
import * as store from "../store.js";
import { trendChart } from "../chart.js";
import { SCALES } from "../pictures.js";
import { ownerLabel } from "../rules.js";
import { SCORE_WORDS, actionOverdue, announce, dueLabel, dueNow, dueWords, formatDate, nextReviewDue, quarterLabel, unexplainedDrops } from "../util.js";
import * as sync from "../sync.js";
import { wellbeingLabels } from "../wellbeing.js";
import { personDownloads } from "./evidence-links.js";
import { mountPersonEscalations } from "./escalations.js";

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
    if (status !== "open") opened.add(`progress-${action.outcome_id}`); // show where it went
    pendingIds.add(n);
    announce(status === "done" ? "Action marked done." : "Action reopened.");
    sync.refreshCounts();
    sync.syncNow();
    draw();
    drawCharts();
  };
  const server = {};
  // Drops without what changed (a review dated before them may have synced later), per outcome.
  const unexplained = new Set(outcomes.flatMap((o) => [...unexplainedDrops(reviews.filter((r) => r.outcome_id === o.id))]));
  const mayReadAudit = ["registered_manager", "senior_leader"].includes(app.user?.role);

  // Histories (past reviews and their chart, done actions, weekly checks) start collapsed; what is
  // due leads the page. Which ones are open survives a re-render.
  const opened = new Set();
  // …except a history holding a drop that still needs explaining: that is due too.
  for (const o of outcomes) if (reviews.some((r) => r.outcome_id === o.id && unexplained.has(r.id))) opened.add(`progress-${o.id}`);
  const toggled = (key) => (event) => {
    if (event.target.open) opened.add(key); else opened.delete(key);
    if (event.target.open && key.startsWith("progress-")) drawCharts();
  };
  const firstName = person.preferred_name || person.name.split(" ")[0];

  const dueSection = () => {
    const { reviewsDue, actionsOverdue } = dueNow(outcomes, reviews, actions);
    // The most pressing review leads, however far off; the rest of what is due this week follows it.
    const next = outcomes.map((o) => ({ outcome: o, due: nextReviewDue(o, reviews) })).filter((d) => d.due)
      .sort((a, b) => a.due.localeCompare(b.due) || a.outcome.domain.localeCompare(b.outcome.domain))[0];
    const others = reviewsDue.filter((d) => d.outcome.id !== next?.outcome.id);
    return html`<section class="due-now" aria-labelledby="due-heading">
      <h2 id="due-heading">Due now</h2>
      ${next ? html`<p><a class="button primary" id="lead-review" href="/outcomes/${next.outcome.id}/review">Record review: ${next.outcome.domain} — ${dueWords(next.due)}</a></p>`
        : html`<p>No reviews are due. ${outcomes.length ? "" : html`Define the first outcome with ${firstName}, in their own words.`}</p>`}
      ${others.length ? html`<ul class="plain due-list">
        ${others.map((d) => html`<li><a href="/outcomes/${d.outcome.id}/review">Record review: ${d.outcome.domain}</a> — ${dueWords(d.due)}</li>`)}
      </ul>` : nothing}
      ${actionsOverdue.length ? html`<p><span class="tag overdue">Overdue</span> ${actionsOverdue.length === 1 ? "1 action is" : `${actionsOverdue.length} actions are`} past ${actionsOverdue.length === 1 ? "its" : "their"} date: see ${actionsOverdue.length === 1 ? "it" : "them"} below.</p>` : nothing}
    </section>`;
  };

  // #person-escalations is filled once fetched (online only): it sits below the outcomes, so a panel
  // arriving late never moves a "Record review" link down under the user's finger.
  const draw = () => render(html`
    <p class="breadcrumb"><a href="/">← Caseload</a></p>
    <h1>${person.name}</h1>
    ${unexplained.size ? html`<div class="notice warning" id="needs-explanation"><p><span class="tag">Needs explanation</span>
      ${unexplained.size === 1 ? "1 review is" : `${unexplained.size} reviews are`} lower than the review before ${unexplained.size === 1 ? "it" : "them"} and ${unexplained.size === 1 ? "does" : "do"} not say what changed. Open ${unexplained.size === 1 ? "it" : "each"} below to add what changed and what support will change.</p></div>` : nothing}
    ${dueSection()}
    <div class="actions-row compact">
      <a class="button secondary small" href="/people/${id}/outcomes/new"><span class="visually-hidden">Define a </span>New outcome</a>
      ${person.weekly_checks ? html`<a class="button secondary small" href="/people/${id}/checks/new">Weekly check</a>` : nothing}
      <a class="button secondary small" href="/people/${id}/feedback/new">Feedback<span class="visually-hidden"> conversation</span></a>
      <a class="button secondary small" href="/people/${id}/events/new">Log an event</a>
    </div>
    ${outcomes.map((o) => outcomeSection(o))}
    <div id="person-escalations"></div>
    ${checks.length ? html`<details class="history" ?open=${opened.has("checks")} @toggle=${toggled("checks")}>
      <summary>Recent weekly checks (${checks.length})</summary>
      <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
      <caption>Recent weekly checks</caption>
      <thead><tr><th scope="col">Week of</th><th scope="col">Incidents</th><th scope="col">Engagement</th><th scope="col">Mood</th><th scope="col">Note</th></tr></thead>
      <tbody>${checks.map((c) => html`<tr><td>${formatDate(c.week_of)}${c._pending && pendingIds.has(c._pending) ? html`<br><span class="tag">waiting</span>` : nothing}</td>
        <td>${c.incidents}</td><td>${c.engagement}</td><td>${c.mood} <span class="muted">${SCALES.mood.words[c.mood]}</span></td><td>${c.note || ""}</td></tr>`)}</tbody>
    </table></div></details>` : nothing}
    ${personDownloads(id, app.user.role)}
    ${mayReadAudit ? html`<p><a href="/people/${id}/audit">Who has seen and changed this record</a></p>` : nothing}`, main);

  const outcomeSection = (o) => {
    const mine = reviews.filter((r) => r.outcome_id === o.id).sort((a, b) => a.happened_at.localeCompare(b.happened_at));
    const mineActions = actions.filter((a) => a.outcome_id === o.id);
    const openActions = mineActions.filter((a) => a.status === "open").sort((a, b) => (a.due_on || "9999").localeCompare(b.due_on || "9999"));
    const doneActions = mineActions.filter((a) => a.status !== "open");
    const traj = server[o.id];
    const pick = picked[o.id];
    const last = mine[mine.length - 1];
    const due = nextReviewDue(o, reviews);
    const overdue = due && due < new Date().toISOString().slice(0, 10);
    const actionItem = (a) => html`
          <li>${actionOverdue(a) ? html`<span class="tag overdue">Overdue</span>` : html`<span class="tag">${a.status}</span>`} ${a.description} — <em>${a.owner_label || ownerLabel(a)}</em>${a.due_on ? html`, by ${formatDate(a.due_on)}` : ""}
            ${a.status === "open" ? html`<button type="button" class="secondary small" @click=${() => setActionStatus(a, "done")}>Mark done<span class="visually-hidden">: ${a.description}</span></button>`
              : html`<button type="button" class="secondary small" @click=${() => setActionStatus(a, "open")}>Reopen<span class="visually-hidden">: ${a.description}</span></button>`}</li>`;
    return html`
      <section class="outcome" aria-labelledby="o-${o.id}">
        <h2 id="o-${o.id}">${o.domain}</h2>
        <p class="outcome-meta">${o.status[0].toUpperCase() + o.status.slice(1)}${o.priority ? " · priority" : ""}${o._pending && pendingIds.has(o._pending) ? " · waiting to sync" : ""}
          · ${last ? html`last score ${last.score} — ${SCORE_WORDS[last.score]} <span class="muted">(${formatDate(last.happened_at)})</span>` : "no reviews yet"}</p>
        <blockquote class="persons-words">“${o.persons_words}”</blockquote>
        <dl class="facts">
          <div><dt>We will see</dt><dd>${o.indicator}</dd></div>
          ${o.target ? html`<div><dt>Target</dt><dd>${o.target}</dd></div>` : nothing}
          ${o.owner_kind ? html`<div><dt>Owner</dt><dd>${o.owner_label || ownerLabel(o)}</dd></div>` : nothing}
          <div><dt>Next review</dt><dd>${overdue ? html`<span class="tag overdue">Overdue</span> ` : nothing}${dueLabel(due)}</dd></div>
        </dl>
        <div class="actions-row compact">
          ${o.status === "active" || o.status === "paused" ? html`<a class="button secondary small" href="/outcomes/${o.id}/review">Record review<span class="visually-hidden">: ${o.domain}</span></a>` : nothing}
          <a class="button secondary small" href="/outcomes/${o.id}/actions/new">Add action<span class="visually-hidden">: ${o.domain}</span></a>
          <a class="button secondary small" href="/outcomes/${o.id}/edit">Edit<span class="visually-hidden"> outcome: ${o.domain}</span></a>
        </div>
        ${openActions.length ? html`<h3>Actions</h3><ul class="plain actions-list">${openActions.map(actionItem)}</ul>` : nothing}
        <details class="history" ?open=${opened.has(`progress-${o.id}`)} @toggle=${toggled(`progress-${o.id}`)}>
          <summary>Wellbeing and history${mine.length || doneActions.length ? `: ${[mine.length ? `${mine.length} review${mine.length === 1 ? "" : "s"}` : "", doneActions.length ? `${doneActions.length} done action${doneActions.length === 1 ? "" : "s"}` : ""].filter(Boolean).join(", ")}` : ""}</summary>
          <dl class="facts">
            <div><dt>Wellbeing (Care Act)</dt><dd>${wellbeingLabels(o.wellbeing_areas).join("; ") || html`<span class="muted">Not chosen yet: edit the outcome with them</span>`}</dd></div>
          </dl>
          ${doneActions.length ? html`<h3>Done actions</h3><ul class="plain actions-list">${doneActions.map(actionItem)}</ul>` : nothing}
          ${mine.length ? html`<h3>Progress</h3>
          <div class="chart" id="chart-${o.id}"></div>
          <p class="chart-key"><span class="key-line solid" aria-hidden="true"></span> C: co-produced change <span class="key-line dashed" aria-hidden="true"></span> A: action</p>
          <div class="picked" aria-live="polite">${pick ? html`<strong>${formatDate(pick.happened_at)}: ${pick.score} (${SCORE_WORDS[pick.score]})</strong>
            <ul>${evidenceTexts(pick).map((t) => html`<li>${t}</li>`)}</ul>` : html`<span class="muted">Tap a point to see its evidence.</span>`}</div>
          <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
            <caption>Reviews of “${o.domain}”</caption>
            <thead><tr><th scope="col">Date</th><th scope="col">Score</th><th scope="col">Rated by</th><th scope="col">Evidence</th></tr></thead>
            <tbody>${mine.map((r) => html`<tr>
              <td>${formatDate(r.happened_at)}${r._pending && pendingIds.has(r._pending) ? html`<br><span class="tag">waiting</span>` : ""}</td>
              <td>${r.score} <span class="muted">${SCORE_WORDS[r.score]}</span>${r.achieved ? html`<br><span class="tag">achieved</span>` : ""}
                ${unexplained.has(r.id) ? html`<br><span class="tag">Needs explanation</span> <a href="/reviews/${r.id}/explain">Add what changed<span class="visually-hidden"> for the review of ${formatDate(r.happened_at)}</span></a>` : ""}</td>
              <td>${r.rated_by}</td>
              <td><ul class="plain">${evidenceTexts(r).map((t) => html`<li>${t}</li>`)}</ul>
                ${r.what_changed ? html`<p><strong>What changed:</strong> ${r.what_changed}</p><p><strong>Support change:</strong> ${r.support_adjustment}</p>` : ""}</td>
            </tr>`)}</tbody>
          </table></div>
          ${traj && traj.markers.length ? html`<h3>Marked on the line</h3><ul class="plain">${traj.markers.map((m) => html`<li>${formatDate(m.date)} — ${m.kind === "change" ? "Change" : "Action"}: ${m.label}</li>`)}</ul>` : nothing}
          ${traj ? quarterTable(o, traj.quarters) : html`<p class="muted">Quarter results show when you are online.</p>`}` : html`<p>No reviews yet.</p>`}
        </details>
      </section>`;
  };

  const quarterTable = (o, quarters) => html`
    <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)"><table class="data">
      <caption>Quarter results for “${o.domain}”</caption>
      <thead><tr><th scope="col">Quarter</th><th scope="col">First</th><th scope="col">Last</th><th scope="col">Direction</th><th scope="col">Achieved</th></tr></thead>
      <tbody>${quarters.map((q) => html`<tr><td>${quarterLabel(q.quarter)}</td><td>${q.first}</td><td>${q.last}</td><td>${q.direction}</td><td>${q.achieved ? "Yes" : "No"}</td></tr>`)}</tbody>
    </table></div>`;

  const drawCharts = () => {
    for (const o of outcomes) {
      const el = main.querySelector(`#chart-${CSS.escape(o.id)}`);
      if (!el || !opened.has(`progress-${o.id}`)) continue; // drawn when its history is opened
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
  mountPersonEscalations(main.querySelector("#person-escalations"), id); // online: escalations and leadership's answers
  // Online: fetch the server's markers (co-produced changes) and quarter results.
  const fetched = await Promise.all(outcomes.map((o) => get(`/api/v1/outcomes/${o.id}/trajectory`).then((t) => [o.id, t]).catch(() => null)));
  let any = false;
  for (const entry of fetched) if (entry) { server[entry[0]] = entry[1]; any = true; }
  if (any && document.body.contains(main) && location.pathname === `/people/${id}`) {
    draw();
    drawCharts();
  }
}
