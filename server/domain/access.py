"""Who may see and do what (ACCESS.md), in one place.

Out-of-scope records are reported as not found, so ids never reveal what exists elsewhere.
"""
from __future__ import annotations

from sqlalchemy import Select, false, select

from ..extensions import db
from ..models import CaseloadAssignment, Person, Service, User, UserService
from .errors import Forbidden, NotFound

STAFF = {"support_worker", "registered_manager", "senior_leader"}
# Who may create or change records about a person (within the people they can write for).
WRITERS = {"support_worker", "registered_manager"}
MANAGERS = {"registered_manager"}


def visible_people(user: User) -> Select:
    """A select of the ids of the people whose records `user` may read by name."""
    q = select(Person.id).where(Person.organisation_id == user.organisation_id)
    if user.role == "support_worker":
        return q.where(Person.id.in_(select(CaseloadAssignment.person_id).where(CaseloadAssignment.user_id == user.id)))
    if user.role == "registered_manager":
        return q.where(Person.service_id.in_(select(UserService.service_id).where(UserService.user_id == user.id)))
    if user.role == "senior_leader":
        return q
    if user.role == "person":
        return q.where(Person.id == user.person_id)
    return q.where(false())


def visible_services(user: User) -> Select:
    """Services whose aggregate figures `user` may read."""
    q = select(Service.id).where(Service.organisation_id == user.organisation_id)
    if user.role in {"senior_leader", "admin"}:
        return q
    if user.role in {"registered_manager", "commissioner"}:
        return q.where(Service.id.in_(select(UserService.service_id).where(UserService.user_id == user.id)))
    if user.role in {"support_worker", "person"}:
        return q.where(Service.id.in_(select(Person.service_id).where(Person.id.in_(visible_people(user)))))
    return q.where(false())


def person_for(user: User, person_id: str, write: bool = False) -> Person:
    """The person, if `user` may see them (and change their records, when `write`)."""
    person = db.session.get(Person, str(person_id)) if person_id else None
    if person is None or person.organisation_id != user.organisation_id:
        raise NotFound("No such person.", fields={"person_id": ["No such person."]})
    visible = db.session.execute(visible_people(user).where(Person.id == person.id)).first() is not None
    if not visible:
        raise NotFound("No such person.", fields={"person_id": ["No such person."]})
    if write and not can_write(user):
        raise Forbidden("Your role cannot change this person's records.")
    return person


def can_write(user: User) -> bool:
    return user.role in WRITERS


def service_for(user: User, service_id: str) -> Service:
    service = db.session.get(Service, str(service_id)) if service_id else None
    if service is None or db.session.execute(visible_services(user).where(Service.id == service.id)).first() is None:
        raise NotFound("No such service.", fields={"service": ["No such service."]})
    return service


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise Forbidden("Your role cannot do this.")
