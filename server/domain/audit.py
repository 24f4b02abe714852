"""The append-only audit trail: every change to a person's data and every staff view of a record.

Changes are audited inside the transaction that makes them. Views happen in read requests (GET),
which must not take SQLite's write lock halfway through a read: their entries are kept aside and
written in one short write transaction of their own when the request has produced its reply
(`record_many`, committed by server/unit_of_work.init_app). If that write fails, the reply is
withheld (503): nobody reads a record without the read being logged.
"""
from __future__ import annotations

import logging

from datetime import datetime

from flask import g, has_request_context, request
from sqlalchemy import select

from ..database import SAFE_METHODS, insert_rows
from ..extensions import db
from ..models import AuditEvent, Device, Person, User
from ..models.base import utcnow
from . import access, batch, paging
from .errors import NotFound

log = logging.getLogger(__name__)


def record(actor, action: str, entity: str, entity_id=None, person=None, service_id=None, **detail) -> None:
    row = entry(actor, action, entity, entity_id, person, service_id, **detail)
    push = batch.current()
    if push is not None and action != "view":
        # A sync push inserts its mutations' entries in one statement when the batch is done,
        # keeping those of the mutations whose savepoint committed (batch.py, sync._push).
        push.pending_audit.append(row)
        return
    if action == "view" and has_request_context() and request.method in SAFE_METHODS:
        # A read request's views: written together once the reply is built (unit_of_work).
        g.setdefault("audit_views", []).append(row)
        return
    db.session.add(AuditEvent(**row))


def entry(actor, action: str, entity: str, entity_id=None, person=None, service_id=None, **detail) -> dict:
    """The row `record` would write, for inserting many in one statement (`record_many`)."""
    return {
        "at": utcnow(),
        "organisation_id": getattr(actor, "organisation_id", None),
        "service_id": service_id or getattr(person, "service_id", None),
        "user_id": getattr(actor, "id", None),
        "device_id": g.get("device_id") if has_request_context() else None,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id) if entity_id is not None else None,
        "person_id": getattr(person, "id", None),
        "detail": detail,
    }


def record_many(rows: list[dict]) -> None:
    """Insert entries made with `entry` in one statement: a job that records thousands at once, a
    read request's views."""
    insert_rows(AuditEvent.__table__, rows)


def viewed(actor, person, what: str = "person", entity_id=None) -> None:
    """A staff member looked at a person's record (ACCESS.md: every staff view is audited)."""
    if access.is_person(actor):
        return
    record(actor, "view", what, entity_id or person.id, person=person)


# ---- reading the log ----

VERBS = {
    "view": "viewed", "create": "added", "update": "changed", "delete": "deleted",
    "acknowledge": "acknowledged", "review": "reviewed", "answer": "answered",
}
# What an entry is about, as a noun phrase after "<person>'s" (or "a"/"the" when no person).
NOUNS = {
    "person": "record", "outcomes": "outcomes", "outcome": "outcome", "trajectory": "progress on an outcome",
    "review": "review", "evidence": "evidence note", "action": "action", "weekly_check": "weekly check",
    "weekly_checks": "weekly checks", "event": "event", "events": "events", "feedback": "feedback conversation",
    "overdue_review": "overdue review", "audit": "audit trail", "summary": "summary", "export": "records export",
    "change": "co-produced change", "theme": "theme", "service_measures": "service measures",
    "service_report": "service report", "push_subscription": "push subscription", "user": "account",
}
PAGE = 50


def device_label(user_agent: str | None) -> str:
    """"Android phone (Chrome)" from a browser's user agent; "device" when it says nothing useful."""
    ua = user_agent or ""
    if "iPhone" in ua:
        kind = "iPhone"
    elif "iPad" in ua:
        kind = "iPad"
    elif "Android" in ua:
        kind = "Android phone" if "Mobile" in ua else "Android tablet"
    elif "Windows" in ua:
        kind = "Windows computer"
    elif "Macintosh" in ua:
        kind = "Mac"
    elif "CrOS" in ua:
        kind = "Chromebook"
    elif "Linux" in ua:
        kind = "Linux computer"
    else:
        kind = "device"
    for marker, browser in (("Edg", "Edge"), ("SamsungBrowser", "Samsung Internet"), ("Firefox", "Firefox"), ("FxiOS", "Firefox"),
                            ("CriOS", "Chrome"), ("Chrome", "Chrome"), ("Safari", "Safari")):
        if marker in ua:
            return f"{kind} ({browser})"
    return kind


def summary(event: AuditEvent, actor: User | None, person_name: str | None) -> str:
    """One plain sentence: "Jordan Lee (support worker) viewed Sam Taylor's outcomes"."""
    if actor is not None:
        who = f"{actor.name} ({access.ROLE_WORDS.get(actor.role, actor.role)})"
    elif (event.detail or {}).get("by") == "command line":
        who = "The command line"
    else:
        who = "Someone"
    whose = f"{person_name}'s" if person_name else ("a person's" if event.person_id else None)
    if event.action in {"sign_in", "sign_out"}:
        return f"{who} signed {'in' if event.action == 'sign_in' else 'out'}"
    if event.action in {"caseload_add", "caseload_remove"}:
        target = person_name or "a person"
        return f"{who} {'added' if event.action == 'caseload_add' else 'removed'} {target} {'to' if event.action == 'caseload_add' else 'from'} a caseload"
    verb = VERBS.get(event.action, event.action.replace("_", " "))
    noun = NOUNS.get(event.entity, event.entity.replace("_", " "))
    if whose:
        return f"{who} {verb} {whose} {noun}"
    article = "the" if noun.endswith("s") else ("an" if noun[:1] in "aeiou" else "a")
    return f"{who} {verb} {article} {noun}"


def entries(reader, person_id: str | None = None, user_id: str | None = None, since: datetime | None = None,
            cursor: str | None = None, limit: int = PAGE) -> dict:
    """The audit log `reader` may read, newest first, keyset-paged: {"items": [...], "next_cursor"}.
    A fixed number of statements per page, whatever its size."""
    q = select(AuditEvent).where(access.audit_scope(reader))
    if person_id is not None:
        person = db.session.get(Person, person_id)
        if person is None or person.organisation_id != reader.organisation_id:
            raise NotFound("No such person.", fields={"person_id": ["No such person."]})
        if not access.is_admin(reader):
            access.person_for(reader, person.id)  # a manager: someone in their services
            viewed(reader, person, "audit")
        q = q.where(AuditEvent.person_id == person.id)
    if user_id is not None:
        subject = db.session.get(User, user_id)
        if subject is None or subject.organisation_id != reader.organisation_id:
            raise NotFound("No such user.", fields={"user_id": ["No such user."]})
        q = q.where(AuditEvent.user_id == subject.id)
    if since is not None:
        q = q.where(AuditEvent.at >= since)
    if cursor:
        moment, row_id = paging.decode(cursor, int_id=True)
        q = q.where(paging.older_than(AuditEvent.at, AuditEvent.id, moment, row_id))
    rows = db.session.execute(q.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit + 1)).scalars().all()
    rows, next_cursor = paging.page(list(rows), limit, lambda e: (e.at, e.id))

    users = {u.id: u for u in db.session.execute(select(User).where(User.id.in_({e.user_id for e in rows if e.user_id}))).scalars()} if rows else {}
    people = dict(db.session.execute(
        select(Person.id, Person.name).where(Person.id.in_({e.person_id for e in rows if e.person_id}), Person.id.in_(access.visible_people(reader)))
    ).all()) if rows else {}
    devices = dict(db.session.execute(
        select(Device.id, Device.user_agent).where(Device.id.in_({e.device_id for e in rows if e.device_id}))
    ).all()) if rows else {}
    items = []
    for event in rows:
        actor = users.get(event.user_id)
        name = people.get(event.person_id)
        items.append({
            "id": event.id,
            "at": event.at,
            "user": {"id": actor.id, "name": actor.name, "role": actor.role} if actor else None,
            "device": {"id": event.device_id, "label": device_label(devices.get(event.device_id))} if event.device_id else None,
            "action": event.action,
            "entity": event.entity,
            "entity_id": event.entity_id,
            "person_id": event.person_id,
            "person_name": name,
            "service_id": event.service_id,
            "summary": summary(event, actor, name),
        })
    return {"items": items, "next_cursor": next_cursor}
