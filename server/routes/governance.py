"""Governance: escalations, the monthly service dashboard, supervision, care-plan re-audits and the
learning log. Thin: parse with server/schemas/governance.py, call the domain modules, dump."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from ..domain import care_plan_audits, dashboard, escalations, learning, supervision
from ..domain.errors import Invalid
from ..extensions import db
from ..schemas.governance import (
    AgendaOut,
    AuditCreateIn,
    AuditDueOut,
    AuditListOut,
    AuditOut,
    AuditQuery,
    DashboardOut,
    DashboardQuery,
    EscalationAnswerIn,
    EscalationListOut,
    EscalationOut,
    EscalationQuarterOut,
    EscalationQuery,
    LearningCreateIn,
    LearningListOut,
    LearningOut,
    LearningQuery,
    PrepareQuery,
    QuarterQuery,
    SuperviseeOut,
    SupervisionCreateIn,
    SupervisionListOut,
    SupervisionOut,
    SupervisionQuery,
)

escalations_blp = Blueprint("escalations", __name__, url_prefix="/api/v1",
                            description="Escalations of deterioration, stagnation and overdue reviews to leadership")
dashboard_blp = Blueprint("dashboard", __name__, url_prefix="/api/v1", description="The monthly service dashboard")
supervision_blp = Blueprint("supervisions", __name__, url_prefix="/api/v1",
                            description="Supervision linked to outcome progress: what changed for this person this month?")
audits_blp = Blueprint("care_plan_audits", __name__, url_prefix="/api/v1",
                       description="Care-plan re-audits: still relevant, person-led, can the person describe it?")
learning_blp = Blueprint("learning", __name__, url_prefix="/api/v1", description="The learning log (governance minutes)")

blueprints = [escalations_blp, dashboard_blp, supervision_blp, audits_blp, learning_blp]


# ---- escalations ----

@escalations_blp.route("/escalations")
@login_required
@escalations_blp.arguments(EscalationQuery, location="query")
@escalations_blp.response(200, EscalationListOut)
def list_escalations(query):
    """Escalations in your scope, newest first: senior leaders every service, registered managers
    theirs. Filter by `status`, `service` and `rule`; page with `cursor`. Commissioners get counts
    only (GET /services/{id}/escalation-counts)."""
    return escalations.list_escalations(current_user, query["status"], query["service"], query["rule"], query["limit"], query["cursor"])


@escalations_blp.route("/escalations/<escalation_id>")
@login_required
@escalations_blp.response(200, EscalationOut)
def get_escalation(escalation_id):
    """One escalation, with the scores that raised it and its answer."""
    escalation = escalations.escalation_for(current_user, escalation_id)
    return escalations.describe([escalation])[0]


@escalations_blp.route("/escalations/<escalation_id>/acknowledge", methods=["POST"])
@login_required
@escalations_blp.response(200, EscalationOut)
@escalations_blp.alt_response(409, description="Already acknowledged (the message says by whom)")
def acknowledge(escalation_id):
    """Acknowledge an open escalation (senior leaders; registered managers of its service). Once."""
    escalation = escalations.acknowledge(current_user, escalation_id)
    db.session.commit()
    return escalations.describe([escalation])[0]


@escalations_blp.route("/escalations/<escalation_id>/answer", methods=["POST"])
@login_required
@escalations_blp.arguments(EscalationAnswerIn)
@escalations_blp.response(200, EscalationOut)
@escalations_blp.alt_response(409, description="Not acknowledged yet (`not_acknowledged`), or already answered (`already_done`)")
def answer(data, escalation_id):
    """Answer an acknowledged escalation: what leadership will do. Optionally the co-produced change
    that answers it, and a learning entry written with it. Once."""
    escalation = escalations.answer(current_user, escalation_id, data)
    db.session.commit()
    return escalations.describe([escalation])[0]


@escalations_blp.route("/people/<person_id>/escalations")
@login_required
@escalations_blp.response(200, EscalationOut(many=True))
def person_escalations(person_id):
    """A person's escalations and leadership's answers, for staff who can see the person."""
    return escalations.for_person(current_user, person_id)


@escalations_blp.route("/services/<service_id>/escalation-counts")
@login_required
@escalations_blp.arguments(QuarterQuery, location="query")
@escalations_blp.response(200, EscalationQuarterOut)
def escalation_counts(query, service_id):
    """Escalations per rule in a quarter: raised, answered, still open at its end. Counts only, no
    names: commissioners read these for the services they commission."""
    return dashboard.escalation_counts(current_user, service_id, query["quarter"])


# ---- the monthly dashboard ----

@dashboard_blp.route("/services/<service_id>/dashboard")
@login_required
@dashboard_blp.arguments(DashboardQuery, location="query")
@dashboard_blp.response(200, DashboardOut)
def service_dashboard(query, service_id):
    """The monthly service dashboard for the governance meeting: reviews due, done and overdue;
    improved, same and worse; open escalations by rule; care-plan audits due; supervisions held;
    feedback themes rising; changes started and their effect so far; learning entries. Each figure
    beside the previous month's, each with its n. Registered managers (their services) and senior
    leaders."""
    return dashboard.monthly(current_user, service_id, query["month"])


# ---- supervision ----

@supervision_blp.route("/supervisions/prepare")
@login_required
@supervision_blp.arguments(PrepareQuery, location="query")
@supervision_blp.response(200, AgendaOut)
def prepare(query):
    """The agenda for one staff member's supervision in a month, from what is recorded: per person on
    their caseload, the month's reviews and score movement, overdue reviews, open escalations, actions
    due, and last time's next step."""
    return supervision.prepare(current_user, query["user_id"], query["month"])


@supervision_blp.route("/supervisions/staff")
@login_required
@supervision_blp.response(200, SuperviseeOut(many=True))
def supervisees():
    """The staff you may supervise."""
    return supervision.supervisees(current_user)


@supervision_blp.route("/supervisions")
@login_required
@supervision_blp.arguments(SupervisionQuery, location="query")
@supervision_blp.response(200, SupervisionListOut)
def list_supervisions(query):
    """Supervision records, newest month first: a support worker's own; a supervisor's, for the staff
    they supervise (`user_id` for one of them)."""
    return supervision.list_records(current_user, query["user_id"], query["limit"], query["cursor"])


@supervision_blp.route("/supervisions", methods=["POST"])
@login_required
@supervision_blp.arguments(SupervisionCreateIn)
@supervision_blp.response(201, SupervisionOut)
@supervision_blp.alt_response(409, description="A record for this staff member and month exists (names `month`)")
def create_supervision(data):
    """Record a supervision: per person discussed, what changed this month and the next step."""
    record = supervision.create(current_user, data)
    db.session.commit()
    return supervision.describe(current_user, [record])[0]


# ---- care-plan audits ----

@audits_blp.route("/care-plan-audits")
@login_required
@audits_blp.arguments(AuditQuery, location="query")
@audits_blp.response(200, AuditListOut)
def list_audits(query):
    """Care-plan audits, newest first, by `service` or `person`. With `due=true` and `service`, the
    reply is instead the due list of GET /care-plan-audits/due: people whose last audit is older than
    the interval (6 months), or who were never audited."""
    if query["due"]:
        if not query["service"]:
            raise Invalid("Say which service's due audits to list.", fields={"service": ["Required with due=true."]})
        return jsonify(AuditDueOut().dump(care_plan_audits.due_list(current_user, query["service"])))
    return care_plan_audits.list_audits(current_user, query["service"], query["person"], query["limit"], query["cursor"])


@audits_blp.route("/care-plan-audits/due")
@login_required
@audits_blp.arguments(AuditQuery, location="query")
@audits_blp.response(200, AuditDueOut)
def due_audits(query):
    """People of a service due a care-plan re-audit (or never audited), most overdue first."""
    if not query["service"]:
        raise Invalid("Say which service's due audits to list.", fields={"service": ["Required."]})
    return care_plan_audits.due_list(current_user, query["service"])


@audits_blp.route("/care-plan-audits", methods=["POST"])
@login_required
@audits_blp.arguments(AuditCreateIn)
@audits_blp.response(201, AuditOut)
def create_audit(data):
    """Record a re-audit of a person's care plan: an answer for each active outcome. Any "no" needs a
    note; outcomes found not person-led come back under `follow_up`."""
    record = care_plan_audits.create(current_user, data)
    db.session.commit()
    return care_plan_audits.describe([record])[0]


@audits_blp.route("/care-plan-audits/<audit_id>")
@login_required
@audits_blp.response(200, AuditOut)
def get_audit(audit_id):
    """One care-plan audit, with its answers and follow-ups."""
    return care_plan_audits.describe([care_plan_audits.audit_for(current_user, audit_id)])[0]


# ---- the learning log ----

@learning_blp.route("/learning")
@login_required
@learning_blp.arguments(LearningQuery, location="query")
@learning_blp.response(200, LearningListOut)
def list_learning(query):
    """The learning log, newest first, by `service`, `change` (the entries that led to it) or
    `source_kind`. Commissioners get it anonymised: the wording only of entries shared with them."""
    return learning.list_entries(current_user, query["service"], query["change"], query["source_kind"], query["limit"], query["cursor"])


@learning_blp.route("/learning", methods=["POST"])
@login_required
@learning_blp.arguments(LearningCreateIn)
@learning_blp.response(201, LearningOut)
def create_learning(data):
    """Write a learning entry (registered managers, senior leaders): what was learned, what was
    decided, its source and the change it led to."""
    entry = learning.create_entry(current_user, data)
    db.session.commit()
    return learning.describe(current_user, [entry])[0]
