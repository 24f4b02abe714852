import { html, render, nothing } from "../../vendor/lit-html.js";
import { app } from "../app-state.js";
import * as store from "../store.js";
import { savedOnPhone } from "../capture.js";
import { errorSummary, focusErrors, pictureChoice, textField } from "../forms.js";
import { SCALES } from "../pictures.js";
import { announce, localDateTimeValue } from "../util.js";
import { handOverScale } from "./scale-handover.js";

// The quarterly feedback conversation: three plain-language questions, in the person's words, and
// an optional picture question the person answers themselves: "How happy are you with your support?"
export async function feedbackFormView(main, { id }) {
  const person = await store.getRecord("people", id);
  if (!person) { render(html`<h1>Person not found</h1><p><a href="/">Back</a></p>`, main); return; }
  const state = { works_well: "", feels_difficult: "", would_change: "", participants: person.name, happened_at: localDateTimeValue(),
    satisfaction: null, satisfaction_rated_by: "together" };
  let errors = {};
  let skipped = false;
  const firstName = (person.preferred_name || person.name).split(" ")[0];

  const handOver = async () => {
    const result = await handOverScale(main, { scale: SCALES.satisfaction, firstName });
    if (result?.score) { Object.assign(state, { satisfaction: result.score, satisfaction_rated_by: result.rated_by }); skipped = false; app.dirtyForm = true; }
    if (result?.skipped) { state.satisfaction = null; skipped = true; }
    draw();
    announce(result?.score ? `${firstName} chose: ${SCALES.satisfaction.words[result.score]}.` : result?.skipped ? `${firstName} was not sure and skipped.` : "Back to the conversation.");
    requestAnimationFrame(() => main.querySelector(".handover-link")?.focus());
  };

  const save = async (event) => {
    event.preventDefault();
    errors = {};
    if (!["works_well", "feels_difficult", "would_change"].some((k) => state[k].trim())) {
      errors.works_well = ["Write down at least one answer, in their words."];
    }
    if (!state.participants.trim()) errors.participants = ["Say who took part."];
    if (!state.happened_at) errors.happened_at = ["Say when the conversation happened."];
    if (Object.keys(errors).length) { draw(); focusErrors(main); return; }
    const rid = store.uuid();
    const args = {
      id: rid, person_id: person.id, happened_at: new Date(state.happened_at).toISOString(),
      works_well: state.works_well.trim(), feels_difficult: state.feels_difficult.trim(), would_change: state.would_change.trim(),
      participants: state.participants.trim(),
      satisfaction: state.satisfaction, satisfaction_rated_by: state.satisfaction == null ? null : state.satisfaction_rated_by,
    };
    await store.enqueue("feedback.create", args, [["feedback", { ...args }]]);
    savedOnPhone("Feedback saved on this phone.", `/people/${person.id}`);
  };

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/people/${person.id}">← ${person.name}</a></p>
    <h1>Feedback conversation</h1>
    <p class="lead">Write down what ${person.preferred_name || person.name.split(" ")[0]} says, in their words.</p>
    ${errorSummary(errors)}
    <form @submit=${save} @input=${() => { app.dirtyForm = true; }} novalidate>
      ${textField(state, errors, "works_well", "What works well?", { multiline: true })}
      ${textField(state, errors, "feels_difficult", "What feels difficult?", { multiline: true })}
      ${textField(state, errors, "would_change", "What would you change?", { multiline: true })}
      <fieldset class="field satisfaction">
        <legend>${SCALES.satisfaction.question} <span class="muted">(optional; ${firstName} answers)</span></legend>
        <p class="hint">Hand the phone over so ${firstName} can choose a face, or choose together. Leave it out if they would rather not.</p>
        <p><button type="button" class="secondary handover-link" @click=${handOver}>Hand the phone to ${firstName} to answer</button></p>
        ${skipped ? html`<p class="notice" role="status">${firstName} was not sure and skipped this question.</p>` : nothing}
        ${pictureChoice(state, errors, "satisfaction", `Their answer (1 to 5)`, SCALES.satisfaction, (n) => { state.satisfaction = n; skipped = false; draw(); })}
        ${state.satisfaction != null ? html`
          <fieldset class="field"><legend>Who chose?</legend><div class="inline-options">
            ${[["person", `${firstName} on their own`], ["together", "Together"]].map(([v, t]) => html`
              <label class="choice"><input type="radio" name="satisfaction_rated_by" value=${v} .checked=${state.satisfaction_rated_by === v} @change=${() => { state.satisfaction_rated_by = v; }}> ${t}</label>`)}
          </div></fieldset>
          <button type="button" class="link-button" @click=${() => { state.satisfaction = null; draw(); }}>Leave this question out</button>` : nothing}
      </fieldset>
      ${textField(state, errors, "participants", "Who took part", { required: true, hint: "For example “Margaret and her daughter”" })}
      ${textField(state, errors, "happened_at", "When", { type: "datetime-local", required: true })}
      <button type="submit" class="primary">Save conversation</button>
    </form>`, main);
  draw();
}
