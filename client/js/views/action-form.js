import { html, render } from "../../vendor/lit-html.js";
import { app } from "../app-state.js";
import * as store from "../store.js";
import { savedOnPhone } from "../capture.js";
import { errorSummary, focusErrors, selectField, textField } from "../forms.js";
import { ownerLabel } from "../rules.js";

export async function actionFormView(main, { outcomeId }) {
  const outcome = await store.getRecord("outcomes", outcomeId);
  if (!outcome) {
    render(html`<h1>Outcome not found</h1><p><a href="/">Back</a></p>`, main);
    return;
  }
  const state = { description: "", owner_kind: "person", owner_name: "", due_on: "", status: "open" };
  let errors = {};

  const save = async (event) => {
    event.preventDefault();
    errors = {};
    if (!state.description.trim()) errors.description = ["Say what will be done."];
    if (state.owner_kind === "other" && !state.owner_name.trim()) errors.owner_name = ["Name who will do it (for example “Sister, Nadia”)."];
    if (Object.keys(errors).length) { draw(); focusErrors(main); return; }
    const id = store.uuid();
    const args = {
      id, outcome_id: outcome.id, description: state.description.trim(), owner_kind: state.owner_kind,
      owner_user_id: state.owner_kind === "staff" ? app.user.id : null,
      owner_name: state.owner_kind === "other" ? state.owner_name.trim() : null,
      due_on: state.due_on || null, status: "open",
    };
    const label = ownerLabel(args, app.user.name);
    await store.enqueue("action.create", args, [["actions", { ...args, person_id: outcome.person_id, owner_label: label, version: 1 }]]);
    savedOnPhone("Action saved on this phone.", `/people/${outcome.person_id}`);
  };

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/people/${outcome.person_id}">← Back</a></p>
    <h1>Add an action</h1>
    <p class="lead">For “${outcome.domain}”</p>
    ${errorSummary(errors)}
    <form @submit=${save} @input=${() => { app.dirtyForm = true; }} novalidate>
      ${textField(state, errors, "description", "What will be done", { multiline: true, required: true })}
      ${selectField(state, errors, "owner_kind", "Who does it", [["person", "The person"], ["staff", `Me (${app.user.name})`], ["other", "Someone else (family, friend, another service)"]], { onChange: () => draw() })}
      ${state.owner_kind === "other" ? textField(state, errors, "owner_name", "Their name", { required: true }) : ""}
      ${textField(state, errors, "due_on", "By when", { type: "date" })}
      <button type="submit" class="primary">Save action</button>
    </form>`, main);
  draw();
}
