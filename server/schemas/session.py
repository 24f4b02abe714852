from marshmallow import fields, validate

from .common import StrictSchema


class SignInSchema(StrictSchema):
    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=500), load_only=True)


class ServiceOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()


class UserOut(StrictSchema):
    id = fields.String()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    person_id = fields.String(allow_none=True)
    organisation_id = fields.String()
    services = fields.List(fields.Nested(ServiceOut))


class SessionOut(StrictSchema):
    user = fields.Nested(UserOut, allow_none=True)
    csrf_token = fields.String()
