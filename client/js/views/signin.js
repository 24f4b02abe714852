import { html, render } from "../../vendor/lit-html.js";
import { ApiError, OfflineError } from "../api.js";
import { signIn } from "../session.js";
import * as store from "../store.js";
import { state as syncState } from "../sync.js";

export async function signInView(main) {
  const state = { email: "", password: "", error: null, fields: {}, busy: false };
  const { total } = await store.counts();
  const previous = await store.getMeta("user");

  const submit = async (event) => {
    event.preventDefault();
    state.busy = true;
    state.error = null;
    state.fields = {};
    draw();
    try {
      await signIn(state.email, state.password);
      return;
    } catch (err) {
      if (err instanceof OfflineError) state.error = "No connection. Signing in needs a signal; anything already on this phone is kept.";
      else if (err instanceof ApiError) {
        state.error = err.message;
        state.fields = err.fields || {};
      } else state.error = err.message;
    }
    state.busy = false;
    draw();
    main.querySelector("#signin-error")?.focus();
  };

  const discard = async () => {
    if (!window.confirm(`Delete ${total} unsent change${total === 1 ? "" : "s"} from this phone? They will never reach the server.`)) return;
    await store.wipe();
    signInView(main);
  };

  const draw = () => render(html`
    <section class="narrow">
      <h1>Sign in</h1>
      ${syncState.deactivated ? html`<p class="notice warning" role="status">This account has been deactivated by your organisation's admin, and what it held on this phone has been deleted.</p>` : ""}
      ${previous && total ? html`<div class="notice warning" role="status">
        <p>${total} change${total === 1 ? "" : "s"} by ${previous.name} ${total === 1 ? "is" : "are"} waiting on this phone.
        Sign in as ${previous.email} to send ${total === 1 ? "it" : "them"}.</p>
        <button type="button" class="secondary" @click=${discard}>Discard them</button></div>` : ""}
      ${state.error ? html`<div class="notice error" id="signin-error" tabindex="-1" role="alert">${state.error}</div>` : ""}
      <form @submit=${submit} novalidate>
        <div class="field">
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required
            .value=${state.email} @input=${(e) => { state.email = e.target.value; }}
            aria-invalid=${state.fields.email ? "true" : "false"}>
          ${state.fields.email ? html`<p class="field-error">${state.fields.email.join(" ")}</p>` : ""}
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required
            .value=${state.password} @input=${(e) => { state.password = e.target.value; }}>
        </div>
        <button type="submit" class="primary" ?disabled=${state.busy}>${state.busy ? "Signing in…" : "Sign in"}</button>
      </form>
    </section>`, main);
  draw();
}
