import { html, render, nothing } from "../../vendor/lit-html.js";
import * as store from "../store.js";
import * as sync from "../sync.js";
import { formatDate } from "../util.js";

const NAMES = {
  "outcome.create": "New outcome", "outcome.update": "Outcome edit", "action.create": "New action", "action.update": "Action edit",
  "review.create": "Review", "review.explain": "Review explanation", "evidence.create": "Evidence note", "check.create": "Weekly check", "feedback.create": "Feedback conversation",
  "event.create": "Event", "change.create": "Co-produced change",
};

function describe(entry) {
  const a = entry.args || {};
  if (entry.name === "review.create") return `Score ${a.score}, ${(a.evidence || []).length} note(s)`;
  if (entry.name.startsWith("outcome.")) return a.domain || "";
  return a.description || a.note || "";
}

export async function syncView(main) {
  const draw = async () => {
    const entries = (await store.outbox()).sort((a, b) => a.id - b.id);
    const waiting = entries.filter((e) => e.status === "pending");
    const attention = entries.filter((e) => e.status !== "pending");
    render(html`
      <h1>Changes on this phone</h1>
      <p>${entries.length ? "" : "All changes saved: nothing is waiting."}</p>
      <p><button type="button" class="primary" @click=${async () => { await sync.syncNow(); draw(); }}>Sync now</button></p>
      ${attention.length ? html`<h2>Needs attention (${attention.length})</h2>
        <p>The server did not accept these. Nothing is lost: fix the record and save it again, or discard it.</p>
        <ul class="cards">${attention.map((e) => html`<li class="card attention">
          <strong>${NAMES[e.name] || e.name}</strong> <span class="muted">${formatDate(e.at)}</span>
          <p>${describe(e)}</p>
          <p class="field-error">${e.status === "conflict" ? "Someone else changed this record first. " : ""}${e.error?.message || ""}</p>
          ${e.error?.fields ? html`<ul>${Object.entries(e.error.fields).map(([f, m]) => html`<li><strong>${f}</strong>: ${[].concat(m).join(" ")}</li>`)}</ul>` : nothing}
          <div class="actions-row">
            ${fixLink(e)}
            <button type="button" class="secondary danger" @click=${async () => {
              if (window.confirm("Discard this change? It will never reach the server.")) { await sync.discard(e.id); draw(); }
            }}>Discard</button>
          </div></li>`)}</ul>` : nothing}
      ${waiting.length ? html`<h2>Waiting to sync (${waiting.length})</h2>
        <ul class="cards">${waiting.map((e) => html`<li class="card"><strong>${NAMES[e.name] || e.name}</strong>
          <span class="muted">${formatDate(e.at)}</span><p>${describe(e)}</p></li>`)}</ul>` : nothing}`, main);
  };
  await draw();
}

function fixLink(entry) {
  const a = entry.args || {};
  if (entry.name === "review.create" && a.outcome_id) return html`<a class="button secondary" href="/outcomes/${a.outcome_id}/review">Record it again</a>`;
  if (entry.name === "review.explain" && a.id) return html`<a class="button secondary" href="/reviews/${a.id}/explain">Open the review</a>`;
  if (entry.name.startsWith("outcome.") && a.id) return html`<a class="button secondary" href="/outcomes/${a.id}/edit">Open the outcome</a>`;
  return nothing;
}
