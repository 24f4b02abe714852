"""Reminders: what is due, who hears about it, and telling them exactly once.

Three things fall due:

- a **review** of each active outcome, on `outcomes.next_review_due(outcome)`;
- a **feedback** conversation with each person every quarter: the last conversation + 91 days,
  or, before the first one, the person's `joined_on` (else their first outcome's start) + 91 days;
- a **weekly check** for people with `Person.weekly_checks`: the week's check is due by its
  Monday + 6 (the current week, and the one before so its overdue alert still goes out).

Who hears: the person's keyworkers (`CaseloadAssignment.keyworker`) from REMINDER_DUE_DAYS_BEFORE
days before the due date ("due" notices), and the registered managers of the person's service
(`UserService`) from REMINDER_OVERDUE_DAYS_AFTER days after it ("overdue" notices).

Exactly once per item, due date and recipient, however often and on however many hosts
`flask reminders send` runs: each notice is claimed by inserting its Notification row, whose
`dedupe_key` ("<kind>:<item id>:<due date>:<user id>") is unique in the database. The insert runs
in a savepoint; an IntegrityError means another run claimed it first, so this run skips it. Only
the run that committed the claim pushes it, after the commit (so a crash between the two leaves
the reminder in the inbox, unpushed, rather than pushing it twice).

A user's new notices from one run become one push ("2 reviews due today"), which names nobody;
the inbox keeps a row per item and shows names only to someone who may still see the person.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..database import write_intent
from ..extensions import db
from ..models import (
    AuditEvent,
    CaseloadAssignment,
    FeedbackConversation,
    Notification,
    Outcome,
    Person,
    PushSubscription,
    Service,
    User,
    UserService,
    WeeklyCheck,
)
from ..models.base import new_id
from . import access, audit, outcomes, push
from .errors import DomainError, Forbidden, NotFound

log = logging.getLogger(__name__)

SUBJECTS = ("review", "feedback", "weekly_check")
NOUNS = {
    "review": ("review", "reviews"),
    "feedback": ("feedback conversation", "feedback conversations"),
    "weekly_check": ("weekly check", "weekly checks"),
}
FEEDBACK_INTERVAL_DAYS = 91
WEEKLY_CHECK_WEEKS_BACK = 1
STAFF = {"support_worker", "registered_manager", "senior_leader"}
PUSH_URL = "/notifications"
PUSH_TAG = "tandem-reminders"
ACK_ENTITY = "overdue_review"
_IN_CHUNK = 500


# ---- what is due ----

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


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def review_items() -> list[Item]:
    rows = db.session.execute(
        select(Outcome, Person).join(Person, Person.id == Outcome.person_id).where(Outcome.status == "active")
    ).all()
    items = []
    for outcome, person in rows:
        due = outcomes.next_review_due(outcome)
        if due is not None:
            items.append(Item("review", outcome.id, person.id, person.service_id, person.organisation_id, due))
    return items


def feedback_items() -> list[Item]:
    last = dict(
        db.session.execute(
            select(FeedbackConversation.person_id, func.max(FeedbackConversation.happened_at)).group_by(FeedbackConversation.person_id)
        ).all()
    )
    first_outcome = dict(db.session.execute(select(Outcome.person_id, func.min(Outcome.starts_on)).group_by(Outcome.person_id)).all())
    items = []
    for person in db.session.execute(select(Person)).scalars():
        base = _as_date(last.get(person.id)) or person.joined_on or _as_date(first_outcome.get(person.id))
        if base is not None:
            items.append(Item("feedback", person.id, person.id, person.service_id, person.organisation_id,
                              base + timedelta(days=FEEDBACK_INTERVAL_DAYS)))
    return items


def weekly_check_items(today: date) -> list[Item]:
    this_monday = monday_of(today)
    weeks = [this_monday - timedelta(days=7 * k) for k in range(WEEKLY_CHECK_WEEKS_BACK + 1)]
    people = db.session.execute(select(Person).where(Person.weekly_checks.is_(True))).scalars().all()
    if not people:
        return []
    done = set()
    for person_id, week_of in db.session.execute(
        select(WeeklyCheck.person_id, WeeklyCheck.week_of).where(
            WeeklyCheck.week_of >= weeks[-1], WeeklyCheck.week_of <= this_monday + timedelta(days=6)
        )
    ).all():
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


def due_items(today: date) -> list[Item]:
    return review_items() + feedback_items() + weekly_check_items(today)


# ---- who hears about it ----

@dataclass(frozen=True)
class Notice:
    user_id: str
    item: Item
    stage: str  # "due": to keyworkers; "overdue": to the registered managers of the service

    @property
    def kind(self) -> str:
        return f"{self.item.subject}_{self.stage}"

    @property
    def key(self) -> str:
        return dedupe_key(self.kind, self.item.item_id, self.item.due_on, self.user_id)


def dedupe_key(kind: str, item_id: str, due_on: date, user_id: str) -> str:
    return f"{kind}:{item_id}:{due_on.isoformat()}:{user_id}"


def parse_key(key: str) -> tuple[str, str, str, date, str] | None:
    """dedupe_key → (subject, stage, item id, due date, user id)."""
    try:
        kind, item_id, due, user_id = key.split(":")
        subject, stage = kind.rsplit("_", 1)
        return subject, stage, item_id, date.fromisoformat(due), user_id
    except ValueError:
        return None


def keyworkers_by_person() -> dict[str, list[str]]:
    rows = db.session.execute(
        select(CaseloadAssignment.person_id, User.id)
        .join(User, User.id == CaseloadAssignment.user_id)
        .join(Person, Person.id == CaseloadAssignment.person_id)
        .where(
            CaseloadAssignment.keyworker.is_(True),
            User.active.is_(True),
            User.role.in_(STAFF),
            User.organisation_id == Person.organisation_id,
        )
    ).all()
    out: dict[str, list[str]] = defaultdict(list)
    for person_id, user_id in rows:
        out[person_id].append(user_id)
    return out


def managers_by_service() -> dict[str, list[str]]:
    rows = db.session.execute(
        select(UserService.service_id, User.id)
        .join(User, User.id == UserService.user_id)
        .join(Service, Service.id == UserService.service_id)
        .where(User.role == "registered_manager", User.active.is_(True), User.organisation_id == Service.organisation_id)
    ).all()
    out: dict[str, list[str]] = defaultdict(list)
    for service_id, user_id in rows:
        out[service_id].append(user_id)
    return out


def notices_for(items: list[Item], today: date, days_before: int, days_after: int) -> list[Notice]:
    keyworkers, managers = keyworkers_by_person(), managers_by_service()
    notices = []
    for item in items:
        if today >= item.due_on - timedelta(days=days_before):
            notices += [Notice(user_id, item, "due") for user_id in keyworkers.get(item.person_id, ())]
        if today >= item.due_on + timedelta(days=days_after):
            notices += [Notice(user_id, item, "overdue") for user_id in managers.get(item.service_id, ())]
    return notices


# ---- words (never a name or a note: pushes show on locked screens) ----

def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _noun(subject: str, n: int) -> str:
    one, many = NOUNS[subject]
    return one if n == 1 else many


def inbox_text(notice: Notice, today: date) -> tuple[str, str, str]:
    """(title, body, url) of the inbox row for one notice."""
    item = notice.item
    noun = NOUNS[item.subject][0].capitalize()
    due = _long_date(item.due_on)
    if notice.stage == "overdue":
        title, body = f"{noun} overdue in your service", f"Was due on {due}."
        url = "/reviews/overdue" if item.subject == "review" else f"/people/{item.person_id}"
        return title, body, url
    if item.due_on < today:
        title, body = f"{noun} overdue", f"Was due on {due}."
    elif item.due_on == today:
        title, body = f"{noun} due today", f"Due on {due}."
    else:
        title, body = f"{noun} due soon", f"Due on {due}."
    url = f"/outcomes/{item.item_id}/review" if item.subject == "review" else f"/people/{item.person_id}"
    return title, body, url


_PHRASES = (("overdue", "overdue in your services"), ("late", "overdue"), ("today", "due today"), ("soon", "due soon"))


def _bucket(notice: Notice, today: date) -> str:
    if notice.stage == "overdue":
        return "overdue"
    if notice.item.due_on < today:
        return "late"
    return "today" if notice.item.due_on == today else "soon"


def push_message(notices: list[Notice], today: date) -> tuple[dict, str]:
    """One push for a user's new notices: (payload, urgency). "2 reviews due today"."""
    counts = Counter((_bucket(n, today), n.item.subject) for n in notices)
    phrases = [
        f"{counts[bucket, subject]} {_noun(subject, counts[bucket, subject])} {words}"
        for bucket, words in _PHRASES
        for subject in SUBJECTS
        if counts[bucket, subject]
    ]
    if len(phrases) == 1:
        title, body = phrases[0], "Open Tandem to see the details."
    else:
        title, body = f"{len(notices)} reminders", "; ".join(phrases) + "."
    urgency = "high" if any(n.stage == "overdue" for n in notices) else "normal"
    return {"title": title, "body": body, "url": PUSH_URL, "tag": PUSH_TAG}, urgency


# ---- claiming (the exactly-once guard) ----

def _known_keys(keys: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start:start + _IN_CHUNK]
        known.update(db.session.execute(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(chunk))).scalars())
    return known


def claim(notices: list[Notice], today: date) -> tuple[dict[str, list[tuple[Notice, str]]], int]:
    """Insert a Notification per notice no run has claimed yet. Returns (user id → [(notice,
    notification id)] for the ones this run claimed and therefore pushes, how many another run
    claimed between our look-up and our insert)."""
    by_key = {n.key: n for n in notices}
    known = _known_keys(sorted(by_key))
    db.session.rollback()  # end the read transaction; claims start their own (BEGIN IMMEDIATE on SQLite)
    by_user: dict[str, list[Notice]] = defaultdict(list)
    for key in sorted(by_key):  # one global order, so concurrent runs never wait on each other in a cycle
        if key not in known:
            by_user[by_key[key].user_id].append(by_key[key])
    claimed: dict[str, list[tuple[Notice, str]]] = {}
    lost = 0
    for user_id in sorted(by_user):
        mine = []
        with write_intent():
            for notice in by_user[user_id]:
                title, body, url = inbox_text(notice, today)
                row = Notification(id=new_id(), user_id=user_id, kind=notice.kind, title=title, body=body, url=url,
                                   dedupe_key=notice.key, push_status="pending")
                try:
                    with db.session.begin_nested():
                        db.session.add(row)
                except IntegrityError:
                    lost += 1  # another run (or host) claimed it first
                    continue
                mine.append((notice, row.id))
            db.session.commit()
        if mine:
            claimed[user_id] = mine
    return claimed, lost


# ---- sending ----

@dataclass
class RunSummary:
    notices: int = 0
    users: int = 0
    pushed: int = 0
    without_subscription: int = 0
    failed: int = 0
    subscriptions_removed: int = 0
    claimed_elsewhere: int = 0
    statuses: dict = field(default_factory=dict)

    def line(self) -> str:
        if not self.notices:
            return "Nothing new to send."
        return (
            f"{self.notices} new reminder{'s' if self.notices != 1 else ''} for {self.users} "
            f"user{'s' if self.users != 1 else ''}: {self.pushed} pushed, {self.without_subscription} without a push "
            f"subscription, {self.failed} failed; {self.subscriptions_removed} expired subscription"
            f"{'s' if self.subscriptions_removed != 1 else ''} removed."
        )


def _status(results: list[tuple[push.Target, push.Delivery]]) -> str:
    if not results:
        return "no_subscription"
    if any(r.status == "sent" for _, r in results):
        return "sent"
    first = results[0][1]
    if first.status == "gone":
        return f"failed: {first.detail.split()[0]} subscription removed"[:40]
    return f"failed: {first.detail}"[:40]


def _record(user_id: str, notification_ids: list[str], results: list[tuple[push.Target, push.Delivery]]) -> str:
    status = _status(results)
    now = datetime.now(timezone.utc)
    with write_intent():
        for target, result in results:
            sub = db.session.get(PushSubscription, target.id)
            if sub is None:
                continue
            if result.status == "gone":
                db.session.delete(sub)
            elif result.status == "failed":
                sub.last_error = f"{now.isoformat(timespec='seconds')} {result.detail}"
            else:
                sub.last_error = None
        db.session.execute(update(Notification).where(Notification.id.in_(notification_ids)).values(push_status=status))
        db.session.commit()
    return status


def send_reminders(today: date | None = None, sleep: Callable[[float], None] = time.sleep) -> RunSummary:
    """Claim every due and overdue notice no run has sent, and push each user's new ones as one
    message. Safe to run every minute, and on several hosts at once."""
    config = current_app.config
    today = today or date.today()
    notices = notices_for(due_items(today), today, int(config["REMINDER_DUE_DAYS_BEFORE"]), int(config["REMINDER_OVERDUE_DAYS_AFTER"]))
    claimed, lost = claim(notices, today)
    summary = RunSummary(notices=sum(len(v) for v in claimed.values()), users=len(claimed), claimed_elsewhere=lost)
    if not claimed:
        return summary
    with push.http_session() as session:
        for user_id, pairs in claimed.items():
            targets = push.targets_of(user_id)
            db.session.rollback()  # no transaction stays open while we wait on the network
            payload, urgency = push_message([n for n, _ in pairs], today)
            results = [(t, push.deliver(t, payload, urgency, session=session, sleep=sleep)) for t in targets]
            status = _record(user_id, [nid for _, nid in pairs], results)
            summary.statuses[user_id] = status
            summary.subscriptions_removed += sum(1 for _, r in results if r.status == "gone")
            if status == "sent":
                summary.pushed += 1
            elif status == "no_subscription":
                summary.without_subscription += 1
            else:
                summary.failed += 1
    return summary


# ---- the optional in-process scheduler (single-host installs without cron) ----

class Scheduler:
    """Runs send_reminders every REMINDERS_INTERVAL_MINUTES in a daemon thread. Several processes
    doing this at once is safe (the dedupe guard), merely wasteful: prefer cron with several."""

    def __init__(self, app, minutes: float):
        self.app, self.seconds = app, minutes * 60
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="tandem-reminders", daemon=True)

    def start(self) -> "Scheduler":
        self.thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        wait = min(60.0, self.seconds)  # the first run soon after start, not a whole interval later
        while not self._stop.wait(wait):
            try:
                with self.app.app_context():
                    summary = send_reminders()
                if summary.notices:
                    log.info("reminders: %s", summary.line())
            except Exception:  # noqa: BLE001 - keep the schedule alive; the next run tries again
                log.exception("reminders run failed")
            wait = self.seconds


def start_scheduler(app) -> Scheduler | None:
    """Started by create_app when REMINDERS_INTERVAL_MINUTES > 0 (and not under tests)."""
    try:
        minutes = float(app.config.get("REMINDERS_INTERVAL_MINUTES") or 0)
    except (TypeError, ValueError):
        log.error("REMINDERS_INTERVAL_MINUTES must be a number of minutes; the reminder scheduler is off")
        return None
    if minutes <= 0 or app.config.get("TESTING"):
        return None
    return Scheduler(app, minutes).start()


# ---- the inbox ----

def _visible(user: User, person_ids: set[str]) -> set[str]:
    if not person_ids or user.role not in STAFF:
        return set()
    return set(db.session.execute(access.visible_people(user).where(Person.id.in_(person_ids))).scalars())


def describe(user: User, rows: list[Notification]) -> list[dict]:
    """Inbox rows, with the person's name and the outcome added only if `user` may still see them."""
    parsed = {row.id: parse_key(row.dedupe_key) for row in rows}
    outcome_ids = {p[2] for p in parsed.values() if p and p[0] == "review"}
    outcome_rows = {o.id: o for o in db.session.execute(select(Outcome).where(Outcome.id.in_(outcome_ids))).scalars()} if outcome_ids else {}
    person_of: dict[str, str | None] = {}
    for row_id, p in parsed.items():
        if p is None:
            continue
        subject, _stage, item_id = p[0], p[1], p[2]
        if subject == "review":
            outcome = outcome_rows.get(item_id)
            person_of[row_id] = outcome.person_id if outcome else None
        else:
            person_of[row_id] = item_id
    visible = _visible(user, {pid for pid in person_of.values() if pid})
    people = {p.id: p for p in db.session.execute(select(Person).where(Person.id.in_(visible))).scalars()} if visible else {}
    out = []
    for row in rows:
        p = parsed[row.id]
        person = people.get(person_of.get(row.id))
        outcome = outcome_rows.get(p[2]) if p and p[0] == "review" and person else None
        out.append({
            "id": row.id,
            "kind": row.kind,
            "subject": p[0] if p else None,
            "stage": p[1] if p else None,
            "due_on": p[3] if p else None,
            "title": row.title,
            "body": row.body,
            "url": row.url,
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


def inbox(user: User, limit: int = 50) -> dict:
    rows = db.session.execute(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.dedupe_key)
        .limit(limit)
    ).scalars().all()
    return {"notifications": describe(user, list(rows)), "unread": unread_count(user)}


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


# ---- overdue reviews, for managers ----

class NotOverdue(DomainError):
    status = 409
    code = "not_overdue"


def overdue_reviews(user: User, today: date | None = None, outcome_id: str | None = None) -> list[dict]:
    """Active outcomes whose review date has passed, among the people `user` may see: a manager's
    services, every service for a senior leader, a worker's own caseload."""
    if user.role not in STAFF:
        raise Forbidden("Your role does not see named people's reviews.")
    today = today or date.today()
    q = (
        select(Outcome, Person, Service)
        .join(Person, Person.id == Outcome.person_id)
        .join(Service, Service.id == Person.service_id)
        .where(Outcome.status == "active", Person.id.in_(access.visible_people(user)))
    )
    if outcome_id is not None:
        q = q.where(Outcome.id == outcome_id)
    found = []
    for outcome, person, service in db.session.execute(q).all():
        due = outcomes.next_review_due(outcome)
        if due is not None and due < today:
            found.append((outcome, person, service, due))
    if not found:
        return []
    person_ids = {p.id for _, p, _, _ in found}
    keyworkers: dict[str, list[str]] = defaultdict(list)
    for person_id, name in db.session.execute(
        select(CaseloadAssignment.person_id, User.name)
        .join(User, User.id == CaseloadAssignment.user_id)
        .where(CaseloadAssignment.keyworker.is_(True), CaseloadAssignment.person_id.in_(person_ids), User.active.is_(True))
        .order_by(User.name)
    ).all():
        keyworkers[person_id].append(name)
    acks: dict[tuple[str, str], AuditEvent] = {}
    for event in db.session.execute(
        select(AuditEvent)
        .where(
            AuditEvent.entity == ACK_ENTITY,
            AuditEvent.action == "acknowledge",
            AuditEvent.organisation_id == user.organisation_id,
            AuditEvent.entity_id.in_({o.id for o, _, _, _ in found}),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).scalars():
        acks.setdefault((event.entity_id, (event.detail or {}).get("due_on")), event)
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_({e.user_id for e in acks.values() if e.user_id}))).all()) if acks else {}
    items = []
    for outcome, person, service, due in found:
        ack = acks.get((outcome.id, due.isoformat()))
        items.append({
            "outcome_id": outcome.id,
            "person_id": person.id,
            "person_name": person.name,
            "preferred_name": person.preferred_name,
            "service_id": service.id,
            "service_name": service.name,
            "domain": outcome.domain,
            "due_on": due,
            "days_late": (today - due).days,
            "keyworkers": keyworkers.get(person.id, []),
            "acknowledged": {"by_id": ack.user_id, "by": names.get(ack.user_id), "at": ack.at} if ack else None,
        })
    items.sort(key=lambda i: (-i["days_late"], i["person_name"], i["domain"]))
    return items


def acknowledge(user: User, outcome_id: str, today: date | None = None) -> tuple[dict, bool]:
    """A manager or senior leader notes that they have seen an overdue review. Returns (item,
    newly acknowledged). Acknowledging again is harmless; a later due date needs a new one."""
    if user.role not in {"registered_manager", "senior_leader"}:
        raise Forbidden("Only registered managers and senior leaders acknowledge overdue reviews.")
    outcome = outcomes.outcome_for(user, outcome_id)
    items = overdue_reviews(user, today, outcome_id=outcome.id)
    if not items:
        raise NotOverdue("This review is not overdue, so there is nothing to acknowledge.",
                         fields={"outcome_id": ["The review is not overdue."]})
    if items[0]["acknowledged"]:
        return items[0], False
    person = db.session.get(Person, outcome.person_id)
    audit.record(user, "acknowledge", ACK_ENTITY, outcome.id, person=person,
                 due_on=items[0]["due_on"].isoformat(), days_late=items[0]["days_late"])
    db.session.flush()
    return overdue_reviews(user, today, outcome_id=outcome.id)[0], True
