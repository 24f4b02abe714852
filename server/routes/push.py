"""Web Push subscriptions, the in-app notification inbox, and overdue reviews for managers."""
from __future__ import annotations

from datetime import date

from flask import current_app
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from ..domain import inbox, overdue_reviews, push
from ..extensions import db
from ..schemas.push import (
    PushEndpointIn,
    InboxOut,
    InboxQuery,
    NotificationOut,
    OverdueListOut,
    OverdueQuery,
    OverdueReviewOut,
    PushKeyOut,
    InboxReadAllOut,
    PushSubscriptionIn,
    PushSubscriptionOut,
)

blp = Blueprint(
    "push",
    __name__,
    url_prefix="/api/v1",
    description="Push subscriptions, the notification inbox and overdue reviews",
)


# ---- push subscriptions ----

@blp.route("/push/key")
@blp.response(200, PushKeyOut)
def public_key():
    """The VAPID application server key to subscribe with."""
    return {"public_key": current_app.config["VAPID_PUBLIC_KEY"]}


@blp.route("/push/subscriptions")
@login_required
@blp.response(200, PushSubscriptionOut(many=True))
def my_subscriptions():
    """Your push subscriptions (one per browser you allowed notifications on)."""
    return push.subscriptions_of(current_user.id)


@blp.route("/push/subscriptions", methods=["POST"])
@login_required
@blp.arguments(PushSubscriptionIn)
@blp.response(201, PushSubscriptionOut)
@blp.alt_response(200, schema=PushSubscriptionOut, description="The endpoint was already yours: its keys were updated")
@blp.alt_response(409, description="The endpoint is another user's subscription (code `endpoint_taken`); nothing changed")
def subscribe(data):
    """Store this browser's PushSubscription (`subscription.toJSON()`) for the signed-in user.
    An endpoint that is already someone else's is refused: unsubscribe in the browser and subscribe
    again for a new endpoint."""
    sub, created = push.subscribe(current_user, data)
    db.session.commit()
    return sub, 201 if created else 200


@blp.route("/push/subscriptions", methods=["DELETE"])
@login_required
@blp.arguments(PushEndpointIn)
@blp.response(204)
def unsubscribe(data):
    """Stop pushes to this browser. Only your own subscription can be removed."""
    push.unsubscribe(current_user, data["endpoint"])
    db.session.commit()


# ---- the inbox ----

@blp.route("/notifications")
@login_required
@blp.arguments(InboxQuery, location="query")
@blp.response(200, InboxOut)
def notifications(query):
    """Your reminders, newest first, whether or not they could be pushed, with the unread count."""
    return inbox.inbox(current_user, query["limit"], query["cursor"])


@blp.route("/notifications/<notification_id>/read", methods=["POST"])
@login_required
@blp.response(200, NotificationOut)
def read(notification_id):
    """Mark one of your notifications read."""
    row = inbox.mark_read(current_user, notification_id)
    db.session.commit()
    return row


@blp.route("/notifications/read-all", methods=["POST"])
@login_required
@blp.response(200, InboxReadAllOut)
def read_all():
    """Mark all your notifications read."""
    marked = inbox.mark_all_read(current_user)
    db.session.commit()
    return {"marked": marked, "unread": 0}


# ---- overdue reviews ----

@blp.route("/reviews/overdue")
@login_required
@blp.arguments(OverdueQuery, location="query")
@blp.response(200, OverdueListOut)
def overdue(query):
    """Reviews past their due date: in your services (managers), in every service (senior leaders),
    on your caseload (support workers). Most days late first.

    Paged on request: with `limit` (1–500) the reply holds that many and `next_cursor`, to pass as
    `cursor` for the next page (null on the last). Without `limit` the whole list comes at once."""
    today = date.today()
    items, next_cursor = overdue_reviews.overdue_page(current_user, today, query["limit"], query["cursor"])
    return {"today": today, "overdue": items, "next_cursor": next_cursor}


@blp.route("/reviews/overdue/<outcome_id>/acknowledge", methods=["POST"])
@login_required
@blp.response(201, OverdueReviewOut)
@blp.alt_response(200, schema=OverdueReviewOut, description="Already acknowledged for this due date")
def acknowledge(outcome_id):
    """Record that you (a registered manager or senior leader) have seen this overdue review.
    The acknowledgement holds until the review is done; a later due date needs a new one."""
    item, created = overdue_reviews.acknowledge(current_user, outcome_id)
    db.session.commit()
    return item, 201 if created else 200
