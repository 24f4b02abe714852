"""What every resource blueprint shares."""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import unit_of_work
from ..extensions import db
from ..domain.errors import Duplicate


def create_idempotent(fn, data):
    """Call a domain create and commit. Creates are idempotent: a retry with the same id and
    payload returns the record (200) instead of a second one (201).

    A retry that arrives while the first request is still writing passes the duplicate check, then
    collides with the first row on its primary key (PostgreSQL waits for the first commit). The
    unit of work runs it once more: now it is recognised as the duplicate it is (200), or as a
    different record (422)."""

    def create():
        try:
            return fn(current_user, data), 201
        except Duplicate as dup:
            return dup.record, 200

    record, status = unit_of_work.run(create, retry_if=lambda exc: isinstance(exc, IntegrityError) and bool(data.get("id")))
    # The commit expired the record: read it back here (its columns and its eagerly loaded lists),
    # so the reply's output schema formats what it is handed and sends no SQL while it dumps.
    db.session.refresh(record)
    return record, status
