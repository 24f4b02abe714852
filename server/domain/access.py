"""Who may see and change what (ACCESS.md): the one access policy.

Every read and write of people's records asks this module, whichever way it comes in: the REST
routes, the sync pull and push, reminders, reports and measures. Nothing else keeps a list of roles.

The policy has two halves:

* POLICY says, for each kind of record, which roles may read it, which may read it only anonymised
  (aggregate figures: no names, no person ids, no free text), and which may change it.
* Scope says whose records a user can reach at all: `visible_people` (a support worker's caseload,
  a registered manager's services, a senior leader's organisation, a person themself) and
  `visible_services` (the services whose figures they may read).

A request is answered in this order:

1. 403 ``forbidden`` when the role never reads this kind of record (nor changes it). The same
   answer whatever id was sent, so it reveals nothing about which ids exist.
2. 404 ``not_found`` when the record is not among those the user can reach. Another
   organisation's id, a person off the caseload and an id that exists nowhere read exactly alike.
3. For a change: 403 ``forbidden`` when the role reads this record but may not change it.

`readable_people(user, kind)` and `readable_rows(user, kind, model)` give the same answer set-wise
for lists and pulls.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from werkzeug.local import LocalProxy

from ..extensions import db
from ..models import AuditEvent, CaseloadAssignment, EvidenceNote, Person, Service, User, UserService
from ..models import ROLES as MODEL_ROLES
from . import batch
from .errors import Forbidden, NotFound

# Every role there is (the users table allows these values only); schemas offer them as choices.
ROLES = MODEL_ROLES
# Everyone who works for the provider and supports people (not admins, not commissioners).
STAFF = frozenset({"support_worker", "registered_manager", "senior_leader"})
# Staff who record things with and about the people they support.
CARERS = frozenset({"support_worker", "registered_manager"})
# Whoever runs a service day to day: tags themes, logs changes, hears about overdue work in it.
MANAGERS = frozenset({"registered_manager"})
# A person supported, signed in to their own account.
PERSON = frozenset({"person"})
EVERYONE = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()

# ---- named groups of roles: what the rest of the server asks instead of naming a role ----
# Admins run the organisation's accounts and services; an organisation keeps at least one active.
ADMINS = frozenset({"admin"})
# Roles whose scope is a set of services (UserService): managers manage them, commissioners
# commission them, so an account of theirs without a service reaches nothing.
NEEDS_SERVICES = frozenset({"registered_manager", "commissioner"})
# Those, and support workers, whose services say where they work (where they may join caseloads).
MAY_HAVE_SERVICES = NEEDS_SERVICES | {"support_worker"}
# Who may be put on a person's caseload (working in the person's service): they support them.
HOLDS_A_CASELOAD = frozenset({"support_worker", "registered_manager"})
# Roles that reach every person of their organisation (visible_people), whatever the service.
SEES_WHOLE_ORGANISATION = frozenset({"senior_leader"})
# Who hears of every open escalation in their organisation, besides the managers of its service.
HEARS_OF_ESCALATIONS = frozenset({"senior_leader"})
# The front-line staff whose monthly supervision a service's dashboard counts.
FRONT_LINE = frozenset({"support_worker"})


def _role(who) -> str | None:
    """A role name, or the role of a user (None for no one)."""
    return who if isinstance(who, str) or who is None else getattr(who, "role", None)


def itself(user):
    """The signed-in user object, not Flask-Login's request proxy (`current_user`): code that reads
    the user once per mutation or per person listed resolves the proxy once, here."""
    return user._get_current_object() if isinstance(user, LocalProxy) else user


def is_person(who) -> bool:
    """A person's own account (a user or a role name): not staff. What they read of their own
    records is not a staff view to audit, they rate only as themselves and own no staff actions."""
    return _role(who) in PERSON


def is_admin(who) -> bool:
    """An admin (a user or a role name): reaches the whole organisation's audit log and people's
    records for subject access without their records' scope; the last active one stays an admin."""
    return _role(who) in ADMINS


# ---- words for roles (display only) ----
ROLE_WORDS = {
    "support_worker": "support worker",
    "registered_manager": "registered manager",
    "senior_leader": "senior leader",
    "commissioner": "commissioner",
    "person": "person supported",
    "admin": "admin",
}
# What a role that needs services does with them, as in "Choose the services they manage".
SERVICES_VERB = {"registered_manager": "manage", "commissioner": "commission"}
# Why a role outside MAY_HAVE_SERVICES takes no services.
WHY_NO_SERVICES = {
    "senior_leader": "Senior leaders see every service.",
    "admin": "Admins manage the whole organisation.",
    "person": "A person's own account has no services.",
}


@dataclass(frozen=True)
class Rule:
    """Who may do what with one kind of record.

    `scope` is what the record hangs off: "person" (reached through visible_people), "service"
    (through visible_services), "organisation" or "own" (the user's own rows)."""

    scope: str
    read: frozenset[str]
    write: frozenset[str] = NOBODY
    anonymised: frozenset[str] = NOBODY  # may read, but only aggregate / anonymised
    what: str = ""


POLICY: dict[str, Rule] = {
    # ---- a person's records ----
    "person": Rule("person", STAFF | PERSON, what="the person's name and details"),
    "caseload": Rule("person", STAFF, frozenset({"admin"}), what="who key-works whom (a user's own entries)"),
    "outcome": Rule("person", STAFF | PERSON, CARERS, what="co-produced outcomes"),
    "action": Rule("person", STAFF | PERSON, CARERS, what="who does what for an outcome (shown on My goals)"),
    "review": Rule("person", STAFF | PERSON, CARERS | PERSON, what="ratings; a person rates their own goals"),
    "evidence": Rule("person", STAFF | PERSON, CARERS, what="evidence notes; a person sees those on their reviews"),
    "check": Rule("person", STAFF, CARERS, what="weekly checks (staff only)"),
    "feedback": Rule("person", STAFF, CARERS, what="feedback conversations (staff only)"),
    "event": Rule("person", STAFF, CARERS, what="restrictive practices, admissions, participation (staff only)"),
    "overdue_review": Rule("person", STAFF, MANAGERS | {"senior_leader"}, what="the overdue list; write = acknowledge"),
    # ---- a service's records ----
    "change": Rule("service", STAFF, MANAGERS, anonymised=frozenset({"commissioner"}), what="co-produced changes"),
    "change_effect": Rule("service", frozenset({"registered_manager", "senior_leader"}), anonymised=frozenset({"commissioner"}),
                          what="before/after figures of a change (weekly figures of named people)"),
    "theme": Rule("service", STAFF, MANAGERS, what="feedback themes and their counts; write = tag feedback"),
    "measures": Rule("service", NOBODY, anonymised=EVERYONE - PERSON, what="service measures and reports (never named)"),
    "service": Rule("service", EVERYONE, what="services' names and kinds"),
    # ---- the organisation and one's own ----
    "user": Rule("organisation", frozenset({"admin"}), frozenset({"admin"}), what="staff accounts"),
    "notification": Rule("own", EVERYONE, EVERYONE, what="one's own inbox and push subscriptions"),
    # ---- governance and running an organisation ----
    "escalation_counts": Rule("service", frozenset({"registered_manager", "senior_leader"}),
                              anonymised=frozenset({"commissioner"}), what="escalations counted per quarter (commissioners: counts only)"),
    "learning": Rule("service", frozenset({"registered_manager", "senior_leader"}), frozenset({"registered_manager", "senior_leader"}),
                     anonymised=frozenset({"commissioner"}), what="the learning log (commissioners: shared entries, without names)"),
    "supervision": Rule("own", frozenset({"registered_manager", "senior_leader", "support_worker"}),
                        frozenset({"registered_manager", "senior_leader"}), what="supervision records (a worker: their own)"),
    "people_admin": Rule("service", frozenset({"registered_manager", "admin"}), frozenset({"registered_manager", "admin"}),
                         what="adding people, ending support and setting caseloads (managers: their services; admins: all)"),
    # ---- evidence out ----
    "report": Rule("service", frozenset({"registered_manager", "senior_leader"}), anonymised=frozenset({"commissioner"}),
                   what="the quarterly report; commissioners get the anonymised version only"),
    "cqc_pack": Rule("service", frozenset({"registered_manager", "senior_leader"}), what="the CQC evidence pack (named)"),
    "summary": Rule("person", STAFF | PERSON, what="the person's easy-read summary"),
    "you_said_we_did": Rule("person", STAFF | PERSON,
                            what="a person's own feedback words and the changes that answered them (shown on My goals)"),
    "subject_access": Rule("person", frozenset({"registered_manager", "admin"}),
                           what="everything held about a person (admins: anyone in the organisation)"),
    "fhir": Rule("person", STAFF, what="the FHIR R4 record"),
    "audit": Rule("service", frozenset({"registered_manager", "senior_leader", "admin"}),
                  what="who has seen and changed records (managers: their services; others: the organisation)"),
}

# Narrower rows within a kind a role reads: (kind, role) -> a where clause on the kind's table.
# A person sees the evidence on their own reviews, not notes staff wrote about them.
ROW_LIMITS: dict[tuple[str, str], Callable[[], ColumnElement]] = {
    ("evidence", "person"): lambda: EvidenceNote.review_id.is_not(None),
}


def rule(kind: str) -> Rule:
    try:
        return POLICY[kind]
    except KeyError:
        raise ValueError(f"no access rule for the record kind {kind!r}; add it to access.POLICY") from None


def roles(action: str, kind: str) -> frozenset[str]:
    """The roles that may `action` ("read" or "write") records of `kind`; reading includes anonymised."""
    r = rule(kind)
    if action == "read":
        return r.read | r.anonymised
    if action == "write":
        return r.write
    raise ValueError(f"unknown action {action!r}")


def can_read(user: User, kind: str) -> bool:
    return user.role in roles("read", kind)


def can_write(user: User, kind: str) -> bool:
    return user.role in roles("write", kind)


def anonymised(user: User, kind: str) -> bool:
    """True when `user` reads `kind` only as aggregate figures: no names, person ids or free text."""
    return user.role in rule(kind).anonymised


def named(user: User, kind: str) -> bool:
    """True when `user` reads `kind` with names (not anonymised)."""
    return user.role in rule(kind).read


def require_read(user: User, kind: str, person_id: str | None = None) -> Person | None:
    """403 unless the role reads `kind`; with `person_id`, the person, or 404 if out of scope."""
    if not can_read(user, kind):
        raise Forbidden(_refusal(kind, "see"))
    if person_id is None:
        return None
    if not named(user, kind):  # anonymised readers reach no one by name
        raise _no_such_person()
    return person_in_scope(user, person_id)


def require_write(user: User, kind: str, person_id: str | None = None) -> Person | None:
    """Whether `user` may change `kind` records (of the person `person_id`, if given).

    A role that neither reads nor changes `kind` gets 403 whatever the id. A role that reads it
    learns first whether the person is in its scope (404 if not), then 403 if it may not change it:
    it could see that record anyway, so nothing leaks."""
    require_kind(user, kind)
    person = person_in_scope(user, person_id) if person_id is not None else None
    if not can_write(user, kind):
        raise Forbidden(_refusal(kind, "change"))
    return person


def require_kind(user: User, kind: str) -> None:
    """403 unless the role reads or changes `kind` at all; say nothing yet about any record."""
    if not (can_read(user, kind) or can_write(user, kind)):
        raise Forbidden(_refusal(kind, "see"))


def _refusal(kind: str, verb: str) -> str:
    if verb == "see" and rule(kind).scope == "person":
        return "Your role cannot see these records of people."
    return f"Your role cannot {verb} this."


def _no_such_person() -> NotFound:
    return NotFound("No such person.", fields={"person_id": ["No such person."]})


def visible_people(user: User) -> Select:
    """A select of the ids of the people whose records `user` can reach (before POLICY by kind)."""
    return select(Person.id).where(sees_person(user))


def sees_person(user: User) -> ColumnElement:
    """The test, on a row of people, that `user` can reach that person's records (before POLICY by
    kind): visible_people's where clause, for queries that read the people table themselves."""
    # For a worker and a manager the organisation is tested inside the subquery that names their
    # people (on the caseload's people, on the services), never on the outer people row: a test on
    # people.organisation_id there steers SQLite's planner to read the whole organisation's people
    # (sampled statistics guess one organisation holds a thousand) instead of the 30 on a caseload or
    # the services' people; a pull page asks it nine times. A person is in their service's
    # organisation (people.create_person, update_person and imports take only its own services).
    if user.role == "support_worker":
        theirs = aliased(Person)
        caseload = (select(CaseloadAssignment.person_id).join(theirs, theirs.id == CaseloadAssignment.person_id)
                    .where(CaseloadAssignment.user_id == user.id, theirs.organisation_id == user.organisation_id))
        return Person.id.in_(caseload)
    if user.role == "registered_manager":
        services = (select(UserService.service_id).join(Service, Service.id == UserService.service_id)
                    .where(UserService.user_id == user.id, Service.organisation_id == user.organisation_id))
        return Person.service_id.in_(services)
    if user.role in SEES_WHOLE_ORGANISATION:
        return Person.organisation_id == user.organisation_id
    if user.role == "person":
        return and_(Person.organisation_id == user.organisation_id, Person.id == user.person_id)
    return false()


def visible_services(user: User) -> Select:
    """A select of the ids of the services `user` can reach (before POLICY by kind)."""
    q = select(Service.id).where(Service.organisation_id == user.organisation_id)
    if user.role in {"senior_leader", "admin"}:
        return q
    if user.role in {"registered_manager", "commissioner"}:
        return q.where(Service.id.in_(select(UserService.service_id).where(UserService.user_id == user.id)))
    if user.role in {"support_worker", "person"}:
        return q.where(Service.id.in_(select(Person.service_id).where(Person.id.in_(visible_people(user)))))
    return q.where(false())


def readable_people(user: User, kind: str) -> Select:
    """A select of the ids of the people whose `kind` records `user` may read by name."""
    if not named(user, kind):
        return select(Person.id).where(false())
    return visible_people(user)


def readable_among(user: User, kind: str, person_ids) -> set[str]:
    """Which of `person_ids` `user` may read `kind` records of by name: one statement, none when
    there is nobody to ask about or the role reads `kind` only anonymised (or not at all)."""
    ids = set(person_ids)
    if not ids or not named(user, kind):
        return set()
    return set(db.session.execute(visible_people(user).where(Person.id.in_(ids))).scalars())


def phone_people(user: User, kind: str) -> Select:
    """The people whose `kind` records a phone holds: those `user` reads by name whose support has
    not ended. When support ends the person leaves every phone (server/domain/people.py sends the
    tombstones); managers still read their history online."""
    return readable_people(user, kind).where(Person.ended_on.is_(None))


def readable_services(user: User, kind: str) -> Select:
    """A select of the ids of the services whose `kind` records `user` may read (named or anonymised)."""
    if not can_read(user, kind):
        return select(Service.id).where(false())
    return visible_services(user)


def readable_rows(user: User, kind: str, model) -> ColumnElement:
    """A where clause on `model` (Person, or a table with `person_id`) for the rows of `kind` that
    `user` may read by name."""
    if model is Person:
        # On the people table itself the test is on the row, not `id IN (the people in scope)`:
        # a senior leader's list no longer builds the whole organisation's ids first.
        clause = sees_person(user) if named(user, kind) else false()
    else:
        clause = model.person_id.in_(readable_people(user, kind))
    limit = ROW_LIMITS.get((kind, user.role))
    return and_(clause, limit()) if limit is not None else clause


def person_in_scope(user: User, person_id: str | None) -> Person:
    """The person, if `user` can reach them at all; else 404 (whatever the reason)."""
    person = db.session.get(Person, str(person_id)) if person_id else None
    if person is None or person.organisation_id != user.organisation_id:
        raise _no_such_person()
    push = batch.current()  # a sync push asks once per person (batch.py)
    key = (user.id, person.id)
    if push is not None and key in push.in_scope:
        visible = push.in_scope[key]
    else:
        visible = db.session.execute(visible_people(user).where(Person.id == person.id)).first() is not None
        if push is not None:
            push.in_scope[key] = visible
    if not visible:
        raise _no_such_person()
    return person


def require_service(user: User, kind: str, service_id: str | None, write: bool = False) -> Service:
    """403 unless the role reads (or changes) `kind`; then the service, or 404 if out of scope."""
    if write:
        require_write(user, kind)
    elif not can_read(user, kind):
        raise Forbidden(_refusal(kind, "see"))
    service = db.session.get(Service, str(service_id)) if service_id else None
    if service is None or db.session.execute(visible_services(user).where(Service.id == service.id)).first() is None:
        raise NotFound("No such service.", fields={"service_id": ["No such service."]})
    return service


# ---- older names, kept for callers written against them ----

def person_for(user: User, person_id: str, write: bool = False) -> Person:
    """The person's own record (kind "person") to read, or their outcomes to change."""
    if write:
        return require_write(user, "outcome", person_id)
    return require_read(user, "person", person_id)


def service_for(user: User, service_id: str) -> Service:
    return require_service(user, "service", service_id)


def require_role(user: User, *allowed: str) -> None:
    if user.role not in allowed:
        raise Forbidden("Your role cannot do this.")


def people_managed_services(user: User) -> Select:
    """A select of the ids of the services in which `user` may add people, edit them, move them,
    end their support and set their caseloads: a registered manager in the services they manage,
    an admin in every service of their organisation, nobody else."""
    q = select(Service.id).where(Service.organisation_id == user.organisation_id)
    if user.role == "admin":
        return q
    if user.role == "registered_manager":
        return q.where(Service.id.in_(select(UserService.service_id).where(UserService.user_id == user.id)))
    return q.where(false())


# ---- the audit log ----

def audit_scope(user: User):
    """A where clause on AuditEvent: the entries `user` may read (ACCESS.md, API.md). Registered
    managers: entries about their services and about the people they may see; senior leaders and
    admins: their organisation's. Anyone else is refused."""
    if not can_read(user, "audit"):
        raise Forbidden("Your role cannot read the audit log.")
    same_org = AuditEvent.organisation_id == user.organisation_id
    if user.role == "registered_manager":
        mine = select(UserService.service_id).where(UserService.user_id == user.id)
        return and_(same_org, or_(AuditEvent.service_id.in_(mine), AuditEvent.person_id.in_(visible_people(user))))
    return same_org


# ---- evidence out (reports, the CQC pack, the person's summary, subject access, FHIR) ----
# Who may have each download is in POLICY ("report", "cqc_pack", "summary", "subject_access",
# "fhir"); a role that may never have it is refused (403) whatever the id; a record outside the
# user's scope is not found (404), like every other read.

def report_service(user: User, service_id: str, named: bool = False) -> Service:
    """The quarterly report: commissioners for the services they commission (anonymised only),
    managers for their services, senior leaders for every service; only those who read it by name
    may ask for the named internal version."""
    require_kind(user, "report")
    if named and user.role not in rule("report").read:
        raise Forbidden("Commissioners get the anonymised report only: no names, no free text.")
    return require_service(user, "report", service_id)


def cqc_pack_service(user: User, service_id: str) -> Service:
    """The CQC evidence pack (named): registered managers for their services, senior leaders for all."""
    return require_service(user, "cqc_pack", service_id)


def summary_person(user: User, person_id: str) -> Person:
    """The person's own summary: staff who can see them, and the person themselves."""
    return require_read(user, "summary", person_id)


def export_person(user: User, person_id: str) -> Person:
    """A subject access export: registered managers for people in their services, admins for anyone
    in their organisation (an admin answers a request without otherwise reading people's records)."""
    require_kind(user, "subject_access")
    if is_admin(user):
        person = db.session.get(Person, str(person_id)) if person_id else None
        if person is None or person.organisation_id != user.organisation_id:
            raise _no_such_person()
        return person
    return require_read(user, "subject_access", person_id)


def fhir_person(user: User, person_id: str) -> Person:
    """The FHIR record: staff who can see the person."""
    return require_read(user, "fhir", person_id)


# ---- governance: escalations, supervision, care-plan audits, learning log ----
# Seniors govern every service of their organisation; registered managers the services they manage.
# Commissioners read counts and anonymised learning only; support workers read their own supervisions
# and the escalations of people they can see.

GOVERNORS = {"registered_manager", "senior_leader"}
SUPERVISEES = {"support_worker", "registered_manager"}


def governed_services(user: User) -> Select:
    """A select of the ids of the services whose governance records `user` may read and act on."""
    q = select(Service.id).where(Service.organisation_id == user.organisation_id)
    if user.role == "senior_leader":
        return q
    if user.role == "registered_manager":
        return q.where(Service.id.in_(select(UserService.service_id).where(UserService.user_id == user.id)))
    return q.where(false())


def require_governor(user: User) -> None:
    if user.role not in GOVERNORS:
        raise Forbidden("Only registered managers and senior leaders do this.")


def governed_service_for(user: User, service_id: str, field: str = "service_id") -> Service:
    """The service, if `user` governs it; otherwise not found, naming `field`."""
    require_governor(user)
    service = db.session.get(Service, str(service_id)) if service_id else None
    if service is None or db.session.execute(governed_services(user).where(Service.id == service.id)).first() is None:
        raise NotFound("No such service.", fields={field: ["No such service."]})
    return service


def supervisable_staff(user: User) -> Select:
    """A select of the ids of the staff whose supervision `user` may prepare, record and read:
    seniors, any support worker or registered manager of their organisation; registered managers,
    the support workers with someone from one of their services on their caseload."""
    q = select(User.id).where(User.organisation_id == user.organisation_id)
    if user.role == "senior_leader":
        return q.where(User.role.in_(SUPERVISEES))
    if user.role == "registered_manager":
        managed = select(UserService.service_id).where(UserService.user_id == user.id)
        caseload_users = (
            select(CaseloadAssignment.user_id)
            .join(Person, Person.id == CaseloadAssignment.person_id)
            .where(Person.service_id.in_(managed))
        )
        return q.where(User.role == "support_worker", User.id.in_(caseload_users))
    return q.where(false())


def supervisee_for(user: User, user_id: str, field: str = "user_id") -> User:
    """The staff member, if `user` may supervise them; otherwise not found, naming `field`."""
    require_governor(user)
    staff = db.session.get(User, str(user_id)) if user_id else None
    if staff is None or db.session.execute(supervisable_staff(user).where(User.id == staff.id)).first() is None:
        raise NotFound("No such staff member.", fields={field: ["No such staff member you supervise."]})
    return staff
