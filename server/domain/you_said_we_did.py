"""“You said, we did”: the co-produced changes that answered what a person said.

A change answered a person's feedback when it applies to them (named, or their whole service) and
answers a theme that a manager tagged on one of their feedback conversations held on or before the
change's start. The person sees their own words and what changed (on My goals); staff who may
read the person see the same. Who may read it is access.POLICY["you_said_we_did"].
"""
from __future__ import annotations

from sqlalchemy import exists, or_, select

from ..extensions import db
from ..models import Change, ChangePerson, ChangeTheme, FeedbackConversation, FeedbackTheme, User
from . import access, audit


def _their_words(conversation: FeedbackConversation) -> str:
    return conversation.feels_difficult or conversation.would_change or conversation.works_well


def for_person(actor: User, person_id: str) -> list[dict]:
    """Newest change first; for each, what the person said (oldest first). Four queries."""
    person = access.require_read(actor, "you_said_we_did", person_id)
    audit.record(actor, "view", "you_said_we_did", person.id, person=person)
    tagged: dict[str, set[str]] = {}
    for feedback_id, theme_id in db.session.execute(
        select(FeedbackTheme.feedback_id, FeedbackTheme.theme_id)
        .join(FeedbackConversation, FeedbackConversation.id == FeedbackTheme.feedback_id)
        .where(FeedbackConversation.person_id == person.id, FeedbackConversation.reviewed_at.is_not(None))
    ):
        tagged.setdefault(feedback_id, set()).add(theme_id)
    if not tagged:
        return []
    conversations = db.session.execute(
        select(FeedbackConversation).where(FeedbackConversation.id.in_(list(tagged))).order_by(FeedbackConversation.happened_at)
    ).scalars().all()
    themes = set().union(*tagged.values())
    applies_to_anyone = exists().where(ChangePerson.change_id == Change.id)
    applies_to_them = exists().where(ChangePerson.change_id == Change.id, ChangePerson.person_id == person.id)
    changes = db.session.execute(
        select(Change)
        .where(
            Change.service_id == person.service_id,
            or_(~applies_to_anyone, applies_to_them),
            Change.id.in_(select(ChangeTheme.change_id).where(ChangeTheme.theme_id.in_(themes))),
        )
        .order_by(Change.starts_on.desc(), Change.id)
    ).scalars().all()
    out = []
    for change in changes:
        answers = {t.id for t in change.themes}
        said = [
            {"on": c.happened_at.date(), "words": _their_words(c)}
            for c in conversations
            if tagged[c.id] & answers and c.happened_at.date() <= change.starts_on and _their_words(c)
        ]
        if said:
            out.append({"change_id": change.id, "we_did": change.description, "starts_on": change.starts_on, "you_said": said[-3:]})
    return out
