from __future__ import annotations

from flask import g, request
from flask_login import current_user, login_required
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from .. import security
from ..domain import accounts, audit, sync
from ..errors import error_response
from ..extensions import db, limiter
from ..models import User
from ..schemas.accounts import ChangePasswordIn
from ..schemas.session import DeviceIn, SessionOut, SignInSchema

blp = Blueprint("session", __name__, url_prefix="/api/v1/session", description="Sign in and out")

# A hash to compare against when the email is unknown, so timing does not reveal which emails exist.
_DUMMY_HASH = generate_password_hash("no account has this password")


def _account_key() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return "account:" + (email.strip().lower() if isinstance(email, str) else "")


def _failed(response) -> bool:
    return response.status_code == 401


def _signed_in_account_key() -> str:
    return "account:" + (current_user.email.lower() if current_user.is_authenticated else "")


def _wrong_password(response) -> bool:
    return response.status_code == 422 and "current_password" in ((response.get_json(silent=True) or {}).get("error", {}).get("fields") or {})


def dump_session():
    user = current_user if current_user.is_authenticated else None
    # A phone whose account was deactivated learns it here and wipes its copy (server/security.py).
    return SessionOut().dump({"user": user, "csrf_token": generate_csrf(), "device_id": g.get("device_id") if user else None,
                              "signed_out_reason": g.get("signed_out_reason")})


@blp.route("", methods=["GET"])
@blp.response(200, SessionOut)
def who_am_i():
    """Who is signed in, and the CSRF token to send with every change."""
    return dump_session()


@blp.route("", methods=["POST"])
@limiter.limit(lambda: __import__("flask").current_app.config["LOGIN_LIMIT_PER_ADDRESS"], deduct_when=_failed)
@limiter.limit(lambda: __import__("flask").current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_key, deduct_when=_failed)
@blp.arguments(SignInSchema)
@blp.response(200, SessionOut)
@blp.alt_response(401, description="Wrong email or password")
@blp.alt_response(429, description="Too many failed attempts")
def sign_in(data):
    """Sign in with email and password."""
    email = data["email"].strip().lower()
    user = db.session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()
    valid = accounts.password_matches(user, data["password"], _DUMMY_HASH)
    if not user or not valid or not user.active:
        return error_response(401, "That email and password do not match an account.", code="bad_credentials")
    security.sign_in(user)
    audit.record(user, "sign_in", "session")
    db.session.commit()
    return dump_session()


@blp.route("/device", methods=["PUT"])
@login_required
@blp.arguments(DeviceIn)
@blp.response(200, SessionOut)
@blp.alt_response(403, description="The device is registered to another account (code `device_taken`)")
def register_device(data):
    """Bind this installed app to your account and to this session. Audit entries of the session
    name this device; a device id sent in a header is never trusted. A sync push binds it too."""
    sync.register_device(current_user, data["device_id"])
    db.session.commit()
    return dump_session()


@blp.route("", methods=["DELETE"])
@blp.response(200, SessionOut)
def sign_out():
    """Sign out. The session is revoked on the server, so a copied cookie stops working too."""
    if current_user.is_authenticated:
        audit.record(current_user, "sign_out", "session")
        security.sign_out()
        db.session.commit()
    return {"user": None, "csrf_token": generate_csrf()}


@blp.route("/password", methods=["POST"])
@login_required
@limiter.limit(lambda: __import__("flask").current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_signed_in_account_key, deduct_when=_wrong_password)
@blp.arguments(ChangePasswordIn)
@blp.response(200, SessionOut)
@blp.alt_response(422, description="Wrong current password, or the new one does not meet the policy (named in `fields`)")
@blp.alt_response(429, description="Too many wrong current passwords")
def change_password(data):
    """Change your own password. Every other session of your account is revoked; this one stays."""
    accounts.change_password(current_user, data["current_password"], data["new_password"], g.get("auth_session_id"))
    db.session.commit()
    return dump_session()
