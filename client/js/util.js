// Small shared helpers for views.
export const SCORE_WORDS = { 1: "Not started", 2: "Starting", 3: "Getting better", 4: "Nearly there", 5: "Done it" };
export const REVIEW_DAYS = { weekly: 7, fortnightly: 14, monthly: 30, quarterly: 91 };

export function today() {
  return new Date().toISOString().slice(0, 10);
}

export function addDays(isoDate, days) {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
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

// Mirrors server/domain/outcomes.next_review_due so the phone shows due dates offline, including
// reviews it has not sent yet. The server's figure is the one reminders use.
export function nextReviewDue(outcome, reviews) {
  if (outcome.status !== "active") return null;
  const mine = reviews.filter((r) => r.outcome_id === outcome.id).sort((a, b) => (a.happened_at < b.happened_at ? 1 : -1));
  const base = mine.length ? mine[0].happened_at.slice(0, 10) : outcome.starts_on;
  return addDays(base, REVIEW_DAYS[outcome.review_every] || 30);
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
