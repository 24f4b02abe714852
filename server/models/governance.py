"""Governance: escalations, supervision records, care-plan re-audits and the learning log.

None of these travel to phones: they are read and written at a desk, online.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Timestamps, UTCDateTime, utcnow, uuid_pk

ESCALATION_RULES = ("deterioration", "stagnation", "overdue")
ESCALATION_STATUSES = ("open", "acknowledged", "answered")
LEARNING_SOURCES = ("theme", "change", "escalation", "dashboard", "audit")


class Escalation(db.Model):
    """Raised automatically when an outcome deteriorates or stagnates (in the step that stores the
    review) or when its review is long overdue (by the reminders job).

    Exactly once: a review raises a rule at most once (`review_id`, `rule`), and an overdue review at
    most once per due date (`outcome_id`, `due_on`, `rule`); inserts ignore the conflict, so a second
    transaction that got there at the same moment raises nothing. (NULLs never collide, so the first
    key does not constrain overdue rows and the second does not constrain review-triggered ones.)"""

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("review_id", "rule", name="uq_escalations_review_rule"),
        UniqueConstraint("outcome_id", "due_on", "rule", name="uq_escalations_outcome_due_rule"),
        Index("ix_escalations_service_status", "service_id", "status"),
        Index("ix_escalations_org_raised", "organisation_id", "raised_at"),
        CheckConstraint("rule IN ('deterioration', 'stagnation', 'overdue')", name="ck_escalations_rule"),
        CheckConstraint("status IN ('open', 'acknowledged', 'answered')", name="ck_escalations_status"),
    )
    id: Mapped[str] = uuid_pk()
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), nullable=False)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), nullable=False)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True, nullable=False)
    outcome_id: Mapped[str] = mapped_column(ForeignKey("outcomes.id"), index=True, nullable=False)
    rule: Mapped[str] = mapped_column(String(20), nullable=False)
    # Which conditions of the rule held, e.g. ["drop_of_2_or_more", "two_drops_in_a_row"].
    reasons: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # The review whose storing raised it (deterioration, stagnation), and every review the rule looked at.
    review_id: Mapped[str | None] = mapped_column(ForeignKey("reviews.id"))
    review_ids: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # overdue: the due date that was missed
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The co-produced change leadership pointed to in its answer, if any.
    change_id: Mapped[str | None] = mapped_column(ForeignKey("changes.id"))


class Supervision(Timestamps, db.Model):
    """One supervision of one staff member for one month: "What changed for this person this month?"
    and a next step, per person on their caseload."""

    __tablename__ = "supervisions"
    __table_args__ = (UniqueConstraint("user_id", "month", name="uq_supervisions_user_month"),)
    id: Mapped[str] = uuid_pk()
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True, nullable=False)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True, nullable=False)
    supervisor_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    month: Mapped[date] = mapped_column(Date, nullable=False)  # the first day of the month
    held_on: Mapped[date] = mapped_column(Date, nullable=False)

    entries = relationship("SupervisionEntry", order_by="SupervisionEntry.position", lazy="selectin", cascade="all, delete-orphan")


class SupervisionEntry(db.Model):
    __tablename__ = "supervision_entries"
    __table_args__ = (UniqueConstraint("supervision_id", "person_id", name="uq_supervision_entries_person"),)
    id: Mapped[str] = uuid_pk()
    supervision_id: Mapped[str] = mapped_column(ForeignKey("supervisions.id", ondelete="CASCADE"), nullable=False)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True, nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    what_changed: Mapped[str] = mapped_column(Text, nullable=False)
    next_step: Mapped[str] = mapped_column(Text, nullable=False)


class CarePlanAudit(Timestamps, db.Model):
    """A re-audit of one person's care plan: is each active goal still relevant, person-led, and can
    the person describe it?"""

    __tablename__ = "care_plan_audits"
    __table_args__ = (Index("ix_care_plan_audits_person_on", "person_id", "audited_on"),)
    id: Mapped[str] = uuid_pk()
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True, nullable=False)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), index=True, nullable=False)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), nullable=False)
    audited_on: Mapped[date] = mapped_column(Date, nullable=False)
    audited_by: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)

    outcomes = relationship("CarePlanAuditOutcome", order_by="CarePlanAuditOutcome.position", lazy="selectin", cascade="all, delete-orphan")


class CarePlanAuditOutcome(db.Model):
    __tablename__ = "care_plan_audit_outcomes"
    __table_args__ = (UniqueConstraint("audit_id", "outcome_id", name="uq_care_plan_audit_outcomes_outcome"),)
    id: Mapped[str] = uuid_pk()
    audit_id: Mapped[str] = mapped_column(ForeignKey("care_plan_audits.id", ondelete="CASCADE"), nullable=False)
    outcome_id: Mapped[str] = mapped_column(ForeignKey("outcomes.id"), index=True, nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    still_relevant: Mapped[bool] = mapped_column(Boolean, nullable=False)
    person_led: Mapped[bool] = mapped_column(Boolean, nullable=False)
    person_can_describe: Mapped[bool] = mapped_column(Boolean, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")


class LearningEntry(Timestamps, db.Model):
    """Governance minutes: what the analysis taught, what the service decided, where the insight came
    from (a theme, a change's effect, an escalation, the dashboard, an audit) and the change it led to."""

    __tablename__ = "learning_entries"
    __table_args__ = (
        Index("ix_learning_entries_service_on", "service_id", "recorded_on"),
        CheckConstraint(
            "source_kind IS NULL OR source_kind IN ('theme', 'change', 'escalation', 'dashboard', 'audit')",
            name="ck_learning_entries_source_kind",
        ),
    )
    id: Mapped[str] = uuid_pk()
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True, nullable=False)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), nullable=False)
    recorded_on: Mapped[date] = mapped_column(Date, nullable=False)
    learned: Mapped[str] = mapped_column(Text, nullable=False)
    decision: Mapped[str] = mapped_column(Text, nullable=False)
    source_kind: Mapped[str | None] = mapped_column(String(20))
    # theme, change, escalation, audit: that record's id; dashboard: the month, "YYYY-MM"
    source_id: Mapped[str | None] = mapped_column(String(36))
    change_id: Mapped[str | None] = mapped_column(ForeignKey("changes.id"), index=True)
    # The writer confirmed the wording names nobody, so commissioners may read it.
    shared_with_commissioners: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
