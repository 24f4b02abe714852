"""Feedback conversations: recording what someone said works, feels difficult and would change,
and reading them back (the domain article's Example Two).

Both the REST route (POST /feedback) and the sync mutation feedback.create call create_feedback with
already-loaded schema data. Who may do what is access.POLICY's kind "feedback": staff only, and a
support worker only for people on their caseload. Tagging themes is server/domain/themes.py.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import select

from ..extensions import db
from ..models import FeedbackConversation, Person, User
from ..schemas.improvement import FeedbackCreateSchema
from . import access, audit, keyset, mutations, person_voice
from .errors import NotFound
from .records import create_happened
from .viewlog import viewed_people


def create_feedback(actor: User, data: dict) -> FeedbackConversation:
    """A conversation's own rule is what person_voice.check_feedback asks of it."""
    return create_happened(actor, "feedback", FeedbackConversation, data, person_voice.check_feedback)


def feedback_for(actor: User, feedback_id: str) -> FeedbackConversation:
    access.require_read(actor, "feedback")
    conversation = db.session.get(FeedbackConversation, str(feedback_id)) if feedback_id else None
    missing = NotFound("No such feedback conversation.", fields={"feedback_id": ["No such feedback conversation."]})
    if conversation is None:
        raise missing
    try:
        access.require_read(actor, "feedback", conversation.person_id)
    except NotFound:
        raise missing from None
    return conversation


UNPAGED_LIMIT = 100  # what the list held before paging, for a request with neither `limit` nor `cursor`


def list_feedback(actor: User, service_id: str | None = None, status: str = "all", person_id: str | None = None,
                  limit: int | None = None, cursor: str | None = None):
    """Feedback conversations `actor` may read, newest first (then by id). Audited: one view entry
    per person shown. With `limit` or `cursor`: a page {"items", "next_cursor"}; with neither, the
    newest 100 as a bare list, as before paging."""
    access.require_read(actor, "feedback")
    q = select(FeedbackConversation).join(Person, Person.id == FeedbackConversation.person_id).where(
        access.readable_rows(actor, "feedback", FeedbackConversation)
    )
    if service_id:
        with _not_found_names("service", "No such service."):
            service = access.require_service(actor, "feedback", service_id)
        q = q.where(Person.service_id == service.id)
    if person_id:
        with _not_found_names("person", "No such person."):
            person = access.require_read(actor, "feedback", person_id)
        q = q.where(FeedbackConversation.person_id == person.id)
    if status == "unreviewed":
        q = q.where(FeedbackConversation.reviewed_at.is_(None))
    elif status == "reviewed":
        q = q.where(FeedbackConversation.reviewed_at.is_not(None))
    if limit is None and cursor is None:
        q = q.order_by(FeedbackConversation.happened_at.desc(), FeedbackConversation.id).limit(UNPAGED_LIMIT)
        rows = list(db.session.execute(q).scalars())
        _viewed_list(actor, "feedback_list", rows)
        return rows
    limit = limit or keyset.DEFAULT_LIMIT
    order = [(FeedbackConversation.happened_at, True, datetime), (FeedbackConversation.id, False, str)]
    # The page's keys first, read from the (person, time, id) index alone, so what is sorted is small
    # whatever the conversations hold; then those conversations, in one more statement.
    keys = q.with_only_columns(FeedbackConversation.happened_at, FeedbackConversation.id)
    keys, next_cursor = keyset.split(list(db.session.execute(keyset.ordered_page(keys, order, limit, cursor)).all()), limit, tuple)
    found = {c.id: c for c in db.session.execute(
        select(FeedbackConversation).where(FeedbackConversation.id.in_([row_id for _, row_id in keys]))).scalars()} if keys else {}
    rows = [found[row_id] for _, row_id in keys]
    _viewed_list(actor, "feedback_list", rows)
    return {"items": rows, "next_cursor": next_cursor}


@contextmanager
def _not_found_names(field: str, message: str):
    """A 404 from access names the query parameter the caller sent (`service`, `person`), not
    access's own field (`service_id`, `person_id`)."""
    try:
        yield
    except NotFound:
        raise NotFound(message, fields={field: [message]}) from None


def _viewed_list(actor: User, what: str, rows) -> None:
    """Audit a list of a person's records: one view entry per person, naming the records shown."""
    ids: dict[str, list[str]] = {}
    for row in rows:
        ids.setdefault(row.person_id, []).append(row.id)
    if ids and not access.is_person(actor):
        people = db.session.execute(select(Person).where(Person.id.in_(ids))).scalars()
        viewed_people(actor, people, what, ids)


def show(conversations) -> None:
    """Load what FeedbackOut shows beyond each conversation's own columns (the person's name, in one
    statement however many; the themes) and hand it over as the conversation's `shown`."""
    rows = list(conversations)
    ids = sorted({c.person_id for c in rows})
    names = dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
    for conversation in rows:
        conversation.themes  # noqa: B018 - loaded now (expired by a commit), not while dumping
        conversation.shown = SimpleNamespace(person_name=names.get(conversation.person_id))


def shown(conversation: FeedbackConversation) -> FeedbackConversation:
    show([conversation])
    return conversation


def view_feedback(actor: User, feedback_id: str) -> FeedbackConversation:
    conversation = feedback_for(actor, feedback_id)
    audit.record(actor, "view", "feedback", conversation.id, person=db.session.get(Person, conversation.person_id))
    return conversation


mutations.register("feedback.create", FeedbackCreateSchema, create_feedback)
