"""Sync bookkeeping, audit trail, push subscriptions and the notification inbox."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DDL, JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UUID, UTCDateTime, new_id, one_of, utcnow

MUTATION_STATUSES = ("applied", "duplicate", "conflict", "rejected")


class ChangeCounter(db.Model):
    """One row. Every synced write takes the next value inside its own transaction, which
    serialises writers and makes the pull cursor safe under concurrent commits."""

    __tablename__ = "change_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class Device(db.Model):
    """An installed app, bound to the user who first pushed from it."""

    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False)
    last_mutation_id: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # The browser that registered it, so the audit log can say "from an Android phone (Chrome)".
    user_agent: Mapped[str | None] = mapped_column(String(300))


class MutationResult(db.Model):
    """What happened to each mutation, so a replay is answered with its original result."""

    __tablename__ = "mutation_results"
    __table_args__ = (one_of("status", MUTATION_STATUSES, "mutation_results"),)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    mutation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    result: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Tombstone(db.Model):
    """A record that left someone's scope. user_id set: it left that user's scope only
    (taken off their caseload); unset: the record is gone for everyone who could see the person."""

    __tablename__ = "tombstones"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True, nullable=False)
    entity: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(36), nullable=False)
    person_id: Mapped[str | None] = mapped_column(String(36), index=True)
    user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class AuditEvent(db.Model):
    """Append-only: who did or viewed what to whose record, when, from which device. The database
    refuses UPDATE and DELETE of its rows (triggers below, and in migration 0002)."""

    __tablename__ = "audit_events"
    # An organisation's log newest first, a page at a time (migration 0010).
    __table_args__ = (Index("ix_audit_events_organisation_at", "organisation_id", "at", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True, nullable=False)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("services.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    entity: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_id: Mapped[str | None] = mapped_column(String(64))
    person_id: Mapped[str | None] = mapped_column(String(36), index=True)
    detail: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)


# The audit trail is append-only at the database level: a trigger refuses UPDATE and DELETE, so no
# code path (and no one with the application's credentials) can rewrite who saw or changed what.
# TRUNCATE (table owners only; the tests reset tables with it) is not a row change and is not blocked.
AUDIT_APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION USING ERRCODE = 'restrict_violation', "
        "MESSAGE = 'audit_events is append-only: ' || TG_OP || ' refused'; END $$",
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    ],
}
for _dialect, _statements in AUDIT_APPEND_ONLY.items():
    for _statement in _statements:
        event.listen(AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


class ReviewAcknowledgement(db.Model):
    """A manager or senior leader has seen that a review is overdue (for one due date). Kept apart
    from the audit trail, which is append-only; acknowledging is also audited."""

    __tablename__ = "review_acknowledgements"
    __table_args__ = (UniqueConstraint("outcome_id", "due_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outcome_id: Mapped[str] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class PushSubscription(db.Model):
    __tablename__ = "push_subscriptions"
    id: Mapped[str] = mapped_column(UUID, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False)
    endpoint: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    p256dh: Mapped[str] = mapped_column(String(200), nullable=False)
    auth: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)


class Notification(db.Model):
    """The in-app inbox: every reminder lands here, pushed or not. `dedupe_key` makes
    `reminders send` idempotent across runs and hosts."""

    __tablename__ = "notifications"
    # A user's inbox, newest first, a page at a time.
    __table_args__ = (UniqueConstraint("dedupe_key"), Index("ix_notifications_user_created", "user_id", "created_at"))
    id: Mapped[str] = mapped_column(UUID, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    url: Mapped[str] = mapped_column(String(300), nullable=False, default="/")
    dedupe_key: Mapped[str] = mapped_column(String(300), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    push_status: Mapped[str] = mapped_column(String(40), nullable=False, default="pending")
