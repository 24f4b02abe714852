"""Staff accounts (admins of their own organisation). The rules live in server/domain/accounts.py."""
from __future__ import annotations

from flask import current_app, request
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from ..domain import accounts
from ..extensions import db
from ..schemas.accounts import (
    ResetOut,
    StaffOut,
    StaffPage,
    UserCreatedOut,
    UserIn,
    UserPatch,
    UsersQuery,
)

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Staff accounts (admins)")


def base_url() -> str:
    """Where links point: PUBLIC_URL when set (behind a proxy that rewrites hosts), else this request's host."""
    return current_app.config.get("PUBLIC_URL") or request.host_url


def link_reply(user, link) -> dict:
    """Build the reply, end the transaction, then email: talking to a mail server never holds a
    database transaction (or SQLite's write lock) open."""
    reply = {"user": accounts.staff_rows([user])[0], "invite_url": link.url,
             "invite_expires_at": link.invitation.expires_at, "invite_qr": accounts.qr_data_uri(link.url)}
    message = accounts.link_email(user, link)
    db.session.commit()
    reply["email_sent"] = accounts.send_email(message)
    return reply


@blp.route("")
@login_required
@blp.arguments(UsersQuery, location="query")
@blp.response(200, StaffPage)
def list_users(query):
    """Your organisation's accounts by name, with their roles, services, whether they are active and
    any unused link (admins). With `limit` or `cursor`: a page `{items, next_cursor}`; without
    either, the whole list as before paging."""
    if query["limit"] is None and query["cursor"] is None:
        return accounts.list_users(current_user)
    return accounts.users_page(current_user, query["limit"], query["cursor"])


@blp.route("", methods=["POST"])
@login_required
@blp.arguments(UserIn)
@blp.response(201, UserCreatedOut)
@blp.alt_response(404, description="A service or person not in your organisation (named in `fields`)")
@blp.alt_response(409, description="The email, or the person's account, exists already")
def create_user(data):
    """A new account with a role and its services (managers, workers, commissioners) or its person
    (role `person`). The reply carries a one-time link to set the password: it works once, for 7
    days, and is stored only as a hash. When MAIL_SERVER is set it is emailed too."""
    user, link = accounts.create_user(current_user, data, base_url())
    db.session.commit()
    return link_reply(user, link)


@blp.route("/<user_id>", methods=["PATCH"])
@login_required
@blp.arguments(UserPatch)
@blp.response(200, StaffOut)
@blp.alt_response(409, description="The change would leave the organisation without an active admin (code `last_admin`)")
def update_user(data, user_id):
    """Change name, role, services or person link; `active: false` deactivates the account: every
    session stops working at its next request and the phone is told to wipe its copy."""
    user = accounts.update_user(current_user, user_id, data)
    db.session.commit()
    return accounts.staff_rows([user])[0]


@blp.route("/<user_id>/password-reset", methods=["POST"])
@login_required
@blp.response(201, ResetOut)
def password_reset(user_id):
    """A new one-time link for the account (earlier unused links stop working). The old password
    keeps working until the link is used."""
    user, link = accounts.reset_link(current_user, user_id, base_url())
    db.session.commit()
    return link_reply(user, link)
