"""Column types and mixins shared by the models."""
from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, CheckConstraint, DateTime, Integer, String, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


def new_time_ordered_id() -> str:
    """A UUID version 7 (RFC 9562): the time in milliseconds, then random bits. Ids made one after
    another sort one after another, so a table that takes many at once (the inbox, by the reminders
    job) adds them at the end of its primary key index instead of all over it."""
    stamp = f"{time.time_ns() // 1_000_000:012x}"
    rand = bytearray(os.urandom(10))
    rand[0] = 0x70 | (rand[0] & 0x0F)  # version 7
    rand[2] = 0x80 | (rand[2] & 0x3F)  # the RFC 9562 variant
    tail = rand.hex()
    return f"{stamp[:8]}-{stamp[8:]}-{tail[:4]}-{tail[4:8]}-{tail[8:]}"


class UnstorableValue(ValueError):
    """A value no column can hold, such as a time whose UTC form falls outside years 1 to 9999.
    Input validation keeps such values out (server/schemas/common.py); if one still reaches the
    database layer, server/errors.py answers 422 and nothing is saved."""


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every database (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        try:
            value = value.astimezone(timezone.utc)
        except OverflowError:
            # 0001-01-01T00:30+01:00 is a valid time whose UTC form is in year 0.
            raise UnstorableValue(f"{value.isoformat()} is outside the years a timestamp can hold") from None
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:  # a stored time at the very edge of the calendar: keep its own zone
            return value


UUID = String(36)


def uuid_pk() -> Mapped[str]:
    return mapped_column(UUID, primary_key=True, default=new_id)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class Synced:
    """A record phones copy. `seq` is stamped from the change counter on every insert and update
    (see server/domain/changeseq.py); pull returns rows with seq above the phone's cursor."""

    seq: Mapped[int] = mapped_column(BigInteger, index=True, nullable=False, default=0)


class Versioned:
    """An editable record: updates name the version they were made from."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # field name -> the version that last changed it, so edits to different fields merge
    field_versions: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)


class PhoneCreated:
    """Created under a client-made UUID. `origin_hash` is the canonical payload of the create, so a
    retried create is recognised as a duplicate and a different payload under the same id is refused."""

    origin_hash: Mapped[str | None] = mapped_column(String(64))


# ---- CHECK constraints ----
# The database refuses what the schemas refuse, so a bug, a script or a hand-made fix cannot store a
# score of 7 or a role nobody handles. The value lists are the model modules' tuples; migration 0002
# writes the same constraints (tests/test_migrations.py compares them with these).

def one_of(column: str, values, table: str) -> CheckConstraint:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=f"ck_{table}_{column}")


def between(column: str, low: int, high: int | None, table: str) -> CheckConstraint:
    condition = f"{column} >= {low}" if high is None else f"{column} >= {low} AND {column} <= {high}"
    return CheckConstraint(condition, name=f"ck_{table}_{column}")
