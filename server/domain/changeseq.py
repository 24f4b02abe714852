"""The change sequence behind the pull cursor.

Every insert or update of a synced record takes the next value of one counter row, inside the
writing transaction. The row lock serialises writers, so values become visible in the order they
were taken: a reader that has seen value N has seen every value below it (a plain autoincrement
cannot promise that under concurrent PostgreSQL transactions).
"""
from __future__ import annotations

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from ..models import ChangeCounter, Tombstone
from ..models.base import Synced


def next_seq(session: Session) -> int:
    value = session.execute(
        update(ChangeCounter).where(ChangeCounter.id == 1).values(value=ChangeCounter.value + 1).returning(ChangeCounter.value)
    ).scalar_one_or_none()
    if value is None:  # an empty database made by tests' create_all
        session.execute(insert(ChangeCounter).values(id=1, value=1))
        value = 1
    return value


def current_seq(session: Session) -> int:
    return session.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar_one_or_none() or 0


def tombstone(session: Session, entity: str, entity_id: str, person_id: str | None, user_id: str | None = None) -> None:
    session.add(Tombstone(seq=next_seq(session), entity=entity, entity_id=entity_id, person_id=person_id, user_id=user_id))


@event.listens_for(Session, "before_flush")
def _stamp(session: Session, _context, _instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Synced) and (obj in session.new or session.is_modified(obj, include_collections=False)):
            obj.seq = next_seq(session)
