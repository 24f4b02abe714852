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
import { checkFormView } from "./check-form.js";
import { feedbackFormView } from "./feedback-form.js";
import { eventFormView } from "./event-form.js";
import { changesView, changeFormView } from "./changes.js";
import { inboxView, overdueView, settingsView } from "./inbox.js";
import { servicesView, serviceMeasuresView } from "./services.js";
import { changeEffectView } from "./change-effect.js";
import { feedbackQueueView, feedbackReviewView, themeTrendView } from "./feedback.js";

// [path pattern, view]. Every screen has a URL.
export const routes = [
  ["/signin", signInView],
  ["/", caseloadView],
  ["/people/:id", personView],
  ["/people/:id/outcomes/new", outcomeFormView],
  ["/people/:id/checks/new", checkFormView],
  ["/people/:id/feedback/new", feedbackFormView],
  ["/people/:id/events/new", eventFormView],
  ["/outcomes/:outcomeId/edit", outcomeFormView],
  ["/outcomes/:outcomeId/review", reviewFormView],
  ["/outcomes/:outcomeId/handover", handoverView],
  ["/outcomes/:outcomeId/actions/new", actionFormView],
  ["/sync", syncView],
  ["/inbox", inboxView],
  ["/notifications", inboxView],
  ["/reviews/overdue", overdueView],
  ["/settings", settingsView],
  ["/overdue", overdueView],
  ["/changes", changesView],
  ["/changes/new", changeFormView],
  ["/changes/:changeId", changeEffectView],
  ["/feedback", feedbackQueueView],
  ["/feedback/:feedbackId", feedbackReviewView],
  ["/services", servicesView],
  ["/services/:serviceId", serviceMeasuresView],
  ["/services/:serviceId/themes", themeTrendView],
  ["/me", myGoalsView],
  ["/not-found", notFoundView],
];
