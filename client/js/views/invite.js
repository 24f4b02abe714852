// The page a one-time link opens (/invite/<token>): choose a password. Works signed out, on a phone.
import { html, render, nothing } from "../../vendor/lit-html.js";
import { ApiError, get, post } from "../api.js";
import { app } from "../app-state.js";
import { errorSummary, focusErrors } from "../forms.js";
import { PASSWORD_HINT, passwordField } from "./account.js";

function problem(err) {
  if (err.offline) return "No connection. Setting a password needs a signal; open the link again when you have one.";
  if (err.status === 429) return "Too many attempts. Wait a minute and try again.";
  return err.message;
}

export async function inviteView(main, { token }) {
  let invite = null;
  try {
    invite = await get(`/api/v1/invites/${encodeURIComponent(token)}`);
  } catch (err) {
    const gone = err instanceof ApiError && (err.status === 404 || err.status === 410);
    render(html`<section class="narrow">
      <h1>${gone ? "This link does not work" : "Set your password"}</h1>
      <p class="notice warning">${problem(err)}</p>
      <p><a href="/signin">Go to sign in</a></p>
    </section>`, main);
    return;
  }
  const form = { password: "", show: false };
  let errors = {};
  let busy = false;
  let done = false;
  const reset = invite.purpose === "reset";

  const submit = async (event) => {
    event.preventDefault();
    busy = true;
    errors = {};
    draw();
    try {
      await post(`/api/v1/invites/${encodeURIComponent(token)}`, { password: form.password });
      done = true;
      busy = false;
      draw();
      main.querySelector("#password-set")?.focus();
      return;
    } catch (err) {
      if (err instanceof ApiError && err.fields?.password) errors = { password: err.fields.password };
      else errors = { _schema: [problem(err)] };
    }
    busy = false;
    draw();
    if (errors._schema) main.querySelector("#invite-problem")?.focus();
    else focusErrors(main);
  };

  const draw = () => render(html`
    <section class="narrow">
      <h1>${reset ? "Choose a new password" : "Set your password"}</h1>
      ${done ? html`
        <div class="notice" id="password-set" tabindex="-1" role="status">
          <p>Your password is set. Sign in with ${invite.email} and your new password.</p>
        </div>
        ${app.user && app.user.email !== invite.email
          ? html`<p>This browser is signed in as ${app.user.email}. Sign out first to sign in as ${invite.email}.</p>`
          : html`<p><a class="button primary" href="/signin">Sign in</a></p>`}`
      : html`
        <p>For <strong>${invite.name}</strong> (${invite.email}) at ${invite.organisation}.</p>
        ${errors._schema ? html`<div class="notice error" id="invite-problem" tabindex="-1" role="alert">${errors._schema.join(" ")}</div>` : nothing}
        <form @submit=${submit} novalidate>
          ${errorSummary(errors._schema ? {} : errors)}
          <input type="email" name="username" autocomplete="username" .value=${invite.email} hidden>
          ${passwordField(form, errors, "password", reset ? "New password" : "Password", "new-password", PASSWORD_HINT)}
          <label class="choice"><input type="checkbox" .checked=${form.show}
            @change=${(e) => { form.show = e.target.checked; main.querySelector("#f-password").type = form.show ? "text" : "password"; }}> Show the password</label>
          <button type="submit" class="primary" ?disabled=${busy}>${busy ? "Saving…" : "Set password"}</button>
        </form>
        <p class="muted">This link works once. It stops working on ${new Date(invite.expires_at).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" })}.</p>`}
    </section>`, main);
  draw();
}
