"""Who hears about what falls due, and in which words.

The person's keyworkers (`CaseloadAssignment.keyworker`) whose role records that kind of thing
(access.POLICY) hear from REMINDER_DUE_DAYS_BEFORE days before the due date ("due" notices), and the
managers of the person's service (`UserService`, access.MANAGERS) from REMINDER_OVERDUE_DAYS_AFTER
days after it ("overdue" notices). Each notice has a `dedupe_key` ("<kind>:<item id>:<due date>:<user
id>") that server/domain/reminders.py claims exactly once.

Words never hold a name or a note: pushes show on locked screens. A user's new notices from one
run become one push ("2 reviews due today"); the inbox keeps a row per item.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache

from sqlalchemy import select

from ..extensions import db
from ..models import CaseloadAssignment, Escalation, Person, Service, User, UserService
from . import access, escalations
from .due import SUBJECTS, Item

NOUNS = {
    "review": ("review", "reviews"),
    "feedback": ("feedback conversation", "feedback conversations"),
    "weekly_check": ("weekly check", "weekly checks"),
}
# The kind of record (access.POLICY) each reminder asks someone to make.
KINDS = {"review": "review", "feedback": "feedback", "weekly_check": "check"}
PUSH_URL = "/notifications"
PUSH_TAG = "tandem-reminders"


@dataclass(frozen=True)
class Notice:
    user_id: str
    item: Item
    stage: str  # "due": to keyworkers; "overdue": to the registered managers of the service

    @cached_property
    def kind(self) -> str:
        return f"{self.item.subject}_{self.stage}"

    @cached_property
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


def keyworkers_by_person(subject: str, person_ids: list[str] | None = None) -> dict[str, list[str]]:
    """The active keyworkers of each person (of those named, or everyone) whose role makes records
    of `subject`'s kind."""
    kind = KINDS[subject]
    q = (
        select(CaseloadAssignment.person_id, User.id)
        .join(User, User.id == CaseloadAssignment.user_id)
        .join(Person, Person.id == CaseloadAssignment.person_id)
        .where(
            CaseloadAssignment.keyworker.is_(True),
            User.active.is_(True),
            User.role.in_(access.roles("write", kind) & access.STAFF),
            User.organisation_id == Person.organisation_id,
        )
    )
    if person_ids is not None:
        q = q.where(CaseloadAssignment.person_id.in_(person_ids))
    rows = db.session.execute(q).all()
    out: dict[str, list[str]] = defaultdict(list)
    for person_id, user_id in rows:
        out[person_id].append(user_id)
    return out


def managers_by_service(service_ids: list[str] | None = None) -> dict[str, list[str]]:
    q = (
        select(UserService.service_id, User.id)
        .join(User, User.id == UserService.user_id)
        .join(Service, Service.id == UserService.service_id)
        .where(User.role.in_(access.MANAGERS), User.active.is_(True), User.organisation_id == Service.organisation_id)
    )
    if service_ids is not None:
        q = q.where(UserService.service_id.in_(service_ids))
    rows = db.session.execute(q).all()
    out: dict[str, list[str]] = defaultdict(list)
    for service_id, user_id in rows:
        out[service_id].append(user_id)
    return out


def notices_for(items: list[Item], today: date, days_before: int, days_after: int) -> list[Notice]:
    """The notices `items` call for today. Reads the keyworkers and managers of those items' people
    and services only (the reminders job passes one chunk of people at a time)."""
    if not items:
        return []
    person_ids = sorted({item.person_id for item in items})
    service_ids = sorted({item.service_id for item in items})
    keyworkers = {subject: keyworkers_by_person(subject, person_ids) for subject in SUBJECTS}
    managers = managers_by_service(service_ids)
    notices = []
    for item in items:
        if today >= item.due_on - timedelta(days=days_before):
            notices += [Notice(user_id, item, "due") for user_id in keyworkers[item.subject].get(item.person_id, ())]
        if today >= item.due_on + timedelta(days=days_after):
            notices += [Notice(user_id, item, "overdue") for user_id in managers.get(item.service_id, ())]
    return notices


# ---- words (never a name or a note: pushes show on locked screens) ----

@lru_cache(maxsize=1024)
def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _noun(subject: str, n: int) -> str:
    one, many = NOUNS[subject]
    return one if n == 1 else many


def inbox_text(notice: Notice, today: date, escalation_texts: dict | None = None) -> tuple[str, str, str]:
    """(title, body, url) of the inbox row for one notice. `escalation_texts`: escalations.inbox_texts
    of the escalations among many notices, read once for them all."""
    item = notice.item
    if item.subject == "escalation":  # governance: a new escalation, to seniors and the service's managers
        if escalation_texts is not None and item.item_id in escalation_texts:
            return escalation_texts[item.item_id]
        return escalations.inbox_text(item.item_id)
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


class PushTally:
    """What one user's push will say, added up notice by notice: the reminders job claims in chunks
    and pushes once per user at the end, so it keeps these counts, not the notices."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.escalations = 0
        self.overdue = False
        self.total = 0

    def add(self, notice: Notice, today: date) -> None:
        self.total += 1
        if notice.item.subject == "escalation":
            self.escalations += 1
        else:
            self.counts[_bucket(notice, today), notice.item.subject] += 1
        self.overdue |= notice.stage == "overdue"

    def message(self) -> tuple[dict, str]:
        return _message(self.counts, self.escalations, self.overdue, self.total)


def push_message(notices: list[Notice], today: date) -> tuple[dict, str]:
    """One push for a user's new notices: (payload, urgency). "2 reviews due today"."""
    tally = PushTally()
    for notice in notices:
        tally.add(notice, today)
    return tally.message()


def _message(counts: Counter, new_escalations: int, any_overdue: bool, total: int) -> tuple[dict, str]:
    phrases = [
        f"{counts[bucket, subject]} {_noun(subject, counts[bucket, subject])} {words}"
        for bucket, words in _PHRASES
        for subject in SUBJECTS
        if counts[bucket, subject]
    ]
    if new_escalations:  # governance: leads the message, and never names anyone
        title = f"{new_escalations} new escalation{'s' if new_escalations != 1 else ''}"
        body = ("Also " + "; ".join(phrases) + ".") if phrases else "Open Tandem to see the details."
    elif len(phrases) == 1:
        title, body = phrases[0], "Open Tandem to see the details."
    else:
        title, body = f"{total} reminders", "; ".join(phrases) + "."
    urgency = "high" if new_escalations or any_overdue else "normal"
    return {"title": title, "body": body, "url": PUSH_URL, "tag": PUSH_TAG}, urgency


# ---- new escalations (governance), to senior leaders and the service's managers ----

def escalation_notices(person_ids: list[str] | None = None) -> list[Notice]:
    """A reminders.Notice for each open (not yet acknowledged) escalation and each senior leader of
    its organisation and registered manager of its service: of the people named, or of everyone."""
    q = _open_escalations()
    if person_ids is not None:
        q = q.where(Escalation.person_id.in_(person_ids))
    return _escalation_notices(db.session.execute(q).all())


def escalation_notices_of_people_gone(size: int = 500) -> Iterator[list[Notice]]:
    """escalation_notices of the people no longer supported (whom the reminders job's chunks of
    people leave out), `size` escalations at a time (keyset over the escalation id)."""
    after = None
    while True:
        q = _open_escalations().join(Person, Person.id == Escalation.person_id).where(Person.ended_on.is_not(None))
        if after is not None:
            q = q.where(Escalation.id > after)
        rows = db.session.execute(q.order_by(Escalation.id).limit(size)).all()
        if rows:
            yield _escalation_notices(rows)
        if len(rows) < size:
            return
        after = rows[-1].id


def _open_escalations():
    return select(Escalation.id, Escalation.person_id, Escalation.service_id, Escalation.organisation_id, Escalation.raised_at).where(
        Escalation.status == "open")


def _escalation_notices(rows) -> list[Notice]:
    if not rows:
        return []
    seniors: dict[str, list[str]] = {}
    for organisation_id, user_id in db.session.execute(
        select(User.organisation_id, User.id).where(
            User.role.in_(access.HEARS_OF_ESCALATIONS), User.active.is_(True), User.organisation_id.in_(sorted({r.organisation_id for r in rows})))
    ).all():
        seniors.setdefault(organisation_id, []).append(user_id)
    managers = managers_by_service(sorted({row.service_id for row in rows}))
    out = []
    for row in rows:
        item = Item("escalation", row.id, row.person_id, row.service_id, row.organisation_id, row.raised_at.date())
        for user_id in sorted(set(seniors.get(row.organisation_id, [])) | set(managers.get(row.service_id, []))):
            out.append(Notice(user_id, item, "new"))
    return out
