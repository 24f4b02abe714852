// Runs the app's own rule functions (client/js/rules.js and the route table) over cases read as JSON
// on stdin, and prints their answers as JSON: tests/test_client_server_rules.py compares them with
// the server's. Input: { kind: [case, ...], ... }; output: { kind: [answer, ...], ... }.
import { readFileSync } from "node:fs";
import * as rules from "../../client/js/rules.js";
import { routes } from "../../client/js/views/index.js";

const cases = JSON.parse(readFileSync(0, "utf8"));

const run = {
  next_review_due: ({ outcome, reviews }) => rules.nextReviewDue(outcome, reviews),
  unexplained_drops: ({ reviews }) => [...rules.unexplainedDrops(reviews)].sort(),
  drop_errors: ({ reviews, review }) => rules.dropExplanationErrors(rules.previousReview(reviews, review.happened_at), review),
  owner_label: ({ record, staff_name }) => rules.ownerLabel(record, staff_name),
  priority_clash: ({ others, starts_on, review_by }) => {
    const clash = rules.priorityClash(others, starts_on, review_by);
    return clash && { quarter: clash.quarter, ids: clash.outcomes.map((o) => o.id) };
  },
  quarter_index: (day) => rules.quarterIndex(day),
  route: (path) => {
    const found = rules.matchRoute(routes, path);
    return found && { pattern: found.pattern, params: found.params, has_view: typeof found.view === "function" };
  },
};

const answers = {};
for (const [kind, list] of Object.entries(cases)) {
  if (kind === "route_table") {
    answers[kind] = routes.map(([pattern, view]) => ({ pattern, has_view: typeof view === "function" }));
    continue;
  }
  answers[kind] = list.map((c) => run[kind](c) ?? null);
}
process.stdout.write(JSON.stringify(answers));
