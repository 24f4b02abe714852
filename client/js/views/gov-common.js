// Shared by the governance screens: months, UK dates, the services a user governs, small pieces of markup.
import { html, nothing } from "../../vendor/lit-html.js";
import { get } from "../api.js";

export const RULE_LABELS = { deterioration: "Deterioration", stagnation: "Stagnation", overdue: "Review overdue" };
export const STATUS_LABELS = { open: "Open", acknowledged: "Acknowledged", answered: "Answered" };

export function thisMonth() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

// The last `n` months, newest first, as "YYYY-MM".
export function recentMonths(n = 12) {
  const d = new Date();
  let y = d.getFullYear();
  let m = d.getMonth() + 1;
  const out = [];
  for (let i = 0; i < n; i += 1) {
    out.push(`${y}-${String(m).padStart(2, "0")}`);
    m -= 1;
    if (m === 0) { m = 12; y -= 1; }
  }
  return out;
}

// "2026-03" → "March 2026"
export function monthLabel(month) {
  if (!month) return "";
  return new Date(`${month}-15T12:00:00Z`).toLocaleDateString("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });
}

// "2026-03-03" → "3 March 2026"
export function longDate(iso) {
  if (!iso) return "";
  const d = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  return d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

export function offlineNote(err) {
  return html`<p class="notice warning">${err.offline ? "This screen needs a signal." : err.message}</p>`;
}

export async function governedServices() {
  return get("/api/v1/services");
}

export function statusTag(status) {
  return html`<span class="tag status-${status}">${STATUS_LABELS[status] || status}</span>`;
}

export function tableRegion(content) {
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways on a small screen)">${content}</div>`;
}

export function moreButton(nextCursor, load) {
  return nextCursor ? html`<p><button type="button" class="secondary" @click=${load}>Show more</button></p>` : nothing;
}
