"""Governance: escalations, the monthly dashboard, supervision, care-plan audits, the learning log."""
from __future__ import annotations

from marshmallow import fields, validate

from ..models import ESCALATION_RULES, ESCALATION_STATUSES, LEARNING_SOURCES
from .common import BaseInput, Choice, Int, PlausibleDate, StrictSchema, Text, Uuid

MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Must look like 2026-03.")


def _limit():
    return Int(1, 200, strict=False, load_default=50, error="Must be 1 to 200.", metadata={"description": "Page size"})


def _cursor():
    return Text(200, load_default=None, metadata={"description": "`next_cursor` from the previous page"})


# ---- escalations ----

class EscalationQuery(BaseInput):
    status = Choice(ESCALATION_STATUSES, load_default=None)
    service = Uuid(load_default=None, metadata={"description": "Only this service"})
    rule = Choice(ESCALATION_RULES, load_default=None)
    limit = _limit()
    cursor = _cursor()


class LearningNestedIn(BaseInput):
    recorded_on = PlausibleDate(load_default=None, metadata={"description": "Default: today"})
    learned = Text(4000, min_length=1, multiline=True, required=True, metadata={"description": "What the analysis taught"})
    decision = Text(4000, min_length=1, multiline=True, required=True, metadata={"description": "What the service decided"})
    shared_with_commissioners = fields.Boolean(load_default=False)


class EscalationAnswerIn(BaseInput):
    answer = Text(4000, min_length=1, multiline=True, required=True, metadata={"description": "What leadership will do"})
    change_id = Uuid(load_default=None, allow_none=True, metadata={"description": "The co-produced change that answers it"})
    learning = fields.Nested(LearningNestedIn, load_default=None, allow_none=True,
                             metadata={"description": "A learning entry to write with the answer (its source is this escalation)"})


class ScoreOut(StrictSchema):
    review_id = fields.String()
    happened_at = fields.DateTime()
    score = fields.Integer()


class EscalationChangeOut(StrictSchema):
    id = fields.String()
    description = fields.String()
    starts_on = fields.Date()


class EscalationOut(StrictSchema):
    id = fields.String()
    person_id = fields.String()
    person_name = fields.String(allow_none=True)
    outcome_id = fields.String()
    outcome_domain = fields.String(allow_none=True)
    service_id = fields.String()
    service_name = fields.String(allow_none=True)
    rule = fields.String(metadata={"description": "deterioration, stagnation or overdue"})
    rule_label = fields.String()
    reasons = fields.List(fields.String(), metadata={"description": "drop_of_2_or_more, two_drops_in_a_row, no_improvement_across_three, "
                                                                    "low_at_two_in_a_row, review_overdue"})
    summary = fields.String(metadata={"description": "What fired, in plain words, with the scores"})
    status = fields.String(metadata={"description": "open, acknowledged or answered"})
    raised_at = fields.DateTime()
    review_id = fields.String(allow_none=True, metadata={"description": "The review whose storing raised it"})
    review_ids = fields.List(fields.String(), metadata={"description": "The reviews the rule looked at"})
    scores = fields.List(fields.Nested(ScoreOut))
    due_on = fields.Date(allow_none=True, metadata={"description": "overdue: the missed due date"})
    acknowledged_by = fields.String(allow_none=True)
    acknowledged_by_name = fields.String(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    answer = fields.String(allow_none=True)
    answered_by = fields.String(allow_none=True)
    answered_by_name = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    change = fields.Nested(EscalationChangeOut, allow_none=True)


class EscalationCountsOut(StrictSchema):
    open = fields.Integer()
    acknowledged = fields.Integer()
    answered = fields.Integer()


class EscalationListOut(StrictSchema):
    items = fields.List(fields.Nested(EscalationOut))
    next_cursor = fields.String(allow_none=True)
    counts = fields.Nested(EscalationCountsOut, metadata={"description": "By status, in the same scope (service, rule)"})


class QuarterQuery(BaseInput):
    quarter = Text(7, load_default=None, metadata={"description": "YYYYQn; default the current quarter"})


class RuleCountOut(StrictSchema):
    rule = fields.String()
    raised = fields.Integer()
    answered = fields.Integer()
    open_at_end = fields.Integer()


class ServiceRefOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()


class EscalationQuarterOut(StrictSchema):
    service = fields.Nested(ServiceRefOut)
    quarter = fields.String()
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    rules = fields.List(fields.Nested(RuleCountOut))
    total_raised = fields.Integer()


# ---- the dashboard ----

class DashboardQuery(BaseInput):
    month = Text(7, load_default=None, validate=MONTH, metadata={"description": "YYYY-MM; default the current month"})


class FigureValueOut(StrictSchema):
    value = fields.Integer()
    n = fields.Integer()


class FigureOut(StrictSchema):
    key = fields.String()
    label = fields.String()
    n_of = fields.String(metadata={"description": "What n counts"})
    current = fields.Nested(FigureValueOut)
    previous = fields.Nested(FigureValueOut)


class RuleCountsOut(StrictSchema):
    deterioration = fields.Integer()
    stagnation = fields.Integer()
    overdue = fields.Integer()


class ByRuleOut(StrictSchema):
    current = fields.Nested(RuleCountsOut)
    previous = fields.Nested(RuleCountsOut)


class FirstReviewsOut(StrictSchema):
    current = fields.Integer()
    previous = fields.Integer()


class ThemeSideOut(StrictSchema):
    tagged = fields.Integer()
    reviewed = fields.Integer()
    share = fields.Float(allow_none=True)


class ThemeRowOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    current = fields.Nested(ThemeSideOut)
    previous = fields.Nested(ThemeSideOut)
    rising = fields.Boolean()


class WindowOut(StrictSchema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    reviewed = fields.Integer()


class ThemesOut(StrictSchema):
    current = fields.Nested(WindowOut)
    previous = fields.Nested(WindowOut)
    themes = fields.List(fields.Nested(ThemeRowOut))


class ChangeEffectSoFarOut(StrictSchema):
    id = fields.String()
    description = fields.String()
    starts_on = fields.Date()
    weeks = fields.Integer()
    enough_data = fields.Boolean()
    summary = fields.String()


class LearningSourceOut(StrictSchema):
    kind = fields.String()
    id = fields.String(allow_none=True)
    label = fields.String(allow_none=True)
    url = fields.String(allow_none=True)


class LearningChangeOut(StrictSchema):
    id = fields.String()
    description = fields.String()
    starts_on = fields.Date()


class LearningOut(StrictSchema):
    """Commissioners get only the fields marked (all roles), and `learned`/`decision` only when the
    entry was shared with them."""

    id = fields.String(metadata={"description": "(all roles)"})
    service_id = fields.String(metadata={"description": "(all roles)"})
    service_name = fields.String(allow_none=True, metadata={"description": "(all roles)"})
    recorded_on = fields.Date(metadata={"description": "(all roles)"})
    learned = fields.String()
    decision = fields.String()
    source = fields.Nested(LearningSourceOut, allow_none=True, metadata={"description": "(all roles: `kind` only)"})
    led_to_change = fields.Boolean(metadata={"description": "(all roles)"})
    change = fields.Nested(LearningChangeOut, allow_none=True, metadata={"description": "(all roles: `id` and `starts_on` only)"})
    shared_with_commissioners = fields.Boolean(metadata={"description": "(all roles)"})
    created_by_name = fields.String(allow_none=True)
    created_at = fields.DateTime()
    anonymised = fields.Boolean(metadata={"description": "(all roles)"})


class DashboardOut(StrictSchema):
    service = fields.Nested(ServiceRefOut)
    month = fields.String()
    month_label = fields.String()
    previous_month = fields.String()
    previous_month_label = fields.String()
    as_of = fields.Date(metadata={"description": "The day the month's figures are counted to (today, for the current month)"})
    figures = fields.List(fields.Nested(FigureOut))
    first_reviews = fields.Nested(FirstReviewsOut, metadata={"description": "Outcomes reviewed for the first time in the month"})
    open_escalations_by_rule = fields.Nested(ByRuleOut)
    open_escalations = fields.List(fields.Nested(EscalationOut))
    themes = fields.Nested(ThemesOut)
    changes = fields.List(fields.Nested(ChangeEffectSoFarOut))
    learning = fields.List(fields.Nested(LearningOut))
    definitions = fields.Dict(keys=fields.String(), values=fields.String())


# ---- supervision ----

class PrepareQuery(BaseInput):
    user_id = Uuid(required=True, metadata={"description": "The staff member supervised"})
    month = Text(7, required=True, validate=MONTH, metadata={"description": "YYYY-MM"})


class SupervisionQuery(BaseInput):
    user_id = Uuid(load_default=None, metadata={"description": "Whose records (default: yours, or all you supervise)"})
    limit = _limit()
    cursor = _cursor()


class SupervisionEntryIn(BaseInput):
    person_id = Uuid(required=True)
    what_changed = Text(4000, min_length=1, multiline=True, required=True, metadata={"description": "What changed for this person this month?"})
    next_step = Text(2000, min_length=1, multiline=True, required=True, metadata={"description": "The next step agreed"})


class SupervisionCreateIn(BaseInput):
    user_id = Uuid(required=True, metadata={"description": "The staff member supervised"})
    month = Text(7, required=True, validate=MONTH, metadata={"description": "YYYY-MM"})
    held_on = PlausibleDate(required=True)
    entries = fields.List(fields.Nested(SupervisionEntryIn), required=True,
                          validate=validate.Length(min=1, max=200, error="Record at least one person (at most 200)."))


class SupervisionEntryOut(StrictSchema):
    person_id = fields.String()
    person_name = fields.String(allow_none=True)
    what_changed = fields.String()
    next_step = fields.String()


class SupervisionOut(StrictSchema):
    id = fields.String()
    user_id = fields.String()
    user_name = fields.String(allow_none=True)
    supervisor_id = fields.String()
    supervisor_name = fields.String(allow_none=True)
    month = fields.String()
    month_label = fields.String()
    held_on = fields.Date()
    entries = fields.List(fields.Nested(SupervisionEntryOut))
    hidden_entries = fields.Integer(metadata={"description": "Entries about people you can no longer see"})
    created_at = fields.DateTime()


class SupervisionListOut(StrictSchema):
    items = fields.List(fields.Nested(SupervisionOut))
    next_cursor = fields.String(allow_none=True)


class AgendaPersonRefOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    preferred_name = fields.String(allow_none=True)
    service_id = fields.String()


class AgendaReviewOut(StrictSchema):
    id = fields.String()
    outcome_id = fields.String()
    domain = fields.String()
    happened_at = fields.DateTime()
    score = fields.Integer()
    previous_score = fields.Integer(allow_none=True)
    movement = fields.String(metadata={"description": "improved, same, worse, or first"})


class AgendaOutcomeOut(StrictSchema):
    outcome_id = fields.String()
    domain = fields.String()
    before = fields.Integer(allow_none=True, metadata={"description": "The last score before the month"})
    last = fields.Integer(metadata={"description": "The last score in the month"})
    movement = fields.String()


class AgendaOverdueOut(StrictSchema):
    outcome_id = fields.String()
    domain = fields.String()
    due_on = fields.Date()
    days_late = fields.Integer()


class AgendaEscalationOut(StrictSchema):
    id = fields.String()
    rule = fields.String()
    rule_label = fields.String()
    status = fields.String()
    raised_at = fields.DateTime()
    domain = fields.String()


class AgendaActionOut(StrictSchema):
    id = fields.String()
    description = fields.String()
    due_on = fields.Date()
    domain = fields.String()
    owner = fields.String()


class PreviousStepOut(StrictSchema):
    month = fields.String()
    month_label = fields.String()
    next_step = fields.String()


class AgendaItemOut(StrictSchema):
    person = fields.Nested(AgendaPersonRefOut)
    reviews = fields.List(fields.Nested(AgendaReviewOut))
    outcomes = fields.List(fields.Nested(AgendaOutcomeOut))
    overdue = fields.List(fields.Nested(AgendaOverdueOut))
    escalations = fields.List(fields.Nested(AgendaEscalationOut))
    actions_due = fields.List(fields.Nested(AgendaActionOut))
    previous_next_step = fields.Nested(PreviousStepOut, allow_none=True)


class StaffRefOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    role = fields.String()


class AgendaOut(StrictSchema):
    user = fields.Nested(StaffRefOut)
    month = fields.String()
    month_label = fields.String()
    as_of = fields.Date()
    people = fields.List(fields.Nested(AgendaItemOut))
    existing = fields.Nested(SupervisionOut, allow_none=True, metadata={"description": "The record already saved for this month, if any"})


class SuperviseeOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    role = fields.String()
    caseload = fields.Integer(metadata={"description": "People on their caseload you can see"})


# ---- care-plan audits ----

class AuditQuery(BaseInput):
    service = Uuid(load_default=None)
    person = Uuid(load_default=None)
    due = fields.Boolean(load_default=False, metadata={"description": "true: people due or never audited (needs `service`)"})
    limit = _limit()
    cursor = _cursor()


class AuditOutcomeIn(BaseInput):
    outcome_id = Uuid(required=True)
    still_relevant = fields.Boolean(required=True)
    person_led = fields.Boolean(required=True)
    person_can_describe = fields.Boolean(required=True)
    note = Text(2000, load_default="", multiline=True)


class AuditCreateIn(BaseInput):
    person_id = Uuid(required=True)
    audited_on = PlausibleDate(required=True)
    outcomes = fields.List(fields.Nested(AuditOutcomeIn), required=True, validate=validate.Length(max=50),
                           metadata={"description": "One answer per active outcome of the person"})


class AuditOutcomeOut(StrictSchema):
    outcome_id = fields.String()
    domain = fields.String(allow_none=True)
    persons_words = fields.String(allow_none=True)
    still_relevant = fields.Boolean()
    person_led = fields.Boolean()
    person_can_describe = fields.Boolean()
    note = fields.String()


class FollowUpOut(StrictSchema):
    outcome_id = fields.String()
    domain = fields.String(allow_none=True)
    edit_url = fields.String()
    why = fields.String()


class AuditOut(StrictSchema):
    id = fields.String()
    person_id = fields.String()
    person_name = fields.String(allow_none=True)
    service_id = fields.String()
    audited_on = fields.Date()
    audited_by = fields.String()
    audited_by_name = fields.String(allow_none=True)
    next_due_on = fields.Date()
    outcomes = fields.List(fields.Nested(AuditOutcomeOut))
    follow_up = fields.List(fields.Nested(FollowUpOut), metadata={"description": "Outcomes found not person-led: edit them with the person"})
    created_at = fields.DateTime()


class AuditListOut(StrictSchema):
    items = fields.List(fields.Nested(AuditOut))
    next_cursor = fields.String(allow_none=True)


class AuditDueItemOut(StrictSchema):
    person_id = fields.String()
    person_name = fields.String()
    preferred_name = fields.String(allow_none=True)
    last_audited_on = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True)
    status = fields.String(metadata={"description": "never, overdue, due, not_due"})
    days_overdue = fields.Integer()


class AuditDueOut(StrictSchema):
    service = fields.Nested(ServiceRefOut)
    interval_months = fields.Integer()
    today = fields.Date()
    items = fields.List(fields.Nested(AuditDueItemOut))


# ---- the learning log ----

class LearningQuery(BaseInput):
    service = Uuid(load_default=None)
    change = Uuid(load_default=None, metadata={"description": "Entries that led to this change"})
    source_kind = Choice(LEARNING_SOURCES, load_default=None)
    limit = _limit()
    cursor = _cursor()


class LearningSourceIn(BaseInput):
    kind = Choice(LEARNING_SOURCES, required=True)
    id = Text(36, min_length=1, required=True,
                 metadata={"description": "The theme, change, escalation or audit id; for the dashboard, the month YYYY-MM"})


class LearningCreateIn(BaseInput):
    service_id = Uuid(required=True)
    recorded_on = PlausibleDate(required=True)
    learned = Text(4000, min_length=1, multiline=True, required=True, metadata={"description": "What the analysis taught"})
    decision = Text(4000, min_length=1, multiline=True, required=True, metadata={"description": "What the service decided"})
    source = fields.Nested(LearningSourceIn, load_default=None, allow_none=True)
    change_id = Uuid(load_default=None, allow_none=True, metadata={"description": "The co-produced change it led to"})
    shared_with_commissioners = fields.Boolean(load_default=False, metadata={"description": "Commissioners may read the wording (it must name nobody)"})


class LearningListOut(StrictSchema):
    items = fields.List(fields.Nested(LearningOut))
    next_cursor = fields.String(allow_none=True)
