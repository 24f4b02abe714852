"""The audit log, as managers, senior leaders and admins read it."""
from __future__ import annotations

from marshmallow import fields

from .common import BaseInput, Int, PlausibleDateTime, StrictSchema, Text, Uuid


class AuditQuery(BaseInput):
    person_id = Uuid(load_default=None, metadata={"description": "Only entries about this person's record"})
    user_id = Uuid(load_default=None, metadata={"description": "Only what this staff member did or viewed"})
    since = PlausibleDateTime(load_default=None, metadata={"description": "Only entries at or after this moment (ISO 8601; UTC when no offset)"})
    cursor = Text(200, load_default=None, metadata={"description": "`next_cursor` of the previous page"})
    limit = Int(1, 200, strict=False, load_default=50, error="Must be 1 to 200.")


class AuditUserOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    role = fields.String()


class AuditDeviceOut(StrictSchema):
    id = fields.String()
    label = fields.String(metadata={"description": "e.g. 'Android phone (Chrome)', from the browser that registered it"})


class AuditEntryOut(StrictSchema):
    id = fields.Integer()
    at = fields.DateTime()
    user = fields.Nested(AuditUserOut, allow_none=True)
    device = fields.Nested(AuditDeviceOut, allow_none=True)
    action = fields.String(metadata={"description": "view, create, update, delete, acknowledge, sign_in, ..."})
    entity = fields.String()
    entity_id = fields.String(allow_none=True)
    person_id = fields.String(allow_none=True)
    person_name = fields.String(allow_none=True, metadata={"description": "Only when the reader may see the person by name"})
    service_id = fields.String(allow_none=True)
    summary = fields.String(metadata={"description": "One plain sentence: who did what to whose record"})


class AuditPageOut(StrictSchema):
    items = fields.List(fields.Nested(AuditEntryOut))
    next_cursor = fields.String(allow_none=True)
