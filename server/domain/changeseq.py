"""The change sequence behind the pull cursor.

Every insert or update of a synced record takes the next value of one counter row, inside the
writing transaction. The row lock serialises writers, so values become visible in the order they
were taken: a reader that has seen value N has seen every value below it (a plain autoincrement
cannot promise that under concurrent PostgreSQL transactions).

A flush takes the values for all the rows it writes with one counter update. A sync push takes them
in blocks (batch.py): the counter moves past the whole block inside the push's transaction, so it still
stands at or above every row stamped from it, and values left unused are gaps the cursor skips.
"""
from __future__ import annotations

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from ..models import ChangeCounter, Tombstone
from ..models.base import Synced
from . import batch


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
    # One counter update per flush: the rows take consecutive values, in the order they were listed.
    stamp = [
        obj for obj in list(session.new) + list(session.dirty)
        if isinstance(obj, Synced) and (obj in session.new or session.is_modified(obj, include_collections=False))
    ]
    if not stamp:
        return
    push = batch.current()
    if push is None:
        first = reserve_seqs(session, len(stamp))
    else:
        # A sync push takes values in blocks (batch.py); a rollback drops the block (_drop_block).
        if push.seq_end - push.seq_next < len(stamp):
            size = max(len(stamp), push.seq_block)
            push.seq_next = reserve_seqs(session, size)
            push.seq_end = push.seq_next + size
        first = push.seq_next
        push.seq_next += len(stamp)
    for offset, obj in enumerate(stamp):
        obj.seq = first + offset


@event.listens_for(Session, "after_soft_rollback")
def _drop_block(session: Session, _previous) -> None:
    push = batch.current()
    if push is not None:
        push.seq_next = push.seq_end = 0


def reserve_seqs(session: Session, n: int) -> int:
    """Take `n` consecutive counter values at once, for a bulk insert that stamps its own rows
    (the flush hook above sees ORM objects only). Returns the first; the rows take first .. first+n-1."""
    if n < 1:
        raise ValueError("reserve at least one value")
    value = session.execute(
        update(ChangeCounter).where(ChangeCounter.id == 1).values(value=ChangeCounter.value + n).returning(ChangeCounter.value)
    ).scalar_one_or_none()
    if value is None:  # an empty database made by tests' create_all
        session.execute(insert(ChangeCounter).values(id=1, value=n))
        value = n
    return value - n + 1
