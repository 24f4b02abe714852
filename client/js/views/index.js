import { caseloadView } from "./caseload.js";
import { personView } from "./person.js";
import { outcomeFormView } from "./outcome-form.js";
import { reviewFormView } from "./review-form.js";
import { actionFormView } from "./action-form.js";
import { syncView } from "./sync-queue.js";
import { signInView } from "./signin.js";
import { myGoalsView } from "./my-goals.js";
import { notFoundView } from "./not-found.js";
import { handoverView } from "./handover.js";

// [path pattern, view]. Every screen has a URL.
export const routes = [
  ["/signin", signInView],
  ["/", caseloadView],
  ["/people/:id", personView],
  ["/people/:id/outcomes/new", outcomeFormView],
  ["/outcomes/:outcomeId/edit", outcomeFormView],
  ["/outcomes/:outcomeId/review", reviewFormView],
  ["/outcomes/:outcomeId/handover", handoverView],
  ["/outcomes/:outcomeId/actions/new", actionFormView],
  ["/sync", syncView],
  ["/me", myGoalsView],
  ["/not-found", notFoundView],
];
