from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint
from marshmallow import fields

from ..domain import access, audit, measures, outcomes as domain
from ..domain.errors import Duplicate, Invalid
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
    AuthorReviewListOut,
    ReviewCreateSchema,
    ReviewExplainSchema,
    ReviewListQuery,
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
    outcome, status = create_idempotent(domain.create_outcome, data)
    return domain.shown_outcome(outcome), status


@blp.route("/outcomes/<outcome_id>")
@login_required
@blp.response(200, OutcomeOut)
def get_outcome(outcome_id):
    outcome = domain.outcome_for(current_user, outcome_id)
    _viewed(outcome, "outcome")
    return domain.shown_outcome(outcome)


@blp.route("/outcomes/<outcome_id>", methods=["PATCH"])
@login_required
@blp.arguments(OutcomeUpdateSchema)
@blp.response(200, OutcomeOut)
@blp.alt_response(409, description="Changed by someone else since `version`; the reply carries the current record")
def update_outcome(data, outcome_id):
    """Edit an outcome. Send the `version` you started from."""
    outcome = domain.update_outcome(current_user, outcome_id, data)
    db.session.commit()
    return domain.shown_outcome(outcome)


@blp.route("/outcomes/<outcome_id>/trajectory")
@login_required
@blp.response(200, TrajectoryOut)
def trajectory(outcome_id):
    """Scores over time with their evidence, and actions and co-produced changes marked on the line.
    Co-produced changes are marked only for those who may read the change log (staff)."""
    outcome = domain.outcome_for(current_user, outcome_id, kind="review")
    _viewed(outcome, "trajectory")
    return {"outcome": domain.shown_outcome(outcome), **measures.trajectory(outcome, with_changes=access.named(current_user, "change"))}


@blp.route("/actions", methods=["POST"])
@login_required
@blp.arguments(ActionCreateSchema)
@blp.response(201, ActionOut)
def create_action(data):
    """Add an action (who does what) to an outcome."""
    action, status = create_idempotent(domain.create_action, data)
    return domain.shown_action(action), status


@blp.route("/actions/<action_id>", methods=["PATCH"])
@login_required
@blp.arguments(ActionUpdateSchema)
@blp.response(200, ActionOut)
def update_action(data, action_id):
    action = domain.update_action(current_user, action_id, data)
    db.session.commit()
    return domain.shown_action(action)


@blp.route("/reviews", methods=["POST"])
@login_required
@blp.arguments(ReviewCreateSchema)
@blp.response(201, ReviewOut)
def create_review(data):
    """Record a monthly rating with evidence. A lower score than last time needs `what_changed`
    and `support_adjustment`."""
    return create_idempotent(domain.create_review, data)


@blp.route("/reviews")
@login_required
@blp.arguments(ReviewListQuery, location="query")
@blp.response(200, AuthorReviewListOut)
def my_reviews(query):
    """The reviews you recorded, newest first. `needs_explanation=true` lists the drops that still
    need what changed and the support adjustment: a review that synced late, dated before one of
    yours, can make yours lower than the review now before it."""
    access.require_read(current_user, "review")
    return domain.author_reviews(current_user, query["needs_explanation"], query["cursor"], query["limit"])


@blp.route("/reviews/<review_id>/explanation", methods=["POST"])
@login_required
@blp.arguments(ReviewExplainSchema)
@blp.response(200, ReviewOut)
@blp.alt_response(409, description="The review already says something else (code `already_explained`)")
def explain_review(data, review_id):
    """Add what changed and what support will change to a review that is lower than the one before
    it. The same explanation again is answered 200; the sync mutation is `review.explain`."""
    if data.get("id") and data["id"] != review_id.lower():
        raise Invalid("The id in the body names another review.", fields={"id": ["Does not match the review in the address."]})
    try:
        review = domain.explain_review(current_user, {**data, "id": review_id.lower()})
    except Duplicate as dup:
        review = dup.record
    db.session.commit()
    db.session.refresh(review)  # read back after the commit, so the reply's dump sends no SQL
    return review


@blp.route("/evidence", methods=["POST"])
@login_required
@blp.arguments(EvidenceCreateSchema)
@blp.response(201, EvidenceOut)
def create_evidence(data):
    return create_idempotent(domain.create_evidence, data)


def _viewed(outcome, what):
    audit.viewed(current_user, db.session.get(Person, outcome.person_id), what, outcome.id)
