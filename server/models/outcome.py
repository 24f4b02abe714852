from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import PhoneCreated, Synced, Timestamps, UTCDateTime, Versioned, between, one_of, uuid_pk

OUTCOME_STATUSES = ("active", "achieved", "paused", "retired")
REVIEW_EVERY = ("weekly", "fortnightly", "monthly", "quarterly")
ACTION_STATUSES = ("open", "done", "dropped")
OWNER_KINDS = ("staff", "person", "other")
RATED_BY = ("person", "staff", "together")


class Outcome(Timestamps, Synced, Versioned, PhoneCreated, db.Model):
    """A co-produced goal, in the person's own words."""

    __tablename__ = "outcomes"
    __table_args__ = (
        one_of("status", OUTCOME_STATUSES, "outcomes"),
        one_of("review_every", REVIEW_EVERY, "outcomes"),
        one_of("owner_kind", OWNER_KINDS, "outcomes"),
        CheckConstraint("review_by >= starts_on", name="ck_outcomes_dates"),
    )
    id: Mapped[str] = uuid_pk()
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True, nullable=False)
    domain: Mapped[str] = mapped_column(String(120), nullable=False)
    persons_words: Mapped[str] = mapped_column(Text, nullable=False)
    indicator: Mapped[str] = mapped_column(Text, nullable=False)
    target: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    review_every: Mapped[str] = mapped_column(String(20), nullable=False, default="monthly")
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    review_by: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    priority: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Who makes sure this outcome moves on (PRODUCT.md: "define outcome (… owner)"): a staff member,
    # the person, or a named other. Empty on outcomes defined before the field existed.
    owner_kind: Mapped[str | None] = mapped_column(String(20))
    owner_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    owner_name: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # When the latest of its reviews happened (None before the first): kept by every write of a
    # review (domain/outcome_facts.py), so a whole organisation's overdue list is ordered by due
    # date without a look-up per outcome. Never sent: the reviews themselves are.
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actions = relationship("Action", back_populates="outcome", order_by="Action.due_on", lazy="selectin")
    wellbeing_area_rows = relationship(
        "OutcomeWellbeingArea", order_by="OutcomeWellbeingArea.area", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def wellbeing_areas(self) -> list[str]:
        """Codes of the Care Act wellbeing areas this outcome serves, in the Act's order."""
        from .wellbeing import in_order

        return in_order(row.area for row in self.wellbeing_area_rows)

    @wellbeing_areas.setter
    def wellbeing_areas(self, codes) -> None:
        from .wellbeing import OutcomeWellbeingArea, in_order

        wanted = in_order(codes)
        keep = [row for row in self.wellbeing_area_rows if row.area in wanted]
        have = {row.area for row in keep}
        self.wellbeing_area_rows = keep + [OutcomeWellbeingArea(area=code) for code in wanted if code not in have]


class Action(Timestamps, Synced, Versioned, PhoneCreated, db.Model):
    """Who does what for an outcome."""

    __tablename__ = "actions"
    __table_args__ = (one_of("owner_kind", OWNER_KINDS, "actions"), one_of("status", ACTION_STATUSES, "actions"))
    id: Mapped[str] = uuid_pk()
    outcome_id: Mapped[str] = mapped_column(ForeignKey("outcomes.id"), index=True, nullable=False)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    owner_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    owner_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    owner_name: Mapped[str | None] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))

    outcome = relationship("Outcome", back_populates="actions")


class Review(Timestamps, Synced, PhoneCreated, db.Model):
    """One monthly keyworker-session rating of one outcome. Append-only."""

    __tablename__ = "reviews"
    __table_args__ = (
        between("score", 1, 5, "reviews"),
        one_of("rated_by", RATED_BY, "reviews"),
        # An outcome's latest review (outcomes.last_reviews) and its history in date order.
        Index("ix_reviews_outcome_happened", "outcome_id", "happened_at"),
        # A service's reviews in a quarter (measures.service_measures), by person and date.
        Index("ix_reviews_person_happened", "person_id", "happened_at"),
    )
    id: Mapped[str] = uuid_pk()
    outcome_id: Mapped[str] = mapped_column(ForeignKey("outcomes.id"), index=True, nullable=False)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True, nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    rated_by: Mapped[str] = mapped_column(String(20), nullable=False)
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True, nullable=False)
    what_changed: Mapped[str | None] = mapped_column(Text)
    support_adjustment: Mapped[str | None] = mapped_column(Text)
    achieved: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))

    evidence = relationship("EvidenceNote", back_populates="review", order_by="[EvidenceNote.created_at, EvidenceNote.id]", lazy="selectin")


class EvidenceNote(Timestamps, Synced, PhoneCreated, db.Model):
    """A plain-words example ("Travelled alone to GP appointment") on a review or a person."""

    __tablename__ = "evidence_notes"
    id: Mapped[str] = uuid_pk()
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True, nullable=False)
    review_id: Mapped[str | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    outcome_id: Mapped[str | None] = mapped_column(ForeignKey("outcomes.id"), index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))

    review = relationship("Review", back_populates="evidence")
