import { html, render } from "../../vendor/lit-html.js";
import { app } from "../main.js";
import * as store from "../store.js";
import { savedOnPhone } from "../capture.js";
import { SCALES } from "../pictures.js";
import { errorSummary, focusErrors, pictureChoice, textField } from "../forms.js";
import { addDays, formatDate, today } from "../util.js";

const ENGAGEMENT = {
  question: "Engagement this week",
  words: { 1: "Very low", 2: "Low", 3: "Some", 4: "Good", 5: "Very good" },
  picture: SCALES.progress.picture,
};

export function mondayOf(iso) {
  const d = new Date(`${iso}T12:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  return addDays(iso, -back);
}

export async function checkFormView(main, { id }) {
  const person = await store.getRecord("people", id);
  if (!person) { render(html`<h1>Person not found</h1><p><a href="/">Back</a></p>`, main); return; }
  const existing = await store.byIndex("checks", "person_id", id);
  const state = { week_of: mondayOf(today()), incidents: "0", engagement: null, mood: null, note: "" };
  let errors = {};

  const save = async (event) => {
    event.preventDefault();
    errors = {};
    const weekOf = mondayOf(state.week_of || today());
    const incidents = Number(state.incidents);
    if (!state.week_of) errors.week_of = ["Choose the week."];
    else if (existing.some((c) => c.week_of === weekOf)) errors.week_of = [`There is already a check for the week of ${formatDate(weekOf)}.`];
    if (String(state.incidents).trim() === "" || !Number.isInteger(incidents) || incidents < 0) errors.incidents = ["Give the number of incidents: 0 or more."];
    if (state.engagement == null) errors.engagement = ["Choose engagement from 1 to 5."];
    if (state.mood == null) errors.mood = ["Choose how they felt, 1 to 5."];
    if (Object.keys(errors).length) { draw(); focusErrors(main); return; }
    const rid = store.uuid();
    const args = { id: rid, person_id: person.id, week_of: weekOf, incidents, engagement: state.engagement, mood: state.mood, note: state.note.trim() };
    await store.enqueue("check.create", args, [["checks", { ...args }]]);
    savedOnPhone("Weekly check saved on this phone.", `/people/${person.id}`);
  };

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/people/${person.id}">← ${person.name}</a></p>
    <h1>Weekly check</h1>
    ${errorSummary(errors)}
    <form @submit=${save} @input=${() => { app.dirtyForm = true; }} novalidate>
      ${textField(state, errors, "week_of", "Week starting (Monday)", { type: "date", required: true, hint: "Any day in the week is moved to its Monday." })}
      ${textField(state, errors, "incidents", "Incidents this week", { type: "number", required: true })}
      ${pictureChoice(state, errors, "engagement", "Engagement this week", ENGAGEMENT, (n) => { state.engagement = n; draw(); })}
      ${pictureChoice(state, errors, "mood", `How did ${person.preferred_name || person.name.split(" ")[0]} feel this week?`, SCALES.mood, (n) => { state.mood = n; draw(); })}
      ${textField(state, errors, "note", "What happened (context)", { multiline: true, hint: "For example “Increased engagement after evening walk added”" })}
      <button type="submit" class="primary">Save weekly check</button>
    </form>`, main);
  draw();
}
