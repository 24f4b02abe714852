import { html, render } from "../../vendor/lit-html.js";
import { app } from "../app-state.js";
import * as store from "../store.js";
import { savedOnPhone } from "../capture.js";
import { errorSummary, fieldError, focusErrors, selectField, textField } from "../forms.js";
import { WELLBEING_AREAS } from "../wellbeing.js";
import { addDays, today } from "../util.js";
import { priorityClash, quarterName } from "../priorities.js";
import { ownerLabel } from "../rules.js";

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
  const state = existing ? { ...existing, priority: existing.priority ? "yes" : "no", wellbeing_areas: [...(existing.wellbeing_areas || [])] } : {
    domain: "", persons_words: "", indicator: "", target: "", review_every: "monthly",
    starts_on: today(), review_by: addDays(today(), 91), status: "active", priority: "no", wellbeing_areas: [],
  };
  const firstName = person.preferred_name || person.name.split(" ")[0];
  // Who owns the outcome: the person, me, someone else, or (editing) the staff member already named.
  const keepsOtherStaff = existing?.owner_kind === "staff" && existing.owner_user_id && existing.owner_user_id !== app.user.id;
  state.owner = !existing ? "me" : !existing.owner_kind ? "" : existing.owner_kind === "staff" ? (keepsOtherStaff ? "keep" : "me") : existing.owner_kind;
  state.owner_name = existing?.owner_name || "";
  const ownerOptions = [
    ...(existing && !existing.owner_kind ? [["", "Not named yet"]] : []),
    ["me", `Me (${app.user.name})`],
    ...(keepsOtherStaff ? [["keep", existing.owner_label || "The staff member named before"]] : []),
    ["person", `${firstName} (the person)`],
    ["other", "Someone else (family, friend, another service)"],
  ];
  // The person's other outcomes on this phone: the priority limit is checked here before the
  // server checks it again (server/domain/outcomes._check_priority_limit is the authority).
  const others = (await store.byIndex("outcomes", "person_id", person.id)).filter((o) => o.id !== existing?.id);
  // As the server decides: checked when the outcome becomes an active priority, or a priority's dates move.
  const wasPriority = existing && existing.priority && existing.status === "active";
  const needsCheck = () => !wasPriority || state.starts_on !== existing.starts_on || state.review_by !== existing.review_by;
  const clash = () => (state.priority === "yes" && state.status === "active" && state.starts_on && state.review_by && state.review_by >= state.starts_on && needsCheck()
    ? priorityClash(others, state.starts_on, state.review_by) : null);
  const clashMessage = (c) => `${firstName} already has ${c.outcomes.length} priority outcomes in ${quarterName(c.quarter)}: ${c.outcomes.map((o) => `“${o.domain}”`).join(", ")}. At most three a quarter: choose No here, or pause, retire or un-prioritise one of them first.`;
  let errors = {};

  const validate = () => {
    const e = {};
    for (const [name, message] of Object.entries(REQUIRED)) if (!String(state[name] || "").trim()) e[name] = [message];
    if (state.starts_on && state.review_by && state.review_by < state.starts_on) e.review_by = ["The review-by date must be on or after the start date."];
    if (!state.wellbeing_areas.length) e.wellbeing_areas = ["Choose at least one area of wellbeing with the person."];
    if (state.owner === "other" && !state.owner_name.trim()) e.owner_name = ["Name who owns it (for example “Sister, Nadia”)."];
    const c = clash();
    if (c) e.priority = [clashMessage(c)];
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
      // In the Act's order, as the server keeps them.
      wellbeing_areas: WELLBEING_AREAS.map((a) => a.code).filter((c) => state.wellbeing_areas.includes(c)),
    };
    if (state.owner && state.owner !== "keep") {
      fields.owner_kind = state.owner === "me" ? "staff" : state.owner;
      fields.owner_user_id = state.owner === "me" ? app.user.id : null;
      fields.owner_name = state.owner === "other" ? state.owner_name.trim() : null;
    }
    const label = state.owner && state.owner !== "keep" ? ownerLabel(fields, app.user.name) : undefined;
    const same = (a, b) => (Array.isArray(a) || Array.isArray(b) ? JSON.stringify(a || []) === JSON.stringify(b || []) : a === b);
    if (existing) {
      const changed = Object.fromEntries(Object.entries(fields).filter(([k, v]) => !same(existing[k], v)));
      if (Object.keys(changed).length) {
        await store.enqueue("outcome.update", { id: existing.id, version: existing.version, ...changed },
          [["outcomes", { ...existing, ...changed, ...(label ? { owner_label: label } : {}), version: existing.version + 1 }]]);
      }
    } else {
      const id = store.uuid();
      await store.enqueue("outcome.create", { id, person_id: person.id, ...fields },
        [["outcomes", { id, person_id: person.id, ...fields, owner_label: label || null, version: 1, actions: [] }]]);
    }
    savedOnPhone("Outcome saved on this phone.", `/people/${person.id}`);
  };

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/people/${person.id}">← ${person.name}</a></p>
    <h1>${existing ? "Edit outcome" : "Define an outcome"}</h1>
    <p class="lead">Write it together with ${person.preferred_name || person.name}, in their words.</p>
    ${errorSummary(errors)}
    <form @submit=${save} @input=${() => { app.dirtyForm = true; }} @change=${(e) => { if (e.target.type === "date") draw(); }} novalidate>
      ${textField(state, errors, "domain", "Area that matters to them", { hint: "For example “Confidence using buses”", required: true })}
      ${textField(state, errors, "persons_words", "In their own words", { hint: "What does a good day look like? What would feel different if this worked?", multiline: true, required: true })}
      ${textField(state, errors, "indicator", "What we will see, hear or measure", { hint: "For example “Travels alone to the art group with a check-in text only”", multiline: true, required: true })}
      ${textField(state, errors, "target", "Target", { hint: "For example “twice per month within eight weeks”" })}
      ${selectField(state, errors, "review_every", "Review", [["weekly", "Every week"], ["fortnightly", "Every two weeks"], ["monthly", "Every month"], ["quarterly", "Every quarter"]])}
      <div class="two-col">
        ${textField(state, errors, "starts_on", "Starts on", { type: "date", required: true })}
        ${textField(state, errors, "review_by", "Review by", { type: "date", required: true })}
      </div>
      ${selectField(state, errors, "status", "Status", [["active", "Active"], ["paused", "Paused"], ["achieved", "Achieved"], ["retired", "Retired"]], { onChange: () => draw() })}
      ${selectField(state, errors, "owner", "Who owns this outcome", ownerOptions, { onChange: () => draw() })}
      ${state.owner === "other" ? textField(state, errors, "owner_name", "Their name", { required: true }) : ""}
      ${selectField(state, errors, "priority", "One of their (up to three) priorities this quarter?", [["no", "No"], ["yes", "Yes"]], { onChange: () => draw() })}
      ${!errors.priority && clash() ? html`<div class="notice warning" id="priority-warning" role="status"><p>${clashMessage(clash())}</p></div>` : ""}
      ${wellbeingFieldset(state, errors)}
      <button type="submit" class="primary">Save outcome</button>
    </form>`, main);
  draw();
}

// The Care Act's areas of wellbeing (s.1(2)), ticked with the person: the list ships with the app.
function wellbeingFieldset(state, errors) {
  const toggle = (code) => (e) => {
    state.wellbeing_areas = e.target.checked ? [...state.wellbeing_areas, code] : state.wellbeing_areas.filter((c) => c !== code);
  };
  return html`<fieldset class="field ${errors.wellbeing_areas ? "has-error" : ""}" id="f-wellbeing_areas" tabindex="-1"
      aria-describedby="h-wellbeing_areas${errors.wellbeing_areas ? " e-wellbeing_areas" : ""}">
    <legend>Which parts of their wellbeing does this goal help?</legend>
    <p class="hint" id="h-wellbeing_areas">The areas of wellbeing in the Care Act. Choose one or more, together.</p>
    ${fieldError(errors, "wellbeing_areas")}
    ${WELLBEING_AREAS.map((a) => html`<label class="choice"><input type="checkbox" name="wellbeing_areas" value=${a.code}
        .checked=${state.wellbeing_areas.includes(a.code)} @change=${toggle(a.code)}> ${a.label}<span class="muted">${a.easy_read}</span></label>`)}
  </fieldset>`;
}
