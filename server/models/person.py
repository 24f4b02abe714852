from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Synced, Timestamps, Versioned, uuid_pk


class Person(Timestamps, Synced, Versioned, db.Model):
    """Someone supported by a service."""

    __tablename__ = "people"
    # A service's people by id from the index alone: every manager's scope is "the people of my
    # services", asked in each branch of a pull page (migration 0012).
    __table_args__ = (Index("ix_people_service_person", "service_id", "id"),)
    id: Mapped[str] = uuid_pk()
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True, nullable=False)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    # Weekly checks are recorded for people who are tracked (residential services, for example).
    weekly_checks: Mapped[bool] = mapped_column(default=False, nullable=False)
    joined_on: Mapped[date | None] = mapped_column(Date)
    # Support ended on this day: the person leaves caseloads, lists and phones; their history stays.
    ended_on: Mapped[date | None] = mapped_column(Date)


class CaseloadAssignment(Timestamps, Synced, db.Model):
    """A support worker's caseload: the people they key-work."""

    __tablename__ = "caseload_assignments"
    __table_args__ = (UniqueConstraint("user_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True, nullable=False)
    keyworker: Mapped[bool] = mapped_column(default=True, nullable=False)
