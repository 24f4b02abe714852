// My account (everyone): who you are signed in as, and changing your password. Changing it signs
// out every other phone and browser; this one stays signed in.
import { html, render, nothing } from "../../vendor/lit-html.js";
import { ApiError, post, setCsrf } from "../api.js";
import { app } from "../app-state.js";
import { errorSummary, fieldError, focusErrors } from "../forms.js";
import { ROLE_NAMES } from "./staff.js";

export const PASSWORD_HINT = "At least 12 characters. Three or four random words are easy to remember and hard to guess; common passwords are refused.";

export async function accountView(main) {
  const user = app.user;
  const form = { current_password: "", new_password: "" };
  let errors = {};
  let done = false;
  let busy = false;

  const submit = async (event) => {
    event.preventDefault();
    busy = true;
    errors = {};
    done = false;
    draw();
    try {
      const session = await post("/api/v1/session/password", form);
      setCsrf(session.csrf_token);
      form.current_password = "";
      form.new_password = "";
      done = true;
      busy = false;
      draw();
      main.querySelector("#password-done")?.focus();
      return;
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) errors = { ...err.fields };
      else errors = { _schema: [err.offline ? "No connection: changing your password needs a signal." : err.message] };
    }
    busy = false;
    draw();
    if (errors._schema) main.querySelector("#password-problem")?.focus();
    else focusErrors(main);
  };

  const draw = () => render(html`
    <section class="narrow">
      <h1>My account</h1>
      <dl class="facts">
        <div><dt>Name</dt><dd>${user.name}</dd></div>
        <div><dt>Email</dt><dd class="account-email">${user.email}</dd></div>
        <div><dt>Role</dt><dd>${ROLE_NAMES[user.role] || user.role}</dd></div>
        ${user.services?.length ? html`<div><dt>Services</dt><dd>${user.services.map((s) => s.name).join(", ")}</dd></div>` : nothing}
      </dl>
      <h2>Change your password</h2>
      ${done ? html`<p class="notice" id="password-done" tabindex="-1" role="status">Your password is changed. Other phones and browsers signed in as you are signed out; this one stays signed in.</p>` : nothing}
      ${errors._schema ? html`<div class="notice error" id="password-problem" tabindex="-1" role="alert">${errors._schema.join(" ")}</div>` : nothing}
      <form @submit=${submit} novalidate>
        ${errorSummary(Object.fromEntries(Object.entries(errors).filter(([k]) => k !== "_schema")))}
        <input type="email" name="username" autocomplete="username" .value=${user.email} hidden>
        ${passwordField(form, errors, "current_password", "Current password", "current-password")}
        ${passwordField(form, errors, "new_password", "New password", "new-password", PASSWORD_HINT)}
        <button type="submit" class="primary" ?disabled=${busy}>${busy ? "Changing…" : "Change password"}</button>
      </form>
    </section>`, main);
  draw();
}

// A password input that tells password managers what it is (autocomplete), with its hint and error.
export function passwordField(state, errors, name, label, autocomplete, hint) {
  const describedBy = [hint ? `h-${name}` : "", errors[name] ? `e-${name}` : ""].filter(Boolean).join(" ") || nothing;
  return html`<div class="field ${errors[name] ? "has-error" : ""}">
    <label for="f-${name}">${label}</label>
    ${hint ? html`<p class="hint" id="h-${name}">${hint}</p>` : nothing}
    ${fieldError(errors, name)}
    <input id="f-${name}" name=${name} type="password" autocomplete=${autocomplete} required
      .value=${state[name] ?? ""} @input=${(e) => { state[name] = e.target.value; }}
      aria-invalid=${errors[name] ? "true" : "false"} aria-describedby=${describedBy}>
  </div>`;
}
