// The governance screens' views (monthly dashboard, escalations, supervision, care-plan audits,
// learning log), added to the app's views in index.js; their routes are in server/data/rules.json.
import { lazy } from "../lazy-view.js";

export const governanceViews = {
  "/governance": lazy(() => import("./dashboard.js"), "governanceView"),
  "/governance/dashboard": lazy(() => import("./dashboard.js"), "dashboardView"),
  "/escalations": lazy(() => import("./escalations.js"), "escalationsView"),
  "/escalations/:escalationId": lazy(() => import("./escalations.js"), "escalationView"),
  "/supervisions": lazy(() => import("./supervision.js"), "supervisionsView"),
  "/supervisions/mine": lazy(() => import("./supervision.js"), "mySupervisionsView"),
  "/supervisions/new": lazy(() => import("./supervision.js"), "supervisionFormView"),
  "/audits": lazy(() => import("./audits.js"), "auditsView"),
  "/audits/new/:personId": lazy(() => import("./audits.js"), "auditFormView"),
  "/audits/:auditId": lazy(() => import("./audits.js"), "auditView"),
  "/learning": lazy(() => import("./learning.js"), "learningView"),
  "/learning/new": lazy(() => import("./learning.js"), "learningFormView"),
};
