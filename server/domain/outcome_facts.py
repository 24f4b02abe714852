"""Facts about outcomes that both the domain and the output schemas show: when an outcome's next
review is due, its last review, and who owns an action. A leaf module (models only), so the
schemas can use it without importing the domain modules that import them."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, bindparam, case, event, func, inspect as sa_inspect, or_, select, update
from sqlalchemy.orm import Session, aliased, lazyload

from ..extensions import db
from ..models import Action, Outcome, Review, User
from . import batch
from .rule_data import DEFAULT_REVIEW_INTERVAL_DAYS, OWNER_LABEL_WORDS, REVIEW_INTERVAL_DAYS


def last_review(outcome_id: str, before: datetime | None = None) -> Review | None:
    q = select(Review).where(Review.outcome_id == outcome_id)
    if before is not None:
        q = q.where(Review.happened_at < before)
    # The review only (its score and date): its evidence notes are not loaded here.
    q = q.options(lazyload(Review.evidence))
    return db.session.execute(q.order_by(Review.happened_at.desc(), Review.id.desc()).limit(1)).scalar_one_or_none()


# The latest review of many outcomes at once. `last_reviews(ids)` answers in one statement whatever
# the number of outcomes; `ids` is a list of outcome ids or a select of them (a select keeps the
# statement's parameters few however many outcomes it names). Inside `with known_last_reviews(...)`,
# `last_review_facts` and `next_review_due` read the answer instead of asking per outcome, so a list
# of outcomes (OutcomeOut(many=True), a pull page, GET /people) costs one statement, not one each.

LastReview = tuple  # (happened_at: datetime, score: int)
_known: ContextVar[dict | None] = ContextVar("known_last_reviews", default=None)


def last_reviews(ids) -> dict[str, LastReview | None]:
    """outcome id -> (happened_at, score) of its latest review, or None when it has none, for every
    outcome `ids` names. One statement."""
    if not isinstance(ids, Select):
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
    # Per outcome, the id of its latest review, found on the (outcome_id, happened_at) index: a few
    # index steps per outcome, where a window over all their reviews would sort every one of them.
    earlier = aliased(Review)
    latest = (
        select(earlier.id)
        .where(earlier.outcome_id == Outcome.id)
        .order_by(earlier.happened_at.desc(), earlier.id.desc())
        .limit(1)
        .correlate(Outcome)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Outcome.id, Review.happened_at, Review.score)
        .outerjoin(Review, Review.id == latest)
        .where(Outcome.id.in_(ids))
    )
    return {outcome_id: (happened_at, score) if happened_at is not None else None for outcome_id, happened_at, score in rows}


@contextmanager
def known_last_reviews(ids):
    """Within the block, the latest reviews of the outcomes `ids` names are read once, up front
    (one statement). Nested blocks reuse what an outer block already read."""
    outer = _known.get() or {}
    if not isinstance(ids, Select):
        ids = [i for i in dict.fromkeys(ids) if i not in outer]
    facts = {**outer, **(last_reviews(ids) if isinstance(ids, Select) or ids else {})}
    token = _known.set(facts)
    try:
        yield facts
    finally:
        _known.reset(token)


def last_review_facts(outcome_id: str) -> LastReview | None:
    """(happened_at, score) of the outcome's latest review, or None if it has none."""
    known = _known.get()
    if known is not None and outcome_id in known:
        return known[outcome_id]
    return last_reviews([outcome_id]).get(outcome_id)


def due_after(status: str, review_every: str, starts_on: date, last_at: datetime | None) -> date | None:
    """When an outcome's next review falls due: its latest review (else its start) plus its interval."""
    if status != "active":
        return None
    interval = timedelta(days=REVIEW_INTERVAL_DAYS.get(review_every, DEFAULT_REVIEW_INTERVAL_DAYS))
    base = last_at.date() if last_at is not None else starts_on
    return base + interval


def review_dues(person_ids) -> dict[str, tuple[int, date | None]]:
    """person id -> (their active outcomes, the soonest next review due among them), for the people
    `person_ids` names (a list, or a select of ids). Two statements however many people."""
    if not isinstance(person_ids, Select):
        person_ids = list(dict.fromkeys(person_ids))
        if not person_ids:
            return {}
    active = and_(Outcome.person_id.in_(person_ids), Outcome.status == "active")
    last = last_reviews(select(Outcome.id).where(active))
    out: dict[str, tuple[int, date | None]] = {}
    for outcome_id, person_id, review_every, starts_on in db.session.execute(
        select(Outcome.id, Outcome.person_id, Outcome.review_every, Outcome.starts_on).where(active)
    ):
        fact = last.get(outcome_id)
        due = due_after("active", review_every, starts_on, fact[0] if fact else None)
        count, soonest = out.get(person_id, (0, None))
        out[person_id] = (count + 1, due if soonest is None or due < soonest else soonest)
    return out


def next_review_due(outcome: Outcome, today: date | None = None) -> date | None:
    if outcome.status != "active":
        return None
    last = last_review_facts(outcome.id)
    return due_after(outcome.status, outcome.review_every, outcome.starts_on, last[0] if last else None)


def owner_label(action: Action | Outcome) -> str:
    """Who owns an action (or an outcome): a staff member's name, "The person", or the named other."""
    return label(action.owner_kind, action.owner_user_id, action.owner_name, staff_names([action]))


# ---- what OutcomeOut and ActionOut show, loaded before they dump ----
# The output schemas format what they are given and never query. `show` reads, in bulk, the facts
# they show that are not columns of the row (the next review due and last score, from the latest
# reviews; who owns it, from the staff's names) and hands them over on each record as `shown`.

@dataclass(frozen=True)
class Shown:
    owner_label: str | None
    next_review_due: date | None = None
    last_score: int | None = None


def label(owner_kind: str | None, owner_user_id: str | None, owner_name: str | None, names: dict[str, str]) -> str:
    """Who owns an action (or an outcome), given the staff's names: a staff member's name, "The
    person", or the named other."""
    if owner_kind == "person":
        return OWNER_LABEL_WORDS["person"]
    if owner_kind == "staff" and owner_user_id:
        return names.get(owner_user_id, OWNER_LABEL_WORDS["staff"])
    return owner_name or OWNER_LABEL_WORDS["other"]


def staff_names(records) -> dict[str, str]:
    """user id -> name of the staff who own `records` (actions or outcomes). One statement."""
    ids = sorted({r.owner_user_id for r in records if r.owner_kind == "staff" and r.owner_user_id})
    names: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        names.update(db.session.execute(select(User.id, User.name).where(User.id.in_(ids[start:start + 500]))).all())
    return names


def show(outcomes=(), actions=()) -> None:
    """Load what OutcomeOut shows about each of `outcomes` (their actions too) and ActionOut about
    each of `actions`, and hand it to them (each record's `shown`): the latest reviews in one
    statement and the owners' names in one, however many records."""
    outcomes = list(outcomes)
    actions = [*actions, *(a for o in outcomes for a in o.actions)]
    known = _known.get() or {}
    last = {**last_reviews([o.id for o in outcomes if o.id not in known]), **known}
    names = staff_names([*outcomes, *actions])
    for outcome in outcomes:
        fact = last.get(outcome.id)
        outcome.shown = Shown(
            owner_label=label(outcome.owner_kind, outcome.owner_user_id, outcome.owner_name, names) if outcome.owner_kind else None,
            next_review_due=due_after(outcome.status, outcome.review_every, outcome.starts_on, fact[0] if fact else None),
            last_score=fact[1] if fact else None,
        )
    for action in actions:
        action.shown = Shown(owner_label=label(action.owner_kind, action.owner_user_id, action.owner_name, names))


def shown_outcome(outcome: Outcome) -> Outcome:
    """`outcome`, with what OutcomeOut shows about it loaded (`show`)."""
    show([outcome])
    return outcome


def shown_action(action: Action) -> Action:
    """`action`, with what ActionOut shows about it loaded (`show`)."""
    show(actions=[action])
    return action


# ---- the latest review's date, kept on the outcome ----
# outcomes.last_reviewed_at is the latest happened_at of the outcome's reviews (None before the
# first), so the overdue list orders a whole organisation's outcomes by due date with no look-up
# per outcome. It is kept here, after every flush that writes reviews, whatever wrote them (a REST
# call, a sync push, the demo). A new review moves it on with one UPDATE that compares with the
# stored value, so two transactions adding reviews to one outcome at once both count (PostgreSQL
# evaluates the second against the row the first left). A review removed or re-dated sets it again
# from the reviews. Loads that insert reviews through the table call set_last_reviewed after.

def _later_of(at):
    column = Outcome.__table__.c.last_reviewed_at
    return case((or_(column.is_(None), column < at), at), else_=column)


def _latest_of_reviews():
    outcomes = Outcome.__table__
    return select(func.max(Review.happened_at)).where(Review.outcome_id == outcomes.c.id).scalar_subquery()


def set_last_reviewed(connection, outcome_ids=None) -> None:
    """Set last_reviewed_at from the reviews, for the outcomes `outcome_ids` names (a list or a
    select), or for every outcome: after a load that inserted reviews through the table."""
    outcomes = Outcome.__table__
    statement = update(outcomes).values(last_reviewed_at=_latest_of_reviews(), updated_at=outcomes.c.updated_at)
    if outcome_ids is not None:
        statement = statement.where(outcomes.c.id.in_(outcome_ids))
    connection.execute(statement)


@event.listens_for(Session, "after_flush")
def _keep_last_reviewed(session: Session, _context) -> None:
    newest: dict[str, datetime] = {}
    again: set[str] = set()
    for obj in session.new:
        if isinstance(obj, Review) and obj.happened_at is not None:
            if obj.outcome_id not in newest or newest[obj.outcome_id] < obj.happened_at:
                newest[obj.outcome_id] = obj.happened_at
    for obj in session.deleted:
        if isinstance(obj, Review):
            again.add(obj.outcome_id)
    for obj in session.dirty:
        if isinstance(obj, Review):
            attrs = sa_inspect(obj).attrs
            moved = attrs.outcome_id.history
            if attrs.happened_at.history.has_changes() or moved.has_changes():
                again.update(i for i in (obj.outcome_id, *moved.deleted) if i is not None)
    if not newest and not again:
        return
    push = batch.current()
    if push is not None:
        # A sync push writes them once, at its end, for the mutations that committed (batch.py).
        for outcome_id, at in newest.items():
            if outcome_id not in push.pending_reviewed or push.pending_reviewed[outcome_id] < at:
                push.pending_reviewed[outcome_id] = at
        push.pending_again.update(again)
        return
    _write(session, newest, again)


def write_batch(session: Session, push: batch.Batch) -> None:
    """Write the review dates a sync push gathered from its committed mutations (batch.py)."""
    if push.reviewed or push.reviewed_again:
        _write(session, push.reviewed, push.reviewed_again)
        _expire_last_reviewed(session, None)


def _write(session: Session, newest: dict[str, datetime], again: set[str]) -> None:
    outcomes = Outcome.__table__
    connection = session.connection()
    if newest:
        # In id order, so concurrent writers lock the outcomes they share in the same order.
        connection.execute(
            update(outcomes).where(outcomes.c.id == bindparam("outcome"))
            .values(last_reviewed_at=_later_of(bindparam("at", type_=outcomes.c.last_reviewed_at.type)), updated_at=outcomes.c.updated_at),
            [{"outcome": outcome_id, "at": at} for outcome_id, at in sorted(newest.items())],
        )
    if again:
        set_last_reviewed(connection, sorted(again))
    session.info.setdefault("last_reviewed_changed", set()).update(newest, again)


@event.listens_for(Session, "after_flush_postexec")
def _expire_last_reviewed(session: Session, _context) -> None:
    # Outcomes already loaded read the stored value afresh when next asked.
    for outcome_id in session.info.pop("last_reviewed_changed", ()):
        loaded = session.identity_map.get(session.identity_key(Outcome, outcome_id))
        if loaded is not None:
            session.expire(loaded, ["last_reviewed_at"])
