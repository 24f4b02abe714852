from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint
from marshmallow import fields

from ..domain import audit, measures, outcomes as domain
from ..domain.errors import Forbidden
from ..extensions import db
from ..models import Person
from ..schemas.common import StrictSchema
from .common import create_idempotent
from ..schemas.outcome import (
    ActionCreateSchema,
    ActionOut,
    ActionUpdateSchema,
    EvidenceCreateSchema,
    EvidenceOut,
    OutcomeCreateSchema,
    OutcomeOut,
    OutcomeUpdateSchema,
    ReviewCreateSchema,
    ReviewOut,
)

blp = Blueprint("outcomes", __name__, url_prefix="/api/v1", description="Outcomes, actions, reviews and evidence")


class TrajectoryOut(StrictSchema):
    outcome = fields.Nested(OutcomeOut)
    points = fields.List(fields.Dict())
    markers = fields.List(fields.Dict())
    quarters = fields.List(fields.Dict())


@blp.route("/outcomes", methods=["POST"])
@login_required
@blp.arguments(OutcomeCreateSchema)
@blp.response(201, OutcomeOut)
def create_outcome(data):
    """Define a co-produced outcome with the person."""
    return create_idempotent(domain.create_outcome, data)


@blp.route("/outcomes/<outcome_id>")
@login_required
@blp.response(200, OutcomeOut)
def get_outcome(outcome_id):
    _staff_or_person()
    outcome = domain.outcome_for(current_user, outcome_id)
    _viewed(outcome, "outcome")
    return outcome


@blp.route("/outcomes/<outcome_id>", methods=["PATCH"])
@login_required
@blp.arguments(OutcomeUpdateSchema)
@blp.response(200, OutcomeOut)
@blp.alt_response(409, description="Changed by someone else since `version`; the reply carries the current record")
def update_outcome(data, outcome_id):
    """Edit an outcome. Send the `version` you started from."""
    outcome = domain.update_outcome(current_user, outcome_id, data)
    db.session.commit()
    return outcome


@blp.route("/outcomes/<outcome_id>/trajectory")
@login_required
@blp.response(200, TrajectoryOut)
def trajectory(outcome_id):
    """Scores over time with their evidence, and actions and co-produced changes marked on the line."""
    _staff_or_person()
    outcome = domain.outcome_for(current_user, outcome_id)
    _viewed(outcome, "trajectory")
    return {"outcome": outcome, **measures.trajectory(outcome)}


@blp.route("/actions", methods=["POST"])
@login_required
@blp.arguments(ActionCreateSchema)
@blp.response(201, ActionOut)
def create_action(data):
    """Add an action (who does what) to an outcome."""
    return create_idempotent(domain.create_action, data)


@blp.route("/actions/<action_id>", methods=["PATCH"])
@login_required
@blp.arguments(ActionUpdateSchema)
@blp.response(200, ActionOut)
def update_action(data, action_id):
    action = domain.update_action(current_user, action_id, data)
    db.session.commit()
    return action


@blp.route("/reviews", methods=["POST"])
@login_required
@blp.arguments(ReviewCreateSchema)
@blp.response(201, ReviewOut)
def create_review(data):
    """Record a monthly rating with evidence. A lower score than last time needs `what_changed`
    and `support_adjustment`."""
    return create_idempotent(domain.create_review, data)


@blp.route("/evidence", methods=["POST"])
@login_required
@blp.arguments(EvidenceCreateSchema)
@blp.response(201, EvidenceOut)
def create_evidence(data):
    return create_idempotent(domain.create_evidence, data)


def _viewed(outcome, what):
    audit.viewed(current_user, db.session.get(Person, outcome.person_id), what, outcome.id)


def _staff_or_person():
    if current_user.role in {"commissioner", "admin"}:
        raise Forbidden("Your role sees aggregate figures only, not people's records.")
