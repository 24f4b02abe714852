"""Reminders delivery: telling each recipient about each due item exactly once, and pushing it.

What falls due is server/domain/due.py; who hears and in which words is
server/domain/reminder_notices.py; the inbox where notices are read is server/domain/inbox.py.

Exactly once per item, due date and recipient, however often and on however many hosts
`flask reminders send` runs: each notice is claimed by inserting its Notification row, whose
`dedupe_key` ("<kind>:<item id>:<due date>:<user id>") is unique in the database. The insert is
INSERT … ON CONFLICT DO NOTHING RETURNING id: a row not returned was claimed first by another run,
so this run skips it. Only the run that committed the claim pushes it, after the commit (so a
crash between the two leaves the reminder in the inbox, unpushed, rather than pushing it twice).

The run streams (send_reminders): people a chunk at a time, each chunk claimed before the next is
read. A user whose notices fall in several chunks still gets one push from the run, at its end; two
runs at once may then split one user's new notices between them (each notice still goes once).

A user's new notices from one run become one push ("2 reviews due today"), which names nobody;
the inbox keeps a row per item and shows names only to someone who may still see the person.

The rows of a user with no push subscription are stored already marked so; the others' are
marked with how their push went, RECORD_EVERY users at a time (a crash in between leaves some rows
"pending" although pushed: never a second push).

The job commits as it goes (each chunk's claims, each RECORD_EVERY users' push outcomes, each
chunk's overdue escalations), so it never holds the organisation in one transaction, but it does
not commit itself: whoever runs it (server/jobs.py: the `flask reminders send` command and the
in-process scheduler) hands it `each`, the unit of work (server/unit_of_work.write) that runs one
piece in a write transaction of its own and commits it.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable, TypeVar

from flask import current_app
from sqlalchemy import update

from ..database import insert_new, present
from ..extensions import db
from ..models import Notification, PushSubscription
from ..models.base import new_time_ordered_id, utcnow
from . import escalations, push
from .due import due_items, people_chunks
from .reminder_notices import (
    Notice,
    PushTally,
    escalation_notices,
    escalation_notices_of_people_gone,
    inbox_text,
    notices_for,
)

log = logging.getLogger(__name__)

_IN_CHUNK = 500
CHUNK = 2000  # people per chunk of the run
RECORD_EVERY = 100  # users pushed to together (push.deliver_many), their outcomes recorded in one transaction

T = TypeVar("T")
# Runs its argument in a write transaction of its own and commits it (server/unit_of_work.write).
Each = Callable[[Callable[[], T]], T]


# ---- claiming (the exactly-once guard) ----

def _known_keys(keys: list[str]) -> set[str]:
    """The keys some run has claimed already (a quick look-up; the unique key still decides)."""
    return present(Notification.dedupe_key, keys)


def claim(notices: list[Notice], today: date, each: Each, claimed_at: datetime | None = None,
          subscribed: set[str] | None = None) -> tuple[dict[str, list[tuple[Notice, str]]], int]:
    """Insert a Notification per notice no run has claimed yet, all of them in one transaction
    (`each`: the reminders job calls this once per chunk of people). Returns (user id → [(notice,
    notification id)] for the ones this run claimed and therefore pushes, how many another run
    claimed between our look-up and our insert). `claimed_at`: the rows' created_at (the run's
    start, so the run can find its own rows again without keeping their ids); default now.
    `subscribed`: the users with a push subscription, if known; the others' rows are stored with
    their push status already "no_subscription" (nothing will be pushed to them), not "pending"."""
    # One global order, so concurrent runs never wait on each other in a cycle: by user, then key.
    # By user, a user's rows are stored together, so marking how their push went (_mark_claimed)
    # rewrites a few pages per user rather than pages all over the table.
    ordered = sorted({n.key: n for n in notices}.values(), key=lambda n: (n.user_id, n.key))
    known = _known_keys([n.key for n in ordered])
    new = [n for n in ordered if n.key not in known]
    escalation_texts = escalations.inbox_texts([n.item.item_id for n in new if n.item.subject == "escalation"])
    db.session.rollback()  # end the read transaction; claims start their own (BEGIN IMMEDIATE on SQLite)
    if not new:
        return {}, 0
    mine, lost = each(lambda: _insert_claims(new, today, escalation_texts, claimed_at, subscribed))
    claimed: dict[str, list[tuple[Notice, str]]] = defaultdict(list)
    for notice, notification_id in mine:
        claimed[notice.user_id].append((notice, notification_id))
    return dict(claimed), lost


def _insert_claims(notices: list[Notice], today: date, escalation_texts, claimed_at: datetime | None,
                   subscribed: set[str] | None = None) -> tuple[list[tuple[Notice, str]], int]:
    """Insert the notices' notifications: (the ones inserted, how many another run had inserted
    first). Leaves the commit to the caller's unit of work."""
    now = claimed_at or utcnow()
    rows = []
    for notice in notices:
        title, body, url = inbox_text(notice, today, escalation_texts)
        status = "pending" if subscribed is None or notice.user_id in subscribed else NO_SUBSCRIPTION
        rows.append({"id": new_time_ordered_id(), "user_id": notice.user_id, "kind": notice.kind, "title": title, "body": body,
                     "url": url, "dedupe_key": notice.key, "push_status": status, "created_at": now, "read_at": None})
    inserted = insert_new(Notification.__table__, rows, ["dedupe_key"])
    mine = [(notice, row["id"]) for notice, row in zip(notices, rows) if row["id"] in inserted]
    return mine, len(rows) - len(mine)  # the rest another run (or host) claimed first


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


NO_SUBSCRIPTION = "no_subscription"  # an inbox row's push status when its user had nowhere to push to


def _status(results: list[tuple[push.Target, push.Delivery]]) -> str:
    if not results:
        return NO_SUBSCRIPTION
    if any(r.status == "sent" for _, r in results):
        return "sent"
    first = results[0][1]
    if first.status == "gone":
        return f"failed: {first.detail.split()[0]} subscription removed"[:40]
    return f"failed: {first.detail}"[:40]


def _record(sent: list[tuple[str, list[tuple[push.Target, push.Delivery]]]], claimed_at: datetime) -> list[str]:
    """Note on each user's subscriptions and on the rows this run claimed for them how their push
    went, for several users at once (`sent`: (user id, their results)); returns each one's status.
    Flushes; the caller's unit of work commits."""
    now = datetime.now(timezone.utc)
    statuses, by_status = [], defaultdict(list)
    for user_id, results in sent:
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
        status = _status(results)
        statuses.append(status)
        by_status[status].append(user_id)
    for status, user_ids in by_status.items():
        _mark_claimed(user_ids, claimed_at, status)
    return statuses


def _mark_claimed(user_ids: list[str], claimed_at: datetime, status: str) -> None:
    """Set the push status of the rows this run claimed for these users: still pending, made at the
    run's start (`claimed_at`). The caller's unit of work commits."""
    for start in range(0, len(user_ids), _IN_CHUNK):
        db.session.execute(update(Notification).where(
            Notification.user_id.in_(user_ids[start:start + _IN_CHUNK]), Notification.created_at == claimed_at,
            Notification.push_status == "pending",
        ).values(push_status=status))


@dataclass
class _Claimed:
    """What one user is owed from this run: how many inbox rows it claimed, and what their push will
    say (not the rows' ids: at 50,000 people a first run claims hundreds of thousands)."""

    notices: int = 0
    tally: PushTally = field(default_factory=PushTally)


def send_reminders(each: Each, today: date | None = None, sleep: Callable[[float], None] = time.sleep) -> RunSummary:
    """Claim every due and overdue notice no run has sent, and push each user's new ones as one
    message. Safe to run every minute, and on several hosts at once. `each` commits each piece
    (see the module docstring).

    Streams: the people are read CHUNK at a time (due.people_chunks, service by service), and each
    chunk's due items, overdue escalations, notices and claims are done before the next chunk is
    read; what stays in memory is each user's count of new notices, for their one push at the end.
    Every row this run claims is made at the run's start (`claimed_at`, to the microsecond), which
    is how the end of the run finds a user's rows to mark how their push went."""
    config = current_app.config
    today = today or date.today()
    days_before, days_after = int(config["REMINDER_DUE_DAYS_BEFORE"]), int(config["REMINDER_OVERDUE_DAYS_AFTER"])
    owed: dict[str, _Claimed] = {}  # users with a push subscription: what their one push will say
    unsubscribed: set[str] = set()  # users with new rows and nowhere to push them (marked as claimed)
    lost = 0
    claimed_at = utcnow()

    def claim_into(notices: list[Notice]) -> None:
        nonlocal lost
        if not notices:
            return
        subscribed = push.subscribed_users(sorted({n.user_id for n in notices}))
        claimed, chunk_lost = claim(notices, today, each, claimed_at, subscribed)
        lost += chunk_lost
        for user_id, pairs in claimed.items():
            if user_id not in subscribed:
                unsubscribed.add(user_id)
                summary.notices += len(pairs)
                continue
            user = owed.setdefault(user_id, _Claimed())
            user.notices += len(pairs)
            for notice, _ in pairs:
                user.tally.add(notice, today)

    summary = RunSummary()
    for person_ids in people_chunks(CHUNK):
        items = due_items(today, person_ids)
        escalations.raise_overdue(items, today, each)  # governance: reviews long past due escalate, once per due date
        notices = notices_for(items, today, days_before, days_after)
        del items
        notices += escalation_notices(person_ids)  # governance: new escalations, to seniors and the service's managers
        claim_into(notices)
    for notices in escalation_notices_of_people_gone(CHUNK):  # escalations of people no longer supported
        claim_into(notices)
    summary.notices += sum(u.notices for u in owed.values())
    summary.users = len(unsubscribed | set(owed))
    summary.claimed_elsewhere = lost
    for user_id in sorted(unsubscribed - set(owed)):
        summary.statuses[user_id] = NO_SUBSCRIPTION
        summary.without_subscription += 1
    if not owed:
        return summary
    users = sorted(owed)
    for start in range(0, len(users), RECORD_EVERY):
        batch_users = users[start:start + RECORD_EVERY]
        jobs = []
        for user_id in batch_users:
            payload, urgency = owed.pop(user_id).tally.message()
            jobs.append((push.targets_of(user_id), payload, urgency))
        db.session.rollback()  # no transaction stays open while we wait on the network
        sent = list(zip(batch_users, push.deliver_many(jobs, sleep=sleep)))
        statuses = each(lambda sent=sent: _record(sent, claimed_at))
        for (user_id, results), status in zip(sent, statuses):
            summary.statuses[user_id] = status
            summary.subscriptions_removed += sum(1 for _, r in results if r.status == "gone")
            if status == "sent":
                summary.pushed += 1
            elif status == NO_SUBSCRIPTION:
                summary.without_subscription += 1
            else:
                summary.failed += 1
    return summary
