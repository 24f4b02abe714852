"""Audit entries for reads that show several people at once (lists and pulls).

ACCESS.md: every view of a person's record by staff is audited. A list or a pull shows many people
in one reply, so it leaves one view entry per person shown, with that person's id set, so "who has
seen Sam's record" finds it. The entries are made in memory and written together after the reply
(audit.record keeps a GET request's views aside): no query per person.
"""
from __future__ import annotations

from typing import Iterable

from . import access, audit


def viewed_people(actor, people: Iterable, what: str, ids: dict | None = None, **detail) -> int:
    """One "view" entry of `what` per person in `people` (objects with `id` and `service_id`).
    `ids` maps a person id to the ids of their records that were shown. A person reading their own
    records is not a staff view. Returns how many entries were made."""
    if access.is_person(actor):
        return 0
    actor = access.itself(actor)  # resolved once, not for every person listed
    count = 0
    seen = set()
    for person in people:
        if person is None or person.id in seen:
            continue
        seen.add(person.id)
        extra = dict(detail)
        if ids is not None and ids.get(person.id):
            extra["ids"] = sorted({str(i) for i in ids[person.id]})
        audit.record(actor, "view", what, person.id, person=person, **extra)
        count += 1
    return count
