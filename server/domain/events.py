"""Service events: incidents, appointments and other things that happened to a person, dated and
kinded. Both the REST route (POST /events) and the sync mutation event.create call create_event.
Who may do what is access.POLICY's kind "event"."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import ServiceEvent, User
from ..schemas.improvement import EventCreateSchema
from . import access, audit, mutations, person_voice
from .records import create_happened


def create_event(actor: User, data: dict) -> ServiceEvent:
    """An event's own rule is what person_voice.check_event asks of it; its audit entry names its kind."""
    return create_happened(actor, "event", ServiceEvent, data, person_voice.check_event, detail=lambda e: {"kind": e.kind})


def events_of(actor: User, person_id: str, kind: str | None = None) -> list[ServiceEvent]:
    person = access.require_read(actor, "event", person_id)
    audit.record(actor, "view", "events", person.id, person=person)
    q = select(ServiceEvent).where(ServiceEvent.person_id == person.id)
    if kind:
        q = q.where(ServiceEvent.kind == kind)
    return list(db.session.execute(q.order_by(ServiceEvent.happened_at.desc())).scalars())


mutations.register("event.create", EventCreateSchema, create_event)
