// Staff (admins): the organisation's accounts; add one, change its role or services, deactivate or
// reactivate it, and send a new one-time link. A link is shown once, with a copy button and a QR code
// to hand to a phone; there is no email server in the default install.
import { html, render, nothing } from "../../vendor/lit-html.js";
import { ApiError, get, getAll, patch, post } from "../api.js";
import { app } from "../app-state.js";
import { errorSummary, fieldError, focusErrors, textField } from "../forms.js";
import { announce, formatDate } from "../util.js";

export const ROLE_NAMES = {
  support_worker: "Support worker", registered_manager: "Registered manager", senior_leader: "Senior leader",
  commissioner: "Commissioner", admin: "Admin", person: "Person supported",
};
const STAFF_ROLES = ["support_worker", "registered_manager", "senior_leader", "commissioner", "admin"];
const SERVICE_ROLES = new Set(["support_worker", "registered_manager", "commissioner"]);
const SERVICES_LABEL = {
  support_worker: "Services they work in", registered_manager: "Services they manage", commissioner: "Services they commission",
};

function status(u) {
  if (!u.active) return { text: "Deactivated", cls: "off" };
  if (u.link) return { text: `${u.link.purpose === "reset" ? "New password link" : "Invited"}: link works until ${formatDate(u.link.expires_at.slice(0, 10))}`, cls: "waiting" };
  if (!u.password_set) return { text: "Invited: the link expired, send a new one", cls: "waiting" };
  return { text: "Active", cls: "on" };
}

// The link panel: shown once after an account is made or a new link is sent.
export function linkPanel(issued, onClose) {
  if (!issued) return nothing;
  const copy = async (event) => {
    const input = document.getElementById("issued-link");
    let copied = false;
    try {
      await navigator.clipboard.writeText(issued.invite_url);
      copied = true;
    } catch {
      input.select();
    }
    const note = document.getElementById("copy-note");
    note.textContent = copied ? "Link copied." : "Select the link and copy it (press and hold on a phone).";
    event.target.focus();
  };
  const until = formatDate(issued.invite_expires_at.slice(0, 10));
  return html`<section class="notice link-panel" aria-labelledby="link-heading" id="link-panel" tabindex="-1">
    <h2 id="link-heading">One-time link for ${issued.user.name}</h2>
    <p>Give this link to ${issued.user.name} only: it sets the password for ${issued.user.email}. It works once, until ${until}.
      ${issued.email_sent === true ? "It has also been emailed to them." : issued.email_sent === false ? "It could not be emailed; hand it over yourself." : "Hand it over in person, or in a message only they read."}</p>
    <div class="field">
      <label for="issued-link">One-time link</label>
      <input id="issued-link" type="text" readonly .value=${issued.invite_url} @focus=${(e) => e.target.select()}>
    </div>
    <div class="actions-row">
      <button type="button" class="primary" id="copy-link" @click=${copy}>Copy link</button>
      <button type="button" class="secondary" @click=${onClose}>Done</button>
    </div>
    <p id="copy-note" role="status" class="muted"></p>
    <figure class="qr">
      <img src=${issued.invite_qr} width="220" height="220" alt="QR code of the link for ${issued.user.name}">
      <figcaption>Or let ${issued.user.name} scan this with their phone's camera.</figcaption>
    </figure>
  </section>`;
}

function servicesField(state, errors, services, name = "service_ids", id = "f-service_ids") {
  if (!SERVICE_ROLES.has(state.role)) return nothing;
  const toggle = (id, on) => {
    state[name] = on ? [...new Set([...state[name], id])] : state[name].filter((s) => s !== id);
  };
  return html`<fieldset class="field ${errors[name] ? "has-error" : ""}" id=${id} tabindex="-1">
    <legend>${SERVICES_LABEL[state.role]}${state.role === "support_worker" ? html` <span class="muted">(optional)</span>` : ""}</legend>
    ${fieldError(errors, name)}
    ${services.length ? services.map((s) => html`<label class="choice">
      <input type="checkbox" .checked=${state[name].includes(s.id)} @change=${(e) => toggle(s.id, e.target.checked)}> ${s.name}</label>`)
      : html`<p class="hint">Your organisation has no services yet. Add them on the <a href="/">Organisation</a> screen.</p>`}
  </fieldset>`;
}

function roleSelect(state, errors, id, roles, onChange) {
  return html`<div class="field ${errors.role ? "has-error" : ""}">
    <label for=${id}>Role</label>
    ${fieldError(errors, "role")}
    <select id=${id} @change=${(e) => { state.role = e.target.value; onChange(); }}>
      ${roles.map((r) => html`<option value=${r} ?selected=${state.role === r}>${ROLE_NAMES[r]}</option>`)}
    </select>
  </div>`;
}

export async function staffView(main) {
  if (app.user.role !== "admin") {
    render(html`<h1>Staff</h1><p>Only an admin can manage accounts.</p>`, main);
    return;
  }
  let users;
  let services;
  try {
    [users, services] = await Promise.all([getAll("/api/v1/users"), get("/api/v1/services")]);
  } catch (err) {
    render(html`<h1>Staff</h1><p class="notice warning">${err.offline ? "This screen needs a signal." : err.message}</p>`, main);
    return;
  }
  const byId = new Map(services.map((s) => [s.id, s]));
  const ui = { issued: null, editing: null, adding: false, busy: false, message: "" };
  const add = { name: "", email: "", role: "support_worker", service_ids: [], person_id: "" };
  let addErrors = {};
  let edit = null;
  let editErrors = {};

  const reload = async () => { users = await getAll("/api/v1/users"); };
  const fail = (err, setErrors) => {
    if (err instanceof ApiError) {
      const fields = { ...err.fields };
      if (!Object.keys(fields).length) fields._schema = [err.message];
      setErrors(fields);
    } else setErrors({ _schema: [err.offline ? "No connection: try again when you have a signal." : err.message] });
  };

  const submitAdd = async (event) => {
    event.preventDefault();
    ui.busy = true;
    addErrors = {};
    draw();
    const body = { name: add.name, email: add.email, role: add.role,
      service_ids: SERVICE_ROLES.has(add.role) ? add.service_ids : [] };
    if (add.role === "person") body.person_id = add.person_id.trim() || null;
    try {
      ui.issued = await post("/api/v1/users", body);
      Object.assign(add, { name: "", email: "", role: "support_worker", service_ids: [], person_id: "" });
      ui.adding = false;
      await reload();
      ui.busy = false;
      draw();
      main.querySelector("#link-panel")?.focus();
      announce(`Account made for ${ui.issued.user.name}.`);
      return;
    } catch (err) {
      fail(err, (f) => { addErrors = f; });
    }
    ui.busy = false;
    draw();
    focusErrors(main);
  };

  const startEdit = (u) => {
    ui.editing = u.id;
    edit = { role: u.role, service_ids: u.services.map((s) => s.id) };
    editErrors = {};
    draw();
    main.querySelector(`#edit-role-${u.id}`)?.focus();
  };

  const saveEdit = async (event, u) => {
    event.preventDefault();
    ui.busy = true;
    draw();
    const body = { role: edit.role };
    if (SERVICE_ROLES.has(edit.role)) body.service_ids = edit.service_ids;
    try {
      await patch(`/api/v1/users/${u.id}`, body);
      await reload();
      ui.editing = null;
      ui.busy = false;
      draw();
      main.querySelector(`#account-${u.id} h3`)?.focus();
      announce(`${u.name}: changes saved.`);
      return;
    } catch (err) {
      fail(err, (f) => { editErrors = f; });
    }
    ui.busy = false;
    draw();
    main.querySelector(`#edit-errors-${u.id}`)?.focus();
  };

  const setActive = async (u, active) => {
    if (!active && !window.confirm(`Deactivate ${u.name}? They are signed out everywhere at once, and their phone deletes what it holds.`)) return;
    ui.message = "";
    try {
      await patch(`/api/v1/users/${u.id}`, { active });
      await reload();
      ui.message = active ? `${u.name} is active again. They sign in with their password.` : `${u.name} is deactivated and signed out everywhere.`;
    } catch (err) {
      ui.message = err.message;
    }
    draw();
    main.querySelector("#staff-message")?.focus();
  };

  const newLink = async (u) => {
    ui.message = "";
    try {
      ui.issued = await post(`/api/v1/users/${u.id}/password-reset`);
      await reload();
    } catch (err) {
      ui.message = err.message;
    }
    draw();
    main.querySelector(ui.issued ? "#link-panel" : "#staff-message")?.focus();
  };

  const serviceNames = (u) => u.services.map((s) => byId.get(s.id)?.name || s.name).join(", ");

  const accountCard = (u) => {
    const st = status(u);
    const me = u.id === app.user.id;
    const editing = ui.editing === u.id;
    return html`<li class="card account" id="account-${u.id}">
      <h3 tabindex="-1">${u.name}${me ? html` <span class="muted">(you)</span>` : ""}</h3>
      <p class="account-email">${u.email}</p>
      <dl class="facts">
        <div><dt>Role</dt><dd>${ROLE_NAMES[u.role] || u.role}</dd></div>
        ${u.services.length ? html`<div><dt>Services</dt><dd>${serviceNames(u)}</dd></div>` : nothing}
        <div><dt>Status</dt><dd><span class="status ${st.cls}">${st.text}</span></dd></div>
      </dl>
      ${editing ? html`<form class="edit-account" @submit=${(e) => saveEdit(e, u)} novalidate aria-label="Change ${u.name}">
          ${Object.keys(editErrors).length ? html`<div class="notice error" id="edit-errors-${u.id}" tabindex="-1" role="alert">
            ${Object.values(editErrors).flat().join(" ")}</div>` : nothing}
          ${u.role === "person" ? html`<p>A person's own account keeps its role.</p>`
            : roleSelect(edit, editErrors, `edit-role-${u.id}`, STAFF_ROLES, () => draw())}
          ${servicesField(edit, editErrors, services, "service_ids", `edit-svc-${u.id}`)}
          <div class="actions-row">
            <button type="submit" class="primary" ?disabled=${ui.busy}>Save</button>
            <button type="button" class="secondary" @click=${() => { ui.editing = null; draw(); main.querySelector(`#account-${u.id} h3`)?.focus(); }}>Cancel</button>
          </div>
        </form>`
      : html`<div class="actions-row">
          ${u.role !== "person" ? html`<button type="button" class="secondary small" @click=${() => startEdit(u)}>Change<span class="visually-hidden"> role or services of ${u.name}</span></button>` : nothing}
          ${u.active ? html`<button type="button" class="secondary small" @click=${() => newLink(u)}>New link<span class="visually-hidden"> for ${u.name}</span></button>` : nothing}
          ${me ? nothing : u.active
            ? html`<button type="button" class="secondary small danger" @click=${() => setActive(u, false)}>Deactivate<span class="visually-hidden"> ${u.name}</span></button>`
            : html`<button type="button" class="secondary small" @click=${() => setActive(u, true)}>Reactivate<span class="visually-hidden"> ${u.name}</span></button>`}
        </div>`}
    </li>`;
  };

  const draw = () => {
    const active = users.filter((u) => u.active).length;
    render(html`
      <h1>Staff</h1>
      ${linkPanel(ui.issued, () => { ui.issued = null; draw(); main.querySelector("#accounts-heading")?.focus(); })}
      ${ui.message ? html`<p class="notice" id="staff-message" tabindex="-1" role="status">${ui.message}</p>` : nothing}
      <details class="add-account" ?open=${ui.adding} @toggle=${(e) => { ui.adding = e.target.open; }}>
        <summary>Add an account</summary>
        <form @submit=${submitAdd} novalidate>
          ${addErrors._schema ? html`<div class="notice error" role="alert">${addErrors._schema.join(" ")}</div>` : nothing}
          ${errorSummary(Object.fromEntries(Object.entries(addErrors).filter(([k]) => k !== "_schema")))}
          ${textField(add, addErrors, "name", "Name", { required: true })}
          ${textField(add, addErrors, "email", "Email", { type: "email", required: true, hint: "They sign in with it." })}
          ${roleSelect(add, addErrors, "f-role", [...STAFF_ROLES, "person"], () => draw())}
          ${servicesField(add, addErrors, services)}
          ${add.role === "person" ? textField(add, addErrors, "person_id", "Their record's ID", {
            required: true, hint: "The last part of the address of their page in Tandem, for example 3f6c…; ask their manager." }) : nothing}
          <button type="submit" class="primary" ?disabled=${ui.busy}>${ui.busy ? "Adding…" : "Add account and make a link"}</button>
        </form>
      </details>
      <h2 id="accounts-heading" tabindex="-1">Accounts</h2>
      <p>${users.length} account${users.length === 1 ? "" : "s"}, ${active} active.</p>
      <ul class="cards accounts" aria-labelledby="accounts-heading">${users.map(accountCard)}</ul>`, main);
  };
  draw();
}
