// Small shared helpers for views.
import { addDays, nextReviewDue } from "./rules.js";

// The server's rules the phone applies offline live in rules.js (no DOM there, so they can be tested
// against the server's); re-exported here for the views.
export { addDays, nextReviewDue, unexplainedDrops } from "./rules.js";

export const SCORE_WORDS = { 1: "Not started", 2: "Starting", 3: "Getting better", 4: "Nearly there", 5: "Done it" };

export function today() {
  return new Date().toISOString().slice(0, 10);
}

export function formatDate(iso) {
  if (!iso) return "";
  const d = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  return d.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" });
}

export function localDateTimeValue(date = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function dueLabel(due) {
  if (!due) return "No review due";
  const days = Math.round((new Date(`${due}T00:00:00Z`) - new Date(`${today()}T00:00:00Z`)) / 86400000);
  if (days < 0) return `Review overdue by ${-days} day${days === -1 ? "" : "s"}`;
  if (days === 0) return "Review due today";
  return `Review due in ${days} day${days === 1 ? "" : "s"}`;
}

export function announce(message) {
  const live = document.getElementById("live");
  if (!live) return;
  live.textContent = "";
  setTimeout(() => { live.textContent = message; }, 50);
}

// How far off a due date is, in words: "11 days overdue", "due today", "due in 3 days".
export function dueWords(due) {
  if (!due) return "";
  const days = Math.round((new Date(`${due}T00:00:00Z`) - new Date(`${today()}T00:00:00Z`)) / 86400000);
  if (days < 0) return `${-days} day${days === -1 ? "" : "s"} overdue`;
  if (days === 0) return "due today";
  return `due in ${days} day${days === 1 ? "" : "s"}`;
}

// An open action whose date has passed.
export function actionOverdue(action) {
  return action.status === "open" && Boolean(action.due_on) && action.due_on < today();
}

// What is due for one person on this phone: active outcomes' next reviews (most overdue first) and
// open actions past their date. Works offline, from the records the phone holds.
export function dueNow(outcomes, reviews, actions, withinDays = 7) {
  const horizon = addDays(today(), withinDays);
  const reviewsDue = outcomes
    .map((o) => ({ outcome: o, due: nextReviewDue(o, reviews) }))
    .filter((d) => d.due && d.due <= horizon)
    .sort((a, b) => a.due.localeCompare(b.due) || a.outcome.domain.localeCompare(b.outcome.domain));
  const actionsOverdue = actions.filter(actionOverdue).sort((a, b) => a.due_on.localeCompare(b.due_on));
  return { reviewsDue, actionsOverdue };
}

// "14:02": a time of day, 24-hour, the British way.
export function formatTime(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false });
}

// Quarters and months read the British way: "2026Q4" -> "Oct–Dec 2026", "2026-10" -> "Oct 2026".
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function quarterLabel(code) {
  const m = /^(\d{4})Q([1-4])$/.exec(code || "");
  if (!m) return code || "";
  const first = (Number(m[2]) - 1) * 3;
  return `${MONTHS[first]}–${MONTHS[first + 2]} ${m[1]}`;
}

export function monthLabel(code) {
  const m = /^(\d{4})-(\d{2})$/.exec(code || "");
  return m ? `${MONTHS[Number(m[2]) - 1]} ${m[1]}` : code || "";
}
