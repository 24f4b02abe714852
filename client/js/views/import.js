// Import people from a spreadsheet: choose a CSV file, see every problem the server finds (a dry
// run creates nothing), and import everyone at once when there are none.
import { html, render, nothing } from "../../vendor/lit-html.js";
import { ApiError, request } from "../api.js";
import { app } from "../app-state.js";
import { fieldError } from "../forms.js";
import { announce, formatDate } from "../util.js";

const IMPORT_URL = "/api/v1/imports/people";
const PREVIEW_ROWS = 200;
const COLUMN_NAMES = { name: "name", service: "service", keyworker_emails: "keyworker_emails", started_on: "started_on", columns: "(the row)" };

export async function importView(main) {
  if (!["registered_manager", "admin"].includes(app.user.role)) {
    render(html`<h1>Import people</h1><p>Registered managers (for their services) and admins import people.</p>`, main);
    return;
  }
  // file: the chosen File; bytes: what was checked (the same bytes are imported); report: the dry run.
  const state = { file: null, bytes: null, report: null, result: null, errors: {}, busy: false };

  const send = (dryRun) => request("POST", `${IMPORT_URL}?dry_run=${dryRun ? "true" : "false"}`, undefined,
    { raw: state.bytes, contentType: "text/csv", timeout: 120000 });

  const fail = (err) => {
    if (!(err instanceof ApiError) && !err.offline) throw err;
    state.errors = { file: [err.offline ? "No connection: try again when you have a signal." : err.message] };
    const fields = err.fields || {};
    const columns = Object.entries(fields).filter(([name]) => name !== "file").map(([name, messages]) => `${name}: ${[].concat(messages).join(" ")}`);
    if (columns.length) state.errors.file = [err.message, ...columns];
  };

  const check = async (event) => {
    event.preventDefault();
    if (state.busy) return;
    state.errors = {};
    state.report = null;
    state.result = null;
    if (!state.file) {
      state.errors = { file: ["Choose the CSV file to check."] };
      draw();
      main.querySelector("#f-file")?.focus();
      return;
    }
    state.busy = true;
    draw();
    try {
      state.bytes = await state.file.arrayBuffer();
      state.report = await send(true);
      const n = state.report.error_count;
      announce(n ? `${n} problem${n === 1 ? "" : "s"} found. Nothing has been imported.` : `${state.report.rows} ${state.report.rows === 1 ? "person is" : "people are"} ready to import.`);
    } catch (err) {
      fail(err);
    }
    state.busy = false;
    draw();
    if (state.errors.file) main.querySelector("#f-file")?.focus();
    else main.querySelector("#report")?.focus();
  };

  const confirm = async () => {
    if (state.busy || !state.report || state.report.error_count) return;
    state.busy = true;
    draw();
    try {
      state.result = await send(false);
      state.report = null;
      announce(`${state.result.created} ${state.result.created === 1 ? "person" : "people"} imported.`);
    } catch (err) {
      // Someone changed something since the check (a name added, a worker moved): show the new problems.
      if (err instanceof ApiError && err.body?.error?.errors) {
        state.report = { ...state.report, error_count: err.body.error.error_count, errors: err.body.error.errors, people: [] };
      } else {
        fail(err);
      }
    }
    state.busy = false;
    draw();
    main.querySelector("#report")?.focus();
  };

  const choose = (e) => {
    state.file = e.target.files[0] || null;
    state.report = null;
    state.result = null;
    state.errors = {};
    draw();
  };

  const reportView = () => {
    const r = state.report;
    if (!r) return nothing;
    const name = state.file?.name || "the file";
    if (r.error_count) {
      return html`<section id="report" tabindex="-1" aria-labelledby="report-heading">
        <div class="notice error"><h2 id="report-heading">${r.error_count} problem${r.error_count === 1 ? "" : "s"} in ${name}</h2>
          <p>Nothing has been imported. Fix ${r.error_count === 1 ? "it" : "them"} in your spreadsheet, save it as CSV again, and check it again.</p></div>
        <div class="table-scroll" tabindex="0" role="region" aria-label="Problems (scrolls sideways on a small screen)"><table class="data">
          <caption>Problems found in ${name}${r.errors.length < r.error_count ? ` (the first ${r.errors.length})` : ""}</caption>
          <thead><tr><th scope="col">Row</th><th scope="col">Column</th><th scope="col">Problem</th></tr></thead>
          <tbody>${r.errors.map((e) => html`<tr><td>${e.row}</td><td>${COLUMN_NAMES[e.field] || e.field}</td><td>${e.message}</td></tr>`)}</tbody>
        </table></div>
        <p><button type="button" class="primary" disabled>Import people</button></p>
        <p class="hint">You can import once the file has no problems.</p>
      </section>`;
    }
    const shown = r.people.slice(0, PREVIEW_ROWS);
    return html`<section id="report" tabindex="-1" aria-labelledby="report-heading">
      <div class="notice"><h2 id="report-heading">${r.rows} ${r.rows === 1 ? "person is" : "people are"} ready to import</h2>
        <p>No problems found in ${name}. Nothing is imported until you confirm.</p></div>
      <div class="table-scroll" tabindex="0" role="region" aria-label="People to import (scrolls sideways on a small screen)"><table class="data">
        <caption>People to import${shown.length < r.people.length ? ` (the first ${shown.length} of ${r.people.length})` : ""}</caption>
        <thead><tr><th scope="col">Row</th><th scope="col">Name</th><th scope="col">Service</th><th scope="col">Keyworkers</th><th scope="col">Started</th></tr></thead>
        <tbody>${shown.map((p) => html`<tr><td>${p.row}</td><th scope="row">${p.name}</th><td>${p.service}</td>
          <td>${p.keyworkers.join(", ") || "–"}</td><td>${p.started_on ? formatDate(p.started_on) : "–"}</td></tr>`)}</tbody>
      </table></div>
      <p><button type="button" class="primary" ?disabled=${state.busy} @click=${confirm}>Import ${r.rows} ${r.rows === 1 ? "person" : "people"}</button></p>
    </section>`;
  };

  const resultView = () => {
    const r = state.result;
    if (!r) return nothing;
    return html`<section id="report" tabindex="-1" aria-labelledby="report-heading">
      <div class="notice"><h2 id="report-heading">${r.created} ${r.created === 1 ? "person" : "people"} imported</h2>
        <p>Their keyworkers get them on their phones at their next sync.</p>
        <p><a href="/manage/people">See them in Manage people</a></p></div>
    </section>`;
  };

  const draw = () => render(html`
    <p class="breadcrumb"><a href="/manage/people">← Manage people</a></p>
    <h1>Import people from a spreadsheet</h1>
    <p>Save the spreadsheet as <strong>CSV UTF-8</strong> (in Excel: Save As, then “CSV UTF-8 (Comma delimited)”). The first row names these columns:</p>
    <dl class="columns">
      <dt>name</dt><dd>Their full name. Required.</dd>
      <dt>service</dt><dd>The service, as it is named here${app.user.role === "registered_manager" ? " (one you manage)" : ""}.</dd>
      <dt>keyworker_emails</dt><dd>Email addresses of the staff who will have them on their caseload, separated by ; or a comma. They must work in that service. May be blank.</dd>
      <dt>started_on</dt><dd>The day their support started, like <code>01/03/2026</code> (day first) or <code>2026-03-01</code>. May be blank.</dd>
    </dl>
    <p>The same name twice in one service, or someone already supported there, is a problem to fix: add a namesake on the Manage people screen instead.</p>
    <p><a href="${IMPORT_URL}/template" download="people-import-template.csv">Download the template (CSV)</a></p>
    <form @submit=${check} novalidate>
      <div class="field ${state.errors.file ? "has-error" : ""}">
        <label for="f-file">CSV file</label>
        ${fieldError(state.errors, "file")}
        <input id="f-file" name="file" type="file" accept=".csv,text/csv" @change=${choose}
          aria-invalid=${state.errors.file ? "true" : "false"} aria-describedby=${state.errors.file ? "e-file" : nothing}>
      </div>
      <div><button type="submit" class="secondary" ?disabled=${state.busy}>Check the file</button></div>
      <p class="hint">Checking creates nobody: you see every problem first.</p>
    </form>
    ${state.busy ? html`<p class="loading" role="status">Working…</p>` : nothing}
    ${reportView()}
    ${resultView()}`, main);
  draw();
}
