"""Web Push: who may receive pushes where, and delivering one push to one browser.

Browsers hand us a PushSubscription (an https endpoint on their push service and two keys). We
encrypt the payload for it (RFC 8291, aes128gcm) and sign a VAPID token (RFC 8292) with the key
pair in app.config; pywebpush does both. Rules kept here:

- Endpoints must be https and their host must be in PUSH_ALLOWED_HOSTS (exact host, or ".suffix"
  for a domain and its subdomains), checked when subscribing *and* again when sending, and
  redirects are never followed: the server must not become a way to call arbitrary addresses.
- A subscription belongs to the user who made it: posting an endpoint that is someone else's is
  refused (409), whatever organisation either user is in, so nobody can redirect another user's
  reminders to themselves. The app removes its subscription on sign-out; a browser that still holds
  another user's makes a new one (a new endpoint).
- Every push carries an explicit TTL (PUSH_TTL_SECONDS) and Urgency; 404/410 from the push service
  remove the subscription; 429 and 5xx are retried a bounded number of times, honouring
  Retry-After; any other refusal is kept on the subscription as `last_error`.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Callable
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import select

from ..database import present
from ..extensions import db
from ..models import PushSubscription, User
from . import audit
from .errors import Clash, NotFound

log = logging.getLogger(__name__)

P256DH_BYTES = 65
AUTH_BYTES = 16
MAX_ENDPOINT_LENGTH = 2000
_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")

# Delivery limits (overridable in app.config).
DEFAULT_MAX_TRIES = 3
DEFAULT_MAX_WAIT_SECONDS = 5.0
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_CONCURRENCY = 8  # pushes in flight at once (deliver_many)
VAPID_LIFETIME_SECONDS = 12 * 60 * 60  # RFC 8292: at most 24 hours


# ---- validation (the schema calls these; sending checks the host again) ----

def allowed_hosts(setting: str | None = None) -> list[str]:
    if setting is None:
        setting = current_app.config.get("PUSH_ALLOWED_HOSTS") or ""
    entries = [h.strip().lower() for h in setting.split(",") if h.strip()]
    return [e if e.startswith(".") else e.rstrip(".") for e in entries]


def host_allowed(host: str | None, setting: str | None = None) -> bool:
    """`example.com` allows exactly that host; `.example.com` allows it and any subdomain."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    for entry in allowed_hosts(setting):
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


def endpoint_problem(endpoint: str) -> str | None:
    """Why `endpoint` may not be used, or None."""
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        return f"Must be at most {MAX_ENDPOINT_LENGTH} characters."
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "Must be a valid https URL."
    if parts.scheme != "https":
        return "Must be an https: URL."
    if not host:
        return "Must be a valid https URL."
    if parts.username is not None or parts.password is not None:
        return "Must not contain a user name or password."
    if not host_allowed(host):
        return f"The push service host {host} is not allowed (see PUSH_ALLOWED_HOSTS)."
    return None


def decode_key(value: str) -> bytes | None:
    """base64url (padding optional) → bytes, or None if it is not base64url."""
    value = value.strip()
    if not value or not _B64URL.match(value):
        return None
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None


def p256dh_problem(value: str) -> str | None:
    raw = decode_key(value)
    if raw is None:
        return "Must be base64url."
    if len(raw) != P256DH_BYTES or raw[0] != 0x04:
        return f"Must be an uncompressed P-256 point: {P256DH_BYTES} bytes starting 0x04 (got {len(raw)} bytes)."
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return "Is not a point on the P-256 curve."
    return None


def auth_problem(value: str) -> str | None:
    raw = decode_key(value)
    if raw is None:
        return "Must be base64url."
    if len(raw) != AUTH_BYTES:
        return f"Must be {AUTH_BYTES} bytes (got {len(raw)})."
    return None


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# ---- subscriptions ----

class EndpointTaken(Clash):
    code = "endpoint_taken"


def subscribe(user: User, data: dict) -> tuple[PushSubscription, bool]:
    """Store the browser's subscription for `user`. Returns (subscription, created).

    The same endpoint again (new keys after a browser refresh) updates it in place. Someone else's
    endpoint is refused (EndpointTaken, 409) and left as it is."""
    endpoint = data["endpoint"]
    p256dh = b64url(decode_key(data["keys"]["p256dh"]))
    auth = b64url(decode_key(data["keys"]["auth"]))
    existing = db.session.execute(select(PushSubscription).where(PushSubscription.endpoint == endpoint)).scalar_one_or_none()
    if existing is not None and existing.user_id == user.id:
        existing.p256dh, existing.auth, existing.last_error = p256dh, auth, None
        db.session.flush()
        return existing, False
    if existing is not None:
        raise EndpointTaken(
            "This browser's push subscription belongs to another account. Turn reminders off and on again to make one of your own.",
            fields={"endpoint": ["Already registered to another account."]},
        )
    sub = PushSubscription(user_id=user.id, endpoint=endpoint, p256dh=p256dh, auth=auth)
    db.session.add(sub)
    db.session.flush()
    audit.record(user, "create", "push_subscription", sub.id)
    return sub, True


def unsubscribe(user: User, endpoint: str) -> None:
    """Remove the signed-in user's own subscription; anyone else's is "not found"."""
    sub = db.session.execute(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id)
    ).scalar_one_or_none()
    if sub is None:
        raise NotFound("You have no push subscription with this endpoint.", fields={"endpoint": ["No subscription of yours has this endpoint."]})
    db.session.delete(sub)
    db.session.flush()
    audit.record(user, "delete", "push_subscription", sub.id)


def subscribed_users(user_ids: list[str]) -> set[str]:
    """Those of `user_ids` with at least one push subscription."""
    return present(PushSubscription.user_id, user_ids)


def subscriptions_of(user_id: str) -> list[PushSubscription]:
    return list(
        db.session.execute(
            select(PushSubscription).where(PushSubscription.user_id == user_id).order_by(PushSubscription.created_at)
        ).scalars()
    )


@dataclass(frozen=True)
class Target:
    """A subscription copied out of the session, so no transaction stays open while we call out."""

    id: str
    endpoint: str
    p256dh: str
    auth: str


def targets_of(user_id: str) -> list[Target]:
    return [Target(s.id, s.endpoint, s.p256dh, s.auth) for s in subscriptions_of(user_id)]


# ---- delivery ----

@dataclass(frozen=True)
class Delivery:
    """What happened to one push to one subscription.
    status: "sent" | "gone" (404/410: remove the subscription) | "failed"."""

    status: str
    detail: str = ""
    tries: int = 1


class _NoRedirects(requests.Session):
    """A push service answers; it never redirects. Following a redirect would let an allowed host
    send the server somewhere else."""

    def request(self, method, url, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


def http_session() -> requests.Session:
    """One connection pool per run; close it (use `with`). Honours REQUESTS_CA_BUNDLE and proxies."""
    return _NoRedirects()


@lru_cache(maxsize=4)
def _vapid_for(pem: str):
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid02

    return Vapid02(private_key=serialization.load_pem_private_key(pem.encode(), password=None))


def vapid_signer():
    return _vapid_for(current_app.config["VAPID_PRIVATE_KEY"])


def origin_of(endpoint: str) -> str:
    """The endpoint's origin, as the VAPID `aud` claim wants it: no user info, no default port."""
    parts = urlsplit(endpoint)
    port = parts.port
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port and port != 443 else "")


def retry_wait(retry_after: str | None, attempt: int, cap: float, now: datetime | None = None) -> float:
    """Seconds to wait before the next try: Retry-After (seconds or an HTTP date) when given,
    otherwise 1, 2, 4… seconds; never more than `cap`."""
    wait = None
    if retry_after:
        value = retry_after.strip()
        if value.isdigit():
            wait = float(value)
        else:
            try:
                when = parsedate_to_datetime(value)
                if when.tzinfo is None:
                    when = when.replace(tzinfo=timezone.utc)
                wait = (when - (now or datetime.now(timezone.utc))).total_seconds()
            except (TypeError, ValueError, IndexError, OverflowError):
                wait = None
    if wait is None:
        wait = float(2 ** (attempt - 1))
    return max(0.0, min(wait, cap))


def deliver(
    sub: Target | PushSubscription,
    payload: dict,
    urgency: str = "normal",
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Send one encrypted push. Never raises for what the push service or the network says."""
    from pywebpush import WebPushException, webpush

    config = current_app.config
    problem = endpoint_problem(sub.endpoint)
    if problem:
        return Delivery("failed", "endpoint not allowed", tries=0)
    ttl = int(config.get("PUSH_TTL_SECONDS") or 0)
    if ttl <= 0:
        raise RuntimeError("PUSH_TTL_SECONDS must be positive: a TTL of 0 drops pushes to phones that are offline.")
    max_tries = max(1, int(config.get("PUSH_MAX_TRIES") or DEFAULT_MAX_TRIES))
    cap = float(config.get("PUSH_MAX_WAIT_SECONDS") or DEFAULT_MAX_WAIT_SECONDS)
    timeout = float(config.get("PUSH_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS)
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}

    detail = ""
    for attempt in range(1, max_tries + 1):
        claims = {
            "sub": config["VAPID_SUBJECT"],
            "aud": origin_of(sub.endpoint),
            "exp": int(time.time()) + VAPID_LIFETIME_SECONDS,
        }
        retry_after = None
        try:
            webpush(
                info,
                data=data,
                vapid_private_key=vapid_signer(),
                vapid_claims=claims,
                ttl=ttl,
                headers={"Urgency": urgency},
                timeout=timeout,
                requests_session=session,
            )
            return Delivery("sent", tries=attempt)
        except WebPushException as exc:
            status = exc.status_code
            if status in (404, 410):
                return Delivery("gone", f"{status} from the push service", tries=attempt)
            if status is not None and status != 429 and status < 500:
                reason = getattr(exc.response, "reason", "") or ""
                log.warning("push refused with %s %s for subscription %s", status, reason, sub.id)
                return Delivery("failed", f"{status} {reason}".strip(), tries=attempt)
            detail = f"{status}" if status is not None else str(exc.message)[:80]
            retry_after = exc.retry_after
        except requests.RequestException as exc:
            log.info("push to subscription %s: %s on try %d", sub.id, type(exc).__name__, attempt)
            detail = "network error"
        if attempt < max_tries:
            sleep(retry_wait(retry_after, attempt, cap))
    log.warning("push to subscription %s failed after %d tries: %s", sub.id, max_tries, detail)
    return Delivery("failed", f"{detail} after {max_tries} tries", tries=max_tries)


def deliver_many(
    pushes: list[tuple[list[Target], dict, str]],
    sleep: Callable[[float], None] = time.sleep,
) -> list[list[tuple[Target, Delivery]]]:
    """Send many users' pushes, PUSH_CONCURRENCY (default 8) at a time, each user's to every one of
    their subscriptions: `pushes` is [(targets, payload, urgency)]; returns, in the same order, each
    one's [(target, delivery)]. A push service answers each request in tens to hundreds of
    milliseconds, so a run with a thousand users to tell would otherwise spend minutes waiting. Each
    thread has its own HTTP session; no database work happens here."""
    app = current_app._get_current_object()
    workers = max(1, int(app.config.get("PUSH_CONCURRENCY") or DEFAULT_CONCURRENCY))
    local = threading.local()
    sessions: list[requests.Session] = []
    lock = threading.Lock()

    def send(job: tuple[list[Target], dict, str]) -> list[tuple[Target, Delivery]]:
        targets, payload, urgency = job
        if not targets:
            return []
        if getattr(local, "session", None) is None:
            local.session = http_session()
            with lock:
                sessions.append(local.session)
        with app.app_context():
            return [(t, deliver(t, payload, urgency, session=local.session, sleep=sleep)) for t in targets]

    try:
        if workers == 1 or len(pushes) <= 1:
            return [send(job) for job in pushes]
        with ThreadPoolExecutor(max_workers=min(workers, len(pushes)), thread_name_prefix="push") as pool:
            return list(pool.map(send, pushes))
    finally:
        for session in sessions:
            session.close()
