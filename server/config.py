"""Configuration: defaults, then the environment, then instance/config.py, then the factory argument.

Secrets that the environment does not give (SECRET_KEY, the VAPID key pair) are generated
into the git-ignored instance/ folder on first run, for local use. Production sets them in the
environment.
"""
from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "tandem_session",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
    "WTF_CSRF_HEADERS": ["X-CSRF-Token"],
    "WTF_CSRF_TIME_LIMIT": None,  # phones stay offline for days; the token is bound to the session
    "WTF_CSRF_SSL_STRICT": False,  # the Origin check in security.py covers this for every scheme
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_LIMIT_PER_ADDRESS": "20 per minute",
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per minute",
    # Opening or using a one-time password link (server/routes/invites.py).
    "INVITE_LIMIT_PER_ADDRESS": "10 per minute",
    # Links in `flask setup` output and emails; unset = the host of the request (API) or localhost (CLI).
    "PUBLIC_URL": None,
    # Flask-Compress: the client's static files only (their routes opt in), brotli or gzip, whole.
    "COMPRESS_REGISTER": False,
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_STREAMS": False,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "SYNC_MAX_MUTATIONS": 500,
    # Changes per pull page at most. Each page has a fixed cost (finding it, the audit write), so
    # larger pages make a manager's first sync of thousands of people quicker; a phone applies a
    # page in one IndexedDB transaction.
    "SYNC_PULL_PAGE": 1000,
    "API_TITLE": "Tandem",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": None,
    "VAPID_SUBJECT": "mailto:operator@tandem.invalid",
    "PUSH_ALLOWED_HOSTS": (
        ".push.services.mozilla.com,fcm.googleapis.com,.notify.windows.com,"
        "web.push.apple.com,.push.apple.com"
    ),
    "PUSH_TTL_SECONDS": 36 * 60 * 60,
    # Pushes the reminders job has in flight at once (server/domain/push.deliver_many).
    "PUSH_CONCURRENCY": 8,
    "REMINDER_DUE_DAYS_BEFORE": 2,
    "REMINDER_OVERDUE_DAYS_AFTER": 3,
    # > 0: a daemon thread in each app process runs `reminders send` this often (single-host installs
    # without cron; see server/domain/reminders.py). 0 = off: run `flask reminders send` from cron.
    "REMINDERS_INTERVAL_MINUTES": 0,
    # Governance: a review this many days past due escalates; care plans are re-audited this often.
    "ESCALATION_OVERDUE_DAYS": 14,
    "CARE_PLAN_AUDIT_MONTHS": 6,
    "DEVELOPMENT": False,
    # Behind a reverse proxy (the TLS-terminating one the README recommends) every request comes from
    # the proxy's address. PROXY_FIX_X_FOR = how many proxies in front of the app set
    # X-Forwarded-For (the client's address is then taken from it, for login rate limits and logs);
    # PROXY_FIX_X_PROTO = how many set X-Forwarded-Proto (so the Origin check sees https). 0 = trust
    # neither header: a client could otherwise pick its own address.
    "PROXY_FIX_X_FOR": 0,
    "PROXY_FIX_X_PROTO": 0,
    # Strict-Transport-Security on every reply. Unset: on everywhere except local development and tests.
    "HSTS_MAX_AGE": 2 * 365 * 24 * 60 * 60,
}

ENV_NAMES = [
    "DATABASE_URL",
    "SECRET_KEY",
    "VAPID_PRIVATE_KEY",
    "VAPID_PUBLIC_KEY",
    "VAPID_SUBJECT",
    "PUSH_ALLOWED_HOSTS",
    "RATELIMIT_STORAGE_URI",
    "REMINDERS_INTERVAL_MINUTES",
    "PROXY_FIX_X_FOR",
    "PROXY_FIX_X_PROTO",
    "PUBLIC_URL",
    # Outgoing email for account links (server/domain/mail.py); unset MAIL_SERVER = no email.
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
]
COUNTS = ("PROXY_FIX_X_FOR", "PROXY_FIX_X_PROTO")


def load(app, override: dict | None) -> None:
    app.config.update(DEFAULTS)
    for name in ENV_NAMES:
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    app.config.from_prefixed_env("TANDEM")
    app.config.from_pyfile("config.py", silent=True)
    if override:
        app.config.update(override)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{instance / 'tandem.sqlite3'}"
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app.config["SQLALCHEMY_DATABASE_URI"] = url

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key", lambda: secrets.token_hex(32))
    if not (app.config.get("VAPID_PRIVATE_KEY") and app.config.get("VAPID_PUBLIC_KEY")):
        private, public = _instance_vapid(instance)
        app.config["VAPID_PRIVATE_KEY"], app.config["VAPID_PUBLIC_KEY"] = private, public

    # Secure cookies, and HSTS, everywhere except local development over plain http.
    secure = not app.config.get("DEVELOPMENT") and not app.config.get("TESTING")
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if name not in (override or {}):
            app.config[name] = secure
    if app.config.get("HSTS") is None:
        app.config["HSTS"] = secure

    for name in COUNTS:
        value = app.config.get(name)
        try:
            count = int(value or 0)
        except (TypeError, ValueError):
            count = -1
        if count < 0 or isinstance(value, bool):
            raise ValueError(f"{name} must be a whole number of proxies (0 or more), not {value!r}")
        app.config[name] = count


def _instance_secret(path: Path, make) -> str:
    if path.exists():
        return path.read_text().strip()
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _instance_vapid(instance: Path) -> tuple[str, str]:
    """Return (private key PEM, public key as base64url uncompressed point)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def make() -> str:
        key = ec.generate_private_key(ec.SECP256R1())
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    pem = _instance_secret(instance / "vapid_private.pem", make)
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return pem, base64.urlsafe_b64encode(point).rstrip(b"=").decode()
