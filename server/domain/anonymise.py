"""What an anonymised reader (a commissioner) may see of the organisation's own words: theme labels
and a change's description, unless they hold a word of anyone's name in the organisation. A leaf
module (models only), read by the reports and by the change views."""
from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from ..extensions import db
from ..models import Person, Service, User


# name_words of each organisation, kept while its names are unchanged: reading every name costs
# about 0.4 s at 50,000 people, and a commissioner's page of changes or a report asks for them.
_NAME_WORDS: dict[str, tuple[tuple, frozenset[str]]] = {}
_NAME_WORDS_LOCK = threading.Lock()


def _names_fingerprint(organisation_id: str) -> tuple:
    """What changes whenever a name in the organisation may have: a person's row takes a new seq on
    every insert and update, and an account's updated_at on every update; counts catch deletions."""
    people = db.session.execute(
        select(func.count(Person.id), func.max(Person.seq)).where(Person.organisation_id == organisation_id)).one()
    staff = db.session.execute(
        select(func.count(User.id), func.max(User.updated_at)).where(User.organisation_id == organisation_id)).one()
    return tuple(people) + tuple(staff)


def name_words(organisation_id: str) -> frozenset[str]:
    """Every word (3+ letters) of the names of the organisation's people and staff."""
    fingerprint = _names_fingerprint(organisation_id)
    with _NAME_WORDS_LOCK:
        kept = _NAME_WORDS.get(organisation_id)
    if kept is not None and kept[0] == fingerprint:
        return kept[1]
    words = _read_name_words(organisation_id)
    with _NAME_WORDS_LOCK:
        _NAME_WORDS[organisation_id] = (fingerprint, words)
    return words


def _read_name_words(organisation_id: str) -> frozenset[str]:
    words: set[str] = set()
    names = db.session.execute(select(Person.name, Person.preferred_name).where(Person.organisation_id == organisation_id)).all()
    staff = db.session.execute(select(User.name).where(User.organisation_id == organisation_id)).scalars().all()
    for text in [n for row in names for n in row if n] + list(staff):
        words.update(w for w in re.findall(r"[^\W\d_]+", text.lower()) if len(w) >= 3)
    return frozenset(words)


class ThemeLabels:
    """Theme labels for a report: as chosen by the service, or 'Theme N' when anonymised and the
    label contains a word of anyone's name in the organisation."""

    def __init__(self, organisation_id: str, named: bool):
        self.named = named
        self.organisation_id = organisation_id
        self._words: frozenset[str] | None = None
        self._numbers: dict[str, int] = {}

    def __call__(self, theme) -> str:
        if self.named:
            return theme.name
        if self._words is None:
            self._words = name_words(self.organisation_id)
        if set(re.findall(r"[^\W\d_]+", theme.name.lower())) & self._words:
            number = self._numbers.setdefault(theme.id, len(self._numbers) + 1)
            return f"Theme {number}"
        return theme.name


def anonymised_change_text(change, words: frozenset[str] | None = None) -> tuple[dict, ThemeLabels]:
    """What an anonymised reader (a commissioner) sees of a change's own words: its description and
    theme labels, unless they hold a word of anyone's name in the organisation (then a neutral
    label). The change itself is never anonymous; the people in it are. `words`: the organisation's
    `name_words`, when a list of changes read them once for all."""
    service = db.session.get(Service, change.service_id)
    labels = ThemeLabels(service.organisation_id, named=False)
    if words is None:
        words = name_words(service.organisation_id)
    labels._words = words
    description = change.description
    if set(re.findall(r"[^\W\d_]+", description.lower())) & words:
        description = f"A change in {service.name}"
    themes = [{"id": t.id, "name": labels(t)} for t in sorted(change.themes, key=lambda t: t.name.lower())]
    return {"description": description, "themes": themes}, labels
