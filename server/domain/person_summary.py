"""The person's own summary: their goals in their words, Then → Now on their picture scale, what
happens next and who helps. Easy read, for them to keep on paper (HTML and an accessible PDF).

The same goals "My goals" shows: active and achieved outcomes, newest quarter first.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import CaseloadAssignment, Review, User
from ..models.wellbeing import WELLBEING_EASY_READ
from .outcome_facts import due_after
from .outcomes import outcomes_of
from .pictures import PROGRESS_WORDS, progress_picture

SHOWN = ("active", "achieved")


def _who_helps(action, person) -> str:
    if action.owner_kind == "person":
        return "You"
    if action.owner_kind == "staff" and action.owner_user_id:
        user = db.session.get(User, action.owner_user_id)
        return user.name if user else "Your support worker"
    return action.owner_name or "Someone else"


def build(person, today: date | None = None) -> dict:
    today = today or date.today()
    outcomes = [o for o in outcomes_of(person) if o.status in SHOWN]
    reviews: dict[str, list[Review]] = {}
    if outcomes:
        for r in db.session.execute(
            select(Review).where(Review.outcome_id.in_([o.id for o in outcomes])).order_by(Review.happened_at)
        ).scalars():
            reviews.setdefault(r.outcome_id, []).append(r)
    goals = []
    for o in outcomes:
        mine = reviews.get(o.id, [])
        first, last = (mine[0], mine[-1]) if mine else (None, None)

        def point(review, word):
            if review is None:
                return None
            return {"score": review.score, "words": PROGRESS_WORDS[review.score], "date": review.happened_at.date(),
                    "picture": progress_picture(review.score), "label": word}

        # The one rule for when a review falls due, on the latest review already read above.
        due = due_after(o.status, o.review_every, o.starts_on, last.happened_at if last is not None else None)
        goals.append({
            "id": o.id,
            "persons_words": o.persons_words,
            "domain": o.domain,
            "achieved": o.status == "achieved",
            "areas": [WELLBEING_EASY_READ[c] for c in o.wellbeing_areas],
            "then": point(first, "Then") if first is not None and first is not last else None,
            "now": point(last, "Now"),
            "next": [
                {"what": a.description, "who": _who_helps(a, person), "by": a.due_on}
                for a in o.actions if a.status == "open"
            ],
            "next_review": due,
        })
    keyworkers = db.session.execute(
        select(User.name)
        .join(CaseloadAssignment, CaseloadAssignment.user_id == User.id)
        .where(CaseloadAssignment.person_id == person.id, CaseloadAssignment.keyworker.is_(True), User.active.is_(True))
        .order_by(User.name)
    ).scalars().all()
    return {
        "person": {"id": person.id, "name": person.name, "first_name": person.preferred_name or person.name.split(" ")[0]},
        "goals": goals,
        "keyworkers": list(keyworkers),
        "generated_on": today,
        "scale": [{"score": n, "words": PROGRESS_WORDS[n], "picture": progress_picture(n)} for n in range(1, 6)],
    }
