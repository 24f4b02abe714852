"""Accounts, services, one-time links and password changes: what goes in and out."""
from marshmallow import fields

from ..models import ROLES, SERVICE_KINDS
from .common import (
    BaseInput,
    Choice,
    Email,
    ListOrPage,
    StrictSchema,
    Text,
    Uuid,
    id_list,
    page_cursor,
    page_limit,
)
from .session import ServiceOut, UserOut


def password(**kwargs) -> Text:
    """Long enough for any passphrase the policy accepts; longer bodies are refused by name before
    hashing. Spaces are kept (a passphrase may begin or end with one)."""
    return Text(1000, min_length=1, trim=False, required=True, load_only=True, **kwargs)


class LowerEmail(Email):
    """An email address, trimmed and lower-cased (sign-in compares lower-cased)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).lower()


class ServiceIn(BaseInput):
    name = Text(200, min_length=1, required=True)
    kind = Choice(SERVICE_KINDS, required=True)


class ServicePatch(BaseInput):
    name = Text(200, min_length=1)
    kind = Choice(SERVICE_KINDS)


class ServiceListOut(ServiceOut):
    people_count = fields.Integer(metadata={"description": "people the service supports"})


class LinkOut(StrictSchema):
    purpose = fields.String(metadata={"description": "invite (a new account) or reset"})
    expires_at = fields.AwareDateTime()


class StaffOut(UserOut):
    active = fields.Boolean()
    password_set = fields.Boolean(metadata={"description": "false until the account's first link is used"})
    link = fields.Nested(LinkOut, allow_none=True, metadata={"description": "the account's unused link, if any"})


class StaffPage(ListOrPage):
    items = fields.List(fields.Nested(StaffOut))


class UsersQuery(BaseInput):
    limit = page_limit()
    cursor = page_cursor()


class UserIn(BaseInput):
    email = LowerEmail(required=True)
    name = Text(200, min_length=1, required=True)
    role = Choice(ROLES, required=True)
    service_ids = id_list(200)
    person_id = Uuid(load_default=None, allow_none=True)


class UserPatch(BaseInput):
    name = Text(200, min_length=1)
    role = Choice(ROLES)
    service_ids = id_list(200, load_default=None)
    person_id = Uuid(allow_none=True)
    active = fields.Boolean()


class IssuedLinkOut(StrictSchema):
    invite_url = fields.String(metadata={"description": "the one-time link; shown once, never stored"})
    invite_expires_at = fields.AwareDateTime()
    invite_qr = fields.String(metadata={"description": "the link as a QR code, an SVG data: URI for an <img>"})
    email_sent = fields.Boolean(allow_none=True, metadata={"description": "null when no mail server is configured"})


class UserCreatedOut(IssuedLinkOut):
    user = fields.Nested(StaffOut)


class ResetOut(IssuedLinkOut):
    user = fields.Nested(StaffOut)


class InviteOut(StrictSchema):
    name = fields.String()
    email = fields.String()
    organisation = fields.String()
    purpose = fields.String()
    expires_at = fields.AwareDateTime()


class SetPasswordIn(BaseInput):
    password = password()


class SetPasswordOut(StrictSchema):
    email = fields.String()


class ChangePasswordIn(BaseInput):
    current_password = password()
    new_password = password()

