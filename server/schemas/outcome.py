"""Outcomes, actions, reviews and evidence notes: what goes in (built on BaseInput, see common.py)
and what comes out. The sync mutations outcome.create/update, action.create/update, review.create
and evidence.create load their args with the same input schemas."""
from __future__ import annotations

from marshmallow import fields, validate, validates_schema

from ..models import ACTION_STATUSES, OUTCOME_STATUSES, OWNER_KINDS, RATED_BY, REVIEW_EVERY
from .common import (
    BaseInput,
    Choice,
    Int,
    PartialUpdate,
    PlausibleDate,
    PlausibleDateTime,
    StrictSchema,
    Text,
    Uuid,
    ValidationError,
    shown,
    version_field,
)
from .wellbeing import WellbeingAreas

NOTE_MAX = 2000


class OutcomeFields(BaseInput):
    domain = Text(120, min_length=1, required=True, metadata={"description": "Person-defined area, e.g. 'Confidence using buses'"})
    persons_words = Text(NOTE_MAX, min_length=1, multiline=True, required=True,
                         metadata={"description": "In the person's own words: what would feel different if this worked?"})
    indicator = Text(NOTE_MAX, min_length=1, multiline=True, required=True,
                     metadata={"description": "What we will see, hear or measure that shows progress"})
    target = Text(200, load_default="")
    review_every = Choice(REVIEW_EVERY, load_default="monthly")
    starts_on = PlausibleDate(required=True)
    review_by = PlausibleDate(required=True)
    status = Choice(OUTCOME_STATUSES, load_default="active")
    priority = fields.Boolean(load_default=False)
    # Not required: an app installed before the areas existed leaves it out (no key, so a retried
    # create hashes as before), and the outcome is stored without areas until it is edited.
    wellbeing_areas = WellbeingAreas()
    # Who owns the outcome: as for actions (a staff member, the person, or a named other). Not
    # required and no default, so an app installed before the field existed sends the same create.
    # Who may own one is checked on the merged record in server/domain/outcomes._check_owner.
    owner_kind = Choice(OWNER_KINDS, allow_none=True)
    owner_user_id = Uuid(allow_none=True)
    owner_name = Text(200, allow_none=True)

    @validates_schema
    def _dates(self, data, **_):
        if data.get("starts_on") and data.get("review_by") and data["review_by"] < data["starts_on"]:
            raise ValidationError("Must be on or after the start date.", "review_by")


class OutcomeCreateSchema(OutcomeFields):
    id = Uuid(load_default=None, metadata={"description": "Client-made UUID; a retry with the same id is not a duplicate"})
    person_id = Uuid(required=True)


class OutcomeUpdateSchema(PartialUpdate, OutcomeFields):
    id = Uuid(load_only=True)
    version = version_field()


class ActionFields(BaseInput):
    description = Text(1000, min_length=1, multiline=True, required=True)
    owner_kind = Choice(OWNER_KINDS, required=True)
    owner_user_id = Uuid(load_default=None, allow_none=True)
    owner_name = Text(200, load_default=None, allow_none=True)
    due_on = PlausibleDate(load_default=None, allow_none=True)
    status = Choice(ACTION_STATUSES, load_default="open")
    # Who may own an action is checked on the merged record in server/domain/outcomes._check_owner.


class ActionCreateSchema(ActionFields):
    id = Uuid(load_default=None)
    outcome_id = Uuid(required=True)


class ActionUpdateSchema(PartialUpdate, ActionFields):
    id = Uuid(load_only=True)
    version = version_field()


class ReviewCreateSchema(BaseInput):
    id = Uuid(load_default=None)
    outcome_id = Uuid(required=True)
    score = Int(1, 5, error="Must be 1 to 5.", required=True)
    rated_by = Choice(RATED_BY, required=True)
    happened_at = PlausibleDateTime(required=True, metadata={"description": "When the review took place; at most a day ahead."})
    evidence = fields.List(
        Text(NOTE_MAX, min_length=1, multiline=True),
        required=True,
        validate=validate.Length(min=1, max=20, error="Add at least one evidence note (at most {max})."),
    )
    what_changed = Text(NOTE_MAX, multiline=True, load_default=None, allow_none=True)
    support_adjustment = Text(NOTE_MAX, multiline=True, load_default=None, allow_none=True)
    achieved = fields.Boolean(load_default=False)


class ReviewExplainSchema(BaseInput):
    """What changed and the support adjustment, added to a review that turned out to be a drop."""

    id = Uuid(load_default=None, metadata={"description": "The review's id (sync: required; REST: taken from the URL)"})
    what_changed = Text(NOTE_MAX, min_length=1, multiline=True, required=True, metadata={"description": "What changed"})
    support_adjustment = Text(NOTE_MAX, min_length=1, multiline=True, required=True, metadata={"description": "What support will change"})


class ReviewListQuery(BaseInput):
    author = Choice(("me",), load_default="me", metadata={"description": "Whose reviews: `me` (the signed-in user)"})
    needs_explanation = fields.Boolean(load_default=None, allow_none=True, metadata={"description": "true: only drops that still need what changed and the support adjustment"})
    cursor = Text(200, load_default=None, metadata={"description": "`next_cursor` of the previous page"})
    limit = Int(1, 200, strict=False, load_default=50, error="Must be 1 to 200.")


class EvidenceCreateSchema(BaseInput):
    id = Uuid(load_default=None)
    review_id = Uuid(load_default=None, allow_none=True)
    person_id = Uuid(load_default=None, allow_none=True)
    text = Text(NOTE_MAX, min_length=1, multiline=True, required=True)
    happened_at = PlausibleDateTime(load_default=None, metadata={"description": "Default now; at most a day ahead."})

    @validates_schema
    def _target(self, data, **_):
        if not data.get("review_id") and not data.get("person_id"):
            raise ValidationError("Give the review or the person this note is about.", "review_id")


# ---- output ----
# These format what they are given and never query. What an outcome or action shows beyond its own
# columns (its owner's name, next review due, last score) is loaded in bulk before the dump, by
# domain/outcome_facts.show, and handed over as the record's `shown`.

class EvidenceOut(StrictSchema):
    id = fields.String()
    text = fields.String()
    happened_at = fields.DateTime()
    review_id = fields.String(allow_none=True)
    person_id = fields.String()


class ActionOut(StrictSchema):
    id = fields.String()
    outcome_id = fields.String()
    person_id = fields.String()
    description = fields.String()
    owner_kind = fields.String()
    owner_user_id = fields.String(allow_none=True)
    owner_name = fields.String(allow_none=True)
    owner_label = fields.Method("_owner_label")
    due_on = fields.Date(allow_none=True)
    status = fields.String()
    version = fields.Integer()

    def _owner_label(self, action):
        return shown(action).owner_label


class ReviewOut(StrictSchema):
    id = fields.String()
    outcome_id = fields.String()
    person_id = fields.String()
    score = fields.Integer()
    rated_by = fields.String()
    happened_at = fields.DateTime()
    what_changed = fields.String(allow_none=True)
    support_adjustment = fields.String(allow_none=True)
    achieved = fields.Boolean()
    evidence = fields.List(fields.Nested(EvidenceOut))


class AuthorReviewOut(StrictSchema):
    review = fields.Nested(ReviewOut)
    previous_score = fields.Integer(allow_none=True)
    needs_explanation = fields.Boolean()
    outcome_domain = fields.String()
    person_name = fields.String()


class AuthorReviewListOut(StrictSchema):
    items = fields.List(fields.Nested(AuthorReviewOut))
    next_cursor = fields.String(allow_none=True)


class OutcomeOut(StrictSchema):
    id = fields.String()
    person_id = fields.String()
    domain = fields.String()
    persons_words = fields.String()
    indicator = fields.String()
    target = fields.String()
    review_every = fields.String()
    starts_on = fields.Date()
    review_by = fields.Date()
    status = fields.String()
    priority = fields.Boolean()
    wellbeing_areas = fields.List(fields.String())
    owner_kind = fields.String(allow_none=True)
    owner_user_id = fields.String(allow_none=True)
    owner_name = fields.String(allow_none=True)
    owner_label = fields.Method("_owner_label")
    version = fields.Integer()
    actions = fields.List(fields.Nested(ActionOut))
    next_review_due = fields.Method("_next_due")
    last_score = fields.Method("_last_score")

    def _owner_label(self, outcome):
        return shown(outcome).owner_label

    def _next_due(self, outcome):
        due = shown(outcome).next_review_due
        return due.isoformat() if due else None

    def _last_score(self, outcome):
        return shown(outcome).last_score
