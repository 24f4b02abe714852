import { html, render } from "../../vendor/lit-html.js";
import { app } from "../app-state.js";
import * as store from "../store.js";
import { savedOnPhone } from "../capture.js";
import { errorSummary, focusErrors, selectField, textField } from "../forms.js";
import { localDateTimeValue } from "../util.js";

export const EVENT_KINDS = [
  ["community_participation", "Took part in the community"],
  ["employment", "Work, volunteering or training"],
  ["restrictive_practice", "Restrictive practice used"],
  ["hospital_admission", "Unplanned hospital admission"],
  ["complaint", "A complaint"],
  ["compliment", "A compliment"],
];
// Mirrors server/domain/person_voice.py: a complaint or compliment says in a few words what it was about.
const VOICE = { complaint: "complaint", compliment: "compliment" };
const SHORT_NOTE_MAX = 300;

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
    const what = VOICE[state.kind];
    if (what && !state.note.trim()) errors.note = [`Say what the ${what} was about.`];
    else if (what && state.note.trim().length > SHORT_NOTE_MAX) errors.note = [`At most ${SHORT_NOTE_MAX} characters.`];
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
      ${selectField(state, errors, "kind", "What happened", EVENT_KINDS, { onChange: () => draw() })}
      ${textField(state, errors, "happened_at", "When", { type: "datetime-local", required: true })}
      ${VOICE[state.kind]
        ? textField(state, errors, "note", `What the ${VOICE[state.kind]} was about`, { multiline: true, required: true, hint: "A short note, in their words where you can (at most 300 characters)." })
        : textField(state, errors, "note", "Note", { multiline: true })}
      <button type="submit" class="primary">Save event</button>
    </form>`, main);
  draw();
}
