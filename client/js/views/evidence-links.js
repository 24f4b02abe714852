// Evidence out: download links for the quarterly report, the CQC evidence pack, the person's
// summary, the subject access export and the FHIR record. The documents are made on the server
// (they need a signal); these are plain links, so the browser opens or saves them.
import { html, render, nothing } from "../../vendor/lit-html.js";
import { quarterLabel } from "../util.js";

const REPORT_TABLES = [
  ["measures", "Service measures"],
  ["wellbeing", "By area of wellbeing"],
  ["outcomes", "Outcomes, one row each"],
  ["changes", "Changes and their effects"],
  ["themes", "Feedback themes by quarter"],
  ["escalations", "Escalations"],
  ["methods", "Methods (what every column means)"],
];
const NAMED_ROLES = new Set(["registered_manager", "senior_leader"]);
const EXPORT_ROLES = new Set(["registered_manager", "admin"]);
const STAFF = new Set(["support_worker", "registered_manager", "senior_leader"]);

const isoDay = (d) => d.toISOString().slice(0, 10);

// The quarterly report (commissioners, managers, senior leaders) and, for managers and senior
// leaders, the named/anonymised choice and the CQC evidence pack.
export function mountServiceDownloads(container, { serviceId, quarter, role }) {
  const today = new Date();
  const yearAgo = new Date(today);
  yearAgo.setFullYear(today.getFullYear() - 1);
  const state = { version: "anonymised", table: "measures", from: isoDay(yearAgo), to: isoDay(today) };
  const canName = NAMED_ROLES.has(role);
  const report = (format, extra = {}) => {
    const q = new URLSearchParams({ quarter, format, version: state.version, ...extra });
    return `/api/v1/services/${encodeURIComponent(serviceId)}/report?${q}`;
  };
  const pack = (format) => `/api/v1/services/${encodeURIComponent(serviceId)}/cqc-pack?${new URLSearchParams({ from: state.from, to: state.to, format })}`;
  const periodError = () => {
    if (!state.from || !state.to) return "Give both dates.";
    if (state.to < state.from) return "The end date must be on or after the start date.";
    return "";
  };
  const draw = () => {
    const error = periodError();
    render(html`
      <section class="downloads" aria-labelledby="report-heading">
        <h2 id="report-heading">Quarterly report, ${quarterLabel(quarter)}</h2>
        <p>Every measure with the quarter before beside it, by area of wellbeing, changes and their effects, themes and escalations, and how each figure was worked out.</p>
        ${canName ? html`<fieldset class="field">
          <legend>Which version?</legend>
          <label class="choice"><input type="radio" name="report-version" value="anonymised" .checked=${state.version === "anonymised"}
            @change=${() => { state.version = "anonymised"; draw(); }}> Anonymised, for commissioners<span class="muted">No names and no free text.</span></label>
          <label class="choice"><input type="radio" name="report-version" value="named" .checked=${state.version === "named"}
            @change=${() => { state.version = "named"; draw(); }}> Named, for use inside the organisation<span class="muted">Adds names, goals and change descriptions.</span></label>
        </fieldset>` : html`<p class="muted">Anonymised: no names and no free text.</p>`}
        <ul class="plain link-list">
          <li><a href=${report("html")} target="_blank" rel="noopener">Read the report (web page)</a></li>
          <li><a href=${report("pdf")} target="_blank" rel="noopener">PDF, to print or send</a></li>
          <li><a href=${report("xlsx")} download>Excel workbook (a sheet per section)</a></li>
        </ul>
        <div class="field">
          <label for="report-table">CSV table</label>
          <p class="hint" id="report-table-hint">One table per download, for pasting into your own spreadsheet.</p>
          <select id="report-table" aria-describedby="report-table-hint" @change=${(e) => { state.table = e.target.value; draw(); }}>
            ${REPORT_TABLES.map(([value, label]) => html`<option value=${value} ?selected=${state.table === value}>${label}</option>`)}
          </select>
        </div>
        <p><a class="button secondary" href=${report("csv", { table: state.table })} download>Download the CSV table</a></p>
      </section>
      ${canName ? html`<section class="downloads" aria-labelledby="cqc-heading">
        <h2 id="cqc-heading">CQC evidence pack</h2>
        <p>For the inspector on site: outcomes reviewed, acted upon and shared with people, by quality statement. Contains names.</p>
        <div class="two-col">
          <div class="field ${error ? "has-error" : ""}"><label for="cqc-from">From</label>
            <input id="cqc-from" type="date" .value=${state.from} aria-describedby=${error ? "cqc-error" : nothing} @change=${(e) => { state.from = e.target.value; draw(); }}></div>
          <div class="field ${error ? "has-error" : ""}"><label for="cqc-to">To</label>
            <input id="cqc-to" type="date" .value=${state.to} aria-describedby=${error ? "cqc-error" : nothing} @change=${(e) => { state.to = e.target.value; draw(); }}></div>
        </div>
        ${error ? html`<p class="field-error" id="cqc-error" role="alert">${error}</p>` : html`<ul class="plain link-list">
          <li><a href=${pack("html")} target="_blank" rel="noopener">Open the CQC evidence pack (web page)</a></li>
          <li><a href=${pack("pdf")} target="_blank" rel="noopener">CQC evidence pack as PDF</a></li>
        </ul>`}
      </section>` : nothing}`, container);
  };
  draw();
}

// The person's page: "Print or save" (their easy-read summary); for managers and admins the
// subject access export; for staff the FHIR record.
export function personDownloads(personId, role) {
  const base = `/api/v1/people/${encodeURIComponent(personId)}`;
  return html`<section class="downloads" aria-labelledby="docs-heading">
    <details class="documents">
      <summary><span id="docs-heading">Documents</span>: summary, exports and FHIR record <span class="muted">(need a signal)</span></summary>
    <ul class="plain link-list">
      <li><a class="button secondary" href="${base}/summary?format=pdf" target="_blank" rel="noopener">Print or save<span class="visually-hidden"> their easy-read summary (PDF)</span></a></li>
      ${EXPORT_ROLES.has(role) ? html`
        <li><a href="${base}/export" download>Subject access export (JSON)</a></li>
        <li><a href="${base}/export?format=zip" download>Subject access export with the summary PDF (ZIP)</a></li>` : nothing}
      ${STAFF.has(role) ? html`<li><a href="${base}/fhir" download>FHIR record (for another care system)</a></li>` : nothing}
    </ul>
    </details>
  </section>`;
}

// "My goals": the person prints or saves their own summary.
export function printMyGoals(personId) {
  return html`<p><a class="button secondary" href="/api/v1/people/${encodeURIComponent(personId)}/summary?format=pdf" target="_blank" rel="noopener">Print or save<span class="visually-hidden"> my goals (PDF)</span></a></p>`;
}

// Admins have no person pages: the export is asked for by the person's record id.
export function mountAdminExport(container) {
  const state = { id: "", error: "" };
  const go = (event) => {
    event.preventDefault();
    const id = state.id.trim();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
      state.error = "Paste the person's record id (it looks like 1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed).";
      draw();
      container.querySelector("#sar-id")?.focus();
      return;
    }
    state.error = "";
    draw();
    window.location.assign(`/api/v1/people/${encodeURIComponent(id)}/export?format=${container.querySelector("#sar-format").value}`);
  };
  const draw = () => render(html`<section class="downloads" aria-labelledby="sar-heading">
    <h2 id="sar-heading">Subject access export</h2>
    <p>Everything held about one person, with who viewed and changed their record, to answer a subject access request within one month.</p>
    <form @submit=${go} novalidate>
      <div class="field ${state.error ? "has-error" : ""}">
        <label for="sar-id">Person's record id</label>
        ${state.error ? html`<p class="field-error" id="sar-error">${state.error}</p>` : nothing}
        <input id="sar-id" type="text" autocomplete="off" spellcheck="false" .value=${state.id} @input=${(e) => { state.id = e.target.value; }}
          aria-invalid=${state.error ? "true" : "false"} aria-describedby=${state.error ? "sar-error" : nothing}>
      </div>
      <div class="field"><label for="sar-format">Format</label>
        <select id="sar-format"><option value="json">JSON</option><option value="zip">ZIP (JSON, summary PDF, FHIR)</option></select></div>
      <button type="submit" class="secondary">Download the export</button>
    </form>
  </section>`, container);
  draw();
}
