"""What falls due, and when (the due-date rules behind reminders and escalations):

- a **review** of each active outcome, on `outcomes.next_review_due(outcome)`;
- a **feedback** conversation with each person every quarter: the last conversation + 91 days,
  or, before the first one, the person's `joined_on` (else their first outcome's start) + 91 days;
- a **weekly check** for people with `Person.weekly_checks`: the week's check is due by its
  Monday + 6 (the current week, and the one before so its overdue alert still goes out).

Who hears about it is server/domain/reminder_notices.py; telling them exactly once is
server/domain/reminders.py.

Each function reads the whole organisation when given no people, or only the people named
(`person_ids`). The reminders job walks the people a chunk at a time (`people_chunks`: service by
service, then by id), so what it holds in memory is one chunk's rows, whatever the organisation's size.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, func, select, true

from ..extensions import db
from ..models import FeedbackConversation, Outcome, Person, Service, WeeklyCheck
from . import outcomes
from .dates import monday_of

SUBJECTS = ("review", "feedback", "weekly_check")
FEEDBACK_INTERVAL_DAYS = 91
WEEKLY_CHECK_WEEKS_BACK = 1


@dataclass(frozen=True)
class Item:
    """Something that falls due. `item_id` is the outcome for reviews and the person otherwise."""

    subject: str
    item_id: str
    person_id: str
    service_id: str
    organisation_id: str
    due_on: date


def _as_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def people_chunks(size: int = 500) -> Iterator[list[str]]:
    """The ids of the people still supported, `size` at a time (the last chunk may be smaller):
    service by service, and by id within a service (keyset, so each chunk is one indexed range read).
    A service's people stay together, so its keyworkers and managers come up in few chunks."""
    service_ids = db.session.execute(select(Service.id).order_by(Service.id)).scalars().all()
    chunk: list[str] = []
    for service_id in service_ids:
        after = None
        while True:
            q = select(Person.id).where(Person.service_id == service_id, Person.ended_on.is_(None))
            if after is not None:
                q = q.where(Person.id > after)
            want = size - len(chunk)
            rows = db.session.execute(q.order_by(Person.id).limit(want)).scalars().all()
            chunk += rows
            if len(chunk) >= size:
                yield chunk
                chunk = []
            if len(rows) < want:
                break
            after = rows[-1]
    if chunk:
        yield chunk


def _people(person_ids: list[str] | None):
    """A where clause for the people named (all when None)."""
    return Person.id.in_(person_ids) if person_ids is not None else true()


def review_items(person_ids: list[str] | None = None) -> list[Item]:
    active = and_(Outcome.status == "active", Person.ended_on.is_(None), _people(person_ids))
    # The latest review's date is kept on the outcome (outcome_facts: last_reviewed_at), as the
    # overdue list reads it: one pass over the outcomes, no look-up of each one's reviews.
    rows = db.session.execute(
        select(Outcome.id, Outcome.review_every, Outcome.starts_on, Outcome.last_reviewed_at, Person.id, Person.service_id,
               Person.organisation_id)
        .join(Person, Person.id == Outcome.person_id).where(active)
    ).all()
    items = []
    for outcome_id, every, starts_on, last_at, person_id, service_id, organisation_id in rows:
        due = outcomes.due_after("active", every, starts_on, last_at)
        if due is not None:
            items.append(Item("review", outcome_id, person_id, service_id, organisation_id, due))
    return items


def feedback_items(person_ids: list[str] | None = None) -> list[Item]:
    last_q = select(FeedbackConversation.person_id, func.max(FeedbackConversation.happened_at))
    first_q = select(Outcome.person_id, func.min(Outcome.starts_on))
    if person_ids is not None:
        last_q = last_q.where(FeedbackConversation.person_id.in_(person_ids))
        first_q = first_q.where(Outcome.person_id.in_(person_ids))
    last = dict(db.session.execute(last_q.group_by(FeedbackConversation.person_id)).all())
    first_outcome = dict(db.session.execute(first_q.group_by(Outcome.person_id)).all())
    items = []
    for person in db.session.execute(
        select(Person.id, Person.service_id, Person.organisation_id, Person.joined_on)
        .where(Person.ended_on.is_(None), _people(person_ids))
    ).all():
        base = _as_date(last.get(person.id)) or person.joined_on or _as_date(first_outcome.get(person.id))
        if base is not None:
            items.append(Item("feedback", person.id, person.id, person.service_id, person.organisation_id,
                              base + timedelta(days=FEEDBACK_INTERVAL_DAYS)))
    return items


def weekly_check_items(today: date, person_ids: list[str] | None = None) -> list[Item]:
    this_monday = monday_of(today)
    weeks = [this_monday - timedelta(days=7 * k) for k in range(WEEKLY_CHECK_WEEKS_BACK + 1)]
    people = db.session.execute(
        select(Person.id, Person.service_id, Person.organisation_id, Person.joined_on)
        .where(Person.weekly_checks.is_(True), Person.ended_on.is_(None), _people(person_ids))
    ).all()
    if not people:
        return []
    done = set()
    checks = select(WeeklyCheck.person_id, WeeklyCheck.week_of).where(
        WeeklyCheck.week_of >= weeks[-1], WeeklyCheck.week_of <= this_monday + timedelta(days=6)
    )
    if person_ids is not None:
        checks = checks.where(WeeklyCheck.person_id.in_([p.id for p in people]))
    for person_id, week_of in db.session.execute(checks).all():
        done.add((person_id, monday_of(_as_date(week_of))))
    items = []
    for person in people:
        for week in weeks:
            due = week + timedelta(days=6)
            if person.joined_on and due < person.joined_on:
                continue
            if (person.id, week) not in done:
                items.append(Item("weekly_check", person.id, person.id, person.service_id, person.organisation_id, due))
    return items


def due_items(today: date, person_ids: list[str] | None = None) -> list[Item]:
    """What falls due for the people named (everyone still supported when None)."""
    return review_items(person_ids) + feedback_items(person_ids) + weekly_check_items(today, person_ids)
