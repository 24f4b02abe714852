"""One-time links to set a password: no session needed, rate-limited per address."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from ..domain import accounts
from ..extensions import db, limiter
from ..schemas.accounts import InviteOut, SetPasswordIn, SetPasswordOut

blp = Blueprint("invites", __name__, url_prefix="/api/v1/invites", description="Set a password from a one-time link")


def _limit() -> str:
    """Opening and using links share one budget per address."""
    return current_app.config["INVITE_LIMIT_PER_ADDRESS"]


@blp.route("/<token>")
@limiter.shared_limit(_limit, scope="invites")
@blp.response(200, InviteOut)
@blp.alt_response(404, description="No such link")
@blp.alt_response(410, description="The link was used (code `link_used`), expired or was replaced (code `link_expired`)")
@blp.alt_response(429, description="Too many attempts from this address")
def describe(token):
    """Whose account the link is for (name, email, organisation), for the set-password page."""
    return accounts.describe_link(token)


@blp.route("/<token>", methods=["POST"])
@limiter.shared_limit(_limit, scope="invites")
@blp.arguments(SetPasswordIn)
@blp.response(200, SetPasswordOut)
@blp.alt_response(404, description="No such link")
@blp.alt_response(410, description="The link was used (code `link_used`), expired or was replaced (code `link_expired`)")
@blp.alt_response(422, description="The password does not meet the policy (`fields.password` says why)")
@blp.alt_response(429, description="Too many attempts from this address")
def set_password(data, token):
    """Set the account's password. The link is spent, and every session of the account is revoked,
    so an old password and any phone signed in with it stop working. Sign in afterwards."""
    user = accounts.use_link(token, data["password"])
    db.session.commit()
    return {"email": user.email}
