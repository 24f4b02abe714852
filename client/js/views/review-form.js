import { html, render, nothing } from "../../vendor/lit-html.js";
import { app } from "../app-state.js";
import * as store from "../store.js";
import { savedOnPhone } from "../capture.js";
import { errorSummary, focusErrors, pictureChoice, textField } from "../forms.js";
import { dropExplanationErrors, previousReview, scoreDropped } from "../rules.js";
import { SCORE_WORDS, announce, formatDate, localDateTimeValue } from "../util.js";
import { handoverResult } from "./handover.js";
import { SCALES } from "../pictures.js";

// The form survives the hand-over: what the worker typed is kept while the person rates.
const drafts = new Map();

export async function reviewFormView(main, { outcomeId }) {
  const outcome = await store.getRecord("outcomes", outcomeId);
  if (!outcome) {
    render(html`<h1>Outcome not found</h1><p><a href="/">Back</a></p>`, main);
    return;
  }
  const person = await store.getRecord("people", outcome.person_id);
  const reviews = (await store.byIndex("reviews", "outcome_id", outcome.id)).sort((a, b) => a.happened_at.localeCompare(b.happened_at));
  const state = drafts.get(outcome.id) || { score: null, rated_by: "together", happened_at: localDateTimeValue(), evidence: [""], what_changed: "", support_adjustment: "", achieved: null };
  drafts.set(outcome.id, state);
  const handed = handoverResult.get(outcome.id);
  let skipped = false;
  if (handed?.skipped) {
    handoverResult.delete(outcome.id);
    skipped = true;
    announce("They were not sure and skipped the pictures.");
  } else if (handed) {
    handoverResult.delete(outcome.id);
    Object.assign(state, handed);
    app.dirtyForm = true;
    announce(`Rating from the hand-over: ${SCORE_WORDS[handed.score]}.`);
  }
  let errors = {};
  const firstName = person ? (person.preferred_name || person.name.split(" ")[0]) : "the person";

  // As the server decides (outcomes.create_review): compared with the latest review before this one.
  const previous = () => {
    const at = new Date(state.happened_at);
    return Number.isNaN(at.getTime()) ? null : previousReview(reviews, at.toISOString());
  };
  const dropped = () => scoreDropped(previous(), state.score);

  const validate = () => {
    const e = {};
    if (state.score == null) e.score = ["Choose a score from 1 to 5."];
    if (!state.happened_at) e.happened_at = ["Say when the review happened."];
    else if (new Date(state.happened_at) > new Date(Date.now() + 86400000)) e.happened_at = ["A review cannot be dated in the future."];
    if (!state.evidence.some((t) => t.trim())) e.evidence = ["Add at least one evidence note: what happened that shows this score?"];
    if (state.score === 5 && state.achieved == null) e.achieved = [`Say whether ${firstName} has achieved this goal.`];
    if (dropped()) Object.assign(e, dropExplanationErrors(previous(), state));
    return e;
  };

  const save = async (event) => {
    event.preventDefault();
    errors = validate();
    if (Object.keys(errors).length) { draw(); focusErrors(main); return; }
    const id = store.uuid();
    const happenedAt = new Date(state.happened_at).toISOString();
    const evidence = state.evidence.map((t) => t.trim()).filter(Boolean);
    const args = {
      id, outcome_id: outcome.id, score: state.score, rated_by: state.rated_by, happened_at: happenedAt, evidence,
      what_changed: dropped() ? state.what_changed.trim() : null,
      support_adjustment: dropped() ? state.support_adjustment.trim() : null,
      achieved: state.achieved === true,
    };
    const writes = [["reviews", { ...args, person_id: outcome.person_id, evidence: evidence.map((text) => ({ text })) }]];
    // As the server does (outcomes.create_review): an active outcome marked achieved becomes achieved.
    if (args.achieved && outcome.status === "active") writes.push(["outcomes", { ...outcome, status: "achieved" }]);
    await store.enqueue("review.create", args, writes);
    drafts.delete(outcome.id);
    savedOnPhone("Review saved on this phone.", `/people/${outcome.person_id}`);
  };

  const setScore = (n) => { state.score = n; app.dirtyForm = true; delete errors.score; draw(); };
  const setAchieved = (value) => { state.achieved = value; app.dirtyForm = true; delete errors.achieved; draw(); };

  // A 5 asks the question outright: a goal rated "Done it" is often achieved, and only a review
  // marked achieved counts as achieved in the quarter's results.
  const achievedQuestion = () => (state.score === 5 ? html`
    <fieldset class="field yes-no ${errors.achieved ? "has-error" : ""}" id="f-achieved" tabindex="-1" aria-describedby=${errors.achieved ? "e-achieved" : nothing}>
      <legend>Has ${firstName} achieved this goal?</legend>
      ${errors.achieved ? html`<p class="field-error" id="e-achieved">${errors.achieved.join(" ")}</p>` : nothing}
      <div class="inline-options">
        <label class="choice"><input type="radio" name="achieved" value="yes" .checked=${state.achieved === true} @change=${() => setAchieved(true)}> Yes, achieved</label>
        <label class="choice"><input type="radio" name="achieved" value="no" .checked=${state.achieved === false} @change=${() => setAchieved(false)}> Not yet</label>
      </div>
    </fieldset>` : html`
    <div class="field"><label class="choice"><input type="checkbox" .checked=${state.achieved === true} @change=${(e) => { state.achieved = e.target.checked; }}> The goal has been achieved</label></div>`);

  const draw = () => {
    const prev = previous();
    render(html`
      <p class="breadcrumb"><a href="/people/${outcome.person_id}">← ${person ? person.name : "Back"}</a></p>
      <h1>Review: ${outcome.domain}</h1>
      <blockquote class="persons-words">“${outcome.persons_words}”</blockquote>
      <dl class="facts">
        <div><dt>We will see</dt><dd>${outcome.indicator}</dd></div>
        ${outcome.target ? html`<div><dt>Target</dt><dd>${outcome.target}</dd></div>` : nothing}
      </dl>
      <p class="muted">${prev ? `Last time (${formatDate(prev.happened_at)}): ${prev.score} — ${SCORE_WORDS[prev.score]}` : "This is the first review."}</p>
      ${errorSummary(errors)}
      <form @submit=${save} @input=${() => { app.dirtyForm = true; }} novalidate>
        <p><a class="button secondary handover-link" href="/outcomes/${outcome.id}/handover">Hand the phone to ${person ? (person.preferred_name || person.name.split(" ")[0]) : "the person"} to rate</a></p>
        ${skipped ? html`<p class="notice" role="status">${person ? (person.preferred_name || person.name.split(" ")[0]) : "They"} was not sure and skipped the pictures. Talk it through and rate together, or as staff.</p>` : nothing}
        ${pictureChoice(state, errors, "score", "How is it going? (1 to 5)", SCALES.progress, setScore)}
        ${state.score === 5 ? achievedQuestion() : nothing}
        <fieldset class="field">
          <legend>Who gave the rating?</legend>
          <div class="inline-options">
          ${[["person", "The person"], ["together", "Together"], ["staff", "Staff"]].map(([v, t]) => html`
            <label class="choice"><input type="radio" name="rated_by" value=${v} .checked=${state.rated_by === v} @change=${() => { state.rated_by = v; }}> ${t}</label>`)}
          </div>
        </fieldset>
        ${dropped() ? html`
          <div class="notice warning" role="status">
            <p>The score is lower than last time (${prev.score}). What changed, and what support will change?</p>
          </div>
          ${textField(state, errors, "what_changed", "What changed?", { multiline: true, required: true })}
          ${textField(state, errors, "support_adjustment", "What support will change?", { multiline: true, required: true })}` : nothing}
        <fieldset class="field ${errors.evidence ? "has-error" : ""}" id="f-evidence" tabindex="-1">
          <legend>Evidence: what happened?</legend>
          <p class="hint">Plain words, for example “Travelled alone to GP appointment”.</p>
          ${errors.evidence ? html`<p class="field-error">${errors.evidence.join(" ")}</p>` : nothing}
          ${state.evidence.map((text, i) => html`
            <label class="visually-hidden" for="evidence-${i}">Evidence note ${i + 1}</label>
            <textarea id="evidence-${i}" class="evidence-note" rows="2" .value=${text}
              @input=${(e) => { state.evidence[i] = e.target.value; }}></textarea>`)}
          <button type="button" class="secondary" @click=${() => { state.evidence.push(""); draw(); main.querySelector(`#evidence-${state.evidence.length - 1}`)?.focus(); }}>Add another note</button>
        </fieldset>
        ${textField(state, errors, "happened_at", "When was the session?", { type: "datetime-local", required: true })}
        ${state.score === 5 ? nothing : achievedQuestion()}
        <button type="submit" class="primary">Save review</button>
      </form>`, main);
  };
  draw();
}
