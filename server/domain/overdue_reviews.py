"""Overdue reviews, for managers: the active outcomes whose review date has passed, among the people
a user may see, and the acknowledgement that a manager or senior leader has seen one."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import and_, func, select, tuple_

from ..database import insert_ignoring_conflict
from ..extensions import db
from ..models import CaseloadAssignment, Outcome, Person, ReviewAcknowledgement, Service, User
from . import access, audit, keyset, outcomes
from .errors import Clash
from .viewlog import viewed_people

ACK_ENTITY = "overdue_review"


class NotOverdue(Clash):
    code = "not_overdue"


# A page's order, and what its cursor names: most days late first (the due date), then the person's
# name, the outcome and its id.
CURSOR_KINDS = (date, str, str, str)


def _cursor_keys(item: dict) -> list:
    return [item["due_on"], item["person_name"], item["domain"], item["outcome_id"]]


def overdue_reviews(user: User, today: date | None = None, outcome_id: str | None = None,
                    after: list | None = None, limit: int | None = None) -> list[dict]:
    """Active outcomes whose review date has passed, among the people `user` may see: a manager's
    services, every service for a senior leader, a worker's own caseload; most days late first,
    then by person's name, outcome and id. With `after` (a cursor's keys) only the items after it,
    with `limit` at most that many. Ordered and cut in SQL, so a page reads only its own rows'
    keyworkers and acknowledgements: a fixed number of statements however long the list. The due
    date is worked out in SQL (the latest review's date kept on the outcome, else the start, plus
    the interval; outcomes.next_review_due says the same), and every look-up names the
    people in scope by a subquery or the page's own rows, never by a parameter per overdue item."""
    from .dashboard import day_number, epoch_day, review_interval, the_day

    access.require_read(user, "overdue_review")
    today = today or date.today()
    in_scope = and_(Outcome.status == "active", Person.ended_on.is_(None), access.readable_rows(user, "overdue_review", Person))
    if outcome_id is not None:
        in_scope = and_(in_scope, Outcome.id == outcome_id)
    # Each outcome's latest review date is kept on it (outcome_facts: last_reviewed_at), so the due
    # day is worked out once per row with no look-up of its reviews.
    rows = (
        select(Outcome.id.label("outcome_id"), Outcome.review_every, Outcome.starts_on, Outcome.domain,
               Outcome.last_reviewed_at.label("last_at"),
               Person.id.label("person_id"), Person.name.label("person_name"), Person.preferred_name,
               Service.id.label("service_id"), Service.name.label("service_name"))
        .join(Person, Person.id == Outcome.person_id)
        .join(Service, Service.id == Person.service_id)
        .where(in_scope)
        .subquery()
    )
    due_day = func.coalesce(epoch_day(rows.c.last_at), epoch_day(rows.c.starts_on)) + review_interval(rows.c.review_every)
    query = (
        select(rows.c.outcome_id, rows.c.domain, rows.c.person_id, rows.c.person_name, rows.c.preferred_name,
               rows.c.service_id, rows.c.service_name, due_day)
        .where(due_day < day_number(today))
        .order_by(due_day, rows.c.person_name, rows.c.domain, rows.c.outcome_id)
    )
    if after is not None:
        after_due, *after_rest = after
        query = query.where(tuple_(due_day, rows.c.person_name, rows.c.domain, rows.c.outcome_id)
                            > tuple_(day_number(after_due), *after_rest))
    if limit is not None:
        query = query.limit(limit)
    # The due date shown is the one the list is ordered and paged by.
    found = [(*row[:-1], the_day(row[-1])) for row in db.session.execute(query)]
    if not found:
        return []
    if limit is None:
        # The whole list: look-ups name the people in scope by a subquery (a parameter each
        # could pass the database's limit in a large organisation).
        people = select(Person.id).join(Outcome, Outcome.person_id == Person.id).where(in_scope)
        outcome_ids = select(Outcome.id).join(Person, Person.id == Outcome.person_id).where(in_scope)
    else:
        people = list({row[2] for row in found})
        outcome_ids = [row[0] for row in found]
    keyworkers: dict[str, list[str]] = defaultdict(list)
    for person_id, name in db.session.execute(
        select(CaseloadAssignment.person_id, User.name)
        .join(User, User.id == CaseloadAssignment.user_id)
        .where(CaseloadAssignment.keyworker.is_(True), CaseloadAssignment.person_id.in_(people), User.active.is_(True))
        .order_by(User.name)
    ).all():
        keyworkers[person_id].append(name)
    acks: dict[tuple[str, date], tuple] = {
        (outcome_ack, due_on): (by_id, by, at)
        for outcome_ack, due_on, by_id, at, by in db.session.execute(
            select(ReviewAcknowledgement.outcome_id, ReviewAcknowledgement.due_on, ReviewAcknowledgement.user_id,
                   ReviewAcknowledgement.at, User.name)
            .outerjoin(User, User.id == ReviewAcknowledgement.user_id)
            .where(ReviewAcknowledgement.outcome_id.in_(outcome_ids))
        ).all()
    }
    items = []
    for oid, domain_name, pid, pname, preferred, sid, sname, due in found:
        ack = acks.get((oid, due))
        items.append({
            "outcome_id": oid,
            "person_id": pid,
            "person_name": pname,
            "preferred_name": preferred,
            "service_id": sid,
            "service_name": sname,
            "domain": domain_name,
            "due_on": due,
            "days_late": (today - due).days,
            "keyworkers": keyworkers.get(pid, []),
            "acknowledged": {"by_id": ack[0], "by": ack[1] if ack[0] else None, "at": ack[2]} if ack else None,
        })
    return items


@dataclass(frozen=True)
class _Listed:
    """What an audit view entry needs of a person listed (their id and service)."""

    id: str
    service_id: str


def overdue_page(user: User, today: date | None = None, limit: int | None = None, cursor: str | None = None) -> tuple[list[dict], str | None]:
    """overdue_list a page at a time: the items after `cursor` (most days late first, then name,
    outcome and id), at most `limit` of them, and the cursor for the next page (None on the last).
    Without `limit`, the whole list. Only the people on the page are audited as viewed."""
    if limit is None and cursor is None:
        return overdue_list(user, today), None
    after = keyset.decode_keys(cursor, CURSOR_KINDS) if cursor else None
    limit = limit or 100
    page, next_cursor = keyset.split(overdue_reviews(user, today, after=after, limit=limit + 1), limit, _cursor_keys)
    _audit_overdue(user, page)
    return page, next_cursor


def overdue_list(user: User, today: date | None = None) -> list[dict]:
    """overdue_reviews for the list screen, audited: one view entry per person listed."""
    items = overdue_reviews(user, today)
    _audit_overdue(user, items)
    return items


def _audit_overdue(user: User, items: list[dict]) -> None:
    if items and not access.is_person(user):
        ids: dict[str, list[str]] = defaultdict(list)
        people: dict[str, _Listed] = {}
        for item in items:
            ids[item["person_id"]].append(item["outcome_id"])
            people.setdefault(item["person_id"], _Listed(item["person_id"], item["service_id"]))
        viewed_people(user, people.values(), "overdue_reviews", ids)


def acknowledge(user: User, outcome_id: str, today: date | None = None) -> tuple[dict, bool]:
    """A manager or senior leader notes that they have seen an overdue review. Returns (item,
    newly acknowledged). Acknowledging again is harmless; a later due date needs a new one."""
    outcome = outcomes.outcome_for(user, outcome_id, write=True, kind="overdue_review")
    items = overdue_reviews(user, today, outcome_id=outcome.id)
    if not items:
        raise NotOverdue("This review is not overdue, so there is nothing to acknowledge.",
                         fields={"outcome_id": ["The review is not overdue."]})
    if items[0]["acknowledged"]:
        return items[0], False
    person = db.session.get(Person, outcome.person_id)
    due_on = items[0]["due_on"]
    # ON CONFLICT DO NOTHING: two managers acknowledging at once leave one acknowledgement (the
    # first), and the second is told it was already done.
    inserted = db.session.execute(
        insert_ignoring_conflict(ReviewAcknowledgement).values(
            outcome_id=outcome.id, due_on=due_on, user_id=user.id, at=datetime.now(timezone.utc))
    ).rowcount
    if inserted:
        audit.record(user, "acknowledge", ACK_ENTITY, outcome.id, person=person,
                     due_on=due_on.isoformat(), days_late=items[0]["days_late"])
    db.session.flush()
    return overdue_reviews(user, today, outcome_id=outcome.id)[0], bool(inserted)


