"""Push subscriptions, the notification inbox and the overdue-reviews list."""
from __future__ import annotations

from marshmallow import fields

from ..domain import push
from .common import BaseInput, Int, StrictSchema, Text, ValidationError


def _problem(check):
    """A marshmallow validator from a function that returns what is wrong, or None."""

    def validator(value):
        problem = check(value)
        if problem:
            raise ValidationError(problem)

    return validator


# ---- in ----

class PushSubscriptionKeysIn(BaseInput):
    p256dh = Text(
        200,
        required=True,
        validate=_problem(push.p256dh_problem),
        metadata={"description": "The browser's P-256 public key: base64url of the 65-byte uncompressed point"},
    )
    auth = Text(
        100,
        required=True,
        validate=_problem(push.auth_problem),
        metadata={"description": "The 16-byte authentication secret, base64url"},
    )


class PushSubscriptionIn(BaseInput):
    """What `PushSubscription.toJSON()` gives in the browser."""

    endpoint = Text(
        push.MAX_ENDPOINT_LENGTH,
        min_length=1,
        required=True,
        validate=_problem(push.endpoint_problem),
        metadata={"description": "The push service URL: https, on a host in PUSH_ALLOWED_HOSTS"},
    )
    keys = fields.Nested(PushSubscriptionKeysIn, required=True)
    expirationTime = fields.Float(load_default=None, allow_none=True, metadata={"description": "Ignored"})  # noqa: N815 - the browser's name


class PushEndpointIn(BaseInput):
    endpoint = Text(push.MAX_ENDPOINT_LENGTH, min_length=1, required=True)


class OverdueQuery(BaseInput):
    limit = Int(1, 500, error="Must be between {min} and {max}.", strict=False, load_default=None,
                metadata={"description": "Page size. Without it the whole list comes in one reply (as before paging)."})
    cursor = Text(300, load_default=None, metadata={"description": "`next_cursor` of the previous page"})


class InboxQuery(BaseInput):
    limit = Int(1, 200, error="Must be between {min} and {max}.", strict=False, load_default=50)
    cursor = Text(300, load_default=None, metadata={"description": "`next_cursor` of the previous page"})


# ---- out ----

class PushKeyOut(StrictSchema):
    public_key = fields.String(metadata={"description": "VAPID application server key (base64url, uncompressed P-256 point): "
                                                        "pass it to pushManager.subscribe as applicationServerKey"})


class PushSubscriptionOut(StrictSchema):
    id = fields.String()
    endpoint = fields.String()
    created_at = fields.DateTime()
    last_error = fields.String(allow_none=True, metadata={"description": "Why the last push to it failed, if it did"})


class InboxPersonOut(StrictSchema):
    id = fields.String()
    name = fields.String()
    preferred_name = fields.String(allow_none=True)


class InboxOutcomeOut(StrictSchema):
    id = fields.String()
    domain = fields.String()


class NotificationOut(StrictSchema):
    id = fields.String()
    kind = fields.String(metadata={"description": "review_due, review_overdue, feedback_due, feedback_overdue, weekly_check_due, weekly_check_overdue"})
    subject = fields.String(allow_none=True, metadata={"description": "review, feedback or weekly_check"})
    stage = fields.String(allow_none=True, metadata={"description": "due (you are the keyworker) or overdue (in a service you manage)"})
    due_on = fields.Date(allow_none=True)
    title = fields.String()
    body = fields.String()
    url = fields.String(metadata={"description": "Where in the app to go"})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    push_status = fields.String(metadata={"description": "pending, sent, no_subscription, or failed: <why>"})
    person = fields.Nested(InboxPersonOut, allow_none=True, metadata={"description": "Only while you may still see the person"})
    outcome = fields.Nested(InboxOutcomeOut, allow_none=True)


class InboxOut(StrictSchema):
    notifications = fields.List(fields.Nested(NotificationOut))
    unread = fields.Integer()
    next_cursor = fields.String(allow_none=True, metadata={"description": "Pass as `cursor` for older notifications; null on the last page"})


class InboxReadAllOut(StrictSchema):
    marked = fields.Integer()
    unread = fields.Integer()


class OverdueAcknowledgementOut(StrictSchema):
    by_id = fields.String(allow_none=True)
    by = fields.String(allow_none=True)
    at = fields.DateTime()


class OverdueReviewOut(StrictSchema):
    outcome_id = fields.String()
    person_id = fields.String()
    person_name = fields.String()
    preferred_name = fields.String(allow_none=True)
    service_id = fields.String()
    service_name = fields.String()
    domain = fields.String()
    due_on = fields.Date()
    days_late = fields.Integer()
    keyworkers = fields.List(fields.String())
    acknowledged = fields.Nested(OverdueAcknowledgementOut, allow_none=True)


class OverdueListOut(StrictSchema):
    today = fields.Date()
    overdue = fields.List(fields.Nested(OverdueReviewOut))
    next_cursor = fields.String(allow_none=True, metadata={"description": "With `limit`: pass as `cursor` for the next page; null on the last"})
