"""What every resource blueprint shares."""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..domain.errors import Duplicate
from ..extensions import db


def create_idempotent(fn, data):
    """Call a domain create and commit. Creates are idempotent: a retry with the same id and
    payload returns the record (200) instead of a second one (201).

    A retry that arrives while the first request is still writing passes the duplicate check, then
    collides with the first row on its primary key (PostgreSQL waits for the first commit). Run it
    once more: now it is recognised as the duplicate it is (200), or as a different record (422)."""
    for attempt in range(2):
        try:
            record = fn(current_user, data)
            status = 201
            db.session.commit()
        except Duplicate as dup:
            record, status = dup.record, 200
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if attempt or not data.get("id"):
                raise
            continue
        return record, status
    raise AssertionError("unreachable")
