"""Escalations (PRODUCT.md, Governance): telling senior leadership when an outcome deteriorates or
stagnates, or its review is long overdue, and recording what leadership will do about it.

The rules (PRODUCT.md, Measures), over one outcome's reviews in the order they happened
(`happened_at`, then id), at review i with score s[i]:

* deterioration: a drop of 2 or more points since the review before (s[i-1] - s[i] >= 2), or two
  drops in a row (s[i-2] > s[i-1] > s[i]);
* stagnation: no improvement across three consecutive reviews (s[i-2] >= s[i-1] >= s[i]; three 5s
  are not stagnation, as 5 is the top of the scale), or a score of 1 or 2 at two reviews in a row;
* overdue: the review is more than ESCALATION_OVERDUE_DAYS (14) days past its due date.

Raised where the review is stored. `after_review_stored` is called by outcomes.create_review, the one
function that stores a review for the REST endpoint and for sync, in the same transaction. So a
review made online and the same review synced from a phone days later raise the same escalations;
a replayed push never reaches the store step and raises nothing new.

Late-arriving reviews. A review synced days late may sit between reviews already stored. The rules
are evaluated over the stored history in `happened_at` order at the new review and at the two
reviews after it (the only windows it can change), so a late review can make a later review a
deterioration too. An escalation already raised is never withdrawn: it recorded what was known.

Exactly once. A rule is raised at most once per review (unique `review_id`, `rule`), and an overdue
review at most once per outcome and due date (unique `outcome_id`, `due_on`, `rule`); inserts ignore
the conflict. The outcome row is locked (FOR NO KEY UPDATE on PostgreSQL, which does not conflict with
the key-share locks that inserting reviews takes; SQLite's BEGIN IMMEDIATE already serialises writers),
so two phones syncing reviews of one outcome at once evaluate one after the other, the second seeing
the first's review. (The change counter, server/domain/changeseq.py, already serialises writers of
synced records; the lock keeps this rule from depending on that.)

One at a time. While an outcome has an escalation of a rule that is not yet answered, the same rule
raises nothing new for it (the open one already has leadership's attention); once it is answered,
the next review that meets the rule raises a new one. When a review meets both rules, deterioration
is raised and stagnation is not: a falling score is not a stuck one.

Who hears. Senior leaders of the organisation and the registered managers of the person's service get
an inbox item and one Web Push ("1 new escalation", never a name) from the reminders job, which
claims each notice exactly once (server/domain/reminders.py). The escalation shows at once in the
escalations list, on the dashboard and on the person's record.

Acknowledge, then answer: each once, by a senior leader or a manager of the service, audited.
"""
from __future__ import annotations

import bisect
from datetime import date, datetime, timezone
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import func, select, update

from ..database import insert_ignoring_conflict, insert_new
from ..extensions import db
from ..models import Change, Escalation, Outcome, Person, Review, Service, User
from ..models.base import new_id, new_time_ordered_id
from . import access, audit, batch, keyset
from .errors import Clash, Forbidden, NotFound

DETERIORATION, STAGNATION, OVERDUE = "deterioration", "stagnation", "overdue"
RULE_LABELS = {DETERIORATION: "Deterioration", STAGNATION: "Stagnation", OVERDUE: "Review overdue"}
REASONS = {
    "drop_of_2_or_more": "the score fell by 2 or more points",
    "two_drops_in_a_row": "the score fell at two reviews in a row",
    "no_improvement_across_three": "no improvement across three reviews in a row",
    "low_at_two_in_a_row": "a score of 1 or 2 at two reviews in a row",
    "review_overdue": "the review is more than {days} days overdue",
}
TOP_SCORE = 5


class AlreadyDone(Clash):
    code = "already_done"


class NotAcknowledged(Clash):
    code = "not_acknowledged"


# ---- the rules (pure) ----

def rules_at(scores: list[int], i: int) -> dict[str, tuple[list[str], list[int]]]:
    """Which rules hold at review i of an outcome's scores (oldest first):
    {rule: (reasons, indexes of the reviews they looked at)}. Deterioration wins over stagnation."""
    found: dict[str, tuple[list[str], list[int]]] = {}
    s = scores
    reasons, looked = [], set()
    if i >= 1 and s[i - 1] - s[i] >= 2:
        reasons.append("drop_of_2_or_more")
        looked |= {i - 1, i}
    if i >= 2 and s[i - 2] > s[i - 1] > s[i]:
        reasons.append("two_drops_in_a_row")
        looked |= {i - 2, i - 1, i}
    if reasons:
        found[DETERIORATION] = (reasons, sorted(looked))
        return found
    if i >= 2 and s[i - 2] >= s[i - 1] >= s[i] and not (s[i - 2] == s[i - 1] == s[i] == TOP_SCORE):
        reasons.append("no_improvement_across_three")
        looked |= {i - 2, i - 1, i}
    if i >= 1 and s[i - 1] <= 2 and s[i] <= 2:
        reasons.append("low_at_two_in_a_row")
        looked |= {i - 1, i}
    if reasons:
        found[STAGNATION] = (reasons, sorted(looked))
    return found


# ---- raising ----

def _raise(values: dict) -> str | None:
    """Insert one escalation unless its unique key is taken. Returns its id, or None."""
    values = {"id": new_id(), "status": "open", **values}
    return db.session.execute(insert_ignoring_conflict(Escalation).values(**values).returning(Escalation.id)).scalar_one_or_none()


def _unanswered(outcome_id: str, rule: str) -> bool:
    return db.session.execute(
        select(Escalation.id).where(Escalation.outcome_id == outcome_id, Escalation.rule == rule, Escalation.status != "answered").limit(1)
    ).first() is not None


def _history(outcome_id: str) -> list:
    """(happened_at, id, score) of an outcome's reviews in the order they happened. Read after the lock is held."""
    return db.session.execute(
        select(Review.happened_at, Review.id, Review.score).where(Review.outcome_id == outcome_id).order_by(Review.happened_at, Review.id)
    ).all()


def held_history(outcome_id: str) -> list | None:
    """During a sync push, the (happened_at, id, score) of the outcome's stored reviews, oldest first,
    when this transaction already holds the outcome's lock (batch.py); None otherwise."""
    push = batch.current()
    return push.history.get(outcome_id) if push is not None else None


def after_review_stored(review: Review, now: datetime | None = None, with_later: bool = True) -> list[str]:
    """Evaluate the rules after `review` was stored (flushed) and raise what they call for: at the
    review, and (`with_later`) at the two after it, which a late-arriving review can change.
    Returns the ids of the escalations raised."""
    now = now or datetime.now(timezone.utc)
    push = batch.current()
    outcome_id = review.outcome_id
    if push is None or outcome_id not in push.locked:
        db.session.execute(select(Outcome.id).where(Outcome.id == outcome_id).with_for_update(key_share=True))
        if push is not None:
            push.locked.add(outcome_id)
    history = push.history.get(outcome_id) if push is not None else None
    if history is not None:
        # A sync push holds the lock from the first review of this outcome to commit, so the stored
        # history is what was read then plus the batch's own reviews, each added here (batch.py).
        at = bisect.bisect_left(history, (review.happened_at,))
        if at < len(history) and history[at][0] == review.happened_at:
            history = None  # a tie on happened_at: let the database order it by id, as it always has
        else:
            history.insert(at, (review.happened_at, review.id, review.score))
    if history is None:
        history = [(row.happened_at, row.id, row.score) for row in _history(outcome_id)]
        if push is not None:
            push.history[outcome_id] = history
    # The rules at the review and the two after it look back two reviews at most: take that window.
    position = bisect.bisect_left(history, (review.happened_at, review.id))
    if position == len(history) or history[position][1] != review.id:
        position = [row[1] for row in history].index(review.id)  # stored with another happened_at
    start = max(0, position - 2)
    window = history[start:position + 3]
    ids = [row[1] for row in window]
    scores = [row[2] for row in window]
    position -= start
    person = db.session.get(Person, review.person_id)
    raised = []
    for i in range(position, min(position + (3 if with_later else 1), len(ids))):
        for rule, (reasons, looked) in rules_at(scores, i).items():
            if push is not None and (outcome_id, rule) in push.unanswered:
                continue
            if _unanswered(review.outcome_id, rule):
                if push is not None:
                    push.unanswered.add((outcome_id, rule))
                continue
            escalation_id = _raise({
                "organisation_id": person.organisation_id,
                "service_id": person.service_id,
                "person_id": person.id,
                "outcome_id": review.outcome_id,
                "rule": rule,
                "reasons": reasons,
                "review_id": ids[i],
                "review_ids": [ids[k] for k in looked],
                "raised_at": now,
            })
            if escalation_id is None:
                continue
            if push is not None:
                push.unanswered.add((outcome_id, rule))
            raised.append(escalation_id)
            who = SimpleNamespace(organisation_id=person.organisation_id, id=review.created_by)
            audit.record(who, "raise", "escalation", escalation_id, person=person, rule=rule, reasons=reasons, review_id=ids[i])
    return raised


def overdue_days() -> int:
    return int(current_app.config.get("ESCALATION_OVERDUE_DAYS", 14))


def late_reviews(items, today: date) -> list:
    """The reminders.Item of subject "review" more than ESCALATION_OVERDUE_DAYS past due on `today`."""
    days = overdue_days()
    return [i for i in items if i.subject == "review" and (today - i.due_on).days > days]


def raise_overdue(items, today: date, each, now: datetime | None = None) -> int:
    """For the reminders job: escalate every review more than ESCALATION_OVERDUE_DAYS past due, once
    per outcome and due date, however often and on however many hosts the job runs. `items` are
    reminders.Item; the inserts run in a transaction of their own, which `each` (the job's unit of
    work, server/unit_of_work.write) commits; returns how many this run raised."""
    late = late_reviews(items, today)
    db.session.rollback()  # end the read transaction; the inserts start their own (BEGIN IMMEDIATE on SQLite)
    if not late:
        return 0
    return each(lambda: escalate_late(late, now))


def escalate_late(late, now: datetime | None = None) -> int:
    """Raise an overdue escalation for each late review item not escalated for its due date yet.
    Leaves the transaction to the caller."""
    now = now or datetime.now(timezone.utc)
    by_key = {(i.item_id, i.due_on): i for i in late}
    known = set()
    outcome_ids = sorted({outcome_id for outcome_id, _ in by_key})
    for start in range(0, len(outcome_ids), 500):
        known.update((outcome_id, due_on) for outcome_id, due_on in db.session.execute(
            select(Escalation.outcome_id, Escalation.due_on).where(
                Escalation.rule == OVERDUE, Escalation.outcome_id.in_(outcome_ids[start:start + 500]))
        ).all())
    rows = []
    for key in sorted(by_key):  # one order for every run, so concurrent runs never wait on each other in a cycle
        if key in known:
            continue
        item = by_key[key]
        rows.append({
            "id": new_time_ordered_id(),
            "status": "open",
            "organisation_id": item.organisation_id,
            "service_id": item.service_id,
            "person_id": item.person_id,
            "outcome_id": item.item_id,
            "rule": OVERDUE,
            "reasons": ["review_overdue"],
            "review_ids": [],
            "due_on": item.due_on,
            "raised_at": now,
        })
    inserted = insert_new(Escalation.__table__, rows, ["outcome_id", "due_on", "rule"])  # a conflict skips the row
    audit.record_many([
        audit.entry(SimpleNamespace(organisation_id=row["organisation_id"], id=None), "raise", "escalation", row["id"],
                    person=SimpleNamespace(id=row["person_id"], service_id=row["service_id"]), rule=OVERDUE,
                    due_on=row["due_on"].isoformat(), by="reminders job")
        for row in rows if row["id"] in inserted
    ])
    return len(inserted)


# ---- what the inbox says (server/domain/reminder_notices.py finds who hears) ----

def inbox_text(escalation_id: str) -> tuple[str, str, str]:
    """(title, body, url) of an inbox row about a new escalation: no names (the inbox adds the
    person's name for readers who may still see them)."""
    return inbox_texts([escalation_id])[escalation_id]


def inbox_texts(escalation_ids) -> dict[str, tuple[str, str, str]]:
    """inbox_text of many escalations, in one statement."""
    ids = sorted(set(escalation_ids))
    found = {row.id: row for row in db.session.execute(
        select(Escalation.id, Escalation.rule, Escalation.raised_at).where(Escalation.id.in_(ids))).all()} if ids else {}
    out = {}
    for escalation_id in ids:
        row = found.get(escalation_id)
        rule = RULE_LABELS.get(row.rule, "Escalation") if row else "Escalation"
        raised = row.raised_at.date() if row else date.today()
        out[escalation_id] = (f"New escalation: {rule.lower()}",
                              f"Raised on {raised.day} {raised:%B %Y}. Acknowledge it, then answer what leadership will do.",
                              f"/escalations/{escalation_id}")
    return out


def person_of(escalation_ids: set[str]) -> dict[str, str]:
    if not escalation_ids:
        return {}
    return dict(db.session.execute(select(Escalation.id, Escalation.person_id).where(Escalation.id.in_(escalation_ids))).all())


# ---- reading ----

def escalation_for(actor: User, escalation_id: str) -> Escalation:
    access.require_governor(actor)
    escalation = db.session.get(Escalation, str(escalation_id)) if escalation_id else None
    if escalation is None or db.session.execute(
        access.governed_services(actor).where(Service.id == escalation.service_id)
    ).first() is None:
        raise NotFound("No such escalation.", fields={"escalation_id": ["No such escalation."]})
    return escalation


def list_escalations(actor: User, status: str | None = None, service_id: str | None = None, rule: str | None = None,
                     limit: int = keyset.DEFAULT_LIMIT, cursor: str | None = None) -> dict:
    """Escalations in the services `actor` governs, newest first, a page at a time."""
    access.require_governor(actor)
    q = select(Escalation).where(Escalation.service_id.in_(access.governed_services(actor)))
    if service_id:
        q = q.where(Escalation.service_id == access.governed_service_for(actor, service_id, field="service").id)
    if status:
        q = q.where(Escalation.status == status)
    if rule:
        q = q.where(Escalation.rule == rule)
    scope = select(Escalation.status, func.count()).where(Escalation.service_id.in_(access.governed_services(actor)))
    if service_id:
        scope = scope.where(Escalation.service_id == service_id)
    if rule:
        scope = scope.where(Escalation.rule == rule)
    counts = dict(db.session.execute(scope.group_by(Escalation.status)).all())
    q = keyset.newest_first(q, Escalation.raised_at, Escalation.id, limit, cursor, datetime)
    rows, next_cursor = keyset.page(list(db.session.execute(q).scalars()), limit, lambda e: (e.raised_at, e.id))
    return {"items": describe(rows), "next_cursor": next_cursor,
            "counts": {s: counts.get(s, 0) for s in ("open", "acknowledged", "answered")}}


def for_person(actor: User, person_id: str) -> list[dict]:
    """A person's escalations, newest first, for staff who can see the person (a support worker:
    their caseload). The answers are what leadership decided to do."""
    if actor.role not in access.STAFF:
        raise Forbidden("Your role cannot see escalations.")
    person = access.person_for(actor, person_id)
    audit.viewed(actor, person, "escalations")
    rows = db.session.execute(
        select(Escalation).where(Escalation.person_id == person.id).order_by(Escalation.raised_at.desc(), Escalation.id.desc())
    ).scalars().all()
    return describe(list(rows))


def describe(rows: list[Escalation]) -> list[dict]:
    """What the API shows of escalations: the record, names, the scores the rule looked at and a
    plain-words summary. A fixed number of queries whatever the page size."""
    if not rows:
        return []
    people = {p.id: p for p in db.session.execute(select(Person).where(Person.id.in_({e.person_id for e in rows}))).scalars()}
    outcomes = dict(db.session.execute(select(Outcome.id, Outcome.domain).where(Outcome.id.in_({e.outcome_id for e in rows}))).all())
    services = dict(db.session.execute(select(Service.id, Service.name).where(Service.id.in_({e.service_id for e in rows}))).all())
    user_ids = {u for e in rows for u in (e.acknowledged_by, e.answered_by) if u}
    users = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) if user_ids else {}
    review_ids = {r for e in rows for r in (e.review_ids or [])}
    reviews = {r.id: r for r in db.session.execute(
        select(Review.id, Review.score, Review.happened_at).where(Review.id.in_(review_ids))).all()} if review_ids else {}
    change_ids = {e.change_id for e in rows if e.change_id}
    changes = {c.id: c for c in db.session.execute(
        select(Change.id, Change.description, Change.starts_on).where(Change.id.in_(change_ids))).all()} if change_ids else {}
    out = []
    for e in rows:
        person = people.get(e.person_id)
        scores = [{"review_id": r, "happened_at": reviews[r].happened_at, "score": reviews[r].score}
                  for r in (e.review_ids or []) if r in reviews]
        scores.sort(key=lambda s: s["happened_at"])
        change = changes.get(e.change_id)
        out.append({
            "id": e.id,
            "person_id": e.person_id,
            "person_name": person.name if person else None,
            "outcome_id": e.outcome_id,
            "outcome_domain": outcomes.get(e.outcome_id),
            "service_id": e.service_id,
            "service_name": services.get(e.service_id),
            "rule": e.rule,
            "rule_label": RULE_LABELS.get(e.rule, e.rule),
            "reasons": list(e.reasons or []),
            "summary": summary(e, scores),
            "status": e.status,
            "raised_at": e.raised_at,
            "review_id": e.review_id,
            "review_ids": list(e.review_ids or []),
            "scores": scores,
            "due_on": e.due_on,
            "acknowledged_by": e.acknowledged_by,
            "acknowledged_by_name": users.get(e.acknowledged_by),
            "acknowledged_at": e.acknowledged_at,
            "answer": e.answer,
            "answered_by": e.answered_by,
            "answered_by_name": users.get(e.answered_by),
            "answered_at": e.answered_at,
            "change": {"id": change.id, "description": change.description, "starts_on": change.starts_on} if change else None,
        })
    return out


def _short(day) -> str:
    return f"{day.day} {day:%b %Y}"


def summary(e: Escalation, scores: list[dict]) -> str:
    """"Scores 4 → 3 → 1 (reviews of 3 Jan, 2 Feb and 4 Mar 2026): the score fell at two reviews in a row." """
    if e.rule == OVERDUE:
        return f"The review due on {_short(e.due_on)} is more than {overdue_days()} days overdue."
    why = " and ".join(REASONS.get(r, r) for r in (e.reasons or []))
    if not scores:
        return why[:1].upper() + why[1:] + "."
    arrow = " → ".join(str(s["score"]) for s in scores)
    return f"Scores {arrow} (reviews of {', '.join(_short(s['happened_at']) for s in scores)}): {why}."


# ---- acknowledging and answering ----

def _person(escalation: Escalation) -> Person | None:
    return db.session.get(Person, escalation.person_id)


def acknowledge(actor: User, escalation_id: str, now: datetime | None = None) -> Escalation:
    """Note that leadership has seen it. Once: a second acknowledgement is a 409 that says who did."""
    escalation = escalation_for(actor, escalation_id)
    now = now or datetime.now(timezone.utc)
    done = db.session.execute(
        update(Escalation)
        .where(Escalation.id == escalation.id, Escalation.status == "open")
        .values(status="acknowledged", acknowledged_by=actor.id, acknowledged_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(escalation)
    if done != 1:
        by = db.session.get(User, escalation.acknowledged_by) if escalation.acknowledged_by else None
        when = f" on {_short(escalation.acknowledged_at)}" if escalation.acknowledged_at else ""
        raise AlreadyDone(f"This escalation was already acknowledged{f' by {by.name}' if by else ''}{when}.",
                          fields={"status": [f"Already {escalation.status}."]})
    audit.record(actor, "acknowledge", "escalation", escalation.id, person=_person(escalation), service_id=escalation.service_id)
    return escalation


def answer(actor: User, escalation_id: str, data: dict, now: datetime | None = None) -> Escalation:
    """Record what leadership will do, once, after acknowledging. Optionally point to the
    co-produced change that answers it and write a learning entry (its source is this escalation)."""
    from . import learning

    escalation = escalation_for(actor, escalation_id)
    now = now or datetime.now(timezone.utc)
    if escalation.status == "open":
        raise NotAcknowledged("Acknowledge the escalation before answering it.", fields={"status": ["Not acknowledged yet."]})
    if escalation.status == "answered":
        raise AlreadyDone("This escalation is already answered.", fields={"status": ["Already answered."]})
    change_id = data.get("change_id")
    if change_id:
        change = db.session.get(Change, change_id)
        if change is None or change.service_id != escalation.service_id:
            raise NotFound("No such change in this service.", fields={"change_id": ["No such change in this service."]})
    done = db.session.execute(
        update(Escalation)
        .where(Escalation.id == escalation.id, Escalation.status == "acknowledged")
        .values(status="answered", answer=data["answer"], answered_by=actor.id, answered_at=now, change_id=change_id or None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(escalation)
    if done != 1:
        raise AlreadyDone("This escalation is already answered.", fields={"status": ["Already answered."]})
    audit.record(actor, "answer", "escalation", escalation.id, person=_person(escalation), service_id=escalation.service_id,
                 change_id=change_id)
    if data.get("learning"):
        entry = dict(data["learning"])
        learning.create_entry(actor, {
            "service_id": escalation.service_id,
            "recorded_on": entry.get("recorded_on") or now.date(),
            "learned": entry["learned"],
            "decision": entry["decision"],
            "source": {"kind": "escalation", "id": escalation.id},
            "change_id": change_id,
            "shared_with_commissioners": entry.get("shared_with_commissioners", False),
        }, field_prefix="learning.")
    return escalation

