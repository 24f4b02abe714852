"""The notifications inbox: a user's own reminders and escalation notices, with the person's name
and the outcome added only while the user may still see them; reading one or all of them."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Notification, Outcome, Person, User
from . import access, escalations
from .errors import NotFound
from .reminder_notices import PUSH_URL, parse_key
from .viewlog import viewed_people


def describe(user: User, rows: list[Notification]) -> list[dict]:
    """Inbox rows, with the person's name and the outcome added only if `user` may still see them."""
    parsed = {row.id: parse_key(row.dedupe_key) for row in rows}
    outcome_ids = {p[2] for p in parsed.values() if p and p[0] == "review"}
    outcome_rows = {o.id: o for o in db.session.execute(select(Outcome).where(Outcome.id.in_(outcome_ids))).scalars()} if outcome_ids else {}
    escalated = escalations.person_of({p[2] for p in parsed.values() if p and p[0] == "escalation"})
    person_of: dict[str, str | None] = {}
    for row_id, p in parsed.items():
        if p is None:
            continue
        subject, _stage, item_id = p[0], p[1], p[2]
        if subject == "review":
            outcome = outcome_rows.get(item_id)
            person_of[row_id] = outcome.person_id if outcome else None
        elif subject == "escalation":
            person_of[row_id] = escalated.get(item_id)
        else:
            person_of[row_id] = item_id
    visible = access.readable_among(user, "person", {pid for pid in person_of.values() if pid})
    people = {p.id: p for p in db.session.execute(select(Person).where(Person.id.in_(visible))).scalars()} if visible else {}
    out = []
    for row in rows:
        p = parsed[row.id]
        person = people.get(person_of.get(row.id))
        outcome = outcome_rows.get(p[2]) if p and p[0] == "review" and person else None
        # A link names the person or outcome by id: only while the user may still see them.
        url = row.url if person is not None or p is None or row.url == "/reviews/overdue" else PUSH_URL
        out.append({
            "id": row.id,
            "kind": row.kind,
            "subject": p[0] if p else None,
            "stage": p[1] if p else None,
            "due_on": p[3] if p and p[0] != "escalation" else None,  # an escalation's key date is when it was raised
            "title": row.title,
            "body": row.body,
            "url": url,
            "created_at": row.created_at,
            "read_at": row.read_at,
            "push_status": row.push_status,
            "person": {"id": person.id, "name": person.name, "preferred_name": person.preferred_name} if person else None,
            "outcome": {"id": outcome.id, "domain": outcome.domain} if outcome else None,
        })
    return out


def unread_count(user: User) -> int:
    return db.session.execute(
        select(func.count()).select_from(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()


def inbox(user: User, limit: int = 50, cursor: str | None = None) -> dict:
    """The user's own notifications, newest first, `limit` at a time (`next_cursor` names the next
    page). Those naming a person are audited as a view of that person."""
    from . import paging

    access.require_read(user, "notification")
    q = select(Notification).where(Notification.user_id == user.id)
    if cursor:
        moment, key = paging.decode(cursor)
        # Newest first, then by dedupe key: the next page is older, or as old with a later key.
        q = q.where((Notification.created_at < moment) | ((Notification.created_at == moment) & (Notification.dedupe_key > key)))
    rows = db.session.execute(
        q.order_by(Notification.created_at.desc(), Notification.dedupe_key).limit(limit + 1)
    ).scalars().all()
    rows, next_cursor = paging.page(list(rows), limit, lambda row: (row.created_at, row.dedupe_key))
    described = describe(user, list(rows))
    named = {d["person"]["id"]: d["id"] for d in described if d["person"]}
    if named:
        people = db.session.execute(select(Person).where(Person.id.in_(named))).scalars()
        viewed_people(user, people, "notifications", {pid: [nid] for pid, nid in named.items()})
    return {"notifications": described, "unread": unread_count(user), "next_cursor": next_cursor}


def mark_read(user: User, notification_id: str) -> dict:
    row = db.session.get(Notification, str(notification_id))
    if row is None or row.user_id != user.id:
        raise NotFound("No such notification.", fields={"notification_id": ["No such notification of yours."]})
    if row.read_at is None:
        row.read_at = datetime.now(timezone.utc)
        db.session.flush()
    return describe(user, [row])[0]


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=datetime.now(timezone.utc))
    )
    return result.rowcount or 0
