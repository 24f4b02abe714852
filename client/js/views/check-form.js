import { html, render, nothing } from "../../vendor/lit-html.js";
import { app } from "../app-state.js";
import * as store from "../store.js";
import { savedOnPhone } from "../capture.js";
import { SCALES } from "../pictures.js";
import { errorSummary, focusErrors, pictureChoice, textField } from "../forms.js";
import { addDays, announce, formatDate, today } from "../util.js";
import { handOverScale } from "./scale-handover.js";

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
  const firstName = (person.preferred_name || person.name).split(" ")[0];
  let handedOver = null; // what came back from the hand-over: { score, rated_by } or { skipped: true }

  // The mood scale is the person's: they can choose their own face on this phone.
  const handOver = async () => {
    const result = await handOverScale(main, { scale: SCALES.mood, firstName });
    if (result) {
      handedOver = result;
      if (result.score) { state.mood = result.score; app.dirtyForm = true; delete errors.mood; }
    }
    draw();
    announce(result?.score ? `Mood from the hand-over: ${SCALES.mood.words[result.score]}.` : result?.skipped ? `${firstName} was not sure and skipped.` : "Back to the weekly check.");
    requestAnimationFrame(() => main.querySelector(".handover-link")?.focus());
  };

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
      <p><button type="button" class="secondary handover-link" @click=${handOver}>Hand the phone to ${firstName} to choose their mood</button></p>
      ${handedOver?.score ? html`<p class="notice" role="status">${handedOver.rated_by === "person" ? `${firstName} chose this on their own` : "Chosen together"}: ${SCALES.mood.words[handedOver.score]}.</p>` : nothing}
      ${handedOver?.skipped ? html`<p class="notice" role="status">${firstName} was not sure and skipped the faces. Talk it through and choose together.</p>` : nothing}
      ${pictureChoice(state, errors, "mood", `How did ${firstName} feel this week?`, SCALES.mood, (n) => { state.mood = n; handedOver = null; draw(); })}
      ${textField(state, errors, "note", "What happened (context)", { multiline: true, hint: "For example “Increased engagement after evening walk added”" })}
      <button type="submit" class="primary">Save weekly check</button>
    </form>`, main);
  draw();
}
