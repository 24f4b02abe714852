from marshmallow import fields

from .common import (
    BaseInput,
    Int,
    ListOrPage,
    PartialUpdate,
    PlausibleDate,
    StrictSchema,
    Text,
    Uuid,
    id_list,
    page_cursor,
    page_limit,
    version_field,
)
from .outcome import OutcomeOut


class PersonOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    preferred_name = fields.String(allow_none=True)
    service_id = fields.String()
    weekly_checks = fields.Boolean()
    ended_on = fields.Date(allow_none=True, metadata={"description": "Set when support has ended (history is kept)"})
    version = fields.Integer()
    active_outcomes = fields.Integer()
    next_review_due = fields.String(allow_none=True)


class PersonDetailOut(PersonOut):
    outcomes = fields.List(fields.Nested(OutcomeOut))


# ---- running an organisation: people and caseloads (managers for their services, admins) ----


class PersonFields(BaseInput):
    name = Text(200, min_length=1, required=True, metadata={"description": "Full name"})
    preferred_name = Text(100, load_default=None, allow_none=True,
                          metadata={"description": "What they like to be called (blank: none)"})
    service_id = Uuid(required=True, metadata={"description": "A service you manage (admins: any of the organisation)"})
    weekly_checks = fields.Boolean(load_default=False, metadata={"description": "Weekly checks are recorded for them"})
    joined_on = PlausibleDate(load_default=None, allow_none=True, metadata={"description": "The day their support started"})


class PersonCreateSchema(PersonFields):
    pass


class PersonUpdateSchema(PartialUpdate, PersonFields):
    version = version_field(metadata={"description": "The version the edit was made from; a stale one gets 409"})
    ended_on = PlausibleDate(allow_none=True, metadata={
        "description": "The day support ended (today or earlier): they leave caseloads, lists and phones; "
                       "their history stays readable. null resumes support."})


class StaffRef(StrictSchema):
    id = fields.String()
    name = fields.String()


class PersonAdminOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    preferred_name = fields.String(allow_none=True)
    service_id = fields.String()
    service_name = fields.String()
    weekly_checks = fields.Boolean()
    joined_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    version = fields.Integer()
    staff = fields.List(fields.Nested(StaffRef), metadata={"description": "Who has them on their caseload"})


class PersonAdminPage(StrictSchema):
    items = fields.List(fields.Nested(PersonAdminOut))
    next_cursor = fields.String(allow_none=True)


class ManageQuery(BaseInput):
    service_id = Uuid(load_default=None, metadata={"description": "Only this service"})
    q = Text(200, load_default="", metadata={"description": "Part of the name or preferred name"})
    include_ended = fields.Boolean(load_default=False, metadata={"description": "Also people whose support has ended"})
    cursor = Text(600, load_default=None, metadata={"description": "next_cursor of the previous page"})
    limit = Int(1, 200, strict=False, load_default=50)


class PeopleQuery(BaseInput):
    include_ended = fields.Boolean(load_default=False, metadata={
        "description": "Managers and senior leaders: also list people whose support has ended"})
    limit = page_limit()
    cursor = page_cursor()


class PeoplePage(ListOrPage):
    items = fields.List(fields.Nested(PersonOut))


class StaffSetSchema(BaseInput):
    user_ids = id_list(200, required=True, metadata={
        "description": "Everyone who should have the person on their caseload: support workers or managers "
                       "of the organisation who work in the person's service. Missing ones are taken off."})


class CaseloadStaffOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    email = fields.String()
    role = fields.String()
    keyworker = fields.Boolean()


class PersonStaffOut(StrictSchema):
    person_id = fields.String()
    person = fields.Nested(PersonAdminOut, metadata={"description": "The person, as the People screen edits them"})
    staff = fields.List(fields.Nested(CaseloadStaffOut), metadata={"description": "Who has the person on their caseload"})
    eligible = fields.List(fields.Nested(CaseloadStaffOut), metadata={"description": "Who may be put on it: staff working in the person's service"})
