import { html, render } from "../../vendor/lit-html.js";
import { app } from "../main.js";
import * as store from "../store.js";
import { savedOnPhone } from "../capture.js";
import { errorSummary, focusErrors, textField } from "../forms.js";
import { localDateTimeValue } from "../util.js";

// The quarterly feedback conversation: three plain-language questions, in the person's words.
export async function feedbackFormView(main, { id }) {
  const person = await store.getRecord("people", id);
  if (!person) { render(html`<h1>Person not found</h1><p><a href="/">Back</a></p>`, main); return; }
  const state = { works_well: "", feels_difficult: "", would_change: "", participants: person.name, happened_at: localDateTimeValue() };
  let errors = {};

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
      ${textField(state, errors, "participants", "Who took part", { required: true, hint: "For example “Margaret and her daughter”" })}
      ${textField(state, errors, "happened_at", "When", { type: "datetime-local", required: true })}
      <button type="submit" class="primary">Save conversation</button>
    </form>`, main);
  draw();
}
