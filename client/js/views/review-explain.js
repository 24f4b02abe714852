// Say what changed and what support will change for a review that turned out to be lower than the
// one before it (another phone synced an earlier review later). Saved on the phone first and sent
// as the `review.explain` mutation.
import { html, render, nothing } from "../../vendor/lit-html.js";
import { app } from "../app-state.js";
import * as store from "../store.js";
import { savedOnPhone } from "../capture.js";
import { errorSummary, focusErrors, textField } from "../forms.js";
import { SCORE_WORDS, formatDate, unexplainedDrops } from "../util.js";

export async function reviewExplainView(main, { reviewId }) {
  const review = await store.getRecord("reviews", reviewId);
  const outcome = review && (await store.getRecord("outcomes", review.outcome_id));
  if (!review || !outcome) {
    render(html`<h1>Review not found</h1><p>It is not on this phone. <a href="/">Back to the caseload</a></p>`, main);
    return;
  }
  const person = await store.getRecord("people", review.person_id);
  const reviews = await store.byIndex("reviews", "outcome_id", outcome.id);
  const ordered = [...reviews].sort((a, b) => (new Date(a.happened_at) - new Date(b.happened_at)) || (a.id < b.id ? -1 : 1));
  const previous = ordered[ordered.findIndex((r) => r.id === review.id) - 1];
  const needed = unexplainedDrops(reviews).has(review.id);
  const state = { what_changed: review.what_changed || "", support_adjustment: review.support_adjustment || "" };
  let errors = {};
  const back = `/people/${review.person_id}`;

  const save = async (event) => {
    event.preventDefault();
    errors = {};
    if (!state.what_changed.trim()) errors.what_changed = ["Say what changed."];
    if (!state.support_adjustment.trim()) errors.support_adjustment = ["Say what support will change."];
    if (Object.keys(errors).length) { draw(); focusErrors(main); return; }
    const args = { id: review.id, what_changed: state.what_changed.trim(), support_adjustment: state.support_adjustment.trim() };
    await store.enqueue("review.explain", args, [["reviews", { ...review, what_changed: args.what_changed, support_adjustment: args.support_adjustment }]]);
    savedOnPhone("Explanation saved on this phone.", back);
  };

  const draw = () => render(html`
    <p class="breadcrumb"><a href=${back}>← ${person ? person.name : "Back"}</a></p>
    <h1>Explain a lower score: ${outcome.domain}</h1>
    <p>${formatDate(review.happened_at)}: ${review.score} (${SCORE_WORDS[review.score]})${previous ? html`, after ${previous.score} (${SCORE_WORDS[previous.score]}) on ${formatDate(previous.happened_at)}` : nothing}.</p>
    ${needed ? html`<div class="notice warning"><p>A review recorded earlier reached the server later, so this score is now lower than the one before it. Say what changed and what support will change.</p></div>`
      : html`<p class="muted">This review does not need an explanation now.</p>`}
    ${errorSummary(errors)}
    <form @submit=${save} @input=${() => { app.dirtyForm = true; }} novalidate>
      ${textField(state, errors, "what_changed", "What changed?", { multiline: true, required: true })}
      ${textField(state, errors, "support_adjustment", "What support will change?", { multiline: true, required: true })}
      <button type="submit" class="primary">Save explanation</button>
    </form>`, main);
  draw();
}
