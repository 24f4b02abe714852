"""Web Push subscriptions, the in-app notification inbox, and overdue reviews for managers."""
from __future__ import annotations

from datetime import date

from flask import current_app
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from ..domain import push, reminders
from ..extensions import db
from ..schemas.push import (
    PushEndpointIn,
    InboxOut,
    InboxQuery,
    NotificationOut,
    OverdueListOut,
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
def subscribe(data):
    """Store this browser's PushSubscription (`subscription.toJSON()`) for the signed-in user.
    An endpoint someone else had signed up moves to you: the browser is whoever is signed in."""
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
    return reminders.inbox(current_user, query["limit"])


@blp.route("/notifications/<notification_id>/read", methods=["POST"])
@login_required
@blp.response(200, NotificationOut)
def read(notification_id):
    """Mark one of your notifications read."""
    row = reminders.mark_read(current_user, notification_id)
    db.session.commit()
    return row


@blp.route("/notifications/read-all", methods=["POST"])
@login_required
@blp.response(200, InboxReadAllOut)
def read_all():
    """Mark all your notifications read."""
    marked = reminders.mark_all_read(current_user)
    db.session.commit()
    return {"marked": marked, "unread": 0}


# ---- overdue reviews ----

@blp.route("/reviews/overdue")
@login_required
@blp.response(200, OverdueListOut)
def overdue():
    """Reviews past their due date: in your services (managers), in every service (senior leaders),
    on your caseload (support workers). Most days late first."""
    today = date.today()
    return {"today": today, "overdue": reminders.overdue_reviews(current_user, today)}


@blp.route("/reviews/overdue/<outcome_id>/acknowledge", methods=["POST"])
@login_required
@blp.response(201, OverdueReviewOut)
@blp.alt_response(200, schema=OverdueReviewOut, description="Already acknowledged for this due date")
def acknowledge(outcome_id):
    """Record that you (a registered manager or senior leader) have seen this overdue review.
    The acknowledgement holds until the review is done; a later due date needs a new one."""
    item, created = reminders.acknowledge(current_user, outcome_id)
    db.session.commit()
    return item, 201 if created else 200
