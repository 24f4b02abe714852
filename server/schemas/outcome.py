from __future__ import annotations

from datetime import date, timezone

from marshmallow import fields, pre_load, validate, validates_schema

from ..models import ACTION_STATUSES, OUTCOME_STATUSES, OWNER_KINDS, RATED_BY, REVIEW_EVERY
from .common import StrictSchema, Trimmed, Uuid, ValidationError, aware_datetime, one_of, text

# Dates outside this range are typing slips, and near the ends of Python's calendar they overflow
# (date arithmetic, quarters, conversion to UTC) into a 500 instead of a 422.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


def plausible_date(**kw):
    return fields.Date(validate=validate.Range(min=EARLIEST, max=LATEST, error="Must be between {min} and {max}."), **kw)


def _plausible_moment(value) -> None:
    try:
        day = value.astimezone(timezone.utc).date()
    except OverflowError:
        day = None
    if day is None or not EARLIEST <= day <= LATEST:
        raise ValidationError(f"Must be between {EARLIEST} and {LATEST}.")


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class InputSchema(StrictSchema):
    """Refuses NUL characters by field name: PostgreSQL cannot store them in text (a 500 there,
    silently stored on SQLite)."""

    @pre_load
    def _no_nul(self, data, **_):
        if isinstance(data, dict):
            bad = {str(k): ["Must not contain NUL characters."] for k, v in data.items() if _has_nul(v)}
            if bad:
                raise ValidationError(bad)
        return data


class PartialUpdate:
    """An edit sends `version` and only the fields it changes. Every other field is optional and gets
    no default, so a field left out stays as stored. (marshmallow has no `Meta.partial`: it must be
    given to the constructor, and `partial=True` would make `version` optional too.)"""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", tuple(name for name in self._declared_fields if name != "version"))
        super().__init__(*args, **kwargs)


class OutcomeFields(InputSchema):
    domain = text(120, metadata={"description": "Person-defined area, e.g. 'Confidence using buses'"})
    persons_words = text(2000, metadata={"description": "In the person's own words: what would feel different if this worked?"})
    indicator = text(2000, metadata={"description": "What we will see, hear or measure that shows progress"})
    target = Trimmed(load_default="", validate=validate.Length(max=200))
    review_every = fields.String(load_default="monthly", validate=one_of(REVIEW_EVERY))
    starts_on = plausible_date(required=True)
    review_by = plausible_date(required=True)
    status = fields.String(load_default="active", validate=one_of(OUTCOME_STATUSES))
    priority = fields.Boolean(load_default=False)

    @validates_schema
    def _dates(self, data, **_):
        if data.get("starts_on") and data.get("review_by") and data["review_by"] < data["starts_on"]:
            raise ValidationError("Must be on or after the start date.", "review_by")


class OutcomeCreateSchema(OutcomeFields):
    id = Uuid(load_default=None, metadata={"description": "Client-made UUID; a retry with the same id is not a duplicate"})
    person_id = Uuid(required=True)


class OutcomeUpdateSchema(PartialUpdate, OutcomeFields):
    id = Uuid(load_only=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))


class ActionFields(InputSchema):
    description = text(1000)
    owner_kind = fields.String(required=True, validate=one_of(OWNER_KINDS))
    owner_user_id = Uuid(load_default=None, allow_none=True)
    owner_name = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=200))
    due_on = plausible_date(load_default=None, allow_none=True)
    status = fields.String(load_default="open", validate=one_of(ACTION_STATUSES))
    # Who may own an action is checked on the merged record in server/domain/outcomes._check_owner.


class ActionCreateSchema(ActionFields):
    id = Uuid(load_default=None)
    outcome_id = Uuid(required=True)


class ActionUpdateSchema(PartialUpdate, ActionFields):
    id = Uuid(load_only=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))


class ReviewCreateSchema(InputSchema):
    id = Uuid(load_default=None)
    outcome_id = Uuid(required=True)
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5, error="Must be 1 to 5."))
    rated_by = fields.String(required=True, validate=one_of(RATED_BY))
    happened_at = aware_datetime(required=True, validate=_plausible_moment)
    evidence = fields.List(
        Trimmed(validate=validate.Length(min=1, max=2000)),
        required=True,
        validate=validate.Length(min=1, max=20, error="Add at least one evidence note."),
    )
    what_changed = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    support_adjustment = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    achieved = fields.Boolean(load_default=False)


class EvidenceCreateSchema(InputSchema):
    id = Uuid(load_default=None)
    review_id = Uuid(load_default=None, allow_none=True)
    person_id = Uuid(load_default=None, allow_none=True)
    text = text(2000)
    happened_at = aware_datetime(load_default=None, validate=_plausible_moment)

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
