// Organisation (an admin's start screen): the services, with how many people each supports; add
// one or rename it. Accounts are managed on the Staff screen.
import { html, render, nothing } from "../../vendor/lit-html.js";
import { ApiError, get, getAll, patch, post } from "../api.js";
import { errorSummary, focusErrors, selectField, textField } from "../forms.js";
import { announce } from "../util.js";
import { mountAdminExport } from "./evidence-links.js";

export const KIND_NAMES = { supported_living: "Supported living", domiciliary: "Domiciliary care", residential: "Residential care" };
const KINDS = Object.entries(KIND_NAMES);

function fieldsOf(err) {
  if (err instanceof ApiError && Object.keys(err.fields).length) return { ...err.fields };
  return { _schema: [err.offline ? "No connection: try again when you have a signal." : err.message] };
}

export async function adminView(main) {
  let users = [];
  let services = [];
  try {
    [users, services] = await Promise.all([getAll("/api/v1/users"), get("/api/v1/services")]);
  } catch (err) {
    render(html`<h1>Organisation</h1><p class="notice warning">${err.offline ? "This screen needs a signal." : err.message}</p>`, main);
    return;
  }
  const add = { name: "", kind: "supported_living" };
  let addErrors = {};
  let renaming = null; // {id, name, kind}
  let renameErrors = {};
  let busy = false;

  const submitAdd = async (event) => {
    event.preventDefault();
    busy = true;
    addErrors = {};
    draw();
    try {
      const made = await post("/api/v1/services", { name: add.name, kind: add.kind });
      services = await get("/api/v1/services");
      add.name = "";
      busy = false;
      draw();
      announce(`${made.name} added.`);
      main.querySelector(`#service-${made.id} h3`)?.focus();
      return;
    } catch (err) {
      addErrors = fieldsOf(err);
    }
    busy = false;
    draw();
    focusErrors(main);
  };

  const saveRename = async (event) => {
    event.preventDefault();
    busy = true;
    draw();
    const id = renaming.id;
    try {
      await patch(`/api/v1/services/${id}`, { name: renaming.name, kind: renaming.kind });
      services = await get("/api/v1/services");
      renaming = null;
      busy = false;
      draw();
      announce("Service saved.");
      main.querySelector(`#service-${id} h3`)?.focus();
      return;
    } catch (err) {
      renameErrors = fieldsOf(err);
    }
    busy = false;
    draw();
    main.querySelector("#rename-errors")?.focus();
  };

  const serviceCard = (s) => html`<li class="card" id="service-${s.id}">
    <h3 tabindex="-1">${s.name}</h3>
    <p class="card-meta">${KIND_NAMES[s.kind] || s.kind} · ${s.people_count} ${s.people_count === 1 ? "person" : "people"} supported</p>
    ${renaming?.id === s.id ? html`<form @submit=${saveRename} novalidate aria-label="Rename ${s.name}">
        ${Object.keys(renameErrors).length ? html`<div class="notice error" id="rename-errors" tabindex="-1" role="alert">${Object.values(renameErrors).flat().join(" ")}</div>` : nothing}
        <div class="field"><label for="rename-name">Name</label>
          <input id="rename-name" type="text" .value=${renaming.name} @input=${(e) => { renaming.name = e.target.value; }}></div>
        <div class="field"><label for="rename-kind">Kind</label>
          <select id="rename-kind" @change=${(e) => { renaming.kind = e.target.value; }}>
            ${KINDS.map(([k, label]) => html`<option value=${k} ?selected=${renaming.kind === k}>${label}</option>`)}
          </select></div>
        <div class="actions-row">
          <button type="submit" class="primary" ?disabled=${busy}>Save</button>
          <button type="button" class="secondary" @click=${() => { renaming = null; draw(); main.querySelector(`#service-${s.id} h3`)?.focus(); }}>Cancel</button>
        </div>
      </form>`
    : html`<button type="button" class="secondary small"
        @click=${() => { renaming = { id: s.id, name: s.name, kind: s.kind }; renameErrors = {}; draw(); main.querySelector("#rename-name")?.focus(); }}>Rename<span class="visually-hidden"> ${s.name}</span></button>`}
  </li>`;

  const draw = () => {
    const active = users.filter((u) => u.active).length;
    const waiting = users.filter((u) => u.active && !u.password_set).length;
    render(html`
      <h1>Organisation</h1>
      <h2 id="services-heading">Services</h2>
      ${services.length ? html`<ul class="cards" aria-labelledby="services-heading">${services.map(serviceCard)}</ul>`
        : html`<p>No services yet. Add the first one below.</p>`}
      <h3>Add a service</h3>
      <form @submit=${submitAdd} novalidate class="add-service">
        ${addErrors._schema ? html`<div class="notice error" role="alert">${addErrors._schema.join(" ")}</div>` : nothing}
        ${errorSummary(Object.fromEntries(Object.entries(addErrors).filter(([k]) => k !== "_schema")))}
        ${textField(add, addErrors, "name", "Service name", { required: true })}
        ${selectField(add, addErrors, "kind", "Kind of service", KINDS)}
        <button type="submit" class="primary" ?disabled=${busy}>Add service</button>
      </form>
      <h2>Accounts</h2>
      <p>${active} active account${active === 1 ? "" : "s"}${waiting ? `, ${waiting} waiting for their link to be used` : ""}.</p>
      <p><a class="button secondary" href="/staff">Manage staff accounts</a></p>
      <div id="admin-export"></div>`, main);
  };
  draw();
  mountAdminExport(main.querySelector("#admin-export"));
}
