"""Co-produced outcomes, their actions, monthly reviews and evidence notes.

Both the REST routes and the sync mutations (outcome.create/update, action.create/update,
review.create, evidence.create) call these functions with already-loaded schema data.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from ..extensions import db
from ..models import Action, EvidenceNote, Outcome, Person, Review, User
from ..models.base import new_id
from . import access, audit
from .errors import Conflict, Forbidden, Invalid, NotFound
from .records import apply_update, check_retry

MAX_PRIORITY_PER_QUARTER = 3
REVIEW_INTERVAL_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 30, "quarterly": 91}
FUTURE_GRACE = timedelta(days=1)


# ---- quarters ----

def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, q: int) -> tuple[date, date]:
    start = date(year, 3 * (q - 1) + 1, 1)
    end = date(year + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def quarter_label(year: int, q: int) -> str:
    return f"{year}Q{q}"


# ---- reading ----

def outcome_for(user: User, outcome_id: str, write: bool = False) -> Outcome:
    outcome = db.session.get(Outcome, str(outcome_id)) if outcome_id else None
    if outcome is None:
        raise NotFound("No such outcome.", fields={"outcome_id": ["No such outcome."]})
    try:
        access.person_for(user, outcome.person_id, write=write)
    except NotFound:
        raise NotFound("No such outcome.", fields={"outcome_id": ["No such outcome."]}) from None
    return outcome


def last_review(outcome_id: str, before: datetime | None = None) -> Review | None:
    q = select(Review).where(Review.outcome_id == outcome_id)
    if before is not None:
        q = q.where(Review.happened_at < before)
    return db.session.execute(q.order_by(Review.happened_at.desc()).limit(1)).scalar_one_or_none()


def next_review_due(outcome: Outcome, today: date | None = None) -> date | None:
    if outcome.status != "active":
        return None
    last = last_review(outcome.id)
    interval = timedelta(days=REVIEW_INTERVAL_DAYS.get(outcome.review_every, 30))
    base = last.happened_at.date() if last else outcome.starts_on
    return base + interval


def owner_label(action: Action) -> str:
    if action.owner_kind == "person":
        return "The person"
    if action.owner_kind == "staff" and action.owner_user_id:
        user = db.session.get(User, action.owner_user_id)
        return user.name if user else "Staff"
    return action.owner_name or "Someone else"


def outcomes_of(person: Person) -> list[Outcome]:
    """Newest quarter first; within it, active before others, priority first."""
    rows = db.session.execute(select(Outcome).where(Outcome.person_id == person.id)).scalars().all()
    order = {"active": 0, "paused": 1, "achieved": 2, "retired": 3}

    def key(o: Outcome):
        year, q = quarter_of(o.starts_on)
        return (-(year * 4 + q), order.get(o.status, 9), not o.priority, -o.starts_on.toordinal(), o.domain)

    return sorted(rows, key=key)


# ---- outcomes ----

def _check_priority_limit(person_id: str, starts_on: date, review_by: date, exclude_id: str | None = None) -> None:
    # Lock the person's row until commit, so two requests (two phones syncing at once) decide one
    # after the other and the second sees the first's priority. SQLite's BEGIN IMMEDIATE already
    # serialises writers; PostgreSQL (READ COMMITTED) needs the row lock.
    db.session.execute(select(Person.id).where(Person.id == person_id).with_for_update())
    year, q = quarter_of(starts_on)
    q_start, q_end = quarter_bounds(year, q)
    rows = db.session.execute(
        select(Outcome).where(
            Outcome.person_id == person_id,
            Outcome.status == "active",
            Outcome.priority.is_(True),
            Outcome.starts_on <= q_end,
            Outcome.review_by >= q_start,
        )
    ).scalars().all()
    rows = [o for o in rows if o.id != exclude_id]
    if len(rows) >= MAX_PRIORITY_PER_QUARTER:
        names = ", ".join(f"“{o.domain}”" for o in rows)
        message = (
            f"This person already has {len(rows)} active priority outcomes in {quarter_label(year, q)}: {names}. "
            "Pause, retire or un-prioritise one first."
        )
        raise Invalid(message, fields={"priority": [message]}, active=[o.id for o in rows])


def create_outcome(actor: User, data: dict) -> Outcome:
    person = access.person_for(actor, data["person_id"], write=True)
    digest = check_retry(Outcome, data)
    if data.get("priority") and data.get("status", "active") == "active":
        _check_priority_limit(person.id, data["starts_on"], data["review_by"])
    fields = {k: v for k, v in data.items() if k != "id" or v}
    outcome = Outcome(**fields, created_by=actor.id, origin_hash=digest)
    db.session.add(outcome)
    db.session.flush()
    audit.record(actor, "create", "outcome", outcome.id, person=person)
    return outcome


def update_outcome(actor: User, outcome_id: str, data: dict, merge_partial: bool = False) -> Outcome:
    from ..schemas.outcome import OutcomeOut

    outcome = outcome_for(actor, outcome_id, write=True)
    changes = {k: v for k, v in data.items() if k not in {"version", "id"}}
    starts_on = changes.get("starts_on", outcome.starts_on)
    review_by = changes.get("review_by", outcome.review_by)
    if review_by < starts_on:
        raise Invalid("The review date must be on or after the start date.", fields={"review_by": ["Must be on or after the start date."]})
    becomes_priority = changes.get("priority", outcome.priority) and changes.get("status", outcome.status) == "active"
    was_priority = outcome.priority and outcome.status == "active"
    if becomes_priority and (not was_priority or "starts_on" in changes or "review_by" in changes):
        _check_priority_limit(outcome.person_id, starts_on, review_by, exclude_id=outcome.id)
    person = db.session.get(Person, outcome.person_id)
    changed = _apply_audited(actor, "outcome", outcome, person, changes, data["version"], OutcomeOut().dump, merge_partial)
    return outcome


# ---- actions ----

def _check_owner(actor: User, data: dict) -> None:
    """Who owns an action: a staff member of the organisation, the person, or a named other.
    Checked on the merged record, so an edit may change one of kind, user or name alone."""
    kind = data.get("owner_kind")
    if kind == "staff" and not data.get("owner_user_id"):
        raise Invalid("Choose the staff member who owns this action.", fields={"owner_user_id": ["Choose the staff member who owns this action."]})
    if kind == "other" and not data.get("owner_name"):
        raise Invalid("Name who owns this action (for example a family member).", fields={"owner_name": ["Name who owns this action (for example a family member)."]})
    if kind == "staff" and data.get("owner_user_id"):
        owner = db.session.get(User, data["owner_user_id"])
        if owner is None or owner.organisation_id != actor.organisation_id or owner.role == "person":
            raise Invalid("No such staff member.", fields={"owner_user_id": ["No such staff member."]})


def create_action(actor: User, data: dict) -> Action:
    outcome = outcome_for(actor, data["outcome_id"], write=True)
    digest = check_retry(Action, data)
    _check_owner(actor, data)
    fields = {k: v for k, v in data.items() if k != "id" or v}
    action = Action(**fields, person_id=outcome.person_id, created_by=actor.id, origin_hash=digest)
    db.session.add(action)
    db.session.flush()
    audit.record(actor, "create", "action", action.id, person=db.session.get(Person, outcome.person_id))
    return action


def update_action(actor: User, action_id: str, data: dict, merge_partial: bool = False) -> Action:
    from ..schemas.outcome import ActionOut

    action = db.session.get(Action, str(action_id))
    if action is None:
        raise NotFound("No such action.", fields={"id": ["No such action."]})
    try:
        outcome_for(actor, action.outcome_id, write=True)
    except NotFound:
        raise NotFound("No such action.", fields={"id": ["No such action."]}) from None
    changes = {k: v for k, v in data.items() if k not in {"version", "id"}}
    merged = {"owner_kind": action.owner_kind, "owner_user_id": action.owner_user_id, "owner_name": action.owner_name, **changes}
    _check_owner(actor, merged)
    person = db.session.get(Person, action.person_id)
    _apply_audited(actor, "action", action, person, changes, data["version"], ActionOut().dump, merge_partial)
    return action


def _apply_audited(actor, entity, record, person, changes, version, dump, merge_partial):
    """apply_update, with the audit entry written whatever part of the edit was applied (a sync
    edit can merge some fields and conflict on others)."""
    try:
        changed = apply_update(record, changes, version, dump, merge_partial)
    except Conflict as conflict:
        if conflict.extra.get("applied"):
            audit.record(actor, "update", entity, record.id, person=person, fields=conflict.extra["applied"], conflicts=sorted(conflict.fields))
        raise
    db.session.flush()
    audit.record(actor, "update", entity, record.id, person=person, fields=changed)
    return changed


# ---- reviews and evidence ----

def create_review(actor: User, data: dict) -> Review:
    outcome = db.session.get(Outcome, data["outcome_id"])
    if actor.role == "person":
        # A person rates their own goals (hand-over or their own device); they cannot speak for staff.
        if outcome is None or outcome.person_id != actor.person_id:
            raise NotFound("No such outcome.", fields={"outcome_id": ["No such outcome."]})
        if data["rated_by"] != "person":
            raise Invalid("Your own rating is recorded as rated by you.", fields={"rated_by": ["Must be “person”."]})
    else:
        outcome = outcome_for(actor, data["outcome_id"], write=True)
    digest = check_retry(Review, data)

    now = datetime.now(timezone.utc)
    happened_at = data["happened_at"]
    if happened_at > now + FUTURE_GRACE:
        raise Invalid("A review cannot be dated in the future.", fields={"happened_at": ["Cannot be more than a day in the future."]})
    if happened_at.date() < outcome.starts_on - timedelta(days=1):
        raise Invalid(
            "A review cannot be dated before its outcome starts.",
            fields={"happened_at": [f"Must be on or after {outcome.starts_on.isoformat()}."]},
        )
    if outcome.status == "retired":
        raise Invalid("This outcome is retired; it is no longer reviewed.", fields={"outcome_id": ["Outcome is retired."]})

    previous = last_review(outcome.id, before=happened_at)
    if previous is not None and data["score"] < previous.score:
        missing = {
            name: ["The score dropped: say " + label + "."]
            for name, label in (("what_changed", "what changed"), ("support_adjustment", "what support will change"))
            if not (data.get(name) or "").strip()
        }
        if missing:
            raise Invalid(
                f"The score dropped from {previous.score} to {data['score']}: record what changed and what support will change.",
                fields=missing,
                previous_score=previous.score,
            )

    review = Review(
        id=data.get("id") or new_id(),
        outcome_id=outcome.id,
        person_id=outcome.person_id,
        score=data["score"],
        rated_by=data["rated_by"],
        happened_at=happened_at,
        what_changed=data.get("what_changed") or None,
        support_adjustment=data.get("support_adjustment") or None,
        achieved=bool(data.get("achieved")),
        created_by=actor.id,
        origin_hash=digest,
    )
    # The review and its notes go in with one flush (a sync batch applies hundreds of these).
    review.evidence = [
        EvidenceNote(id=new_id(), person_id=outcome.person_id, outcome_id=outcome.id, text=text, happened_at=happened_at, created_by=actor.id)
        for text in data["evidence"]
    ]
    db.session.add(review)
    if review.achieved and outcome.status == "active":
        outcome.status = "achieved"
        outcome.version += 1
        outcome.field_versions = {**(outcome.field_versions or {}), "status": outcome.version}
    db.session.flush()
    person = db.session.get(Person, outcome.person_id)
    audit.record(actor, "create", "review", review.id, person=person, score=review.score)
    return review


def create_evidence(actor: User, data: dict) -> EvidenceNote:
    review = None
    if data.get("review_id"):
        review = db.session.get(Review, data["review_id"])
        if review is None:
            raise NotFound("No such review.", fields={"review_id": ["No such review."]})
        person_id = review.person_id
    else:
        person_id = data["person_id"]
    try:
        person = access.person_for(actor, person_id, write=True)
    except NotFound:
        # Out of scope reads exactly like not there at all, so ids never reveal what exists.
        if review is not None:
            raise NotFound("No such review.", fields={"review_id": ["No such review."]}) from None
        raise
    if review is not None and data.get("person_id") and data["person_id"] != review.person_id:
        raise Invalid("The review belongs to someone else.", fields={"person_id": ["Does not match the review."]})
    digest = check_retry(EvidenceNote, data)
    happened_at = data.get("happened_at") or datetime.now(timezone.utc)
    if happened_at > datetime.now(timezone.utc) + FUTURE_GRACE:
        raise Invalid("A note cannot be dated in the future.", fields={"happened_at": ["Cannot be more than a day in the future."]})
    note = EvidenceNote(
        id=data.get("id") or None,
        person_id=person.id,
        review_id=review.id if review else None,
        outcome_id=review.outcome_id if review else None,
        text=data["text"],
        happened_at=happened_at,
        created_by=actor.id,
        origin_hash=digest,
    )
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "create", "evidence", note.id, person=person)
    return note


def require_staff_or_self(actor: User, person: Person) -> None:
    if actor.role == "person" and actor.person_id != person.id:
        raise Forbidden("You can only see your own goals.")
