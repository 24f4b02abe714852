"""Running an organisation's list of people: add a person, edit them, move them to another
service, end (or resume) their support, and set who has them on their caseload.

Who may do this is one rule, `access.people_managed_services`: registered managers in the services
they manage, admins in every service of their organisation. People outside it are "not found".

What reaches phones follows the scope rules in sync.py, which this module calls and never copies:
taking someone off a caseload is `sync.remove_from_caseload` (a tombstone for that user's phone),
putting them on is `sync.add_to_caseload` (their records reach the next pull), and a user whose view
of the person ends for any other reason (a move to a service they do not work in, support ending)
gets `sync.person_left_scope`. Phones hold only people currently supported: the pull leaves out
people whose support has ended, while managers still read their history through the API and reports.
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import date

from sqlalchemy import func, or_, select, tuple_

from ..extensions import db
from ..models import CaseloadAssignment, Person, Service, User, UserService
from . import access, audit, keyset, sync
from .errors import Forbidden, Invalid, NotFound
from .records import apply_update

# Who may have a person on their caseload: those of access.HOLDS_A_CASELOAD who work in the person's
# service (a UserService row: the services a manager manages or a worker works in).


# ---- who and where ----

def require_people_admin(actor: User) -> None:
    if not access.can_write(actor, "people_admin"):
        raise Forbidden("Only registered managers (for their services) and admins manage people.")


def managed_services(actor: User) -> list[Service]:
    """The services `actor` may add people to, by name."""
    return db.session.execute(
        select(Service).where(Service.id.in_(access.people_managed_services(actor))).order_by(Service.name)
    ).scalars().all()


def managed_service(actor: User, service_id: str) -> Service:
    service = db.session.get(Service, str(service_id)) if service_id else None
    if service is None or db.session.execute(access.people_managed_services(actor).where(Service.id == service.id)).first() is None:
        raise NotFound("No such service among those you manage.", fields={"service_id": ["No such service among those you manage."]})
    return service


def managed_person(actor: User, person_id: str) -> Person:
    require_people_admin(actor)
    person = db.session.get(Person, str(person_id)) if person_id else None
    if (
        person is None
        or person.organisation_id != actor.organisation_id
        or db.session.execute(access.people_managed_services(actor).where(Service.id == person.service_id)).first() is None
    ):
        raise NotFound("No such person.", fields={"person_id": ["No such person."]})
    return person


def eligible_staff(organisation_id: str, service_ids) -> dict[str, list[User]]:
    """service id -> the active support workers and managers of the organisation who work there,
    by name. One query whatever the number of services (the import asks for all of them at once)."""
    service_ids = list(service_ids)
    out: dict[str, list[User]] = {sid: [] for sid in service_ids}
    if not service_ids:
        return out
    rows = db.session.execute(
        select(UserService.service_id, User)
        .join(User, User.id == UserService.user_id)
        .where(
            User.organisation_id == organisation_id,
            User.active.is_(True),
            User.role.in_(access.HOLDS_A_CASELOAD),
            UserService.service_id.in_(service_ids),
        )
        .order_by(User.name, User.id)
    ).all()
    for service_id, user in rows:
        out[service_id].append(user)
    return out


def staff_of(person_ids) -> dict[str, list[tuple[User, bool]]]:
    """person id -> [(user, keyworker)] of who has them on their caseload, by name."""
    person_ids = list(person_ids)
    out: dict[str, list[tuple[User, bool]]] = {pid: [] for pid in person_ids}
    if not person_ids:
        return out
    rows = db.session.execute(
        select(CaseloadAssignment.person_id, CaseloadAssignment.keyworker, User)
        .join(User, User.id == CaseloadAssignment.user_id)
        .where(CaseloadAssignment.person_id.in_(person_ids))
        .order_by(User.name, User.id)
    ).all()
    for person_id, keyworker, user in rows:
        out[person_id].append((user, keyworker))
    return out


def phone_holders(person: Person) -> set[str]:
    """Ids of the users whose phones may hold this person now. Phones hold only people currently
    supported. Who can see a person is `access.visible_people`; the candidates asked here are
    everyone the organisation's rules could let see them (their caseload, staff of their service,
    senior leaders, their own account), so the answer stays right as those rules change."""
    if person.ended_on is not None:
        return set()
    candidates = db.session.execute(
        select(User).where(
            User.organisation_id == person.organisation_id,
            or_(
                User.id.in_(select(CaseloadAssignment.user_id).where(CaseloadAssignment.person_id == person.id)),
                User.id.in_(select(UserService.user_id).where(UserService.service_id == person.service_id)),
                User.role.in_(access.SEES_WHOLE_ORGANISATION),
                User.person_id == person.id,
            ),
        )
    ).scalars().all()
    return {u.id for u in candidates if _can_see(u, person.id)}


def _can_see(user: User, person_id: str) -> bool:
    return db.session.execute(access.visible_people(user).where(Person.id == person_id)).first() is not None


# ---- reading ----

def admin_row(person: Person, service_name: str | None = None, staff: list[tuple[User, bool]] | None = None) -> dict:
    if service_name is None:
        service_name = db.session.get(Service, person.service_id).name
    if staff is None:
        staff = staff_of([person.id])[person.id]
    return {
        "id": person.id,
        "name": person.name,
        "preferred_name": person.preferred_name,
        "service_id": person.service_id,
        "service_name": service_name,
        "weekly_checks": person.weekly_checks,
        "joined_on": person.joined_on,
        "ended_on": person.ended_on,
        "version": person.version,
        "staff": [{"id": u.id, "name": u.name} for u, _ in staff],
    }


def _encode_cursor(person: Person) -> str:
    return base64.urlsafe_b64encode(json.dumps([person.name, person.id]).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        name, person_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(name, str) or not isinstance(person_id, str):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid("Not a cursor this list gave out.", fields={"cursor": ["Not a cursor this list gave out."]}) from None
    return name, person_id


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def people_page(actor: User, service_id: str | None = None, q: str = "", include_ended: bool = False,
                cursor: str | None = None, limit: int = 50) -> dict:
    """The people `actor` manages, by name, a page at a time (keyset on name and id), each with
    their service and who has them on their caseload. Three statements whatever the size."""
    require_people_admin(actor)
    query = select(Person, Service.name).join(Service, Service.id == Person.service_id).where(
        Person.organisation_id == actor.organisation_id,
        Person.service_id.in_(access.people_managed_services(actor)),
    )
    if service_id:
        query = query.where(Person.service_id == managed_service(actor, service_id).id)
    if not include_ended:
        query = query.where(Person.ended_on.is_(None))
    if q:
        pattern = _like(q)
        query = query.where(or_(func.lower(Person.name).like(pattern, escape="\\"),
                                func.lower(func.coalesce(Person.preferred_name, "")).like(pattern, escape="\\")))
    if cursor:
        query = query.where(tuple_(Person.name, Person.id) > tuple_(*_decode_cursor(cursor)))
    rows = db.session.execute(query.order_by(Person.name, Person.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    staff = staff_of([p.id for p, _ in rows])
    return {
        "items": [admin_row(p, name, staff[p.id]) for p, name in rows],
        "next_cursor": _encode_cursor(rows[-1][0]) if more else None,
    }


def caseload_page(listed, limit: int | None, cursor: str | None) -> tuple[list[Person], str | None]:
    """One page of the people `listed` (a select of Person already limited to what the reader may
    see), by name then id, after `cursor`: (the people, the cursor for the next page or None)."""
    limit = limit or keyset.DEFAULT_LIMIT
    order = [(Person.name, False, str), (Person.id, False, str)]
    rows = db.session.execute(keyset.ordered_page(listed, order, limit, cursor)).scalars().all()
    return keyset.split(list(rows), limit, lambda p: (p.name, p.id))


def staff_view(person: Person) -> dict:
    """Who has the person on their caseload, and who may be put on it."""
    assigned = staff_of([person.id])[person.id]
    eligible = [] if person.ended_on else eligible_staff(person.organisation_id, [person.service_id])[person.service_id]

    def out(user: User, keyworker: bool) -> dict:
        return {"id": user.id, "name": user.name, "email": user.email, "role": user.role, "keyworker": keyworker}

    return {
        "person_id": person.id,
        "person": admin_row(person, staff=assigned),
        "staff": [out(u, k) for u, k in assigned],
        "eligible": [out(u, False) for u in eligible],
    }


# ---- changing ----

def create_person(actor: User, data: dict) -> Person:
    require_people_admin(actor)
    service = managed_service(actor, data["service_id"])
    person = Person(
        organisation_id=actor.organisation_id,
        service_id=service.id,
        name=data["name"],
        preferred_name=data.get("preferred_name") or None,
        weekly_checks=data.get("weekly_checks", False),
        joined_on=data.get("joined_on"),
    )
    db.session.add(person)
    db.session.flush()  # stamped for sync: the service's managers get them in their next pull
    audit.record(actor, "create", "person", person.id, person=person)
    return person


def update_person(actor: User, person_id: str, data: dict) -> Person:
    """Edit a person. `service_id` moves them (into a service the actor manages); `ended_on` ends
    their support (everyone's caseload and phone loses them; their history stays); `ended_on: null`
    resumes it. A stale `version` that touches a field someone else changed gets 409."""
    person = managed_person(actor, person_id)
    changes = {k: v for k, v in data.items() if k != "version"}
    if "preferred_name" in changes:
        changes["preferred_name"] = changes["preferred_name"] or None
    moving = "service_id" in changes and changes["service_id"] != person.service_id
    if moving:
        changes["service_id"] = managed_service(actor, changes["service_id"]).id
    joined_on = changes.get("joined_on", person.joined_on)
    ended_on = changes.get("ended_on", person.ended_on)
    if "ended_on" in changes and ended_on is not None and ended_on > date.today():
        raise Invalid("Support can only be ended on today's date or earlier.", fields={"ended_on": ["Must be today or earlier."]})
    if joined_on and ended_on and ended_on < joined_on:
        field = "ended_on" if "ended_on" in changes else "joined_on"
        message = "Support cannot end before it started."
        raise Invalid(message, fields={field: [message]})

    was_ended = person.ended_on is not None
    old_service = person.service_id
    holders_before = phone_holders(person)
    changed = apply_update(person, changes, data["version"], lambda p: _jsonable(admin_row(p)))
    db.session.flush()
    if changed:
        audit.record(actor, "update", "person", person.id, person=person, fields=changed)
    now_ended = person.ended_on is not None

    if now_ended and not was_ended:
        _end_support(actor, person, holders_before)
    elif was_ended and not now_ended:
        sync.person_entered_scope(person.id)  # back on managers' phones; keyworkers are set again by PUT staff
        audit.record(actor, "resume_support", "person", person.id, person=person)
    elif person.service_id != old_service and not now_ended:
        _moved(actor, person, holders_before)
    if person.service_id != old_service:
        audit.record(actor, "move", "person", person.id, person=person, from_service_id=old_service, to_service_id=person.service_id)
    return person


def _jsonable(row: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}


def _end_support(actor: User, person: Person, holders_before: set[str]) -> None:
    """Support ended: off every caseload (a tombstone each), and off every other phone that held them."""
    for user_id in _assigned(person.id):
        sync.remove_from_caseload(user_id, person.id, actor=actor)
    # remove_from_caseload told the phones of users who can no longer see the person; the rest
    # (managers of the service, senior leaders, the person's own account) still can through the
    # API, but phones hold only people currently supported.
    for user_id in sorted(holders_before):
        user = db.session.get(User, user_id)
        if user is not None and _can_see(user, person.id):
            sync.person_left_scope(user_id, person.id)
    audit.record(actor, "end_support", "person", person.id, person=person, ended_on=person.ended_on.isoformat())


def _moved(actor: User, person: Person, holders_before: set[str]) -> None:
    """Moved to another service: keyworkers who do not work there come off the caseload, users who
    no longer see the person get tombstones, and those who now do get all their records."""
    working_there = {u.id for u in eligible_staff(person.organisation_id, [person.service_id])[person.service_id]}
    told = set()
    for user_id in _assigned(person.id):
        if user_id not in working_there:
            sync.remove_from_caseload(user_id, person.id, actor=actor)
            user = db.session.get(User, user_id)
            if user is None or not _can_see(user, person.id):
                told.add(user_id)  # remove_from_caseload sent the person's tombstone
    holders_after = phone_holders(person)
    for user_id in sorted(holders_before - holders_after - told):
        sync.person_left_scope(user_id, person.id)
    if holders_after - holders_before:
        sync.person_entered_scope(person.id)


def _assigned(person_id: str) -> list[str]:
    return db.session.execute(
        select(CaseloadAssignment.user_id).where(CaseloadAssignment.person_id == person_id).order_by(CaseloadAssignment.user_id)
    ).scalars().all()


def set_staff(actor: User, person_id: str, user_ids: list[str]) -> dict:
    """Set who has the person on their caseload. Newcomers must be support workers or managers who
    work in the person's service; they get the person and all their records in their next pull.
    Those left out come off the caseload, and their phones delete the person."""
    person = managed_person(actor, person_id)
    wanted = list(dict.fromkeys(str(u) for u in user_ids))
    current = set(_assigned(person.id))
    adding = [u for u in wanted if u not in current]
    if adding and person.ended_on is not None:
        message = f"Support for {person.name} ended on {person.ended_on.isoformat()}; resume it before setting their caseload."
        raise Invalid(message, fields={"user_ids": [message]})
    if adding:
        service = db.session.get(Service, person.service_id)
        eligible = {u.id for u in eligible_staff(person.organisation_id, [service.id])[service.id]}
        bad = [u for u in adding if u not in eligible]
        if bad:
            raise Invalid(
                f"Only active support workers and managers who work in {service.name} can have {person.name} on their caseload.",
                fields={"user_ids": [f"{u}: not a support worker or manager working in {service.name}." for u in bad]},
            )
    for user_id in sorted(current - set(wanted)):
        sync.remove_from_caseload(user_id, person.id, actor=actor)
    for user_id in adding:
        sync.add_to_caseload(user_id, person.id, actor=actor)
    db.session.flush()
    return staff_view(person)
