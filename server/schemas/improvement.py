"""Feedback conversations, themes, co-produced changes, weekly checks, events and change effects.

The create schemas are also what the sync mutations feedback.create, check.create, event.create
and change.create load their args with.
"""
from __future__ import annotations

from marshmallow import fields, post_load, validate, validates_schema

from ..domain import dates
from ..models import EVENT_KINDS, SATISFACTION_RATED_BY
from .common import (
    BaseInput,
    Choice,
    Int,
    ListOrPage,
    PlausibleDate,
    PlausibleDateTime,
    StrictSchema,
    Text,
    Uuid,
    ValidationError,
    id_list,
    page_cursor,
    page_limit,
    shown,
)

ANSWER_MAX = 4000
NOTE_MAX = 2000


def _score(what: str):
    return Int(1, 5, error="Must be 1 to 5.", required=True, metadata={"description": what})


# ---- feedback ----

class FeedbackCreateSchema(BaseInput):
    id = Uuid(load_default=None, metadata={"description": "Client-made UUID; a retry with the same id and payload is not a duplicate"})
    person_id = Uuid(required=True)
    happened_at = PlausibleDateTime(required=True, metadata={"description": "When the conversation took place (client time); at most a day ahead."})
    works_well = Text(ANSWER_MAX, multiline=True, load_default="", metadata={"description": "What works well?"})
    feels_difficult = Text(ANSWER_MAX, multiline=True, load_default="", metadata={"description": "What feels difficult?"})
    would_change = Text(ANSWER_MAX, multiline=True, load_default="", metadata={"description": "What would you change?"})
    participants = Text(300, load_default="", metadata={"description": "Who took part, e.g. 'Person, daughter'"})
    satisfaction = Int(1, 5, error="Must be 1 to 5.", load_default=None, allow_none=True,
                       metadata={"description": "Optional: 'How happy are you with your support?', 1-5 on the person's picture scale"})
    satisfaction_rated_by = Choice(SATISFACTION_RATED_BY, load_default=None, allow_none=True,
                                   metadata={"description": "Who chose the satisfaction picture: person or together; required with satisfaction"})

    @validates_schema
    def _some_answer(self, data, **_):
        if not any(data.get(k) for k in ("works_well", "feels_difficult", "would_change")):
            raise ValidationError("Record the answer to at least one of the three questions.", "feels_difficult")


class FeedbackQuery(BaseInput):
    service = Uuid(load_default=None, metadata={"description": "Only this service"})
    person = Uuid(load_default=None, metadata={"description": "Only this person"})
    status = Choice(("all", "unreviewed", "reviewed"), load_default="all")
    limit = page_limit()
    cursor = page_cursor()


class FeedbackReviewSchema(BaseInput):
    theme_ids = id_list(metadata={"description": "Existing themes of your organisation to tag"})
    new_themes = fields.List(
        Text(120, min_length=1),
        load_default=list,
        validate=validate.Length(max=20, error="At most {max} new themes."),
        metadata={"description": "Theme names to tag; an existing theme with the same name (any case) is reused"},
    )


class ThemeOut(StrictSchema):
    id = fields.String()
    name = fields.String()


class ThemeListOut(ThemeOut):
    conversations = fields.Integer(metadata={"description": "Conversations you can see tagged with it"})


class FeedbackOut(StrictSchema):
    """The person's name is handed over by domain/feedback.show (output schemas never query)."""
    id = fields.String()
    person_id = fields.String()
    person_name = fields.Method("_person_name")
    happened_at = fields.DateTime()
    works_well = fields.String()
    feels_difficult = fields.String()
    would_change = fields.String()
    participants = fields.String()
    satisfaction = fields.Integer(allow_none=True)
    satisfaction_rated_by = fields.String(allow_none=True)
    status = fields.Method("_status", metadata={"description": "unreviewed or reviewed"})
    reviewed_at = fields.DateTime(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    themes = fields.List(fields.Nested(ThemeOut))
    created_at = fields.DateTime()

    def _person_name(self, conversation):
        return shown(conversation).person_name

    def _status(self, conversation):
        return "reviewed" if conversation.reviewed_at else "unreviewed"


class FeedbackPage(ListOrPage):
    items = fields.List(fields.Nested(FeedbackOut))


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


class ThemeCountsQuery(BaseInput):
    quarters = Int(1, 20, error="Must be 1 to 20.", strict=False, load_default=4)


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

class ChangeCreateSchema(BaseInput):
    id = Uuid(load_default=None)
    service_id = Uuid(required=True)
    description = Text(NOTE_MAX, min_length=1, multiline=True, required=True,
                       metadata={"description": "What changed, e.g. 'Quieter breakfast time (staggered, radio off)'"})
    starts_on = PlausibleDate(required=True, metadata={"description": "When it starts (or started)."})
    co_produced_with = Text(300, min_length=1, required=True, metadata={"description": "Who it was decided with"})
    person_ids = id_list(metadata={"description": "Whom it applies to; empty = the whole service"})
    theme_ids = id_list(metadata={"description": "Feedback themes it answers"})
    outcome_ids = id_list(metadata={"description": "Outcomes it answers"})

    @post_load
    def _canonical(self, data, **_):
        for key in ("person_ids", "theme_ids", "outcome_ids"):
            data[key] = sorted(set(data.get(key) or []))
        return data


class ChangeQuery(BaseInput):
    service = Uuid(load_default=None)
    limit = page_limit()
    cursor = page_cursor()


class ChangeRefOut(StrictSchema):
    id = fields.String()
    name = fields.String()


class ChangeOut(StrictSchema):
    """Commissioners get only the fields marked (all roles); `anonymised` is true for them."""

    id = fields.String(metadata={"description": "(all roles)"})
    service_id = fields.String(metadata={"description": "(all roles)"})
    service_name = fields.String(metadata={"description": "(all roles)"})
    starts_on = fields.Date(metadata={"description": "(all roles)"})
    whole_service = fields.Boolean(metadata={"description": "(all roles) true when it applies to everyone in the service"})
    people_count = fields.Integer(metadata={"description": "(all roles)"})
    theme_count = fields.Integer(metadata={"description": "(all roles)"})
    outcome_count = fields.Integer(metadata={"description": "(all roles)"})
    anonymised = fields.Boolean(metadata={"description": "(all roles)"})
    description = fields.String(metadata={"description": "(all roles) commissioners: a neutral label instead when it holds a word of anyone's name"})
    co_produced_with = fields.String()
    person_ids = fields.List(fields.String())
    people = fields.List(fields.Nested(ChangeRefOut), metadata={"description": "Names you may see (a support worker: their caseload)"})
    theme_ids = fields.List(fields.String())
    themes = fields.List(fields.Nested(ChangeRefOut), metadata={"description": "(all roles) commissioners: labels checked for names, as in the quarterly report"})
    outcome_ids = fields.List(fields.String())
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ChangePage(ListOrPage):
    items = fields.List(fields.Nested(ChangeOut))


class EffectQuery(BaseInput):
    weeks = Int(1, 52, error="Must be 1 to 52.", strict=False, load_default=6,
                metadata={"description": "Weeks before and after the start date to compare"})
    quarters = Int(1, 8, error="Must be 1 to 8.", strict=False, load_default=2,
                   metadata={"description": "13-week periods before and after, for the feedback themes the change answers"})


class EffectOut(StrictSchema):
    change = fields.Nested(ChangeOut)
    weeks = fields.Integer()
    enough_data = fields.Boolean()
    measures = fields.Dict(metadata={"description": "incidents, engagement, mood (see API.md, The change-effect reply)"})
    overlapping_changes = fields.List(fields.Dict())
    summary = fields.String()
    headline = fields.String(metadata={"description": "The first thing to read: one plain sentence, under 30 words"})
    window = fields.Dict()
    series = fields.List(fields.Dict())
    themes = fields.List(fields.Dict())
    quarters = fields.Integer()
    voice = fields.Dict(metadata={"description": "Complaints, compliments and the people's own satisfaction (mean, n), in the `quarters` 13-week periods before and after"})


# ---- weekly checks and events ----

class WeeklyCheckCreateSchema(BaseInput):
    id = Uuid(load_default=None)
    person_id = Uuid(required=True)
    week_of = PlausibleDate(
        required=True,
        metadata={"description": "Any day of the week, not a future week; it is stored as that week's Monday (the reply shows it)."},
    )
    incidents = Int(0, 500, error="Must be 0 or more (at most 500).", required=True)
    engagement = _score("1-5")
    mood = _score("1-5, the person's picture scale")
    note = Text(NOTE_MAX, multiline=True, load_default="")

    @post_load
    def _monday(self, data, **_):
        data["week_of"] = dates.monday_of(data["week_of"])
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


class EventCreateSchema(BaseInput):
    id = Uuid(load_default=None)
    person_id = Uuid(required=True)
    kind = Choice(EVENT_KINDS, required=True)
    happened_at = PlausibleDateTime(required=True, metadata={"description": "At most a day ahead."})
    note = Text(NOTE_MAX, multiline=True, load_default="",
                metadata={"description": "A complaint or compliment needs a short note (at most 300 characters) saying what it was about"})


class EventQuery(BaseInput):
    kind = Choice(EVENT_KINDS, load_default=None)


class EventOut(StrictSchema):
    id = fields.String()
    person_id = fields.String()
    kind = fields.String()
    happened_at = fields.DateTime()
    note = fields.String()
    created_at = fields.DateTime()


# ---- "You said, we did" ----

class YouSaidOut(StrictSchema):
    on = fields.Date(metadata={"description": "The day of the feedback conversation"})
    words = fields.String(metadata={"description": "What the person said (their answer, as written down)"})


class YouSaidWeDidOut(StrictSchema):
    change_id = fields.String()
    we_did = fields.String(metadata={"description": "The change, as the service described it"})
    starts_on = fields.Date()
    you_said = fields.List(fields.Nested(YouSaidOut), metadata={"description": "At most the three latest, oldest first"})
