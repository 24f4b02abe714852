"""A person's goals, reviews and care plan as FHIR R4, for another care system.

Built with fhir.resources models, so every resource is validated as it is made. FHIR R4 (4.0.1)
itself is not packaged by any maintained release of fhir.resources (8.x has R5 by default, R4B and
STU3); its R4B models are used. R4B changed only medication definition, evidence-based medicine and
subscriptions: Patient, Goal, Observation, CarePlan, Practitioner, RelatedPerson and Bundle are the
same as in R4, so what is sent here is valid R4.

The Bundle (type `collection`) holds:
* a minimal Patient (name only);
* a Goal per outcome: description = the person's own words; target.measure = the indicator,
  target.detailString = the target, target.dueDate = review by; lifecycleStatus from status
  (active → active, paused → on-hold, achieved → completed, retired → cancelled) and
  achievementStatus "achieved" for achieved goals; startDate; the Care Act areas of wellbeing as
  categories; outcomeReference to its Observations;
* an Observation per review: code "progress" and valueInteger 1-5 on the app's picture scale
  (the CodeSystem served at /api/v1/fhir/CodeSystem/progress-scale), the picture's words as an
  interpretation, effectiveDateTime, performer (the Patient when rated by the person, the staff
  member as a Practitioner, or both when rated together), focus = its Goal, evidence as notes;
* a CarePlan linking every Goal, with an activity per action (who does what, by when);
* the Practitioners and RelatedPersons those refer to (names only).
Entries have `urn:uuid:` full URLs made from the records' ids, and every reference points at one.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from flask import request
from sqlalchemy import select

from ..extensions import db
from ..models import Action, Outcome, Review, User
from ..models.wellbeing import WELLBEING_AREAS, WELLBEING_LABELS
from .pictures import PROGRESS_WORDS

GOAL_STATUS = {"active": "active", "paused": "on-hold", "achieved": "completed", "retired": "cancelled"}
ACTIVITY_STATUS = {"open": "not-started", "done": "completed", "dropped": "cancelled"}
NAMESPACE = uuid.UUID("4c1f0f1e-6a0e-4f5e-9f39-5f1d8c2a7b10")


def code_system_url(name: str) -> str:
    return f"{request.url_root.rstrip('/')}/api/v1/fhir/CodeSystem/{name}"


def _urn(record_id: str) -> str:
    return f"urn:uuid:{record_id}"


def _ref(record_id: str, display: str | None = None) -> dict:
    return {"reference": _urn(record_id), **({"display": display} if display else {})}


def _instant(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat()


def code_system(name: str) -> dict:
    """The app's code systems: the 1-5 progress picture scale and the Care Act areas of wellbeing."""
    from fhir.resources.R4B.codesystem import CodeSystem

    if name == "progress-scale":
        resource = CodeSystem(
            id="progress-scale", url=code_system_url(name), name="TandemProgressScale", status="active", content="complete",
            title="Tandem progress picture scale",
            description="How a person's progress towards a goal they defined is rated at a monthly review: 1-5, with a picture and words for each point.",
            caseSensitive=True,
            concept=[
                {"code": "progress", "display": "Progress towards a personal outcome (1-5 picture scale)",
                 "concept": [{"code": str(n), "display": PROGRESS_WORDS[n]} for n in range(1, 6)]},
            ],
        )
    elif name == "care-act-wellbeing":
        resource = CodeSystem(
            id="care-act-wellbeing", url=code_system_url(name), name="CareActWellbeing", status="active", content="complete",
            title="Areas of wellbeing, Care Act 2014 section 1(2)",
            description="The nine areas of an individual's wellbeing in section 1(2) of the Care Act 2014 (England).",
            caseSensitive=True,
            concept=[{"code": a["code"], "display": a["label"], "definition": f"Care Act 2014 s.{a['paragraph']}"} for a in WELLBEING_AREAS],
        )
    else:
        return None
    return resource.model_dump(mode="json", exclude_none=True)


CODE_SYSTEMS = ("progress-scale", "care-act-wellbeing")


def bundle(person, now: datetime | None = None) -> dict:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.careplan import CarePlan
    from fhir.resources.R4B.goal import Goal
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient
    from fhir.resources.R4B.practitioner import Practitioner
    from fhir.resources.R4B.relatedperson import RelatedPerson

    now = now or datetime.now(timezone.utc)
    scale, areas = code_system_url("progress-scale"), code_system_url("care-act-wellbeing")
    outcomes = db.session.execute(select(Outcome).where(Outcome.person_id == person.id).order_by(Outcome.starts_on, Outcome.id)).scalars().all()
    reviews = db.session.execute(select(Review).where(Review.person_id == person.id).order_by(Review.happened_at, Review.id)).scalars().all()
    actions = db.session.execute(select(Action).where(Action.person_id == person.id).order_by(Action.created_at, Action.id)).scalars().all()
    staff_ids = {r.created_by for r in reviews if r.created_by and r.rated_by in ("staff", "together")}
    staff_ids |= {a.owner_user_id for a in actions if a.owner_kind == "staff" and a.owner_user_id}
    staff = {u.id: u for u in db.session.execute(select(User).where(User.id.in_(staff_ids))).scalars()} if staff_ids else {}

    resources = [Patient(id=person.id, active=True, name=[{"text": person.name, **({"given": [person.preferred_name]} if person.preferred_name else {})}])]
    for user in sorted(staff.values(), key=lambda u: u.id):
        resources.append(Practitioner(id=user.id, active=user.active, name=[{"text": user.name}]))

    patient = _ref(person.id, person.name)
    by_outcome: dict[str, list[Review]] = {}
    observations = []
    for r in reviews:
        by_outcome.setdefault(r.outcome_id, []).append(r)
        performers = []
        if r.rated_by in ("person", "together"):
            performers.append(patient)
        if r.rated_by in ("staff", "together") and r.created_by in staff:
            performers.append(_ref(r.created_by, staff[r.created_by].name))
        notes = [{"text": e.text} for e in r.evidence]
        if r.what_changed:
            notes.append({"text": f"What changed: {r.what_changed}"})
        if r.support_adjustment:
            notes.append({"text": f"Support adjustment: {r.support_adjustment}"})
        if r.achieved:
            notes.append({"text": "Goal marked achieved at this review."})
        observations.append(Observation(
            id=r.id, status="final",
            category=[{"text": "Personal outcome review"}],
            code={"coding": [{"system": scale, "code": "progress", "display": "Progress towards a personal outcome (1-5 picture scale)"}],
                  "text": "Progress towards a personal outcome"},
            subject=patient, focus=[_ref(r.outcome_id)], effectiveDateTime=_instant(r.happened_at), issued=_instant(r.created_at),
            performer=performers or None, valueInteger=r.score,
            interpretation=[{"coding": [{"system": scale, "code": str(r.score), "display": PROGRESS_WORDS[r.score]}], "text": PROGRESS_WORDS[r.score]}],
            note=notes or None,
        ))

    goals = []
    for o in outcomes:
        target = {"measure": {"text": o.indicator}, "dueDate": o.review_by.isoformat()}
        if o.target:
            target["detailString"] = o.target
        goals.append(Goal(
            id=o.id, lifecycleStatus=GOAL_STATUS[o.status],
            achievementStatus={"coding": [{"system": "http://terminology.hl7.org/CodeSystem/goal-achievement", "code": "achieved", "display": "Achieved"}]} if o.status == "achieved" else None,
            category=[{"coding": [{"system": areas, "code": c, "display": WELLBEING_LABELS[c]}], "text": WELLBEING_LABELS[c]} for c in o.wellbeing_areas] or None,
            priority={"coding": [{"system": "http://terminology.hl7.org/CodeSystem/goal-priority", "code": "high-priority", "display": "High Priority"}]} if o.priority else None,
            description={"text": o.persons_words},
            subject=patient, startDate=o.starts_on.isoformat(), target=[target],
            expressedBy=patient,
            note=[{"text": f"The person's name for this goal: {o.domain}"}],
            outcomeReference=[_ref(r.id) for r in by_outcome.get(o.id, [])] or None,
        ))
    resources += goals + observations

    activities, related = [], []
    for a in actions:
        if a.owner_kind == "person":
            performer = patient
        elif a.owner_kind == "staff" and a.owner_user_id in staff:
            performer = _ref(a.owner_user_id, staff[a.owner_user_id].name)
        else:
            other_id = str(uuid.uuid5(NAMESPACE, f"related-person|{a.id}"))
            related.append(RelatedPerson(id=other_id, patient=patient, name=[{"text": a.owner_name or "Someone else"}]))
            performer = _ref(other_id, a.owner_name)
        detail = {"status": ACTIVITY_STATUS[a.status], "description": a.description, "goal": [_ref(a.outcome_id)], "performer": [performer]}
        if a.due_on:
            detail["scheduledPeriod"] = {"end": a.due_on.isoformat()}
        activities.append({"detail": detail})
    resources += related
    if outcomes:
        resources.append(CarePlan(
            id=str(uuid.uuid5(NAMESPACE, f"care-plan|{person.id}")), status="active", intent="plan",
            title="Co-produced outcomes", description="Goals defined with the person in their own words, and who does what for each.",
            subject=patient, goal=[_ref(o.id) for o in outcomes], activity=activities or None,
        ))

    result = Bundle(
        id=str(uuid.uuid5(NAMESPACE, f"bundle|{person.id}|{now.isoformat()}")), type="collection", timestamp=_instant(now),
        entry=[{"fullUrl": _urn(res.id), "resource": res} for res in resources],
    )
    return result.model_dump(mode="json", exclude_none=True)
