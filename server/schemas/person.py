from marshmallow import fields

from .common import StrictSchema
from .outcome import OutcomeOut


class PersonOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    preferred_name = fields.String(allow_none=True)
    service_id = fields.String()
    weekly_checks = fields.Boolean()
    version = fields.Integer()
    active_outcomes = fields.Integer()
    next_review_due = fields.String(allow_none=True)


class PersonDetailOut(PersonOut):
    outcomes = fields.List(fields.Nested(OutcomeOut))
