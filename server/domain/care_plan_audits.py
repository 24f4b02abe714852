"""Care-plan re-audit: every CARE_PLAN_AUDIT_MONTHS (6) months per person, for each active outcome,
is it still relevant, is it person-led, and can the person describe it? (CQC asks whether people can
describe their goals.)

A person is due when their last audit is older than the interval, or they have never been audited.
An audit answers for exactly the person's active outcomes; any "no" needs a note saying what will
change, and an outcome found not person-led is returned as a follow-up: redefine it with the person.

Who: registered managers (people in their services) and senior leaders (everyone in their
organisation) read and record audits.
"""
from __future__ import annotations

import calendar
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import CarePlanAudit, CarePlanAuditOutcome, Outcome, Person, User
from . import access, audit, dates, keyset
from .errors import Invalid, NotFound

def interval_months() -> int:
    return int(current_app.config.get("CARE_PLAN_AUDIT_MONTHS", 6))


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def last_audits(person_ids_query, on_or_before: date):
    """A subquery of (person_id, last audited_on on or before the day)."""
    return (
        select(CarePlanAudit.person_id, func.max(CarePlanAudit.audited_on).label("last"))
        .where(CarePlanAudit.person_id.in_(person_ids_query), CarePlanAudit.audited_on <= on_or_before)
        .group_by(CarePlanAudit.person_id)
        .subquery()
    )


def due_list(actor: User, service_id: str, due_only: bool = True, today: date | None = None) -> dict:
    """People of a service with their last audit and when the next is due; `due_only`: those whose
    last audit is older than the interval, or who were never audited. Most overdue first."""
    today = today or date.today()
    service = access.governed_service_for(actor, service_id, field="service")
    months = interval_months()
    people = select(Person.id).where(Person.service_id == service.id, Person.id.in_(access.visible_people(actor)))
    last = last_audits(people, today)
    rows = db.session.execute(
        select(Person.id, Person.name, Person.preferred_name, last.c.last)
        .outerjoin(last, last.c.person_id == Person.id)
        .where(Person.id.in_(people))
        .order_by(Person.name)
    ).all()
    items = []
    for person_id, name, preferred, last_on in rows:
        last_on = date.fromisoformat(last_on) if isinstance(last_on, str) else last_on
        due_on = add_months(last_on, months) if last_on else None
        status = "never" if last_on is None else "overdue" if due_on < today else "due" if due_on == today else "not_due"
        if due_only and status == "not_due":
            continue
        items.append({
            "person_id": person_id, "person_name": name, "preferred_name": preferred, "last_audited_on": last_on,
            "due_on": due_on, "status": status, "days_overdue": (today - due_on).days if due_on and due_on < today else 0,
        })
    items.sort(key=lambda i: (i["status"] != "never", -i["days_overdue"], i["person_name"]))
    return {"service": {"id": service.id, "name": service.name}, "interval_months": months, "today": today, "items": items}


def create(actor: User, data: dict, today: date | None = None) -> CarePlanAudit:
    today = today or date.today()
    access.require_governor(actor)
    person = access.person_for(actor, data["person_id"])
    access.governed_service_for(actor, person.service_id, field="person_id")
    dates.not_future(data["audited_on"], "audited_on", "An audit cannot be dated in the future.", today=today)
    active = {o.id: o for o in db.session.execute(
        select(Outcome).where(Outcome.person_id == person.id, Outcome.status == "active")).scalars()}
    answered = set()
    for i, answer in enumerate(data["outcomes"]):
        outcome_id = answer["outcome_id"]
        if outcome_id not in active:
            raise Invalid("Audit the person's active outcomes only.",
                          fields={f"outcomes.{i}.outcome_id": ["Not one of this person's active outcomes."]})
        if outcome_id in answered:
            raise Invalid("Each outcome once.", fields={f"outcomes.{i}.outcome_id": ["Already answered above."]})
        answered.add(outcome_id)
        if not all(answer[k] for k in ("still_relevant", "person_led", "person_can_describe")) and not answer.get("note"):
            raise Invalid("Where the answer is no, say what will change.",
                          fields={f"outcomes.{i}.note": ["Say what will change, since not every answer is yes."]})
    missing = [o for oid, o in active.items() if oid not in answered]
    if missing:
        names = ", ".join(f"“{o.domain}”" for o in sorted(missing, key=lambda o: o.domain))
        raise Invalid(f"Answer for every active outcome: {names} missing.", fields={"outcomes": [f"Missing: {names}."]})
    record = CarePlanAudit(organisation_id=person.organisation_id, service_id=person.service_id, person_id=person.id,
                           audited_on=data["audited_on"], audited_by=actor.id)
    record.outcomes = [
        CarePlanAuditOutcome(outcome_id=a["outcome_id"], position=i, still_relevant=a["still_relevant"], person_led=a["person_led"],
                             person_can_describe=a["person_can_describe"], note=a.get("note") or "")
        for i, a in enumerate(data["outcomes"])
    ]
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "create", "care_plan_audit", record.id, person=person, outcomes=len(record.outcomes),
                 not_person_led=[a.outcome_id for a in record.outcomes if not a.person_led])
    return record


def audit_for(actor: User, audit_id: str) -> CarePlanAudit:
    access.require_governor(actor)
    record = db.session.get(CarePlanAudit, str(audit_id)) if audit_id else None
    missing = NotFound("No such audit.", fields={"audit_id": ["No such audit."]})
    if record is None:
        raise missing
    try:
        person = access.person_for(actor, record.person_id)
    except NotFound:
        raise missing from None
    audit.viewed(actor, person, "care_plan_audit", record.id)
    return record


def list_audits(actor: User, service_id: str | None = None, person_id: str | None = None,
                limit: int = keyset.DEFAULT_LIMIT, cursor: str | None = None) -> dict:
    access.require_governor(actor)
    q = select(CarePlanAudit).where(CarePlanAudit.person_id.in_(access.visible_people(actor)))
    if service_id:
        q = q.where(CarePlanAudit.service_id == access.governed_service_for(actor, service_id, field="service").id)
    if person_id:
        try:
            person = access.person_for(actor, person_id)
        except NotFound:
            raise NotFound("No such person.", fields={"person": ["No such person."]}) from None
        q = q.where(CarePlanAudit.person_id == person.id)
    q = keyset.newest_first(q, CarePlanAudit.audited_on, CarePlanAudit.id, limit, cursor, date)
    rows, next_cursor = keyset.page(list(db.session.execute(q).scalars()), limit, lambda a: (a.audited_on, a.id))
    return {"items": describe(rows), "next_cursor": next_cursor}


def describe(rows: list[CarePlanAudit]) -> list[dict]:
    if not rows:
        return []
    people = dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_({a.person_id for a in rows}))).all())
    outcome_ids = {o.outcome_id for a in rows for o in a.outcomes}
    outcomes = {o.id: o for o in db.session.execute(select(Outcome).where(Outcome.id.in_(outcome_ids))).scalars()} if outcome_ids else {}
    auditors = dict(db.session.execute(select(User.id, User.name).where(User.id.in_({a.audited_by for a in rows}))).all())
    months = interval_months()
    out = []
    for a in rows:
        answers = []
        for o in a.outcomes:
            outcome = outcomes.get(o.outcome_id)
            answers.append({
                "outcome_id": o.outcome_id,
                "domain": outcome.domain if outcome else None,
                "persons_words": outcome.persons_words if outcome else None,
                "still_relevant": o.still_relevant,
                "person_led": o.person_led,
                "person_can_describe": o.person_can_describe,
                "note": o.note,
            })
        out.append({
            "id": a.id,
            "person_id": a.person_id,
            "person_name": people.get(a.person_id),
            "service_id": a.service_id,
            "audited_on": a.audited_on,
            "audited_by": a.audited_by,
            "audited_by_name": auditors.get(a.audited_by),
            "next_due_on": add_months(a.audited_on, months),
            "outcomes": answers,
            "follow_up": [
                {"outcome_id": x["outcome_id"], "domain": x["domain"], "edit_url": f"/outcomes/{x['outcome_id']}/edit",
                 "why": "Not person-led: redefine it with the person, in their own words."}
                for x in answers if not x["person_led"]
            ],
            "created_at": a.created_at,
        })
    return out
