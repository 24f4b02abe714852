from marshmallow import fields

from .common import BaseInput, Email, StrictSchema, Text, Uuid


class SignInSchema(BaseInput):
    email = Email(required=True)
    # Not trimmed: spaces are part of a password. Control characters are refused like anywhere else.
    password = Text(500, min_length=1, multiline=True, trim=False, required=True, load_only=True)


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
    device_id = fields.String(allow_none=True, metadata={"description": "The installed app bound to this session (audit entries name it)"})
    signed_out_reason = fields.String(
        allow_none=True,
        metadata={"description": "`account_deactivated` when this browser's account was deactivated: wipe its local copy"},
    )


class DeviceIn(BaseInput):
    device_id = Uuid(required=True, metadata={"description": "The app's device id (made on first run, kept in IndexedDB)"})
