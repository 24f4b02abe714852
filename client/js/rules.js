// The server's rules the phone needs without signal: when a review falls due, which scores dropped
// and what a drop must say, who owns an action, the priority limit, and which view a path opens.
// Their data (intervals, the limit, words, the app's routes) comes from generated/rules.js, made
// from server/data/rules.json, which the server's domain modules read too; the functions follow
// server/domain/outcome_facts.py and outcomes.py, and tests/test_client_server_rules.py runs both
// sides over the same cases. Pure: no DOM, no lit, so node can import it. The server is the authority.
import {
  DEFAULT_REVIEW_INTERVAL_DAYS, DROP_EXPLANATION_FIELDS, MAX_PRIORITY_PER_QUARTER, OWNER_LABEL_WORDS, REVIEW_INTERVAL_DAYS,
} from "./generated/rules.js";

export { MAX_PRIORITY_PER_QUARTER, REVIEW_INTERVAL_DAYS };

export function addDays(isoDate, days) {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// A moment's date in UTC, as the server reads a stored timestamp ("2026-03-31T23:30:00-01:00" is 1 April).
const utcDate = (iso) => new Date(iso).toISOString().slice(0, 10);
// A moment in microseconds since 1970, as precise as the server keeps it (a Date stops at milliseconds,
// and two reviews a few microseconds apart are still in order on the server).
const instant = (iso) => Date.parse(iso) * 1000 + Number(((/T[^.]*\.(\d+)/.exec(iso)?.[1] ?? "") + "000000").slice(3, 6));
const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byTime = (a, b) => (instant(a.happened_at) - instant(b.happened_at)) || byId(a, b);

// outcome_facts.due_after / next_review_due: an active outcome's latest review (else its start)
// plus its interval. `reviews` may hold other outcomes' reviews, and ones not yet sent.
export function nextReviewDue(outcome, reviews) {
  if (outcome.status !== "active") return null;
  const mine = reviews.filter((r) => r.outcome_id === outcome.id).sort(byTime);
  const base = mine.length ? utcDate(mine[mine.length - 1].happened_at) : outcome.starts_on;
  return addDays(base, REVIEW_INTERVAL_DAYS[outcome.review_every] ?? DEFAULT_REVIEW_INTERVAL_DAYS);
}

// outcomes.unexplained_drops: reviews of one outcome, ordered by when they happened, that score lower
// than the review before them and do not yet say what changed and what support will change. Reviews
// sync in any order, so a review recorded later can be the one that makes an earlier-stored review a drop.
export function unexplainedDrops(reviews) {
  const ordered = [...reviews].sort(byTime);
  const ids = new Set();
  for (let i = 1; i < ordered.length; i += 1) {
    const r = ordered[i];
    if (r.score < ordered[i - 1].score && !(r.what_changed && r.support_adjustment)) ids.add(r.id);
  }
  return ids;
}

// The review a new one dated `at` is compared with: the latest of `reviews` (one outcome's) before it.
export function previousReview(reviews, at) {
  const when = instant(at);
  const before = reviews.filter((r) => instant(r.happened_at) < when).sort(byTime);
  return before.length ? before[before.length - 1] : null;
}

// A score lower than the previous review's is a drop.
export function scoreDropped(previous, score) {
  return score != null && previous != null && score < previous.score;
}

// outcomes.create_review: a drop must say what changed and what support will change. The fields a
// new review still lacks, each with its message ({} when nothing is missing).
export function dropExplanationErrors(previous, review) {
  const errors = {};
  if (!scoreDropped(previous, review.score)) return errors;
  for (const [name, label] of Object.entries(DROP_EXPLANATION_FIELDS)) {
    if (!String(review[name] || "").trim()) errors[name] = [`The score dropped: say ${label}.`];
  }
  return errors;
}

// outcome_facts.owner_label: who owns an action or outcome. `staffName` is the owning staff
// member's name when this phone knows it (the signed-in user's own); otherwise "Staff".
export function ownerLabel(record, staffName) {
  if (record.owner_kind === "person") return OWNER_LABEL_WORDS.person;
  if (record.owner_kind === "staff" && record.owner_user_id) return staffName || OWNER_LABEL_WORDS.staff;
  return record.owner_name || OWNER_LABEL_WORDS.other;
}

// A quarter as one number (year × 4 + quarter − 1), as outcomes._quarter_index.
export const quarterIndex = (isoDate) => {
  const year = Number(isoDate.slice(0, 4));
  const month = Number(isoDate.slice(5, 7));
  return year * 4 + Math.floor((month - 1) / 3);
};

// outcomes._check_priority_limit: at most MAX_PRIORITY_PER_QUARTER active priority outcomes per
// person per quarter, in every quarter an outcome spans from `startsOn` to `reviewBy`. The first
// quarter of that span in which `others` (the person's other outcomes) already hold the maximum:
// { quarter (index), outcomes } (ordered by start, domain, id), or null.
export function priorityClash(others, startsOn, reviewBy) {
  const first = quarterIndex(startsOn);
  const last = quarterIndex(reviewBy);
  const runs = others
    .filter((o) => o.status === "active" && o.priority && o.starts_on && o.review_by)
    .map((o) => ({ start: Math.max(first, quarterIndex(o.starts_on)), end: Math.min(last, quarterIndex(o.review_by)), o }))
    .filter((r) => r.start <= r.end);
  for (const index of [...new Set(runs.map((r) => r.start))].sort((a, b) => a - b)) {
    const covering = runs.filter((r) => r.start <= index && index <= r.end).map((r) => r.o);
    if (covering.length >= MAX_PRIORITY_PER_QUARTER) {
      const order = (a, b) => a.starts_on.localeCompare(b.starts_on) || (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0) || byId(a, b);
      return { quarter: index, outcomes: covering.sort(order) };
    }
  }
  return null;
}

// Which entry of a route table ([pattern, view] pairs, first match wins) a path opens, and its
// parameters: { pattern, view, params }, or null. ":name" matches one part of the path.
export function matchRoute(table, path) {
  for (const [pattern, view] of table) {
    const names = [];
    const re = new RegExp("^" + pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return "([^/]+)"; }) + "/?$");
    const m = path.match(re);
    if (m) return { pattern, view, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return null;
}
