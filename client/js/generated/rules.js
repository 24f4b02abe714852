// GENERATED from server/data/rules.json: do not edit. After changing that file run
//   python -m server.domain.rule_data
// (tests/test_client_server_rules.py fails while this file is out of date).
export const REVIEW_INTERVAL_DAYS = Object.freeze({
  "weekly": 7,
  "fortnightly": 14,
  "monthly": 30,
  "quarterly": 91
});
export const DEFAULT_REVIEW_INTERVAL_DAYS = 30;
export const MAX_PRIORITY_PER_QUARTER = 3;
export const OWNER_LABEL_WORDS = Object.freeze({
  "person": "The person",
  "staff": "Staff",
  "other": "Someone else"
});
export const DROP_EXPLANATION_FIELDS = Object.freeze({
  "what_changed": "what changed",
  "support_adjustment": "what support will change"
});
export const APP_ROUTES = Object.freeze([
  "/signin",
  "/",
  "/people/:id",
  "/people/:id/audit",
  "/people/:id/outcomes/new",
  "/people/:id/checks/new",
  "/people/:id/feedback/new",
  "/people/:id/events/new",
  "/outcomes/:outcomeId/edit",
  "/outcomes/:outcomeId/review",
  "/reviews/:reviewId/explain",
  "/outcomes/:outcomeId/handover",
  "/outcomes/:outcomeId/actions/new",
  "/sync",
  "/inbox",
  "/notifications",
  "/reviews/overdue",
  "/settings",
  "/overdue",
  "/changes",
  "/changes/new",
  "/changes/:changeId",
  "/feedback",
  "/feedback/:feedbackId",
  "/services",
  "/services/:serviceId",
  "/services/:serviceId/themes",
  "/me",
  "/staff",
  "/account",
  "/invite/:token",
  "/manage/people",
  "/manage/people/new",
  "/manage/people/:personId",
  "/manage/import",
  "/governance",
  "/governance/dashboard",
  "/escalations",
  "/escalations/:escalationId",
  "/supervisions",
  "/supervisions/mine",
  "/supervisions/new",
  "/audits",
  "/audits/new/:personId",
  "/audits/:auditId",
  "/learning",
  "/learning/new"
]);
