from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import security
from ..domain import audit
from ..errors import error_response
from ..extensions import db, limiter
from ..models import User
from ..schemas.session import SessionOut, SignInSchema

blp = Blueprint("session", __name__, url_prefix="/api/v1/session", description="Sign in and out")

# A hash to compare against when the email is unknown, so timing does not reveal which emails exist.
_DUMMY_HASH = generate_password_hash("no account has this password")


def _account_key() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return "account:" + (email.strip().lower() if isinstance(email, str) else "")


def _failed(response) -> bool:
    return response.status_code == 401


def dump_session():
    user = current_user if current_user.is_authenticated else None
    return SessionOut().dump({"user": user, "csrf_token": generate_csrf()})


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
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, data["password"])
    if not user or not valid or not user.active:
        return error_response(401, "That email and password do not match an account.", code="bad_credentials")
    security.sign_in(user)
    audit.record(user, "sign_in", "session")
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
