import { html, render } from "../../vendor/lit-html.js";
import { app } from "../main.js";
import * as store from "../store.js";
import { savedOnPhone } from "../capture.js";
import { errorSummary, focusErrors, selectField, textField } from "../forms.js";
import { addDays, today } from "../util.js";

const REQUIRED = {
  domain: "Name the area, in the person's words (for example “Confidence using buses”).",
  persons_words: "Write what the person said: what a good day looks like, what would feel different.",
  indicator: "Say what you will see, hear or measure that shows progress.",
  starts_on: "Give a start date.",
  review_by: "Give a review-by date.",
};

export async function outcomeFormView(main, { id: personId, outcomeId }) {
  const existing = outcomeId ? await store.getRecord("outcomes", outcomeId) : null;
  if (outcomeId && !existing) {
    render(html`<h1>Outcome not found</h1><p><a href="/">Back</a></p>`, main);
    return;
  }
  const person = await store.getRecord("people", existing ? existing.person_id : personId);
  if (!person) {
    render(html`<h1>Person not found</h1><p><a href="/">Back</a></p>`, main);
    return;
  }
  const state = existing ? { ...existing, priority: existing.priority ? "yes" : "no" } : {
    domain: "", persons_words: "", indicator: "", target: "", review_every: "monthly",
    starts_on: today(), review_by: addDays(today(), 91), status: "active", priority: "no",
  };
  let errors = {};

  const validate = () => {
    const e = {};
    for (const [name, message] of Object.entries(REQUIRED)) if (!String(state[name] || "").trim()) e[name] = [message];
    if (state.starts_on && state.review_by && state.review_by < state.starts_on) e.review_by = ["The review-by date must be on or after the start date."];
    return e;
  };

  const save = async (event) => {
    event.preventDefault();
    errors = validate();
    if (Object.keys(errors).length) {
      draw();
      focusErrors(main);
      return;
    }
    const fields = {
      domain: state.domain.trim(), persons_words: state.persons_words.trim(), indicator: state.indicator.trim(),
      target: (state.target || "").trim(), review_every: state.review_every, starts_on: state.starts_on,
      review_by: state.review_by, status: state.status, priority: state.priority === "yes",
    };
    if (existing) {
      const changed = Object.fromEntries(Object.entries(fields).filter(([k, v]) => existing[k] !== v));
      if (Object.keys(changed).length) {
        await store.enqueue("outcome.update", { id: existing.id, version: existing.version, ...changed },
          [["outcomes", { ...existing, ...changed, version: existing.version + 1 }]]);
      }
    } else {
      const id = store.uuid();
      await store.enqueue("outcome.create", { id, person_id: person.id, ...fields },
        [["outcomes", { id, person_id: person.id, ...fields, version: 1, actions: [] }]]);
    }
    savedOnPhone("Outcome saved on this phone.", `/people/${person.id}`);
  };

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/people/${person.id}">← ${person.name}</a></p>
    <h1>${existing ? "Edit outcome" : "Define an outcome"}</h1>
    <p class="lead">Write it together with ${person.preferred_name || person.name}, in their words.</p>
    ${errorSummary(errors)}
    <form @submit=${save} @input=${() => { app.dirtyForm = true; }} novalidate>
      ${textField(state, errors, "domain", "Area that matters to them", { hint: "For example “Confidence using buses”", required: true })}
      ${textField(state, errors, "persons_words", "In their own words", { hint: "What does a good day look like? What would feel different if this worked?", multiline: true, required: true })}
      ${textField(state, errors, "indicator", "What we will see, hear or measure", { hint: "For example “Travels alone to the art group with a check-in text only”", multiline: true, required: true })}
      ${textField(state, errors, "target", "Target", { hint: "For example “twice per month within eight weeks”" })}
      ${selectField(state, errors, "review_every", "Review", [["weekly", "Every week"], ["fortnightly", "Every two weeks"], ["monthly", "Every month"], ["quarterly", "Every quarter"]])}
      <div class="two-col">
        ${textField(state, errors, "starts_on", "Starts on", { type: "date", required: true })}
        ${textField(state, errors, "review_by", "Review by", { type: "date", required: true })}
      </div>
      ${selectField(state, errors, "status", "Status", [["active", "Active"], ["paused", "Paused"], ["achieved", "Achieved"], ["retired", "Retired"]])}
      ${selectField(state, errors, "priority", "One of their (up to three) priorities this quarter?", [["no", "No"], ["yes", "Yes"]])}
      <button type="submit" class="primary">Save outcome</button>
    </form>`, main);
  draw();
}
