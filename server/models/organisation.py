from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Timestamps, UTCDateTime, one_of, utcnow, uuid_pk

ROLES = (
    "support_worker",
    "registered_manager",
    "senior_leader",
    "commissioner",
    "person",
    "admin",
)
SERVICE_KINDS = ("supported_living", "domiciliary", "residential")


class Organisation(Timestamps, db.Model):
    __tablename__ = "organisations"
    id: Mapped[str] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)


class Service(Timestamps, db.Model):
    __tablename__ = "services"
    __table_args__ = (one_of("kind", SERVICE_KINDS, "services"),)
    id: Mapped[str] = uuid_pk()
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)


class User(Timestamps, db.Model):
    __tablename__ = "users"
    __table_args__ = (one_of("role", ROLES, "users"),)
    id: Mapped[str] = uuid_pk()
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True, nullable=False)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(40), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # For role "person": the Person record this account belongs to.
    person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"), unique=True)

    services = relationship("Service", secondary="user_services", lazy="selectin")

    # Flask-Login protocol. The id it stores is the AuthSession id, not the user id (see auth.py).
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        from flask import g

        return g.auth_session_id


class UserService(db.Model):
    """Services a manager manages, or a commissioner commissions."""

    __tablename__ = "user_services"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)


class AuthSession(db.Model):
    """One signed-in browser. Signing out revokes it; a password change revokes them all, so a
    copied cookie stops working."""

    __tablename__ = "auth_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    # The installed app (devices.id) this session registered, set by the server when the app
    # registers or first pushes; audit entries name it. Never taken from a request header.
    device_id: Mapped[str | None] = mapped_column(String(36))


INVITATION_PURPOSES = ("invite", "reset")


class Invitation(db.Model):
    """A one-time link to set a password: a new account's invitation, or a reset an admin issued.
    Only the SHA-256 of the token is stored; the token itself is shown once, to whoever made it."""

    __tablename__ = "invitations"
    __table_args__ = (one_of("purpose", INVITATION_PURPOSES, "invitations"),)
    id: Mapped[str] = uuid_pk()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False)
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)
    # Null when made by `flask setup` (no account made it).
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
