"""Listening that leads to change: feedback conversations, themes, co-produced changes,
weekly checks and service events."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import PhoneCreated, Synced, Timestamps, UTCDateTime, between, one_of, uuid_pk

EVENT_KINDS = (
    "restrictive_practice", "hospital_admission", "community_participation", "employment", "complaint", "compliment",
)
# Who answered "How happy are you with your support?": the person's own scale, never staff alone.
SATISFACTION_RATED_BY = ("person", "together")


class FeedbackConversation(Timestamps, Synced, PhoneCreated, db.Model):
    __tablename__ = "feedback_conversations"
    __table_args__ = (
        between("satisfaction", 1, 5, "feedback_conversations"),
        one_of("satisfaction_rated_by", SATISFACTION_RATED_BY, "feedback_conversations"),
        # A page of the feedback list sorts its keys from this index alone (migration 0010).
        Index("ix_feedback_conversations_person_happened", "person_id", "happened_at", "id", "reviewed_at"),
    )
    id: Mapped[str] = uuid_pk()
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True, nullable=False)
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    works_well: Mapped[str] = mapped_column(Text, nullable=False, default="")
    feels_difficult: Mapped[str] = mapped_column(Text, nullable=False, default="")
    would_change: Mapped[str] = mapped_column(Text, nullable=False, default="")
    participants: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    # Optional: "How happy are you with your support?" on the 1-5 picture scale, answered by the person.
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    satisfaction_rated_by: Mapped[str | None] = mapped_column(String(20))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))

    themes = relationship("Theme", secondary="feedback_themes", lazy="selectin")


class Theme(Timestamps, db.Model):
    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)
    id: Mapped[str] = uuid_pk()
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)


class FeedbackTheme(db.Model):
    __tablename__ = "feedback_themes"
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback_conversations.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[str] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True)


class Change(Timestamps, Synced, PhoneCreated, db.Model):
    """A co-produced decision put into practice."""

    __tablename__ = "changes"
    id: Mapped[str] = uuid_pk()
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), index=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    co_produced_with: Mapped[str] = mapped_column(String(300), nullable=False)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))

    people = relationship("Person", secondary="change_people", lazy="selectin")
    themes = relationship("Theme", secondary="change_themes", lazy="selectin")
    outcomes = relationship("Outcome", secondary="change_outcomes", lazy="selectin")


class ChangePerson(db.Model):
    __tablename__ = "change_people"
    change_id: Mapped[str] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)


class ChangeTheme(db.Model):
    __tablename__ = "change_themes"
    change_id: Mapped[str] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[str] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True)


class ChangeOutcome(db.Model):
    __tablename__ = "change_outcomes"
    change_id: Mapped[str] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"), primary_key=True)
    outcome_id: Mapped[str] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), primary_key=True)


class WeeklyCheck(Timestamps, Synced, PhoneCreated, db.Model):
    __tablename__ = "weekly_checks"
    __table_args__ = (
        UniqueConstraint("person_id", "week_of"),
        between("incidents", 0, None, "weekly_checks"),
        between("engagement", 1, 5, "weekly_checks"),
        between("mood", 1, 5, "weekly_checks"),
    )
    id: Mapped[str] = uuid_pk()
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True, nullable=False)
    week_of: Mapped[date] = mapped_column(Date, nullable=False)
    incidents: Mapped[int] = mapped_column(Integer, nullable=False)
    engagement: Mapped[int] = mapped_column(Integer, nullable=False)
    mood: Mapped[int] = mapped_column(Integer, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))


class ServiceEvent(Timestamps, Synced, PhoneCreated, db.Model):
    __tablename__ = "service_events"
    __table_args__ = (
        one_of("kind", EVENT_KINDS, "service_events"),
        # A service's events in a quarter or month (measures, dashboard), by person and date.
        Index("ix_service_events_person_happened", "person_id", "happened_at"),
    )
    id: Mapped[str] = uuid_pk()
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
