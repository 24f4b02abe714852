"""Sessions, CSRF with an Origin check, and the response headers every page and API reply carries."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import Flask, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import update

from .errors import error_response
from .extensions import db, login_manager
from .models import AuthSession, User

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; media-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def init_app(app: Flask) -> None:
    x_for, x_proto = app.config["PROXY_FIX_X_FOR"], app.config["PROXY_FIX_X_PROTO"]
    if x_for or x_proto:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only the given number of proxies' headers are believed (the rightmost entries), so a
        # client cannot choose its own address or scheme by sending the headers itself.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto)

    login_manager.session_protection = None  # "strong" would tie a session to an IP; phones change network

    @login_manager.user_loader
    def load(session_id: str):
        auth = db.session.get(AuthSession, session_id)
        if auth is None:
            return None
        user = db.session.get(User, auth.user_id)
        if user is not None and not user.active:
            # Deactivated: this request is refused with code account_deactivated, and the phone
            # wipes its copy when told (GET /api/v1/session says so too).
            g.signed_out_reason = "account_deactivated"
            return None
        if user is None or auth.revoked_at is not None:
            return None
        g.auth_session_id = auth.id
        # Audit entries name the device bound to this session on the server (when the app
        # registered or pushed), never one a request claims in a header.
        g.device_id = auth.device_id
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        if g.get("signed_out_reason") == "account_deactivated":
            return error_response(401, "This account has been deactivated.", code="account_deactivated")
        return error_response(401, "Sign in to continue.", code="unauthenticated")

    @app.before_request
    def check_origin():
        if request.method in STATE_CHANGING:
            origin = request.headers.get("Origin")
            if origin and origin != "null":
                here = urlsplit(request.host_url)
                there = urlsplit(origin)
                if (there.scheme, there.netloc) != (here.scheme, here.netloc):
                    return error_response(403, "Requests from another site are refused.", code="bad_origin")
            elif origin == "null":
                return error_response(403, "Requests from another site are refused.", code="bad_origin")

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["HSTS"]:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={int(app.config['HSTS_MAX_AGE'])}; includeSubDomains")
        if request.path.startswith("/api/") or request.path.startswith("/reports/"):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Vary"] = "Cookie"
        return response


def sign_in(user: User) -> None:
    """A fresh session on every sign-in (no fixation), recorded so it can be revoked."""
    session.clear()
    auth = AuthSession(id=secrets.token_urlsafe(32), user_id=user.id, user_agent=(request.user_agent.string or "")[:300])
    db.session.add(auth)
    db.session.flush()
    g.auth_session_id = auth.id
    session.permanent = True
    login_user(user)


def sign_out() -> None:
    auth_id = g.get("auth_session_id")
    if auth_id:
        db.session.execute(
            update(AuthSession).where(AuthSession.id == auth_id).values(revoked_at=datetime.now(timezone.utc))
        )
    logout_user()
    session.clear()


def revoke_all(user: User) -> None:
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(timezone.utc))
    )
