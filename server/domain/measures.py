"""The measures (PRODUCT.md, Measures), defined once.

Person trajectory and quarter results live here; service measures and change effects join them
as their features land.
"""
from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Change, ChangeOutcome, ChangePerson, Outcome, Person, Review
from .outcomes import owner_label, quarter_label, quarter_of


def reviews_of(outcome_id: str) -> list[Review]:
    return list(
        db.session.execute(select(Review).where(Review.outcome_id == outcome_id).order_by(Review.happened_at)).scalars()
    )


def changes_for(outcome: Outcome, person: Person) -> list[Change]:
    """Co-produced changes that answer this outcome, apply to this person, or to their whole service."""
    applies_to_anyone = select(ChangePerson.change_id)
    q = select(Change).where(
        Change.service_id == person.service_id,
        or_(
            Change.id.in_(select(ChangeOutcome.change_id).where(ChangeOutcome.outcome_id == outcome.id)),
            Change.id.in_(select(ChangePerson.change_id).where(ChangePerson.person_id == person.id)),
            Change.id.not_in(applies_to_anyone),
        ),
    )
    return list(db.session.execute(q.order_by(Change.starts_on)).scalars())


def trajectory(outcome: Outcome, with_notes: bool = True) -> dict:
    """Reviews over time with actions and changes marked on the line. `with_notes=False` leaves out
    free text (evidence, action wording, change descriptions) for anonymised views."""
    person = db.session.get(Person, outcome.person_id)
    reviews = reviews_of(outcome.id)
    points = [
        {
            "id": r.id,
            "happened_at": r.happened_at.isoformat(),
            "score": r.score,
            "rated_by": r.rated_by,
            "achieved": r.achieved,
            "evidence": [e.text for e in r.evidence] if with_notes else [],
            "what_changed": r.what_changed if with_notes else None,
            "support_adjustment": r.support_adjustment if with_notes else None,
        }
        for r in reviews
    ]
    markers = []
    for action in outcome.actions:
        day = action.due_on or action.created_at.date()
        label = f"{action.description} ({owner_label(action)})" if with_notes else "Action"
        markers.append({"date": day.isoformat(), "kind": "action", "label": label, "id": action.id, "status": action.status})
    for change in changes_for(outcome, person):
        markers.append(
            {"date": change.starts_on.isoformat(), "kind": "change", "label": change.description if with_notes else "Co-produced change", "id": change.id}
        )
    markers.sort(key=lambda m: m["date"])
    return {"points": points, "markers": markers, "quarters": quarter_results(reviews)}


def quarter_results(reviews: list[Review]) -> list[dict]:
    """Per quarter: first and last score, the change between them, and whether the goal was
    marked achieved at a review in that quarter."""
    by_quarter: OrderedDict[tuple[int, int], list[Review]] = OrderedDict()
    for review in sorted(reviews, key=lambda r: r.happened_at):
        by_quarter.setdefault(quarter_of(review.happened_at.date()), []).append(review)
    out = []
    for (year, q), rows in by_quarter.items():
        first, last = rows[0].score, rows[-1].score
        out.append(
            {
                "quarter": quarter_label(year, q),
                "first": first,
                "last": last,
                "reviews": len(rows),
                "direction": "improved" if last > first else "worse" if last < first else "same",
                "achieved": any(r.achieved for r in rows),
            }
        )
    return out
