"""The append-only audit trail: every change to a person's data and every staff view of a record."""
from __future__ import annotations

from flask import g, has_request_context

from ..extensions import db
from ..models import AuditEvent


def record(actor, action: str, entity: str, entity_id=None, person=None, service_id=None, **detail) -> None:
    device_id = g.get("device_id") if has_request_context() else None
    db.session.add(
        AuditEvent(
            organisation_id=getattr(actor, "organisation_id", None),
            service_id=service_id or getattr(person, "service_id", None),
            user_id=getattr(actor, "id", None),
            device_id=device_id,
            action=action,
            entity=entity,
            entity_id=str(entity_id) if entity_id is not None else None,
            person_id=getattr(person, "id", None),
            detail=detail,
        )
    )


def viewed(actor, person, what: str = "person", entity_id=None) -> None:
    """A staff member looked at a person's record (ACCESS.md: every staff view is audited)."""
    if getattr(actor, "role", None) == "person":
        return
    record(actor, "view", what, entity_id or person.id, person=person)
