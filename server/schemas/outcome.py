from __future__ import annotations

from marshmallow import fields, validate, validates_schema

from ..models import ACTION_STATUSES, OUTCOME_STATUSES, OWNER_KINDS, RATED_BY, REVIEW_EVERY
from .common import StrictSchema, Trimmed, Uuid, ValidationError, aware_datetime, one_of, text


class OutcomeFields(StrictSchema):
    domain = text(120, metadata={"description": "Person-defined area, e.g. 'Confidence using buses'"})
    persons_words = text(2000, metadata={"description": "In the person's own words: what would feel different if this worked?"})
    indicator = text(2000, metadata={"description": "What we will see, hear or measure that shows progress"})
    target = Trimmed(load_default="", validate=validate.Length(max=200))
    review_every = fields.String(load_default="monthly", validate=one_of(REVIEW_EVERY))
    starts_on = fields.Date(required=True)
    review_by = fields.Date(required=True)
    status = fields.String(load_default="active", validate=one_of(OUTCOME_STATUSES))
    priority = fields.Boolean(load_default=False)

    @validates_schema
    def _dates(self, data, **_):
        if data.get("starts_on") and data.get("review_by") and data["review_by"] < data["starts_on"]:
            raise ValidationError("Must be on or after the start date.", "review_by")


class OutcomeCreateSchema(OutcomeFields):
    id = Uuid(load_default=None, metadata={"description": "Client-made UUID; a retry with the same id is not a duplicate"})
    person_id = Uuid(required=True)


class OutcomeUpdateSchema(OutcomeFields):
    id = Uuid(load_only=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))

    class Meta:
        partial = True


class ActionFields(StrictSchema):
    description = text(1000)
    owner_kind = fields.String(required=True, validate=one_of(OWNER_KINDS))
    owner_user_id = Uuid(load_default=None, allow_none=True)
    owner_name = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=200))
    due_on = fields.Date(load_default=None, allow_none=True)
    status = fields.String(load_default="open", validate=one_of(ACTION_STATUSES))

    @validates_schema
    def _owner(self, data, partial=None, **_):
        kind = data.get("owner_kind")
        if kind == "staff" and not data.get("owner_user_id"):
            raise ValidationError("Choose the staff member who owns this action.", "owner_user_id")
        if kind == "other" and not data.get("owner_name"):
            raise ValidationError("Name who owns this action (for example a family member).", "owner_name")


class ActionCreateSchema(ActionFields):
    id = Uuid(load_default=None)
    outcome_id = Uuid(required=True)


class ActionUpdateSchema(ActionFields):
    id = Uuid(load_only=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))

    class Meta:
        partial = True


class ReviewCreateSchema(StrictSchema):
    id = Uuid(load_default=None)
    outcome_id = Uuid(required=True)
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5, error="Must be 1 to 5."))
    rated_by = fields.String(required=True, validate=one_of(RATED_BY))
    happened_at = aware_datetime(required=True)
    evidence = fields.List(
        Trimmed(validate=validate.Length(min=1, max=2000)),
        required=True,
        validate=validate.Length(min=1, max=20, error="Add at least one evidence note."),
    )
    what_changed = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    support_adjustment = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    achieved = fields.Boolean(load_default=False)


class EvidenceCreateSchema(StrictSchema):
    id = Uuid(load_default=None)
    review_id = Uuid(load_default=None, allow_none=True)
    person_id = Uuid(load_default=None, allow_none=True)
    text = text(2000)
    happened_at = aware_datetime(load_default=None)

    @validates_schema
    def _target(self, data, **_):
        if not data.get("review_id") and not data.get("person_id"):
            raise ValidationError("Give the review or the person this note is about.", "review_id")


# ---- output ----

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
        from ..domain.outcomes import owner_label

        return owner_label(action)


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
    version = fields.Integer()
    actions = fields.List(fields.Nested(ActionOut))
    next_review_due = fields.Method("_next_due")
    last_score = fields.Method("_last_score")

    def _next_due(self, outcome):
        from ..domain.outcomes import next_review_due

        due = next_review_due(outcome)
        return due.isoformat() if due else None

    def _last_score(self, outcome):
        from ..domain.outcomes import last_review

        review = last_review(outcome.id)
        return review.score if review else None
