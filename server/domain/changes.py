"""Co-produced changes: what a service changed, with whom, for whom, and in answer to which themes
and outcomes (the domain article's Example Three).

Both the REST route (POST /changes) and the sync mutation change.create call create_change. Who may
do what is access.POLICY's kind "change":
* a support worker sees the changes that apply to someone on their caseload (or to their whole
  service), and of a change only the people and outcomes of their caseload;
* commissioners see changes anonymised (no description, no names, no person or outcome ids, no
  free text), because a change's description is staff-written free text.
The before/after evidence for a change is server/domain/change_effects.py.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import exists, or_, select

from ..extensions import db
from ..models import Change, ChangePerson, Person, Service, User
from ..schemas.improvement import ChangeCreateSchema
from . import access, anonymise, audit, keyset, mutations, outcomes
from .anonymise import anonymised_change_text
from .errors import Invalid, NotFound
from .records import check_retry
from .themes import _themes_by_id
from .viewlog import viewed_people


def create_change(actor: User, data: dict) -> Change:
    try:
        service = access.require_service(actor, "change", data["service_id"], write=True)
    except NotFound:
        raise NotFound("No such service.", fields={"service_id": ["No such service."]}) from None
    digest = check_retry(Change, data)
    people = []
    for person_id in data.get("person_ids") or []:
        try:
            person = access.person_in_scope(actor, person_id)
        except NotFound:
            raise NotFound("No such person.", fields={"person_ids": [f"No such person: {person_id}."]}) from None
        if person.service_id != service.id:
            raise Invalid("Everyone a change applies to must be in its service.", fields={"person_ids": [f"Not in this service: {person_id}."]})
        people.append(person)
    themes = _themes_by_id(actor, data.get("theme_ids") or [])
    answered = []
    for outcome_id in data.get("outcome_ids") or []:
        try:
            outcome = outcomes.outcome_for(actor, outcome_id)
        except NotFound:
            raise NotFound("No such outcome.", fields={"outcome_ids": [f"No such outcome: {outcome_id}."]}) from None
        if db.session.get(Person, outcome.person_id).service_id != service.id:
            raise Invalid("Outcomes a change answers must be in its service.", fields={"outcome_ids": [f"Not in this service: {outcome_id}."]})
        answered.append(outcome)
    change = Change(
        id=data.get("id") or None,
        service_id=service.id,
        description=data["description"],
        starts_on=data["starts_on"],
        co_produced_with=data["co_produced_with"],
        created_by=actor.id,
        origin_hash=digest,
    )
    change.people = people
    change.themes = themes
    change.outcomes = answered
    db.session.add(change)
    db.session.flush()
    audit.record(actor, "create", "change", change.id, service_id=service.id)
    return change


def _readable_changes(actor: User, kind: str = "change"):
    """Changes `actor` may read as `kind`: in the services they can reach and, for a reader by name,
    only changes for the whole service or naming someone they may see (a support worker does not
    learn of a change made for people off their caseload)."""
    access.require_read(actor, kind)
    q = select(Change).where(Change.service_id.in_(access.readable_services(actor, kind)))
    if access.named(actor, kind):
        applies_to_someone = exists().where(ChangePerson.change_id == Change.id)
        names_a_visible_person = exists().where(
            ChangePerson.change_id == Change.id, ChangePerson.person_id.in_(access.readable_people(actor, kind))
        )
        q = q.where(or_(~applies_to_someone, names_a_visible_person))
    return q


def change_for(actor: User, change_id: str, kind: str = "change") -> Change:
    q = _readable_changes(actor, kind).where(Change.id == str(change_id))
    change = db.session.execute(q).scalars().first() if change_id else None
    if change is None:
        raise NotFound("No such change.", fields={"change_id": ["No such change."]})
    return change


def list_changes(actor: User, service_id: str | None = None) -> list[Change]:
    q = _readable_changes(actor)
    if service_id:
        q = q.where(Change.service_id == access.require_service(actor, "change", service_id).id)
    q = q.order_by(Change.starts_on.desc(), Change.created_at.desc(), Change.id)
    return list(db.session.execute(q).scalars())


def _visible_among(actor: User, changes: list[Change]) -> set[str]:
    """Which of the people these changes name `actor` may see by name (one query)."""
    ids = {p.id for c in changes for p in c.people} | {o.person_id for c in changes for o in c.outcomes}
    return access.readable_among(actor, "change", ids)


def change_view(actor: User, change: Change, visible: set[str] | None = None, name_words: set[str] | None = None) -> dict:
    """What `actor` may see of a change. Commissioners: no free text, no names, no person or outcome
    ids. Staff: the people and outcomes of the change they may see; the counts are of everyone."""
    base = {
        "id": change.id,
        "service_id": change.service_id,
        "service_name": db.session.get(Service, change.service_id).name,
        "starts_on": change.starts_on,
        "whole_service": not change.people,
        "people_count": len(change.people),
        "theme_count": len(change.themes),
        "outcome_count": len(change.outcomes),
    }
    if not access.named(actor, "change"):
        return {**base, "anonymised": True, **anonymised_change_text(change, name_words)[0]}
    if visible is None:
        visible = _visible_among(actor, [change])
    people = sorted((p for p in change.people if p.id in visible), key=lambda p: p.name)
    return {
        **base,
        "anonymised": False,
        "description": change.description,
        "co_produced_with": change.co_produced_with,
        "person_ids": sorted(p.id for p in people),
        "people": [{"id": p.id, "name": p.name} for p in people],
        "theme_ids": sorted(t.id for t in change.themes),
        "themes": [{"id": t.id, "name": t.name} for t in sorted(change.themes, key=lambda t: t.name.lower())],
        "outcome_ids": sorted(o.id for o in change.outcomes if o.person_id in visible),
        "created_by": change.created_by,
        "created_at": change.created_at,
    }


def changes_page(actor: User, service_id: str | None, limit: int | None, cursor: str | None) -> tuple[list[Change], str | None]:
    """`list_changes` a page at a time, in the same order (start date, then when logged, newest
    first; then id), after `cursor`."""
    q = _readable_changes(actor)
    if service_id:
        q = q.where(Change.service_id == access.require_service(actor, "change", service_id).id)
    limit = limit or keyset.DEFAULT_LIMIT
    order = [(Change.starts_on, True, date), (Change.created_at, True, datetime), (Change.id, False, str)]
    rows = list(db.session.execute(keyset.ordered_page(q, order, limit, cursor)).scalars())
    return keyset.split(rows, limit, lambda c: (c.starts_on, c.created_at, c.id))


def view_changes_page(actor: User, service_id: str | None, limit: int | None, cursor: str | None) -> dict:
    """One page of `view_changes`: {"items", "next_cursor"}. Audited like the whole list."""
    changes, next_cursor = changes_page(actor, service_id, limit, cursor)
    return {"items": _views(actor, changes), "next_cursor": next_cursor}


def view_changes(actor: User, service_id: str | None = None) -> list[dict]:
    """The changes `actor` may read, as they may see them. Audited: one view entry per person named."""
    return _views(actor, list_changes(actor, service_id))


def _views(actor: User, changes: list[Change]) -> list[dict]:
    # The services of the page in one statement: change_view then finds them in the session (held
    # here, so the session's weak identity map keeps them).
    services = db.session.execute(select(Service).where(Service.id.in_({c.service_id for c in changes}))).scalars().all() if changes else []
    visible = _visible_among(actor, changes)
    # An anonymised reader's changes are checked against the organisation's names, read once.
    words = anonymise.name_words(actor.organisation_id) if changes and not access.named(actor, "change") else None
    views = [change_view(actor, c, visible, words) for c in changes]
    _viewed_in_changes(actor, changes, visible, "changes_list")
    del services
    return views


def view_change(actor: User, change_id: str) -> dict:
    change = change_for(actor, change_id)
    visible = _visible_among(actor, [change])
    _viewed_in_changes(actor, [change], visible, "change")
    return change_view(actor, change, visible)


def _viewed_in_changes(actor: User, changes: list[Change], visible: set[str], what: str) -> None:
    ids: dict[str, list[str]] = {}
    people = {}
    for change in changes:
        for person in change.people:
            if person.id in visible:
                people[person.id] = person
                ids.setdefault(person.id, []).append(change.id)
    viewed_people(actor, people.values(), what, ids)


mutations.register("change.create", ChangeCreateSchema, create_change)
