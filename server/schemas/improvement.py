"""Feedback conversations, themes, co-produced changes, weekly checks, events and change effects.

The create schemas are also what the sync mutations feedback.create, check.create, event.create
and change.create load their args with.
"""
from __future__ import annotations

from datetime import timedelta

from marshmallow import fields, post_load, validate, validates_schema

from ..models import EVENT_KINDS
from .common import StrictSchema, Trimmed, Uuid, ValidationError, aware_datetime, one_of, text

ANSWER_MAX = 4000


def _ids(**kw):
    return fields.List(Uuid(), load_default=list, validate=validate.Length(max=500), **kw)


def _score(what: str):
    return fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=5, error="Must be 1 to 5."),
        metadata={"description": what},
    )


# ---- feedback ----

class FeedbackCreateSchema(StrictSchema):
    id = Uuid(load_default=None, metadata={"description": "Client-made UUID; a retry with the same id and payload is not a duplicate"})
    person_id = Uuid(required=True)
    happened_at = aware_datetime(required=True, metadata={"description": "When the conversation took place (client time)"})
    works_well = Trimmed(load_default="", validate=validate.Length(max=ANSWER_MAX), metadata={"description": "What works well?"})
    feels_difficult = Trimmed(load_default="", validate=validate.Length(max=ANSWER_MAX), metadata={"description": "What feels difficult?"})
    would_change = Trimmed(load_default="", validate=validate.Length(max=ANSWER_MAX), metadata={"description": "What would you change?"})
    participants = Trimmed(load_default="", validate=validate.Length(max=300), metadata={"description": "Who took part, e.g. 'Person, daughter'"})

    @validates_schema
    def _some_answer(self, data, **_):
        if not any(data.get(k) for k in ("works_well", "feels_difficult", "would_change")):
            raise ValidationError("Record the answer to at least one of the three questions.", "feels_difficult")


class FeedbackQuery(StrictSchema):
    service = Uuid(load_default=None, metadata={"description": "Only this service"})
    person = Uuid(load_default=None, metadata={"description": "Only this person"})
    status = fields.String(load_default="all", validate=one_of(("all", "unreviewed", "reviewed")))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500, error="Must be 1 to 500."))


class FeedbackReviewSchema(StrictSchema):
    theme_ids = _ids(metadata={"description": "Existing themes of your organisation to tag"})
    new_themes = fields.List(
        Trimmed(validate=validate.Length(min=1, max=120, error="Theme names are 1 to 120 characters.")),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "Theme names to tag; an existing theme with the same name (any case) is reused"},
    )


class ThemeOut(StrictSchema):
    id = fields.String()
    name = fields.String()


class ThemeListOut(ThemeOut):
    conversations = fields.Integer(metadata={"description": "Conversations you can see tagged with it"})


class FeedbackOut(StrictSchema):
    id = fields.String()
    person_id = fields.String()
    person_name = fields.Method("_person_name")
    happened_at = fields.DateTime()
    works_well = fields.String()
    feels_difficult = fields.String()
    would_change = fields.String()
    participants = fields.String()
    status = fields.Method("_status", metadata={"description": "unreviewed or reviewed"})
    reviewed_at = fields.DateTime(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    themes = fields.List(fields.Nested(ThemeOut))
    created_at = fields.DateTime()

    def _person_name(self, conversation):
        from ..extensions import db
        from ..models import Person

        person = db.session.get(Person, conversation.person_id)
        return person.name if person else None

    def _status(self, conversation):
        return "reviewed" if conversation.reviewed_at else "unreviewed"


class CueOut(StrictSchema):
    word = fields.String()
    tagged = fields.Integer(metadata={"description": "Earlier conversations with the word that were tagged with the theme"})
    seen = fields.Integer(metadata={"description": "Earlier reviewed conversations with the word"})
    share = fields.Float()
    in_theme_name = fields.Boolean()


class SuggestionOut(StrictSchema):
    theme = fields.Nested(ThemeOut)
    score = fields.Float()
    matches = fields.List(fields.Nested(CueOut))
    tagged_overall = fields.Integer(metadata={"description": "Earlier reviewed conversations tagged with the theme"})
    explanation = fields.String()


class SuggestionsOut(StrictSchema):
    feedback_id = fields.String()
    compared_with = fields.Integer()
    suggestions = fields.List(fields.Nested(SuggestionOut))
    method = fields.String()


class ThemeCountsQuery(StrictSchema):
    quarters = fields.Integer(load_default=4, validate=validate.Range(min=1, max=20, error="Must be 1 to 20."))


class ThemeQuarterOut(StrictSchema):
    quarter = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    conversations = fields.Integer()
    reviewed = fields.Integer()


class ThemeCountOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    counts = fields.List(fields.Integer(), metadata={"description": "Conversations tagged, per quarter (aligned with `quarters`)"})
    shares = fields.List(fields.Float(allow_none=True), metadata={"description": "Tagged ÷ reviewed per quarter; null when none reviewed"})
    total = fields.Integer()


class ThemeCountsOut(StrictSchema):
    service = fields.Dict()
    quarters = fields.List(fields.Nested(ThemeQuarterOut))
    themes = fields.List(fields.Nested(ThemeCountOut))


# ---- changes ----

class ChangeCreateSchema(StrictSchema):
    id = Uuid(load_default=None)
    service_id = Uuid(required=True)
    description = text(2000, metadata={"description": "What changed, e.g. 'Quieter breakfast time (staggered, radio off)'"})
    starts_on = fields.Date(required=True)
    co_produced_with = text(300, metadata={"description": "Who it was decided with"})
    person_ids = _ids(metadata={"description": "Whom it applies to; empty = the whole service"})
    theme_ids = _ids(metadata={"description": "Feedback themes it answers"})
    outcome_ids = _ids(metadata={"description": "Outcomes it answers"})

    @post_load
    def _canonical(self, data, **_):
        for key in ("person_ids", "theme_ids", "outcome_ids"):
            data[key] = sorted(set(data.get(key) or []))
        return data


class ChangeQuery(StrictSchema):
    service = Uuid(load_default=None)


class ChangeRefOut(StrictSchema):
    id = fields.String()
    name = fields.String()


class ChangeOut(StrictSchema):
    """Commissioners get only the fields marked (all roles); `anonymised` is true for them."""

    id = fields.String(metadata={"description": "(all roles)"})
    service_id = fields.String(metadata={"description": "(all roles)"})
    starts_on = fields.Date(metadata={"description": "(all roles)"})
    whole_service = fields.Boolean(metadata={"description": "(all roles) true when it applies to everyone in the service"})
    people_count = fields.Integer(metadata={"description": "(all roles)"})
    theme_count = fields.Integer(metadata={"description": "(all roles)"})
    outcome_count = fields.Integer(metadata={"description": "(all roles)"})
    anonymised = fields.Boolean(metadata={"description": "(all roles)"})
    description = fields.String()
    co_produced_with = fields.String()
    person_ids = fields.List(fields.String())
    people = fields.List(fields.Nested(ChangeRefOut), metadata={"description": "Names you may see (a support worker: their caseload)"})
    theme_ids = fields.List(fields.String())
    themes = fields.List(fields.Nested(ChangeRefOut))
    outcome_ids = fields.List(fields.String())
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()


class EffectQuery(StrictSchema):
    weeks = fields.Integer(load_default=6, validate=validate.Range(min=1, max=52, error="Must be 1 to 52."),
                           metadata={"description": "Weeks before and after the start date to compare"})
    quarters = fields.Integer(load_default=2, validate=validate.Range(min=1, max=8, error="Must be 1 to 8."),
                              metadata={"description": "13-week periods before and after, for the feedback themes the change answers"})


class EffectOut(StrictSchema):
    change = fields.Nested(ChangeOut)
    weeks = fields.Integer()
    enough_data = fields.Boolean()
    measures = fields.Dict(metadata={"description": "incidents, engagement, mood (see API.md, The change-effect reply)"})
    overlapping_changes = fields.List(fields.Dict())
    summary = fields.String()
    window = fields.Dict()
    series = fields.List(fields.Dict())
    themes = fields.List(fields.Dict())
    quarters = fields.Integer()


# ---- weekly checks and events ----

class WeeklyCheckCreateSchema(StrictSchema):
    id = Uuid(load_default=None)
    person_id = Uuid(required=True)
    week_of = fields.Date(
        required=True,
        metadata={"description": "Any day of the week; it is stored as that week's Monday (the reply shows it)"},
    )
    incidents = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=500, error="Must be 0 or more (at most 500)."))
    engagement = _score("1-5")
    mood = _score("1-5, the person's picture scale")
    note = Trimmed(load_default="", validate=validate.Length(max=2000))

    @post_load
    def _monday(self, data, **_):
        data["week_of"] = data["week_of"] - timedelta(days=data["week_of"].weekday())
        return data


class WeeklyCheckOut(StrictSchema):
    id = fields.String()
    person_id = fields.String()
    week_of = fields.Date()
    incidents = fields.Integer()
    engagement = fields.Integer()
    mood = fields.Integer()
    note = fields.String()
    created_at = fields.DateTime()


class EventCreateSchema(StrictSchema):
    id = Uuid(load_default=None)
    person_id = Uuid(required=True)
    kind = fields.String(required=True, validate=one_of(EVENT_KINDS))
    happened_at = aware_datetime(required=True)
    note = Trimmed(load_default="", validate=validate.Length(max=2000))


class EventQuery(StrictSchema):
    kind = fields.String(load_default=None, validate=one_of(EVENT_KINDS))


class EventOut(StrictSchema):
    id = fields.String()
    person_id = fields.String()
    kind = fields.String()
    happened_at = fields.DateTime()
    note = fields.String()
    created_at = fields.DateTime()
