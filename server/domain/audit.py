"""The append-only audit trail: every change to a person's data and every staff view of a record.

Changes are audited inside the transaction that makes them. Views happen in read requests (GET),
which must not take SQLite's write lock halfway through a read: their entries are kept aside and
written in one short write transaction of their own when the request has produced its reply. If
that write fails, the reply is withheld (503): nobody reads a record without the read being logged.
"""
from __future__ import annotations

import logging

from flask import Flask, g, has_request_context, request

from ..database import SAFE_METHODS, write_intent
from ..extensions import db
from ..models import AuditEvent

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    @app.after_request
    def _write_views(response):
        views = g.pop("audit_views", None)
        if not views or response.status_code >= 400:
            return response
        try:
            db.session.rollback()  # end the read transaction
            with write_intent():
                db.session.add_all(views)
                db.session.commit()
        except Exception:  # noqa: BLE001 - any failure to log the view withholds the data
            db.session.rollback()
            log.exception("could not write %d view audit entries", len(views))
            from ..errors import error_response

            return error_response(503, "The view could not be recorded in the audit log; try again.", code="audit_unavailable")
        return response


def record(actor, action: str, entity: str, entity_id=None, person=None, service_id=None, **detail) -> None:
    device_id = g.get("device_id") if has_request_context() else None
    event = AuditEvent(
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
    if action == "view" and has_request_context() and request.method in SAFE_METHODS:
        g.setdefault("audit_views", []).append(event)
        return
    db.session.add(event)


def viewed(actor, person, what: str = "person", entity_id=None) -> None:
    """A staff member looked at a person's record (ACCESS.md: every staff view is audited)."""
    if getattr(actor, "role", None) == "person":
        return
    record(actor, "view", what, entity_id or person.id, person=person)
