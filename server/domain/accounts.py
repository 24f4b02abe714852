"""Accounts: setting up an organisation, services, staff accounts, one-time password links and the
password policy. The REST routes (users, services, invites, session) and `flask setup` call these.

Links: a link is `<base>/invite/<token>`, the token 32 random bytes (secrets.token_urlsafe); only its
SHA-256 is stored. A link works once, for 7 days; a newer link for the same account replaces older
unused ones; using a link sets the password and revokes every session of the account, so the old
password and any signed-in phone stop working.

Password policy (NIST SP 800-63B, no composition rules): 12 to 256 characters, not one of the
common passwords of server/data/common-passwords.txt (nor one with digits or symbols stuck on),
not one character or pattern repeated, not a run such as 123456789012, and not the account's email.

Accounts are never deleted (the audit trail names them): they are deactivated, which revokes every
session at once; the phone is told to wipe its copy on its next request (see server/security.py).
"""
from __future__ import annotations

import hashlib
import secrets
import string
import threading
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from marshmallow import ValidationError, validate
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import (
    SERVICE_KINDS,
    AuthSession,
    Invitation,
    Organisation,
    Person,
    Service,
    User,
    UserService,
    utcnow,
)
from . import access, audit, keyset
from .errors import Clash, Forbidden, Gone, Invalid, NotFound

LINK_DAYS = 7
MIN_LENGTH = 12
MAX_LENGTH = 256
UNUSABLE_PREFIX = "!"  # a password hash that no password matches (an account whose link is not used yet)

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"

# Password hashes are scrypt (werkzeug's default), which needs 32 MiB of memory for each hash it
# works out. A burst of sign-ins on every thread of an app server at once would hold that much per
# thread (a worker of 4 threads grew from about 100 to 235 MB under 100 staff signing in together);
# one at a time per process keeps a worker's memory flat, and the others wait their turn (a tenth
# of a second or so each).
_HASHING = threading.BoundedSemaphore(1)


def _password_hash(password: str) -> str:
    with _HASHING:
        return generate_password_hash(password)


def _hash_matches(password_hash: str, password: str) -> bool:
    with _HASHING:
        return check_password_hash(password_hash, password)


class Exists(Clash):
    code = "already_exists"


class LastAdmin(Clash):
    code = "last_admin"


# ---- password policy ----

@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 20,000 most common passwords, lower-cased (see server/data/common-passwords.NOTICE)."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


_EDGE = string.digits + string.punctuation + " "


def _sequential(text: str) -> bool:
    """Every character one step from the previous, the same way: 123456789012, abcdefghijkl, 987654..."""
    steps = set()
    for a, b in zip(text, text[1:]):
        if a.isdigit() and b.isdigit():
            step = (int(b) - int(a)) % 10
            step = -1 if step == 9 else step
        else:
            step = ord(b) - ord(a)
        steps.add(step)
    return len(steps) == 1 and steps <= {1, -1}


def _repeated(text: str) -> bool:
    """One character or one short pattern over and over: aaaaaaaaaaaa, abcabcabcabc, 121212121212."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    return False


def password_problems(password: str, email: str | None = None) -> list[str]:
    """What is wrong with a new password, in words a user can act on; empty when it is fine."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters. Three or four random words are easy to remember and hard to guess."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    lowered = password.strip().lower()
    core = lowered.strip(_EDGE)
    common = common_passwords()
    if lowered in common:
        return ["This is one of the most common passwords, so it is easy to guess. Choose another."]
    if core != lowered and len(core) >= 4 and core in common:
        return ["This is a common password with numbers or symbols added, so it is easy to guess. Choose another."]
    compact = lowered.replace(" ", "")
    if _repeated(compact) or _sequential(compact):
        return ["Avoid repeated characters and runs such as 123456 or abcdef. Choose another."]
    if email:
        local = email.lower().partition("@")[0]
        if lowered == email.lower() or core == email.lower() or (len(local) >= 4 and core == local) or core == "tandem":
            return ["Do not use your email address or the name of this app. Choose another."]
    return []


def check_password(password: str, email: str | None = None, field: str = "password") -> None:
    problems = password_problems(password, email)
    if problems:
        raise Invalid(problems[0], fields={field: problems})


def unusable_hash() -> str:
    return UNUSABLE_PREFIX + secrets.token_urlsafe(32)


def password_is_set(user: User) -> bool:
    return not user.password_hash.startswith(UNUSABLE_PREFIX)


def password_matches(user: User | None, password: str, dummy_hash: str) -> bool:
    """Compare in the same time whether or not the account exists or has a password yet."""
    if user is None or not password_is_set(user):
        _hash_matches(dummy_hash, password)
        return False
    return _hash_matches(user.password_hash, password)


# ---- one-time links ----

@dataclass
class IssuedLink:
    invitation: Invitation
    token: str
    url: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + "/invite/" + token


def issue_link(user: User, purpose: str, created_by: User | None, base_url: str) -> IssuedLink:
    """A new one-time link for `user`; earlier unused links of theirs stop working. The caller commits."""
    now = utcnow()
    db.session.execute(
        update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None), Invitation.expires_at > now)
        .values(expires_at=now)
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=_token_hash(token),
        user_id=user.id,
        purpose=purpose,
        created_by=getattr(created_by, "id", None),
        created_at=now,
        expires_at=now + timedelta(days=LINK_DAYS),
    )
    db.session.add(invitation)
    db.session.flush()
    return IssuedLink(invitation, token, link_url(base_url, token))


def _live_link(token: str) -> tuple[Invitation, User]:
    if not token or len(token) > 100:
        raise NotFound("This link is not known. Check it was copied whole, or ask your admin for a new one.")
    invitation = db.session.execute(select(Invitation).where(Invitation.token_hash == _token_hash(token))).scalar_one_or_none()
    if invitation is None:
        raise NotFound("This link is not known. Check it was copied whole, or ask your admin for a new one.")
    user = db.session.get(User, invitation.user_id)
    if invitation.used_at is not None:
        raise Gone("This link has already been used. Sign in, or ask your admin for a new link.", code="link_used")
    if invitation.expires_at <= utcnow() or user is None or not user.active:
        raise Gone("This link has expired or been replaced by a newer one. Ask your admin for a new link.", code="link_expired")
    return invitation, user


def describe_link(token: str) -> dict:
    """What the set-password page shows: whose account, which organisation, until when. No secrets."""
    invitation, user = _live_link(token)
    org = db.session.get(Organisation, user.organisation_id)
    return {"name": user.name, "email": user.email, "organisation": org.name, "purpose": invitation.purpose,
            "expires_at": invitation.expires_at}


def use_link(token: str, password: str) -> User:
    """Set the password from a link. The link is spent atomically (two tabs cannot both use it), and
    every session of the account is revoked. The caller commits."""
    invitation, user = _live_link(token)
    check_password(password, user.email)
    now = utcnow()
    spent = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None), Invitation.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        raise Gone("This link has already been used. Sign in, or ask your admin for a new link.", code="link_used")
    user.password_hash = _password_hash(password)
    revoke_sessions(user)
    audit.record(user, "password_set", "user", user.id, purpose=invitation.purpose, invitation_id=invitation.id)
    return user


def revoke_sessions(user: User, keep: str | None = None) -> None:
    """Revoke every session of `user` (but `keep`, the one making the request, when given)."""
    q = update(AuthSession).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
    if keep:
        q = q.where(AuthSession.id != keep)
    db.session.execute(q.values(revoked_at=utcnow()).execution_options(synchronize_session=False))


def change_password(user: User, current_password: str, new_password: str, session_id: str | None) -> None:
    """A signed-in user changes their own password; their other sessions are revoked. The caller commits."""
    if not password_is_set(user) or not _hash_matches(user.password_hash, current_password):
        raise Invalid("That is not your current password.", fields={"current_password": ["That is not your current password."]})
    if new_password == current_password:
        raise Invalid("Choose a password different from your current one.",
                      fields={"new_password": ["Choose a password different from your current one."]})
    check_password(new_password, user.email, field="new_password")
    user.password_hash = _password_hash(new_password)
    revoke_sessions(user, keep=session_id)
    audit.record(user, "password_change", "user", user.id)


# ---- organisations ----

def _valid_email(value: str, field: str) -> str:
    value = (value or "").strip().lower()
    try:
        validate.Email()(value)
    except ValidationError:
        raise Invalid("Not a valid email address.", fields={field: ["Not a valid email address."]}) from None
    if len(value) > 254:
        raise Invalid("Use at most 254 characters.", fields={field: ["Use at most 254 characters."]})
    return value


def _email_taken(email: str) -> bool:
    return db.session.execute(select(User.id).where(func.lower(User.email) == email.lower())).first() is not None


def setup_organisation(name: str, admin_email: str, admin_name: str | None, base_url: str) -> tuple[Organisation, User, IssuedLink]:
    """A new organisation and its first admin, with a link to set the admin's password. Refuses an
    organisation name or an email that exists already. The caller commits."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise Invalid("Give the organisation a name of 1 to 200 characters.", fields={"organisation": ["1 to 200 characters."]})
    email = _valid_email(admin_email, "admin_email")
    if db.session.execute(select(Organisation.id).where(func.lower(Organisation.name) == name.lower())).first():
        raise Exists(f"An organisation called “{name}” exists already.", fields={"organisation": ["Exists already."]})
    if _email_taken(email):
        raise Exists(f"An account with the email {email} exists already.", fields={"admin_email": ["Exists already."]})
    admin_name = (admin_name or "").strip() or email.partition("@")[0]
    org = Organisation(name=name)
    db.session.add(org)
    db.session.flush()
    admin = User(organisation_id=org.id, email=email, name=admin_name[:200], role="admin", password_hash=unusable_hash(), active=True)
    db.session.add(admin)
    db.session.flush()
    link = issue_link(admin, "invite", None, base_url)
    audit.record(admin, "setup", "organisation", org.id, name=name, by="command line")
    return org, admin, link


# ---- services ----

def list_services(user: User) -> list[dict]:
    """The services `user` may see, each with the number of people it supports. Two statements."""
    counts = (select(Person.service_id, func.count(Person.id).label("n")).where(Person.ended_on.is_(None))
              .group_by(Person.service_id).subquery())
    rows = db.session.execute(
        select(Service, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.service_id == Service.id)
        .where(Service.id.in_(access.readable_services(user, "service")))
        .order_by(Service.name, Service.id)
    ).all()
    return [_service_dict(service, n) for service, n in rows]


def _service_dict(service: Service, people_count: int | None = None) -> dict:
    if people_count is None:
        people_count = db.session.scalar(
            select(func.count(Person.id)).where(Person.service_id == service.id, Person.ended_on.is_(None))) or 0
    return {"id": service.id, "name": service.name, "kind": service.kind, "people_count": int(people_count)}


def _service_name_free(admin: User, name: str, except_id: str | None = None) -> None:
    q = select(Service.id).where(Service.organisation_id == admin.organisation_id, func.lower(Service.name) == name.lower())
    if except_id:
        q = q.where(Service.id != except_id)
    if db.session.execute(q).first():
        raise Exists("Your organisation has a service with this name already.", fields={"name": ["A service has this name already."]})


def _require_admin(user: User) -> None:
    """Accounts and services are changed by admins (access.POLICY: "user")."""
    if not access.can_write(user, "user"):
        raise Forbidden("Only an admin can do this.")


def create_service(admin: User, data: dict) -> dict:
    _require_admin(admin)
    if data["kind"] not in SERVICE_KINDS:
        raise Invalid("Not a kind of service.", fields={"kind": ["Must be one of: " + ", ".join(SERVICE_KINDS) + "."]})
    _service_name_free(admin, data["name"])
    service = Service(organisation_id=admin.organisation_id, name=data["name"], kind=data["kind"])
    db.session.add(service)
    db.session.flush()
    audit.record(admin, "create", "service", service.id, service_id=service.id, name=service.name, kind=service.kind)
    return _service_dict(service, 0)


def _own_service(admin: User, service_id: str) -> Service:
    service = db.session.get(Service, str(service_id)) if service_id else None
    if service is None or service.organisation_id != admin.organisation_id:
        raise NotFound("No such service.", fields={"service_id": ["No such service."]})
    return service


def update_service(admin: User, service_id: str, data: dict) -> dict:
    _require_admin(admin)
    service = _own_service(admin, service_id)
    changed = {}
    if "name" in data and data["name"] != service.name:
        _service_name_free(admin, data["name"], except_id=service.id)
        changed["name"] = [service.name, data["name"]]
        service.name = data["name"]
    if "kind" in data and data["kind"] != service.kind:
        changed["kind"] = [service.kind, data["kind"]]
        service.kind = data["kind"]
    if changed:
        audit.record(admin, "update", "service", service.id, service_id=service.id, changed=changed)
    db.session.flush()
    return _service_dict(service)


# ---- staff accounts ----

def staff_rows(users: list[User]) -> list[dict]:
    """Accounts as the Staff screen shows them, with each one's unused link (one keyed query)."""
    ids = [u.id for u in users]
    links: dict[str, Invitation] = {}
    now = utcnow()
    for i in range(0, len(ids), 1000):
        for inv in db.session.execute(
            select(Invitation)
            .where(Invitation.user_id.in_(ids[i:i + 1000]), Invitation.used_at.is_(None), Invitation.expires_at > now)
            .order_by(Invitation.created_at)
        ).scalars():
            links[inv.user_id] = inv
    return [_staff_dict(u, links.get(u.id)) for u in users]


def _staff_dict(user: User, link: Invitation | None) -> dict:
    return {
        "id": user.id, "email": user.email, "name": user.name, "role": user.role, "person_id": user.person_id,
        "organisation_id": user.organisation_id, "services": sorted(user.services, key=lambda s: s.name),
        "active": user.active, "password_set": password_is_set(user),
        "link": {"purpose": link.purpose, "expires_at": link.expires_at} if link else None,
    }


def list_users(admin: User) -> list[dict]:
    _require_admin(admin)
    users = db.session.execute(
        select(User).where(User.organisation_id == admin.organisation_id).order_by(func.lower(User.name), User.id)
    ).scalars().all()
    return staff_rows(users)


def users_page(admin: User, limit: int | None, cursor: str | None) -> dict:
    """`list_users` a page at a time, in the same order (name without case, then id), after `cursor`.
    The sort key is read from the database with each row, so the cursor holds what SQL compares
    (SQLite's lower() leaves letters outside ASCII as they are)."""
    _require_admin(admin)
    limit = limit or keyset.DEFAULT_LIMIT
    name_key = func.lower(User.name)
    query = select(User, name_key).where(User.organisation_id == admin.organisation_id)
    rows = db.session.execute(keyset.ordered_page(query, [(name_key, False, str), (User.id, False, str)], limit, cursor)).all()
    rows, next_cursor = keyset.split(list(rows), limit, lambda row: (row[1], row[0].id))
    return {"items": staff_rows([user for user, _ in rows]), "next_cursor": next_cursor}


def _own_user(admin: User, user_id: str) -> User:
    user = db.session.get(User, str(user_id)) if user_id else None
    if user is None or user.organisation_id != admin.organisation_id:
        raise NotFound("No such account.", fields={"user_id": ["No such account."]})
    return user


def _services(admin: User, service_ids: list[str]) -> list[Service]:
    wanted = list(dict.fromkeys(str(s) for s in service_ids))
    if not wanted:
        return []
    found = db.session.execute(
        select(Service).where(Service.id.in_(wanted), Service.organisation_id == admin.organisation_id)
    ).scalars().all()
    if len(found) != len(wanted):
        raise NotFound("No such service.", fields={"service_ids": ["No such service in your organisation."]})
    return sorted(found, key=lambda s: s.name)


def _person(admin: User, person_id: str | None, user: User | None = None) -> Person | None:
    if not person_id:
        return None
    person = db.session.get(Person, str(person_id))
    if person is None or person.organisation_id != admin.organisation_id:
        raise NotFound("No such person.", fields={"person_id": ["No such person in your organisation."]})
    holder = db.session.execute(select(User.id).where(User.person_id == person.id)).scalar_one_or_none()
    if holder is not None and (user is None or holder != user.id):
        raise Exists("This person has an account already.", fields={"person_id": ["This person has an account already."]})
    return person


def _check_role_fits(role: str, services: list[Service], person) -> None:
    """`person`: the linked Person, or its id, or None."""
    if role in access.NEEDS_SERVICES and not services:
        what = access.SERVICES_VERB[role]
        raise Invalid(f"Choose the services they {what}.", fields={"service_ids": [f"Choose at least one service they {what}."]})
    if role not in access.MAY_HAVE_SERVICES and services:
        why = access.WHY_NO_SERVICES[role]
        raise Invalid(why + " Leave services empty.", fields={"service_ids": [why + " Leave services empty."]})
    if access.is_person(role) and person is None:
        raise Invalid("Choose the person this account belongs to.", fields={"person_id": ["Choose the person this account belongs to."]})
    if not access.is_person(role) and person is not None:
        raise Invalid("Only a person's own account links to a person.", fields={"person_id": ["Only for the role person."]})


def create_user(admin: User, data: dict, base_url: str) -> tuple[User, IssuedLink]:
    """A new account with a one-time link to set its password. The caller commits."""
    _require_admin(admin)
    email = data["email"]
    if _email_taken(email):
        raise Exists("An account with this email exists already.", fields={"email": ["An account with this email exists already."]})
    services = _services(admin, data.get("service_ids") or [])
    _check_role_fits(data["role"], services, data.get("person_id"))
    person = _person(admin, data.get("person_id"))
    user = User(organisation_id=admin.organisation_id, email=email, name=data["name"], role=data["role"],
                password_hash=unusable_hash(), active=True, person_id=person.id if person else None)
    db.session.add(user)
    db.session.flush()
    db.session.add_all([UserService(user_id=user.id, service_id=s.id) for s in services])
    db.session.flush()
    db.session.expire(user, ["services"])
    # A new account's phone pulls its whole scope from cursor 0: nothing to re-stamp.
    link = issue_link(user, "invite", admin, base_url)
    audit.record(admin, "create", "user", user.id, role=user.role, service_ids=[s.id for s in services],
                 person_id=user.person_id)
    return user, link


def _visible_ids(user: User) -> set[str]:
    return set(db.session.execute(access.visible_people(user)).scalars())


def _scope_changed(user: User, before: set[str]) -> None:
    """After a role or services change: the user's phones delete the people who left their scope
    and receive the records of those who entered it (server/domain/sync.py)."""
    from . import sync

    after = _visible_ids(user)
    for person_id in sorted(before - after):
        sync.person_left_scope(user.id, person_id)
    for person_id in sorted(after - before):
        sync.person_entered_scope(person_id)


def _other_active_admins(user: User) -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(
            User.organisation_id == user.organisation_id, User.role.in_(access.ADMINS), User.active.is_(True), User.id != user.id
        )
    ) or 0


def update_user(admin: User, user_id: str, data: dict) -> User:
    """Change an account's name, role, services, person link or whether it is active. The caller commits."""
    _require_admin(admin)
    user = _own_user(admin, user_id)
    role = data.get("role", user.role)
    active = data.get("active", user.active)
    if access.is_person(role) != access.is_person(user):
        raise Invalid("A person's own account and a staff account cannot be turned into each other; make a new account.",
                      fields={"role": ["A person's own account and a staff account cannot be turned into each other."]})
    if access.is_admin(user) and user.active and (not access.is_admin(role) or not active) and not _other_active_admins(user):
        field = "role" if not access.is_admin(role) else "active"
        raise LastAdmin("Your organisation needs at least one active admin. Make someone else an admin first.",
                        fields={field: ["The organisation would have no active admin."]})

    if "service_ids" in data:
        services = _services(admin, data["service_ids"])
    elif role not in access.MAY_HAVE_SERVICES:
        services = []  # a new role that takes no services drops the old ones
    else:
        services = sorted(user.services, key=lambda s: s.name)
    person = _person(admin, data["person_id"], user) if "person_id" in data else (
        db.session.get(Person, user.person_id) if user.person_id else None)
    _check_role_fits(role, services, person)

    changed: dict = {}
    if "name" in data and data["name"] != user.name:
        changed["name"] = [user.name, data["name"]]
        user.name = data["name"]
    scope_before = _visible_ids(user)
    old_services = {s.id for s in user.services}
    new_services = {s.id for s in services}
    if role != user.role:
        changed["role"] = [user.role, role]
        user.role = role
    if new_services != old_services:
        changed["service_ids"] = [sorted(old_services), sorted(new_services)]
        db.session.execute(UserService.__table__.delete().where(UserService.user_id == user.id))
        db.session.add_all([UserService(user_id=user.id, service_id=s) for s in sorted(new_services)])
    if (person.id if person else None) != user.person_id:
        changed["person_id"] = [user.person_id, person.id if person else None]
        user.person_id = person.id if person else None
    db.session.flush()
    db.session.expire(user, ["services"])
    if {"role", "service_ids", "person_id"} & changed.keys():
        _scope_changed(user, scope_before)

    if active != user.active:
        changed["active"] = [user.active, active]
        user.active = active
        if not active:
            # Every session stops at its next request; the phone is told to wipe (security.py).
            revoke_sessions(user)
            now = utcnow()
            db.session.execute(
                update(Invitation)
                .where(Invitation.user_id == user.id, Invitation.used_at.is_(None), Invitation.expires_at > now)
                .values(expires_at=now)
            )
    if changed:
        action = "deactivate" if changed.get("active") == [True, False] else "reactivate" if changed.get("active") == [False, True] else "update"
        audit.record(admin, action, "user", user.id, changed=changed)
    db.session.flush()
    return user


def reset_link(admin: User, user_id: str, base_url: str) -> tuple[User, IssuedLink]:
    """A new one-time link for an account; its password keeps working until the link is used."""
    _require_admin(admin)
    user = _own_user(admin, user_id)
    if not user.active:
        raise Invalid("This account is deactivated. Reactivate it first.", fields={"active": ["The account is deactivated."]})
    link = issue_link(user, "reset" if password_is_set(user) else "invite", admin, base_url)
    audit.record(admin, "password_reset_link", "user", user.id, purpose=link.invitation.purpose)
    return user, link


def link_email(user: User, link: IssuedLink) -> tuple[str, str, str] | None:
    """(to, subject, body) of the email that carries a link, or None when no mail server is set.
    Read it inside the transaction; send it with mail.send after the transaction has ended."""
    from . import mail

    if not mail.configured():
        return None
    org = db.session.get(Organisation, user.organisation_id)
    organisation = org.name if org else "your organisation"
    until = link.invitation.expires_at.strftime("%d %B %Y")
    if link.invitation.purpose == "reset":
        subject = "Set a new password for Tandem"
        first = f"Your admin at {organisation} has sent you a link to set a new password for Tandem."
    else:
        subject = f"Your Tandem account at {organisation}"
        first = f"An account has been made for you on Tandem at {organisation}, for {user.email}."
    body = (
        f"Hello {user.name},\n\n{first}\n\n"
        f"Open this link to choose your password. It works once, until {until}:\n\n{link.url}\n\n"
        "If you did not expect this message, you can ignore it; nothing changes until the link is used.\n"
    )
    return user.email, subject, body


def send_email(message: tuple[str, str, str] | None) -> bool | None:
    """True sent, False failed (logged), None when there is no mail server."""
    from . import mail

    return None if message is None else mail.send(*message)


def qr_data_uri(url: str) -> str:
    """The link as a QR code (an SVG data: URI), for handing it to a phone's camera."""
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=4, border=4, dark="#000000", light="#ffffff")
