"""Governance records that the evidence documents include: escalations, the learning log and
care-plan audits (PRODUCT.md, Governance).

The quarterly report, the CQC evidence pack and the subject access export read these records only
through the functions below, so each document has one place to get them from. Each function is a
fixed number of queries, whatever the size of the service.

Dates: `start` and `end` are inclusive calendar dates; a moment counts on its UTC date.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from ..extensions import db
from ..models import ESCALATION_RULES, CarePlanAudit, Escalation, LearningEntry, Outcome, Person, SupervisionEntry, User


def _moments(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time.min, tzinfo=timezone.utc),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=timezone.utc))


def _names(user_ids) -> dict[str, str]:
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def escalation_counts(service_id: str, start: date, end: date) -> dict:
    """Escalations raised for people in the service between `start` and `end`:
    {"raised": int, "acknowledged": int, "answered": int, "open": int,
     "by_rule": {"deterioration": int, "stagnation": int, "overdue": int}}.
    "open" counts those raised in the period that were neither acknowledged nor answered by `end`."""
    low, high = _moments(start, end)
    rows = db.session.execute(
        select(Escalation.rule, Escalation.acknowledged_at, Escalation.answered_at)
        .where(Escalation.service_id == service_id, Escalation.raised_at >= low, Escalation.raised_at < high)
    ).all()
    counts = {"raised": len(rows), "acknowledged": 0, "answered": 0, "open": 0, "by_rule": {rule: 0 for rule in ESCALATION_RULES}}
    for rule, acknowledged_at, answered_at in rows:
        counts["by_rule"][rule] = counts["by_rule"].get(rule, 0) + 1
        answered = answered_at is not None and answered_at < high
        acknowledged = acknowledged_at is not None and acknowledged_at < high
        if answered:
            counts["answered"] += 1
        elif acknowledged:
            counts["acknowledged"] += 1
        else:
            counts["open"] += 1
    return counts


def escalations(service_id: str, start: date, end: date) -> list[dict]:
    """Escalations raised between `start` and `end` for people in the service, oldest first, each
    {"id", "person_id", "person_name", "outcome_id", "rule", "status", "raised_at" (datetime),
     "acknowledged_by" (name or None), "acknowledged_at", "answer" (text or None), "answered_by",
     "answered_at"}. Named: for the CQC evidence pack, never for the anonymised report."""
    low, high = _moments(start, end)
    rows = db.session.execute(
        select(Escalation, Person.name)
        .join(Person, Person.id == Escalation.person_id)
        .where(Escalation.service_id == service_id, Escalation.raised_at >= low, Escalation.raised_at < high)
        .order_by(Escalation.raised_at, Escalation.id)
    ).all()
    names = _names([e.acknowledged_by for e, _ in rows] + [e.answered_by for e, _ in rows])
    return [
        {"id": e.id, "person_id": e.person_id, "person_name": name, "outcome_id": e.outcome_id, "rule": e.rule,
         "status": e.status, "raised_at": e.raised_at, "acknowledged_by": names.get(e.acknowledged_by),
         "acknowledged_at": e.acknowledged_at, "answer": e.answer, "answered_by": names.get(e.answered_by),
         "answered_at": e.answered_at}
        for e, name in rows
    ]


def learning_entries(service_id: str, start: date, end: date) -> list[dict]:
    """The service's learning log between `start` and `end`, oldest first, each
    {"id", "recorded_on" (date), "learned", "decision", "source_kind" (theme, change, escalation,
     dashboard, audit or None), "source_id", "change_id", "recorded_by" (name)}."""
    entries = db.session.execute(
        select(LearningEntry)
        .where(LearningEntry.service_id == service_id, LearningEntry.recorded_on >= start, LearningEntry.recorded_on <= end)
        .order_by(LearningEntry.recorded_on, LearningEntry.id)
    ).scalars().all()
    names = _names(e.created_by for e in entries)
    return [
        {"id": e.id, "recorded_on": e.recorded_on, "learned": e.learned, "decision": e.decision, "source_kind": e.source_kind,
         "source_id": e.source_id, "change_id": e.change_id, "recorded_by": names.get(e.created_by)}
        for e in entries
    ]


def care_plan_audits(service_id: str, start: date, end: date) -> list[dict]:
    """Care-plan re-audits of people in the service between `start` and `end`, oldest first, each
    {"id", "person_id", "person_name", "audited_on" (date), "audited_by" (name),
     "outcomes": [{"outcome_id", "domain", "still_relevant", "person_led", "person_can_describe", "note"}]}."""
    rows = db.session.execute(
        select(CarePlanAudit, Person.name)
        .join(Person, Person.id == CarePlanAudit.person_id)
        .where(CarePlanAudit.service_id == service_id, CarePlanAudit.audited_on >= start, CarePlanAudit.audited_on <= end)
        .order_by(CarePlanAudit.audited_on, CarePlanAudit.id)
    ).all()
    return _audit_dicts(rows)


def _audit_dicts(rows) -> list[dict]:
    audits = [a for a, _ in rows]
    names = _names(a.audited_by for a in audits)
    outcome_ids = {o.outcome_id for a in audits for o in a.outcomes}
    domains = dict(db.session.execute(select(Outcome.id, Outcome.domain).where(Outcome.id.in_(outcome_ids))).all()) if outcome_ids else {}
    return [
        {"id": a.id, "person_id": a.person_id, "person_name": name, "audited_on": a.audited_on, "audited_by": names.get(a.audited_by),
         "outcomes": [{"outcome_id": o.outcome_id, "domain": domains.get(o.outcome_id), "still_relevant": o.still_relevant,
                       "person_led": o.person_led, "person_can_describe": o.person_can_describe, "note": o.note} for o in a.outcomes]}
        for a, name in rows
    ]


def _iso(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def person_records(person_id: str) -> dict[str, list[dict]]:
    """Governance records about one person, for the subject access export:
    {"escalations": [...], "care_plan_audits": [...], "supervision_entries": [...]}, each item a
    plain dict of the record's fields (dates as ISO strings)."""
    escalation_rows = db.session.execute(
        select(Escalation).where(Escalation.person_id == person_id).order_by(Escalation.raised_at, Escalation.id)
    ).scalars().all()
    escalation_items = [
        {column.name: _iso(getattr(e, column.key)) for column in Escalation.__table__.columns} for e in escalation_rows
    ]
    audit_rows = db.session.execute(
        select(CarePlanAudit, Person.name).join(Person, Person.id == CarePlanAudit.person_id)
        .where(CarePlanAudit.person_id == person_id).order_by(CarePlanAudit.audited_on, CarePlanAudit.id)
    ).all()
    audits = [{k: _iso(v) for k, v in a.items()} for a in _audit_dicts(audit_rows)]
    entries = db.session.execute(
        select(SupervisionEntry).where(SupervisionEntry.person_id == person_id).order_by(SupervisionEntry.id)
    ).scalars().all()
    supervision = [{column.name: _iso(getattr(s, column.key)) for column in SupervisionEntry.__table__.columns} for s in entries]
    return {"escalations": escalation_items, "care_plan_audits": audits, "supervision_entries": supervision}


__all__ = ["escalation_counts", "escalations", "learning_entries", "care_plan_audits", "person_records"]
