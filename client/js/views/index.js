import { APP_ROUTES } from "../generated/rules.js";
import { lazy } from "../lazy-view.js";
import { governanceViews } from "./governance-routes.js";

// The view each of the app's routes opens; its module loads when the screen first opens. The routes
// themselves, in the order they are matched, are "app_routes" in server/data/rules.json (read here
// through generated/rules.js), the list the server serves the app's page for: a new screen is a
// pattern there and its view here.
const views = {
  "/signin": lazy(() => import("./signin.js"), "signInView"),
  "/": lazy(() => import("./caseload.js"), "caseloadView"),
  "/people/:id": lazy(() => import("./person.js"), "personView"),
  "/people/:id/audit": lazy(() => import("./audit.js"), "auditView"),
  "/people/:id/outcomes/new": lazy(() => import("./outcome-form.js"), "outcomeFormView"),
  "/people/:id/checks/new": lazy(() => import("./check-form.js"), "checkFormView"),
  "/people/:id/feedback/new": lazy(() => import("./feedback-form.js"), "feedbackFormView"),
  "/people/:id/events/new": lazy(() => import("./event-form.js"), "eventFormView"),
  "/outcomes/:outcomeId/edit": lazy(() => import("./outcome-form.js"), "outcomeFormView"),
  "/outcomes/:outcomeId/review": lazy(() => import("./review-form.js"), "reviewFormView"),
  "/reviews/:reviewId/explain": lazy(() => import("./review-explain.js"), "reviewExplainView"),
  "/outcomes/:outcomeId/handover": lazy(() => import("./handover.js"), "handoverView"),
  "/outcomes/:outcomeId/actions/new": lazy(() => import("./action-form.js"), "actionFormView"),
  "/sync": lazy(() => import("./sync-queue.js"), "syncView"),
  "/inbox": lazy(() => import("./inbox.js"), "inboxView"),
  "/notifications": lazy(() => import("./inbox.js"), "inboxView"),
  "/reviews/overdue": lazy(() => import("./inbox.js"), "overdueView"),
  "/settings": lazy(() => import("./inbox.js"), "settingsView"),
  "/overdue": lazy(() => import("./inbox.js"), "overdueView"),
  "/changes": lazy(() => import("./changes.js"), "changesView"),
  "/changes/new": lazy(() => import("./changes.js"), "changeFormView"),
  "/changes/:changeId": lazy(() => import("./change-effect.js"), "changeEffectView"),
  "/feedback": lazy(() => import("./feedback.js"), "feedbackQueueView"),
  "/feedback/:feedbackId": lazy(() => import("./feedback.js"), "feedbackReviewView"),
  "/services": lazy(() => import("./services.js"), "servicesView"),
  "/services/:serviceId": lazy(() => import("./services.js"), "serviceMeasuresView"),
  "/services/:serviceId/themes": lazy(() => import("./feedback.js"), "themeTrendView"),
  "/me": lazy(() => import("./my-goals.js"), "myGoalsView"),
  "/staff": lazy(() => import("./staff.js"), "staffView"),
  "/account": lazy(() => import("./account.js"), "accountView"),
  "/invite/:token": lazy(() => import("./invite.js"), "inviteView"),
  "/manage/people": lazy(() => import("./people-admin.js"), "peopleAdminView"),
  "/manage/people/new": lazy(() => import("./people-admin.js"), "personNewView"),
  "/manage/people/:personId": lazy(() => import("./people-admin.js"), "personAdminView"),
  "/manage/import": lazy(() => import("./import.js"), "importView"),
  ...governanceViews,
};

// [path pattern, view]: every screen has a URL. "/not-found" is what a path no route matches opens.
export const routes = [
  ...APP_ROUTES.map((pattern) => [pattern, views[pattern]]),
  ["/not-found", lazy(() => import("./not-found.js"), "notFoundView")],
];

const unrouted = Object.keys(views).filter((pattern) => !APP_ROUTES.includes(pattern));
const viewless = APP_ROUTES.filter((pattern) => !views[pattern]);
if (unrouted.length || viewless.length) {
  throw new Error(`The route table and server/data/rules.json disagree: no route for ${unrouted.join(", ") || "-"}; no view for ${viewless.join(", ") || "-"}`);
}
