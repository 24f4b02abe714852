import { html, render } from "../../vendor/lit-html.js";
import { app } from "../main.js";
import * as store from "../store.js";
import { savedOnPhone } from "../capture.js";
import { errorSummary, focusErrors, selectField, textField } from "../forms.js";
import { localDateTimeValue } from "../util.js";

export const EVENT_KINDS = [
  ["community_participation", "Took part in the community"],
  ["employment", "Work, volunteering or training"],
  ["restrictive_practice", "Restrictive practice used"],
  ["hospital_admission", "Unplanned hospital admission"],
];

export async function eventFormView(main, { id }) {
  const person = await store.getRecord("people", id);
  if (!person) { render(html`<h1>Person not found</h1><p><a href="/">Back</a></p>`, main); return; }
  const state = { kind: "community_participation", happened_at: localDateTimeValue(), note: "" };
  let errors = {};

  const save = async (event) => {
    event.preventDefault();
    errors = {};
    if (!state.happened_at) errors.happened_at = ["Say when it happened."];
    else if (new Date(state.happened_at) > new Date(Date.now() + 86400000)) errors.happened_at = ["It cannot be in the future."];
    if (Object.keys(errors).length) { draw(); focusErrors(main); return; }
    const rid = store.uuid();
    const args = { id: rid, person_id: person.id, kind: state.kind, happened_at: new Date(state.happened_at).toISOString(), note: state.note.trim() };
    await store.enqueue("event.create", args, [["events", { ...args }]]);
    savedOnPhone("Event saved on this phone.", `/people/${person.id}`);
  };

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/people/${person.id}">← ${person.name}</a></p>
    <h1>Log an event</h1>
    ${errorSummary(errors)}
    <form @submit=${save} @input=${() => { app.dirtyForm = true; }} novalidate>
      ${selectField(state, errors, "kind", "What happened", EVENT_KINDS)}
      ${textField(state, errors, "happened_at", "When", { type: "datetime-local", required: true })}
      ${textField(state, errors, "note", "Note", { multiline: true })}
      <button type="submit" class="primary">Save event</button>
    </form>`, main);
  draw();
}
