"""Co-produced outcomes, their actions, monthly reviews and evidence notes.

Both the REST routes and the sync mutations (outcome.create/update, action.create/update,
review.create, evidence.create) call these functions with already-loaded schema data.
"""
from __future__ import annotations

import bisect
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import and_, func, select

from ..extensions import db
from ..models import Action, EvidenceNote, Outcome, Person, Review, User
from ..models.base import new_id
from ..schemas.outcome import (
    ActionCreateSchema,
    ActionOut,
    ActionUpdateSchema,
    EvidenceCreateSchema,
    OutcomeCreateSchema,
    OutcomeOut,
    OutcomeUpdateSchema,
    ReviewCreateSchema,
    ReviewExplainSchema,
)
from . import access, audit, batch, dates, escalations, mutations, paging
from .errors import Clash, Conflict, Duplicate, Forbidden, Invalid, NotFound
from .outcome_facts import (  # noqa: F401 (read as outcomes.*)
    REVIEW_INTERVAL_DAYS,
    due_after,
    known_last_reviews,
    last_review,
    last_review_facts,
    last_reviews,
    next_review_due,
    owner_label,
    review_dues,
    show,
    shown_action,
    shown_outcome,
)
from .records import apply_update, check_retry, fields_for_retry
from .rule_data import DROP_EXPLANATION_FIELDS, MAX_PRIORITY_PER_QUARTER


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

def outcome_for(user: User, outcome_id: str, write: bool = False, kind: str = "outcome") -> Outcome:
    """The outcome, if `user` may read (or, with `write`, change) its `kind` records: the outcome
    itself, or its actions or reviews. 403 for a role that never may, 404 when out of scope."""
    access.require_kind(user, kind)
    check = access.require_write if write else access.require_read
    outcome = db.session.get(Outcome, str(outcome_id)) if outcome_id else None
    if outcome is None:
        raise NotFound("No such outcome.", fields={"outcome_id": ["No such outcome."]})
    try:
        check(user, kind, outcome.person_id)
    except NotFound:
        raise NotFound("No such outcome.", fields={"outcome_id": ["No such outcome."]}) from None
    return outcome


def _score_before(outcome_id: str, before: datetime):
    """The last review before `before` (what create_review compares with): from the history a sync
    push already holds under the outcome's lock when it has one, else last_review."""
    held = escalations.held_history(outcome_id)
    if held is None:
        return last_review(outcome_id, before=before)
    index = bisect.bisect_left(held, (before,))
    return SimpleNamespace(score=held[index - 1][2]) if index else None


def outcomes_of(person: Person) -> list[Outcome]:
    """Newest quarter first; within it, active before others, priority first."""
    rows = db.session.execute(select(Outcome).where(Outcome.person_id == person.id)).scalars().all()
    order = {"active": 0, "paused": 1, "achieved": 2, "retired": 3}

    def key(o: Outcome):
        year, q = quarter_of(o.starts_on)
        return (-(year * 4 + q), order.get(o.status, 9), not o.priority, -o.starts_on.toordinal(), o.domain)

    return sorted(rows, key=key)


# ---- outcomes ----

def _quarter_index(day: date) -> int:
    year, q = quarter_of(day)
    return year * 4 + q - 1


def _check_priority_limit(person_id: str, starts_on: date, review_by: date, exclude_id: str | None = None) -> None:
    """At most three active priority outcomes per person per quarter, in every quarter the outcome
    spans (from `starts_on` to `review_by`), not only the one it starts in."""
    # Lock the person's row until commit, so two requests (two phones syncing at once) decide one
    # after the other and the second sees the first's priority. SQLite's BEGIN IMMEDIATE already
    # serialises writers; PostgreSQL (READ COMMITTED) needs the row lock.
    db.session.execute(select(Person.id).where(Person.id == person_id).with_for_update())
    span_start, span_end = quarter_bounds(*quarter_of(starts_on))[0], quarter_bounds(*quarter_of(review_by))[1]
    q = select(Outcome).where(
        Outcome.person_id == person_id,
        Outcome.status == "active",
        Outcome.priority.is_(True),
        Outcome.starts_on <= span_end,
        Outcome.review_by >= span_start,
    )
    if exclude_id is not None:
        q = q.where(Outcome.id != exclude_id)
    others = db.session.execute(q.order_by(Outcome.starts_on, Outcome.domain, Outcome.id)).scalars().all()
    if len(others) < MAX_PRIORITY_PER_QUARTER:
        return
    # Each other outcome covers a run of quarters; clip it to this outcome's span. The busiest
    # quarter starts where one of those runs starts, so only those quarters need counting.
    first, last = _quarter_index(starts_on), _quarter_index(review_by)
    runs = [(max(first, _quarter_index(o.starts_on)), min(last, _quarter_index(o.review_by)), o) for o in others]
    for index in sorted({start for start, _, _ in runs}):
        covering = [o for start, end, o in runs if start <= index <= end]
        if len(covering) >= MAX_PRIORITY_PER_QUARTER:
            label = quarter_label(index // 4, index % 4 + 1)
            names = ", ".join(f"“{o.domain}”" for o in covering)
            message = (
                f"This person already has {len(covering)} active priority outcomes in {label}: {names}. "
                "Pause, retire or un-prioritise one first."
            )
            raise Invalid(message, fields={"priority": [message]}, active=[o.id for o in covering], quarter=label)


_OWNER_FIELDS = ("owner_kind", "owner_user_id", "owner_name")


def _tidy_owner(data: dict) -> dict:
    """An outcome's owner fields, as actions keep them: a user id only for staff, a name only for
    someone else. Given on `data` only when the client sent any of them."""
    if not any(name in data for name in _OWNER_FIELDS):
        return {}
    kind = data.get("owner_kind")
    return {
        "owner_kind": kind,
        "owner_user_id": data.get("owner_user_id") if kind == "staff" else None,
        "owner_name": (data.get("owner_name") or None) if kind == "other" else None,
    }


def create_outcome(actor: User, data: dict) -> Outcome:
    person = access.require_write(actor, "outcome", data["person_id"])
    digest = check_retry(Outcome, data)
    owner = _tidy_owner(data)
    if owner.get("owner_kind"):
        _check_owner(actor, owner)
    data = {**data, **owner}
    if data.get("priority") and data.get("status", "active") == "active":
        _check_priority_limit(person.id, data["starts_on"], data["review_by"])
    outcome = Outcome(**fields_for_retry(data), created_by=actor.id, origin_hash=digest)
    db.session.add(outcome)
    db.session.flush()
    audit.record(actor, "create", "outcome", outcome.id, person=person)
    return outcome


def update_outcome(actor: User, outcome_id: str, data: dict, merge_partial: bool = False) -> Outcome:
    outcome = outcome_for(actor, outcome_id, write=True)
    changes = {k: v for k, v in data.items() if k not in {"version", "id"}}
    if any(name in changes for name in _OWNER_FIELDS):
        # Checked on the merged record, so an edit may change the kind, the user or the name alone.
        merged = _tidy_owner({name: changes.get(name, getattr(outcome, name)) for name in _OWNER_FIELDS})
        if merged["owner_kind"]:
            _check_owner(actor, merged)
        for name in _OWNER_FIELDS:
            if name in changes or merged[name] != getattr(outcome, name):
                changes[name] = merged[name]
    starts_on = changes.get("starts_on", outcome.starts_on)
    review_by = changes.get("review_by", outcome.review_by)
    if review_by < starts_on:
        raise Invalid("The review date must be on or after the start date.", fields={"review_by": ["Must be on or after the start date."]})
    becomes_priority = changes.get("priority", outcome.priority) and changes.get("status", outcome.status) == "active"
    was_priority = outcome.priority and outcome.status == "active"
    if becomes_priority and (not was_priority or "starts_on" in changes or "review_by" in changes):
        _check_priority_limit(outcome.person_id, starts_on, review_by, exclude_id=outcome.id)
    person = db.session.get(Person, outcome.person_id)
    _apply_audited(actor, "outcome", outcome, person, changes, data["version"], lambda o: OutcomeOut().dump(shown_outcome(o)), merge_partial)
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
        if owner is None or owner.organisation_id != actor.organisation_id or access.is_person(owner):
            raise Invalid("No such staff member.", fields={"owner_user_id": ["No such staff member."]})


def create_action(actor: User, data: dict) -> Action:
    outcome = outcome_for(actor, data["outcome_id"], write=True, kind="action")
    digest = check_retry(Action, data)
    _check_owner(actor, data)
    action = Action(**fields_for_retry(data), person_id=outcome.person_id, created_by=actor.id, origin_hash=digest)
    db.session.add(action)
    db.session.flush()
    audit.record(actor, "create", "action", action.id, person=db.session.get(Person, outcome.person_id))
    return action


def update_action(actor: User, action_id: str, data: dict, merge_partial: bool = False) -> Action:
    access.require_kind(actor, "action")
    action = db.session.get(Action, str(action_id))
    if action is None:
        raise NotFound("No such action.", fields={"id": ["No such action."]})
    try:
        outcome_for(actor, action.outcome_id, write=True, kind="action")
    except NotFound:
        raise NotFound("No such action.", fields={"id": ["No such action."]}) from None
    changes = {k: v for k, v in data.items() if k not in {"version", "id"}}
    merged = {"owner_kind": action.owner_kind, "owner_user_id": action.owner_user_id, "owner_name": action.owner_name, **changes}
    _check_owner(actor, merged)
    person = db.session.get(Person, action.person_id)
    _apply_audited(actor, "action", action, person, changes, data["version"], lambda a: ActionOut().dump(shown_action(a)), merge_partial)
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
    outcome = outcome_for(actor, data["outcome_id"], write=True, kind="review")
    if access.is_person(actor) and data["rated_by"] != "person":
        # A person rates their own goals (hand-over or their own device); they cannot speak for staff.
        raise Invalid("Your own rating is recorded as rated by you.", fields={"rated_by": ["Must be “person”."]})
    digest = check_retry(Review, data)

    happened_at = data["happened_at"]
    dates.not_future(happened_at, "happened_at", "A review cannot be dated in the future.")
    if happened_at.date() < outcome.starts_on - timedelta(days=1):
        raise Invalid(
            "A review cannot be dated before its outcome starts.",
            fields={"happened_at": [f"Must be on or after {outcome.starts_on.isoformat()}."]},
        )
    if outcome.status == "retired":
        raise Invalid("This outcome is retired; it is no longer reviewed.", fields={"outcome_id": ["Outcome is retired."]})

    previous = _score_before(outcome.id, happened_at)
    if previous is not None and data["score"] < previous.score:
        missing = {
            name: ["The score dropped: say " + label + "."]
            for name, label in DROP_EXPLANATION_FIELDS.items()
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
    batch.flush(db.session)
    person = db.session.get(Person, outcome.person_id)
    audit.record(actor, "create", "review", review.id, person=person, score=review.score)
    escalations.after_review_stored(review)
    return review


def create_evidence(actor: User, data: dict) -> EvidenceNote:
    access.require_kind(actor, "evidence")
    review = None
    if data.get("review_id"):
        review = db.session.get(Review, data["review_id"])
        if review is None:
            raise NotFound("No such review.", fields={"review_id": ["No such review."]})
        person_id = review.person_id
    else:
        person_id = data["person_id"]
    try:
        person = access.require_write(actor, "evidence", person_id)
    except NotFound:
        # Out of scope reads exactly like not there at all, so ids never reveal what exists.
        if review is not None:
            raise NotFound("No such review.", fields={"review_id": ["No such review."]}) from None
        raise
    if review is not None and data.get("person_id") and data["person_id"] != review.person_id:
        raise Invalid("The review belongs to someone else.", fields={"person_id": ["Does not match the review."]})
    digest = check_retry(EvidenceNote, data)
    happened_at = data.get("happened_at") or datetime.now(timezone.utc)
    dates.not_future(happened_at, "happened_at", "A note cannot be dated in the future.")
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


# ---- drops that still need explaining ----
#
# A lower score than the review before it needs `what_changed` and `support_adjustment`. create_review
# asks for them when the earlier review is already stored; but phones sync in any order, so a review
# dated before one already stored can turn that later review into a drop. The rule is therefore also
# read from the stored history (reviews ordered by happened_at): such a review is flagged
# `needs_explanation` until someone adds what changed and the support adjustment (review.explain).

class AlreadyExplained(Clash):
    code = "already_explained"


def _unexplained(review: Review) -> bool:
    return not (review.what_changed and review.support_adjustment)


def unexplained_drops(reviews: list[Review]) -> set[str]:
    """Ids of the reviews, among one outcome's `reviews`, that score lower than the review before
    them (by happened_at) and do not yet say what changed and what support will change."""
    ordered = sorted(reviews, key=lambda r: (r.happened_at, r.id))
    return {r.id for prev, r in zip(ordered, ordered[1:]) if r.score < prev.score and _unexplained(r)}


def previous_review(review: Review) -> Review | None:
    q = (
        select(Review)
        .where(
            Review.outcome_id == review.outcome_id,
            Review.id != review.id,
            (Review.happened_at < review.happened_at) | and_(Review.happened_at == review.happened_at, Review.id < review.id),
        )
        .order_by(Review.happened_at.desc(), Review.id.desc())
        .limit(1)
    )
    return db.session.execute(q).scalar_one_or_none()


def explain_review(actor: User, data: dict) -> Review:
    """Add what changed and the support adjustment to a review that turned out to be a drop.
    `data`: id (the review's), what_changed, support_adjustment. The same explanation again is a
    duplicate (a retry); a different one for a review already explained is refused (409)."""
    review = db.session.get(Review, str(data["id"])) if data.get("id") else None
    if review is None:
        raise NotFound("No such review.", fields={"id": ["No such review."]})
    try:
        person = access.person_for(actor, review.person_id, write=True)
    except NotFound:
        raise NotFound("No such review.", fields={"id": ["No such review."]}) from None
    given = {name: data[name] for name in ("what_changed", "support_adjustment")}
    stored = {name: getattr(review, name) for name in given}
    if stored == given:
        raise Duplicate(review)
    differing = {name: ["This review already says this; it cannot be rewritten."] for name, value in stored.items() if value and value != given[name]}
    if differing:
        raise AlreadyExplained("This review already says what changed and what support will change.", fields=differing)
    previous = previous_review(review)
    if previous is None or review.score >= previous.score:
        raise Invalid(
            "This review is not lower than the one before it, so it needs no explanation.",
            fields={"id": ["Not lower than the review before it."]},
        )
    changed = sorted(name for name, value in given.items() if stored[name] != value)
    for name in changed:
        setattr(review, name, given[name])
    db.session.flush()
    audit.record(actor, "update", "review", review.id, person=person, fields=changed)
    return review


def author_reviews(user: User, needs_explanation: bool | None = None, cursor: str | None = None, limit: int = 50) -> dict:
    """The reviews `user` recorded, newest first, each with `needs_explanation` worked out from the
    stored history of its outcome (one statement: LAG over each outcome's reviews by happened_at)."""
    previous_score = (
        func.lag(Review.score).over(partition_by=Review.outcome_id, order_by=(Review.happened_at, Review.id)).label("previous_score")
    )
    history = (
        select(Review.id.label("id"), previous_score)
        .where(
            Review.outcome_id.in_(select(Review.outcome_id).where(Review.created_by == user.id)),
            Review.person_id.in_(access.visible_people(user)),
        )
        .subquery()
    )
    flag = and_(
        history.c.previous_score.is_not(None),
        Review.score < history.c.previous_score,
        (Review.what_changed.is_(None)) | (Review.support_adjustment.is_(None)),
    )
    q = (
        select(Review, history.c.previous_score, Outcome.domain, Person.name)
        .join(history, history.c.id == Review.id)
        .join(Outcome, Outcome.id == Review.outcome_id)
        .join(Person, Person.id == Review.person_id)
        .where(Review.created_by == user.id)
    )
    if needs_explanation is True:
        q = q.where(flag)
    elif needs_explanation is False:
        q = q.where(~flag)
    if cursor:
        moment, row_id = paging.decode(cursor)
        q = q.where(paging.older_than(Review.happened_at, Review.id, moment, row_id))
    rows = db.session.execute(q.order_by(Review.happened_at.desc(), Review.id.desc()).limit(limit + 1)).all()
    rows, next_cursor = paging.page(rows, limit, lambda row: (row[0].happened_at, row[0].id))
    items = []
    for review, prev, domain, name in rows:
        items.append({
            "review": review,
            "previous_score": prev,
            "needs_explanation": prev is not None and review.score < prev and _unexplained(review),
            "outcome_domain": domain,
            "person_name": name,
        })
    return {"items": items, "next_cursor": next_cursor}


def require_staff_or_self(actor: User, person: Person) -> None:
    if access.is_person(actor) and actor.person_id != person.id:
        raise Forbidden("You can only see your own goals.")


# ---- the same functions as sync mutations (server/domain/mutations.py) ----

mutations.register("outcome.create", OutcomeCreateSchema, create_outcome)
mutations.register("outcome.update", OutcomeUpdateSchema, mutations.updater(update_outcome))  # partial: only `version` required
mutations.register("action.create", ActionCreateSchema, create_action)
mutations.register("action.update", ActionUpdateSchema, mutations.updater(update_action))
mutations.register("review.create", ReviewCreateSchema, create_review)
mutations.register("evidence.create", EvidenceCreateSchema, create_evidence)
mutations.register("review.explain", ReviewExplainSchema, explain_review)  # args.id: the review
