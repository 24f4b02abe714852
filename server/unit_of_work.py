"""The unit of work: where a request that writes is committed, and the one retry of a transaction
that lost a race.

Domain functions flush but never commit; a route (or the command that runs a job) decides when
its work is done. `run(work)` calls `work()`, commits, and returns what it returned. When the
transaction loses a race with another one — a unique key that another transaction committed
meanwhile (IntegrityError), or on PostgreSQL a deadlock or serialization failure — the whole
transaction is rolled back and `work` runs once more: the second run sees what the other
transaction committed (a retried create is then recognised as the duplicate it is).
"""
from __future__ import annotations

from typing import Callable, TypeVar

from flask import Flask, g
from sqlalchemy.exc import IntegrityError, OperationalError

from .database import write_intent
from .extensions import db

T = TypeVar("T")

# SQLSTATEs of failures about timing, not about the work: 40P01 deadlock, 40001 serialization failure.
RETRY_SQLSTATES = frozenset({"40P01", "40001"})


def lost_a_race(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in RETRY_SQLSTATES


def run(work: Callable[[], T], retry_if: Callable[[Exception], bool] = lost_a_race) -> T:
    """`work()`, committed; run once more after a rollback if the first try lost a race."""
    for attempt in (1, 2):
        try:
            result = work()
            db.session.commit()
            return result
        except (IntegrityError, OperationalError) as exc:
            db.session.rollback()
            if attempt == 2 or not retry_if(exc):
                raise
    raise AssertionError("unreachable")


def write(work: Callable[[], T]) -> T:
    """`work()` in a write transaction of its own, committed. Any read transaction open is ended
    first, so on SQLite the write begins with BEGIN IMMEDIATE rather than upgrading a read lock.
    A failure rolls the transaction back and is raised."""
    db.session.rollback()
    with write_intent():
        try:
            result = work()
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return result


def init_app(app: Flask) -> None:
    """Reads that show a person's records keep their view entries aside (domain/audit.viewed); they
    are written here, in one short write transaction, once the reply is built. If that write fails
    the reply is withheld (503): nobody reads a record without the read being logged."""
    from .domain import audit

    @app.after_request
    def _write_views(response):
        views = g.pop("audit_views", None)
        if not views or response.status_code >= 400:
            return response
        try:
            write(lambda: audit.record_many(views))
        except Exception:  # noqa: BLE001 - any failure to log the view withholds the data
            audit.log.exception("could not write %d view audit entries", len(views))
            from .errors import error_response

            return error_response(503, "The view could not be recorded in the audit log; try again.", code="audit_unavailable")
        return response
