"""The working set of one sync push (see sync._push): what the batch refers to, loaded once.

A push applies up to a few hundred mutations in one transaction, each through the same domain
function the REST route calls. Without help each of them would load its outcome and person again
(the session's identity map holds objects only while something references them), ask the database
again whether the person is in the user's scope, insert its audit entry and result with a flush of
its own, and re-read the outcome's whole review history for the escalation rules.

While a push runs, `current()` returns its Batch and the domain functions consult it:

* `keep` holds strong references to the records preloaded for the batch (sync._preload), so
  `session.get` finds them in the identity map instead of issuing a SELECT;
* `absent` holds client-made ids the preload looked up and did not find, so check_retry need not
  look again (an id leaves the set as soon as a mutation creates it or hits its unique key);
* `in_scope` caches access.person_in_scope's answer per person (nothing in a push changes anyone's
  scope: caseloads and services are set online, not by mutations);
* `locked` and `history` hold, per outcome, that escalations.after_review_stored took the outcome's
  row lock in this transaction and the (happened_at, id, score) of its reviews read after it; the
  lock is held until commit, so the history changes only by this batch's own reviews, added as they
  are stored; `unanswered` caches (outcome, rule) pairs known to have an open escalation;
* `seq_next`/`seq_end` are change counter values taken in blocks (changeseq._stamp): the counter
  row is updated once per block, not once per flush. A block is dropped on any rollback of a
  transaction or savepoint (the counter update may have been in it); unused values are gaps, which
  the pull cursor does not mind (each seq is still taken once, and the counter stays at or above
  every stamped row);
* audit entries are gathered per mutation and inserted in one statement at the end of the batch,
  with the results (sync._push);
* so are the outcomes whose latest review date moves (outcome_facts): `reviewed` holds each one's
  newest stored happened_at, `reviewed_again` those to set again from their reviews (a review
  re-dated or removed); one UPDATE at the end of the batch writes them (outcome_facts.write_batch).
  Nothing in a push reads outcomes.last_reviewed_at (only the overdue list does).

Every cache that a savepoint rollback could make wrong (a lock taken, a review or escalation
written inside the rolled-back mutation) is dropped by `rolled_back()`; the next use reloads it.
Audit entries and review dates of a mutation are kept only when its savepoint commits
(`mutation_done`); when mutations run as a group in one savepoint (sync._apply_group), only when
the group's savepoint commits.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

_current: ContextVar[Batch | None] = ContextVar("tandem_push_batch", default=None)


@dataclass
class Batch:
    keep: list[Any] = field(default_factory=list)
    absent: dict[str, type] = field(default_factory=dict)  # client-made id -> the model it is absent from
    in_scope: dict[tuple[str, str], bool] = field(default_factory=dict)
    locked: set[str] = field(default_factory=set)
    history: dict[str, list[tuple]] = field(default_factory=dict)
    unanswered: set[tuple[str, str]] = field(default_factory=set)
    seq_next: int = 0  # change counter values reserved for the push: seq_next .. seq_end - 1
    seq_end: int = 0
    seq_block: int = 1
    grouped: bool = False  # mutations are running as a group under one savepoint (sync._apply_group)
    audit_rows: list[dict] = field(default_factory=list)
    pending_audit: list[dict] = field(default_factory=list)
    reviewed: dict[str, Any] = field(default_factory=dict)  # outcome id -> newest happened_at stored
    reviewed_again: set[str] = field(default_factory=set)
    pending_reviewed: dict[str, Any] = field(default_factory=dict)
    pending_again: set[str] = field(default_factory=set)

    def mutation_done(self, created_id: str | None = None) -> None:
        """The mutation's (or group's) savepoint committed: keep its audit entries and review dates;
        its id now exists."""
        self.audit_rows.extend(self.pending_audit)
        self.pending_audit.clear()
        for outcome_id, at in self.pending_reviewed.items():
            if outcome_id not in self.reviewed or self.reviewed[outcome_id] < at:
                self.reviewed[outcome_id] = at
        self.pending_reviewed.clear()
        self.reviewed_again.update(self.pending_again)
        self.pending_again.clear()
        if created_id is not None:
            self.absent.pop(created_id, None)

    def rolled_back(self, record_id: str | None = None) -> None:
        """The mutation's savepoint rolled back: forget what it wrote and every lock it took."""
        self.pending_audit.clear()
        self.pending_reviewed.clear()
        self.pending_again.clear()
        self.locked.clear()
        self.history.clear()
        self.unanswered.clear()
        if record_id is not None:
            self.absent.pop(record_id, None)  # it may exist after all (a unique key hit): look next time


def current() -> Batch | None:
    return _current.get()


def flush(session) -> None:
    """Flush now, unless a sync push is running mutations as a group: the group flushes once at its
    end, so its rows go in with one INSERT per table (any query before then flushes first, as
    autoflush always does)."""
    push = _current.get()
    if push is None or not push.grouped:
        session.flush()


@contextmanager
def running(size: int = 1):
    """Make a new Batch current for the duration of one push attempt of `size` mutations."""
    token = _current.set(Batch(seq_block=max(1, 2 * size)))
    try:
        yield _current.get()
    finally:
        _current.reset(token)
